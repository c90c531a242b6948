"""A Takeout activity page (`watch-history.html`, `MyActivity.html`) as entries, read incrementally.

lxml's incremental HTML parser (`HTMLPullParser`, network off, never `huge_tree`); each entry's cells are cleared and
their earlier siblings deleted once read. libxml2's HTML push parser keeps all the input it was fed until it is
closed, so a page is fed to a fresh parser every `SEGMENT_BYTES`, cut just before an entry (`_html_divs`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO

from lxml import etree

from app.imports.google.activity.entry import _Entry
from app.imports.google.activity.wording import _AD, _clean
from app.imports.summary import FormatError


def _lines(el: etree._Element) -> list[list[tuple[str | None, str]]]:
    """A cell's content as lines (split at `<br>`) of (href, text) tokens; href is None for plain text."""
    lines: list[list[tuple[str | None, str]]] = [[]]

    def walk(node: etree._Element) -> None:
        if node.text:
            lines[-1].append((None, node.text))
        for child in node:
            tag = child.tag
            if tag == "br":
                lines.append([])
            elif tag == "a":
                lines[-1].append((child.get("href") or "", "".join(child.itertext())))
            elif isinstance(tag, str):
                walk(child)
            if child.tail:
                lines[-1].append((None, child.tail))

    walk(el)
    return lines


def _sections(el: etree._Element) -> list[tuple[str, list[str]]]:
    """A caption cell as (label, raw lines): `<b>Products:</b><br>&emsp;YouTube<br><b>Details:</b><br>…`."""
    sections: list[tuple[str, list[str]]] = [("", [""])]

    def walk(node: etree._Element) -> None:
        if node.text:
            sections[-1][1][-1] += node.text
        for child in node:
            tag = child.tag
            if tag == "b":
                sections.append((_clean("".join(child.itertext())), [""]))
            elif tag == "br":
                sections[-1][1].append("")
            elif isinstance(tag, str):
                walk(child)
            if child.tail:
                sections[-1][1][-1] += child.tail

    walk(el)
    # Lines are cleaned by the reader that keeps them: "Why is this here?" is long and never kept.
    return [(label, lines) for label, lines in sections if label or any(line.strip() for line in lines)]


_DETAILS_LABELS = re.compile(r"^(?:Details|詳細|Détails|Detalles|Dettagli|Detalhes)\s*[:：]?$", re.I)


def _html_entry(header: str | None, body: list[list[tuple[str | None, str]]], caption: list[tuple[str, list[str]]]) -> _Entry:
    entry = _Entry("html")
    entry.header = _clean(header) or None
    lines = [[(href, _clean(text) if href is None else text) for href, text in line] for line in body]
    lines = [[(href, text) for href, text in line if href is not None or text] for line in lines]
    filled = [i for i, line in enumerate(lines) if line]
    if filled:
        first = lines[filled[0]]
        link_at = next((i for i, (href, _t) in enumerate(first) if href is not None), None)
        if link_at is None:
            entry.title = _clean(" ".join(text for _h, text in first))
        else:
            href, text = first[link_at]
            entry.url = href or None
            entry.link_text = _clean(text) or None
            before = _clean(" ".join(t for _h, t in first[:link_at]))
            after = _clean(" ".join(_clean(t) for _h, t in first[link_at + 1:]))
            entry.title = _clean(" ".join(p for p in (before, entry.link_text or "", after) if p))
            entry.verb = _clean(f"{before} {after}")
        last = filled[-1]
        if len(filled) > 1 and all(href is None for href, _t in lines[last]):
            entry.time = _clean(" ".join(t for _h, t in lines[last]))
            middle = filled[1:-1]
        else:
            middle = filled[1:]
        for i in middle:
            links = [(href, text) for href, text in lines[i] if href is not None]
            if links:
                entry.subtitles.append({"name": _clean(links[0][1]) or None, "url": links[0][0] or None})
            else:
                entry.subtitles.append({"name": _clean(" ".join(t for _h, t in lines[i])) or None, "url": None})
    labelled = [s for s in caption if s[0]]
    if labelled:
        entry.products = [c for c in map(_clean, labelled[0][1]) if c]
        for label, values in labelled[1:]:
            if _DETAILS_LABELS.match(label) or any(_AD.search(v) for v in values):
                entry.details.extend(c for c in map(_clean, values) if c)
    return entry


