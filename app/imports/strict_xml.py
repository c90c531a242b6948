"""The one way exports' XML is parsed: lxml `iterparse` with entity resolution, DTD loading and network access off, and
never `recover=True` (it drops records silently) or `huge_tree=True` (it lifts libxml2's safety limits); and what a
syntax error means for the resident (`entity` or `xml`)."""

from __future__ import annotations

from typing import Any

from lxml import etree

from app.imports.summary import FormatError


def strict_iterparse(source: Any, *, events: tuple[str, ...] = ("end",), **extra: Any) -> Any:
    return etree.iterparse(
        source, events=events, resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, recover=False, remove_comments=True, remove_pis=True, **extra,
    )


def strict_pull_parser(*, events: tuple[str, ...] = ("end",), **extra: Any) -> etree.XMLPullParser:
    """The same parser as `strict_iterparse`, fed by the caller (`feed()`, `read_events()`, `close()`)."""
    return etree.XMLPullParser(
        events=events, resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
        huge_tree=False, recover=False, remove_comments=True, remove_pis=True, **extra,
    )


def xml_error(exc: etree.XMLSyntaxError, error: type[FormatError] = FormatError) -> FormatError:
    """The refusal for a parse that stopped: `entity` when an entity stopped it, else `xml`."""
    # The error log can still hold entries of earlier parses in this thread: the last fatal one stopped this one.
    fatal = [entry for entry in exc.error_log if entry.level_name == "FATAL"]
    last = fatal[-1] if fatal else None
    message = f"{last.message} (line {last.line})" if last else str(exc)
    if last is not None and "ENTITY" in last.type_name:
        return error("entity", f"the document uses an entity that is never expanded: {message}")
    return error("xml", f"malformed XML: {message}")
