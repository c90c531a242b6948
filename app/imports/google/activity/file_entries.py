"""A whole file as entries: its format (a JSON array or a Takeout activity page), refused when it is neither, and
its entries in that format, streamed."""

from __future__ import annotations

from collections.abc import Iterator

import ijson

from app.imports.google.activity.entry import _Entry
from app.imports.google.activity.html_pages import _html_entries, _is_activity_page
from app.imports.google.activity.json_entries import _json_entry
from app.imports.streams import Replay
from app.imports.summary import FormatError

# A file whose first entries hold no watch at all is not a watch history.
LEADING_LIMIT = 100


def _entries(fmt: str, stream: Replay) -> Iterator[_Entry | None]:
    """Entries of the file (None for an array item that is not an object)."""
    if fmt == "html":
        yield from _html_entries(stream)  # type: ignore[arg-type]
        return
    try:
        for item in ijson.items(stream, "item"):
            yield _json_entry(item)
    except ijson.JSONError as exc:
        raise FormatError("json", f"malformed JSON: {_first_line(exc)}") from exc


def _first_line(exc: Exception) -> str:
    text = exc.args[0] if exc.args else exc
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text).strip().splitlines()[0] if str(text).strip() else type(exc).__name__


def _format_of(head: bytes, fmt: str | None, refuse: str) -> str:
    first = head[:1]
    if fmt not in (None, "json", "html"):
        raise ValueError(f"unknown format {fmt!r}")
    if fmt == "json" or (fmt is None and first in (b"[", b"{")):
        if first == b"{":
            raise FormatError(refuse, "a JSON object, not an array of activity entries")
        if first != b"[":
            raise FormatError("json", "not a JSON document")
        return "json"
    if fmt == "html" or (fmt is None and first == b"<"):
        if not _is_activity_page(head):
            raise FormatError("html" if first != b"<" else refuse,
                              "not an HTML document" if first != b"<" else "an HTML page that is not a Takeout activity page")
        return "html"
    raise FormatError(refuse, "neither a JSON array nor an HTML page")