# libxml2's incremental HTML parser (2.14) keeps every byte fed to it until it is closed, however the tree is
# cleared, so a page is parsed in segments of about this size, each by a fresh parser, cut just before an entry.
SEGMENT_BYTES = 4 * 1024 * 1024
_CHUNK = 256 * 1024
_CELL_START = re.compile(rb"<div\s+class=[\"']?(outer-cell|header-cell|content-cell)")


def _html_divs(stream: BinaryIO) -> Iterator[etree._Element]:
    """The `div` elements of a page as they end, their earlier siblings dropped: the page is fed to a fresh
    `HTMLPullParser` (network off; entities are HTML's own) every `SEGMENT_BYTES`, cut just before a cell starts.
    A cut is safe: cells are grouped by order, not by nesting, and outside a cell the open elements carry no class
    (pages with `outer-cell` wrappers are cut only before one)."""
    parser: Any = None
    fed = 0
    pending = b""
    wrapped = False
    while True:
        chunk = stream.read(_CHUNK)
        data = pending + chunk
        if not chunk:
            if parser is not None or data.strip():
                parser = parser or _html_parser()
                parser.feed(data)
                yield from _close(parser)
            return
        if parser is not None and fed >= SEGMENT_BYTES:
            starts = list(_CELL_START.finditer(data))
            wrapped = wrapped or any(m.group(1) == b"outer-cell" for m in starts)
            cut = None
            for match in starts:
                if not wrapped or match.group(1) == b"outer-cell":
                    cut = match.start()
            if cut is not None:
                parser.feed(data[:cut])
                yield from _close(parser)
                parser, fed, data = None, 0, data[cut:]
        # A few bytes stay back so that a cell's start cut between two reads is seen whole next time.
        pending, data = data[-64:], data[:-64]
        if data:
            wrapped = wrapped or b'class="outer-cell' in data
            parser = parser or _html_parser()
            parser.feed(data)
            fed += len(data)
            yield from _events(parser)


def _html_parser() -> Any:
    return etree.HTMLPullParser(
        events=("end",), tag="div", encoding="utf-8", no_network=True, huge_tree=False, remove_comments=True,
        remove_pis=True,
    )


def _events(parser: Any) -> Iterator[etree._Element]:
    for _event, el in parser.read_events():
        yield el


def _close(parser: Any) -> Iterator[etree._Element]:
    parser.close()
    yield from _events(parser)


def _drop(el: etree._Element) -> None:
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


def _html_entries(stream: BinaryIO) -> Iterator[_Entry]:
    """The entries of a Takeout activity page, in order, read incrementally.

    An entry is a header cell (`header-cell`: the product; absent in some pages), a body cell (`content-cell …
    body-1`: the sentence, the channel, the date, split by `<br>`), an empty right-hand cell and a caption cell
    (`…caption`: "Products:", "Details:", "Why is this here?"). They are grouped by order, not by nesting: pages
    re-saved by other tools drop the `outer-cell` wrappers, and legacy pages close one `div` too many.
    """
    header: str | None = None
    body: list[list[tuple[str | None, str]]] | None = None
    caption: list[tuple[str, list[str]]] = []
    try:
        for el in _html_divs(stream):
            cls = el.get("class") or ""
            if "content-cell" in cls:
                if "caption" in cls:
                    if body is not None:
                        caption = _sections(el)
                elif "text-right" not in cls:
                    if body is not None:
                        yield _html_entry(header, body, caption)
                        header, caption = None, []
                    body = _lines(el)
            elif "header-cell" in cls:
                if body is not None:
                    yield _html_entry(header, body, caption)
                    body, caption = None, []
                header = "".join(el.itertext())
            elif "outer-cell" in cls:
                if body is not None:
                    yield _html_entry(header, body, caption)
                header, body, caption = None, None, []
            else:
                continue
            _drop(el)
    except etree.LxmlError as exc:
        raise FormatError("html", f"unreadable HTML: {exc}") from exc
    if body is not None:
        yield _html_entry(header, body, caption)


# Plain substring tests, not one regex alternation: every file of an archive is sniffed, and `in` on bytes is a
# memchr-driven search some 10× faster over a 64 KiB head (8,191 decoy entries took 2.8 s in the regex alone).
_TAKEOUT_PAGE_MARKERS = (b"material-design-lite", b"content-cell", b"outer-cell", b"mdl-typography--body-1")


def _is_activity_page(head: bytes) -> bool:
    return head.startswith(b"<") and any(marker in head for marker in _TAKEOUT_PAGE_MARKERS)
