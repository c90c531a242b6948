"""What one parse found (`ImportSummary`) and why one was refused (`FormatError`), for every export format."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any


class FormatError(Exception):
    """An export's content refused; `code` is stable (app/data_imports/messages.py says it in words)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class HealthImportError(FormatError):
    """An Apple Health export refused. Codes: "not_found", "prolog", "encoding", "entity", "xml", "not_health_data"."""


@dataclass
class ImportSummary:
    counts: Counter[str] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    # file format → how many files of it were read (a Takeout part holds several)
    formats: Counter[str] = field(default_factory=Counter)
    # interchange type → how many items of it are 要配慮 (special-care personal information)
    sensitive: Counter[str] = field(default_factory=Counter)
    warnings: dict[str, dict[str, Any]] = field(default_factory=dict)
    export_version: int | None = None
    export_date: str | None = None
    locale: str | None = None
    doctype_removed: bool = False
    main_file: str | None = None
    # Earliest start and latest end, per UTC offset: ISO strings of one offset compare in time order, so
    # the hot path compares strings and `first`/`last` convert once at the end.
    _bounds: dict[str, list[str]] = field(default_factory=dict)

    def warn(self, code: str, message: str, count: int = 1) -> None:
        entry = self.warnings.setdefault(code, {"code": code, "message": message, "count": 0})
        entry["count"] += count

    def see_range(self, start: str | None, end: str | None) -> None:
        """Widen the date range with an item's ISO start and end (values without a time or offset are ignored)."""
        if start is None or len(start) <= 19 or end is None or len(end) <= 19:
            return
        key = start[19:]
        bounds = self._bounds.get(key)
        if bounds is None:
            self._bounds[key] = [start, end if end[19:] == key else start]
        else:
            if start < bounds[0]:
                bounds[0] = start
            if end > bounds[1] and end[19:] == key:
                bounds[1] = end
        if end[19:] != key:
            self.see_range(end, end)

    @property
    def first(self) -> datetime | None:
        moments = [datetime.fromisoformat(b[0]) for b in self._bounds.values()]
        return min((m for m in moments if m.tzinfo is not None), default=None)

    @property
    def last(self) -> datetime | None:
        moments = [datetime.fromisoformat(b[1]) for b in self._bounds.values()]
        return max((m for m in moments if m.tzinfo is not None), default=None)

    def as_dict(self) -> dict[str, Any]:
        first, last = self.first, self.last
        return {
            "counts": dict(self.counts),
            "date_range": {
                "first": first.isoformat() if first else None,
                "last": last.isoformat() if last else None,
            },
            "sources": dict(self.sources),
            "skipped": dict(self.skipped),
            "sensitive": dict(self.sensitive),
            "formats": dict(self.formats),
            "warnings": list(self.warnings.values()),
            "export_version": self.export_version,
            "export_date": self.export_date,
            "locale": self.locale,
            "doctype_removed": self.doctype_removed,
            "main_file": self.main_file,
        }

    def to_state(self) -> dict[str, Any]:
        """Every field as plain dicts, lists and scalars (what `marshal` carries from the reader process)."""
        return {f.name: dict(value) if isinstance(value := getattr(self, f.name), dict) else value for f in fields(self)}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ImportSummary:
        summary = cls()
        for f in fields(cls):
            if f.name in state:
                current = getattr(summary, f.name)
                setattr(summary, f.name, type(current)(state[f.name]) if isinstance(current, dict) else state[f.name])
        return summary

