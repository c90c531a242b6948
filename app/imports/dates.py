"""Whether `YYYY-MM-DD` is a real calendar day, memoised: every exporter's date parser checks millions of dates that
fall on a few thousand days."""

from __future__ import annotations

from datetime import date

KNOWN_DAYS: set[str] = set()  # days already found real (callers test membership first: it is the hot path)
_LIMIT = 100_000


def is_calendar_day(day: str) -> bool:
    if day in KNOWN_DAYS:
        return True
    try:
        date.fromisoformat(day)
    except ValueError:
        return False
    if len(KNOWN_DAYS) < _LIMIT:
        KNOWN_DAYS.add(day)
    return True
