"""When an event can next be attended, and how near that is: the ranking's date component and its reason.

Dated events are read in Japan time (the catalogue gives +09:00; the database returns UTC). An event whose last day
is before the reference day is past. An event without a date is a standing activity: open whenever the venue is
(`open_hours`, `always_open_park_hours`), or within the months its recurrence names (`…_mar_to_nov_…`), on
weekends only when it says `weekends`. Public holidays are not known here, so "土日祝" is matched on weekends.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from app.recommend import ranking_text as text

JAPAN = ZoneInfo("Asia/Tokyo")
# A standing activity is always there: worth as much as a dated event half the horizon away.
STANDING_VALUE = 0.5

_MONTH_KEYS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_SEASON = re.compile(r"(?:^|_)(?P<first>" + "|".join(_MONTH_KEYS) + r")_to_(?P<last>" + "|".join(_MONTH_KEYS) + r")(?:_|$)")


@dataclass(frozen=True)
class Occurrence:
    day: date  # the day ages are checked on: the event's first day still ahead, or the reference day
    value: float  # 0..1, sooner is more
    describe: Callable[[], tuple[str, str]]  # (Japanese, English), worded only for the items shown


def in_japan(moment: datetime) -> datetime:
    # A naive time can only come from a hand-built row; the catalogue's own times are in Japan time.
    return moment.replace(tzinfo=JAPAN) if moment.tzinfo is None else moment.astimezone(JAPAN)


def _proximity(days: int, horizon_days: int) -> float:
    return max(0.0, 1 - days / horizon_days)


def _in_season(month: int, first: int, last: int) -> bool:
    return first <= month <= last if first <= last else (month >= first or month <= last)


def _next_weekend_day(day: date) -> date:
    return day if day.weekday() >= 5 else day + timedelta(days=5 - day.weekday())


def _dated(starts_at: datetime, ends_at: datetime | None, on: date, horizon_days: int) -> Occurrence | None:
    start = in_japan(starts_at)
    end = in_japan(ends_at) if ends_at else None
    if (end or start).date() < on:
        return None
    days = (start.date() - on).days

    @cache  # the occurrence is cached per event and day: its words are worded once too
    def describe() -> tuple[str, str]:
        when_ja, when_en = text.when_ja(start, end), text.when_en(start, end)
        if days > 0:
            return f"{when_ja}に開催されます({days}日後)。", f"Takes place {when_en} (in {days} days)."
        if days == 0 and (end or start).date() == on:
            return f"今日、{when_ja}に開催されます。", f"Takes place today: {when_en}."
        return f"開催中です({when_ja})。", f"On now ({when_en})."

    if days > 0:
        return Occurrence(start.date(), _proximity(days, horizon_days), describe)
    return Occurrence(on, 1.0, describe)


def _standing(recurrence: str, on: date, horizon_days: int) -> Occurrence:
    season = _SEASON.search(recurrence)
    weekends = recurrence.startswith("weekends")
    days_ja, days_en = ("の土日祝", ", weekends and holidays") if weekends else ("", "")
    if season is None:
        return Occurrence(_next_weekend_day(on) if weekends else on, STANDING_VALUE,
                          lambda: ("開いている時間ならいつでも行けます。", "You can go any time it is open."))
    first, last = _MONTH_KEYS.index(season["first"]) + 1, _MONTH_KEYS.index(season["last"]) + 1
    span_ja, span_en = text.month_span_ja(first, last) + days_ja, text.month_span_en(first, last) + days_en
    if _in_season(on.month, first, last):
        return Occurrence(_next_weekend_day(on) if weekends else on, STANDING_VALUE,
                          lambda: (f"実施期間中です({span_ja})。", f"Running now ({span_en})."))
    opens = date(on.year if first > on.month else on.year + 1, first, 1)
    day = _next_weekend_day(opens) if weekends else opens
    days = (day - on).days
    return Occurrence(day, STANDING_VALUE * _proximity(days, horizon_days), lambda: (
        f"{text.date_ja(day)}から実施されます({span_ja})。", f"Runs again from {text.date_en(day)} ({span_en})."))


@lru_cache(maxsize=4096)
def next_occurrence(starts_at: datetime | None, ends_at: datetime | None, recurrence: str | None, on: date,
                    horizon_days: int) -> Occurrence | None:
    """None for an event that is over by `on`. Cached: a batch asks it for every resident with the same day."""
    if starts_at is not None:
        return _dated(starts_at, ends_at, on, horizon_days)
    return _standing(recurrence or "", on, horizon_days)
