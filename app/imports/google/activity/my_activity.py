"""Reading any My Activity file (`iter_my_activity`): one `my_activity` item per entry, whatever its product."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from app.imports.google.activity.entry import _Entry
from app.imports.google.activity.file_entries import LEADING_LIMIT, _entries, _format_of
from app.imports.google.activity.items import _bad, _counted, _my_activity
from app.imports.google.activity.streams import _open
from app.imports.summary import FormatError, ImportSummary


def _read_activity(entry: _Entry | None, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    if entry is None:
        _bad("my_activity", summary, "an entry that is not an object")
        return
    try:
        item = _my_activity(entry, summary)
    except ValueError as exc:
        _bad("my_activity", summary, exc)
        return
    yield _counted(item, summary)


def iter_my_activity(stream: BinaryIO, summary: ImportSummary, *, fmt: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield `my_activity` dicts from a My Activity file (JSON array or HTML page; `fmt` sniffed when None). A bad
    entry is skipped with a warning; a file that is not one raises `FormatError` ("json", "html", "not_my_activity")."""
    head, replay = _open(stream)
    fmt = _format_of(head, fmt, "not_my_activity")
    pending: list[_Entry | None] = []  # entries before the first that reads as activity
    accepted = False
    for entry in _entries(fmt, replay):
        if not accepted:
            pending.append(entry)
            if entry is not None and (entry.title or entry.legacy is not None) and entry.time is not None:
                accepted = True
            elif len(pending) >= LEADING_LIMIT:
                raise FormatError("not_my_activity", f"no activity entry in the first {LEADING_LIMIT} entries")
            else:
                continue
            for earlier in pending:
                yield from _read_activity(earlier, summary)
            pending = []
            continue
        yield from _read_activity(entry, summary)
    if pending:
        raise FormatError("not_my_activity", "no activity entry in the file")
