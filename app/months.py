"""Calendar months as the statistics name them ("2026-10"): one spelling for the EBPM releases, the consent items
they read and the feed's impressions."""

from __future__ import annotations

import calendar
from datetime import date


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _index(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _key(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def shift(month: str, by: int) -> str:
    """The month `by` months after `month` (before, when negative)."""
    return _key(_index(month) + by)


def first_day(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def last_day(month: str) -> date:
    year, number = int(month[:4]), int(month[5:7])
    return date(year, number, calendar.monthrange(year, number)[1])


def months_back(on: date, count: int) -> list[str]:
    """The `count` months ending with the month of `on`, oldest first."""
    end = _index(month_key(on))
    return [_key(index) for index in range(end - count + 1, end + 1)]


def months_between(first: str, last: str) -> list[str]:
    """From `first` to `last`, both included (empty when `last` is earlier)."""
    return [_key(index) for index in range(_index(first), _index(last) + 1)]
