"""The statutory deadline of a disclosure request: 個人情報の保護に関する法律 第83条第1項 — 開示決定等は、開示請求が
あった日から30日以内にしなければならない (柏市 has applied the Act directly since April 2023).

The day of 受付 is counted in Japan; by 民法140条 the first day is not counted, so a request received on
2026年11月26日 must be decided by 2026年12月26日 (the 30th day after). What is not modelled: the days a request waits
for a correction (補正, 法83条1項 ただし書), an extension of up to 30 more days notified by the city (第2項), and a
deadline falling on a day the city office is closed. A request past its deadline without a decision is "overdue":
the resident's page and the staff's list flag it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.household.ages import japan_today

DEADLINE_DAYS = 30
JAPAN = ZoneInfo("Asia/Tokyo")


def japan_date(moment: datetime) -> date:
    """The calendar day in Japan of an aware moment (a request accepted at 23:30 UTC is the next day in Japan)."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(JAPAN).date()


def deadline_for(accepted_at: datetime) -> date:
    """The last day (in Japan) by which 柏市 must decide a request it accepted at `accepted_at`."""
    return japan_date(accepted_at) + timedelta(days=DEADLINE_DAYS)


def is_overdue(deadline: date | None, *, decided: bool, today: date | None = None) -> bool:
    """Past the deadline (the whole last day is allowed) and still no decision."""
    if deadline is None or decided:
        return False
    return (today or japan_today()) > deadline


def days_left(deadline: date | None, today: date | None = None) -> int | None:
    """Whole days from today to the deadline (0 on the day itself, negative once passed)."""
    if deadline is None:
        return None
    return (deadline - (today or japan_today())).days
