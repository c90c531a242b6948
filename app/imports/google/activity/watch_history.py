"""Reading a YouTube / YouTube Music watch history (`iter_watch_history`): a file whose first entries hold no
watch is refused (JSON) or read as My Activity (a Takeout page)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from app.imports.google.activity.entry import _Entry
from app.imports.google.activity.file_entries import LEADING_LIMIT, _entries, _format_of
from app.imports.google.activity.items import _bad, _category, _counted, _watch_event
from app.imports.google.activity.my_activity import _read_activity
from app.imports.google.activity.streams import _open
from app.imports.summary import FormatError, ImportSummary


def iter_watch_history(stream: BinaryIO, summary: ImportSummary, *, fmt: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield `watch_event` dicts from a YouTube / YouTube Music watch history (`fmt` "json" or "html"; sniffed when
    None). A bad entry is skipped with a warning; a file that is not one raises `FormatError`: "json" / "html"
    (not that format), "not_watch_history" (a JSON with no watch in its first entries, an HTML page that is not a
    Takeout activity page). A Takeout page with no watch in its first entries is read as My Activity (see the
    package docstring)."""
    head, replay = _open(stream)
    fmt = _format_of(head, fmt, "not_watch_history")
    pending: list[_Entry | None] = []  # entries before the first watch, while the file's kind is undecided
    decided: str | None = None  # "watch" or "my_activity"
    for entry in _entries(fmt, replay):
        if decided is None:
            pending.append(entry)
            is_watch = entry is not None and _category(entry) == "watch"
            if not is_watch and len(pending) < LEADING_LIMIT:
                continue
            decided = "watch" if is_watch else _undecided(fmt)
            for earlier in pending:
                yield from _read(earlier, decided, summary)
            pending = []
            continue
        yield from _read(entry, decided, summary)
    if decided is None and pending:
        decided = _undecided(fmt)
        for earlier in pending:
            yield from _read(earlier, decided, summary)
    if decided == "my_activity":
        summary.warn("read_as_my_activity", "a Takeout activity page with no watch in its first entries was read as My Activity")


def _undecided(fmt: str) -> str:
    if fmt == "json":
        raise FormatError("not_watch_history", f"no YouTube watch in the first {LEADING_LIMIT} entries")
    return "my_activity"


def _read(entry: _Entry | None, decided: str, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    if decided == "my_activity":
        yield from _read_activity(entry, summary)
        return
    if entry is None:
        _bad("watch_event", summary, "an entry that is not an object")
        return
    if _category(entry) != "watch":
        summary.skipped["not_a_watch"] += 1
        return
    try:
        item = _watch_event(entry, summary)
    except ValueError as exc:
        _bad("watch_event", summary, exc)
        return
    yield _counted(item, summary)
