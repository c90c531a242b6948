"""The streaming splitter: an `.ics` byte stream → unfolded content lines → one component's lines at a time.

Lines are unfolded as bytes, before decoding (Google folds at 75 octets and a continuation can split a multi-byte
character in two); a component's lines are decoded only once it is whole (`_decode`). The limits are passed in by
`iter_calendar` (the package's `CHUNK`, `LINE_LIMIT` and `EVENT_LIMIT`), so nothing here holds more than one
content line or one event.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from app.imports.summary import ImportSummary

# Components that stand only at the top of a calendar: one of them inside an event means the event was cut off.
_TOP_LEVEL = frozenset({b"VCALENDAR", b"VEVENT", b"VTODO", b"VJOURNAL", b"VFREEBUSY", b"VTIMEZONE"})
_TOO_LONG = object()  # stands for a content line over the line limit


def _physical_lines(stream: BinaryIO, first: bytes, *, chunk: int, line_limit: int) -> Iterator[tuple[bytes, bool]]:
    """(line without its break, cut) pairs, reading `chunk` bytes at a time after `first`. A line over `line_limit`
    is dropped while reading: it comes back as its first byte only (enough to tell a folded continuation) with
    cut=True."""
    rest = b""
    cut = False
    head = b""
    data = first
    while True:
        if not data:
            data = stream.read(chunk)
            if not data:
                break
        pieces = data.split(b"\n")
        data = b""
        for piece in pieces[:-1]:
            if cut:
                yield head, True
                cut = False
                continue
            line = rest + piece if rest else piece
            rest = b""
            if len(line) > line_limit:
                yield line[:1], True
            else:
                yield (line[:-1] if line.endswith(b"\r") else line), False
        last = pieces[-1]
        if cut:
            continue
        if len(rest) + len(last) > line_limit:
            head = (rest or last)[:1]
            cut, rest = True, b""
        else:
            rest += last
    if cut:
        yield head, True
    elif rest:
        yield (rest[:-1] if rest.endswith(b"\r") else rest), False


def _content_lines(physical: Iterator[tuple[bytes, bool]], *, line_limit: int) -> Iterator[Any]:
    """Unfolded content lines as bytes (a continuation line starts with a space or a tab, RFC 5545 §3.1), or
    `_TOO_LONG` for a line over `line_limit`. Empty lines are left out."""
    current: bytearray | None = None
    too_long = False
    for line, cut in physical:
        if current is not None and line[:1] in (b" ", b"\t"):
            if cut or len(current) + len(line) - 1 > line_limit:
                too_long = True
            elif not too_long:
                current += line[1:]
            continue
        if current is not None:
            yield _TOO_LONG if too_long else bytes(current)
            current = None
        if cut:
            current, too_long = bytearray(), True
        elif line.strip():
            current, too_long = bytearray(line.lstrip(b" \t")), False  # (only the file's first line can start blank)
    if current is not None:
        yield _TOO_LONG if too_long else bytes(current)


class _Lines:
    """An iterator over content lines that can take one back."""

    def __init__(self, lines: Iterator[Any]) -> None:
        self._lines = lines
        self._back: list[Any] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> Any:
        return self._back.pop() if self._back else next(self._lines)

    def push(self, line: Any) -> None:
        self._back.append(line)


def _begin_end(line: bytes) -> tuple[bytes, bytes] | None:
    head = line[:6].upper()
    if head == b"BEGIN:":
        return b"BEGIN", line[6:].strip().upper()
    if head[:4] == b"END:":
        return b"END", line[4:].strip().upper()
    return None


def _collect(name: bytes, lines: _Lines, *, event_limit: int) -> tuple[list[bytes] | None, str | None]:
    """The lines of the component `name` whose BEGIN line was just read (BEGIN and END included), or None and why not:
    "too_large" (over `event_limit` bytes), "line_too_long", "structure" (unbalanced BEGIN/END inside),
    "unterminated" (another top-level component or the calendar's end came first; that line is pushed back) or
    "eof"."""
    block = [b"BEGIN:" + name]
    stack = [name]
    size = 0
    problem: str | None = None
    for line in lines:
        if line is _TOO_LONG:
            problem = problem or "line_too_long"
            continue
        marker = _begin_end(line)
        if marker is not None:
            verb, component = marker
            if verb == b"BEGIN":
                if component in _TOP_LEVEL:
                    lines.push(line)
                    return None, "unterminated"
                stack.append(component)
            elif component == stack[-1]:
                stack.pop()
            elif component == b"VCALENDAR":
                lines.push(line)
                return None, "unterminated"
            elif component == name:
                return None, "structure"
            else:
                problem = problem or "structure"
                continue
        if problem is None:
            size += len(line)
            if size > event_limit:
                problem, block = "too_large", []
            else:
                block.append(line)
        if not stack:
            return (None, problem) if problem else (block, None)
    return None, "eof"


def _decode(block: list[bytes], summary: ImportSummary) -> str:
    data = b"\r\n".join(block)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        summary.warn("ics_not_utf8", "text that is not UTF-8 was read with replacement characters")
        return data.decode("utf-8", "replace")

