"""The days on which a child born on a given date satisfies an age condition, as a span of dates.

Every function turns one way of writing an age limit into the first and last day it holds, with the calendar
rules of app.household.ages (年齢計算ニ関スル法律 and 民法143条: a child reaches N months on the day before the
N-month "birthday", 29 February and month ends included). Conditions then combine by intersecting spans, and a span
answers "now", "from which day" and "until which day" at once.

The catalogue writes limits in several ways, whose last days differ by one day (meta.conventions.age_months warns
about it); each has its own function here:
- `months_span`: the conventions' reading, `min_months` 以上 and `max_months_exclusive` 未満 full months. For
  36 months that ends on the day before the child reaches 3, i.e. 3歳の誕生日の前々日 (こども誰でも通園制度).
- `vaccination_months_span`: 予防接種法施行令 "生後a月から生後b月に至るまで": from the day the child reaches a months
  through the day they reach b months, both included (the age is reached at the end of that day).
- `over_until_reaching_span`: 母子保健法12条 "満a月を超え満b月に達しない": from the day after the child reaches a
  months through the day they reach b months.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

from app.household.ages import days_in_month, reaches_age_on, school_cohort

ONE_DAY = timedelta(days=1)

# meta.conventions.school_grade → the class index of app.household.ages.class_index (0..5 = 0歳児..5歳児クラス,
# 6.. = 小1..). "preschool" is 未就学, every class before school (年長 included); "preschool_senior" is 年長 alone.
GRADE_CLASS_RANGES: dict[str, tuple[int, int]] = {
    "preschool": (0, 5),
    "preschool_senior": (5, 5),
    **{f"elementary_{year}": (5 + year, 5 + year) for year in range(1, 7)},
    **{f"junior_high_{year}": (11 + year, 11 + year) for year in range(1, 4)},
    **{f"high_{year}": (14 + year, 14 + year) for year in range(1, 4)},
}


class UnreadableRule(ValueError):
    """An age condition the engine cannot read (an unknown grade code, say): the service is then 要確認."""


class Span(NamedTuple):
    """The days from `first` to `last`, both included; `last` None = no end. (A named tuple rather than a frozen
    dataclass: eligibility makes several for every service and possible birth date, and these are cheaper to make.)"""

    first: date
    last: date | None = None

    def contains(self, on: date) -> bool:
        return self.first <= on and (self.last is None or on <= self.last)

    def has_ended(self, on: date) -> bool:
        return self.last is not None and on > self.last

    def intersect(self, other: Span | None) -> Span | None:
        # Written out (no lists): eligibility intersects spans for every service and possible birth date.
        if other is None:
            return None
        first = max(self.first, other.first)
        last = other.last if self.last is None else self.last if other.last is None else min(self.last, other.last)
        return None if last is not None and last < first else Span(first, last)


def intersect_all(birth: date, spans: list[Span | None]) -> Span | None:
    """Every condition at once, and never before the day of birth; None when no day satisfies them all."""
    # Span(birth).intersect(…) with each in turn, without making the spans in between.
    first: date = birth
    last: date | None = None
    for span in spans:
        if span is None:
            return None
        first = max(first, span.first)
        if span.last is not None and (last is None or span.last < last):
            last = span.last
        if last is not None and last < first:
            return None
    return Span(first, last)


def reaches_months(birth: date, months: int) -> date:
    """The day the child reaches `months` full months (the day of birth for 0)."""
    return reaches_age_on(birth, months=months)


def months_span(birth: date, min_months: int | None, max_months_exclusive: int | None) -> Span:
    """meta.conventions.age_months: at least `min_months` and fewer than `max_months_exclusive` full months."""
    first = reaches_months(birth, min_months) if min_months else birth
    last = reaches_months(birth, max_months_exclusive) - ONE_DAY if max_months_exclusive is not None else None
    return Span(first, last)


def vaccination_months_span(birth: date, first_month: int, last_month: int) -> Span:
    """予防接種法施行令 "生後a月から生後b月に至るまで": the day the child reaches b months is still in (e.g. MR 1期,
    生後24月に至るまで: through the day before the 2nd birthday)."""
    return Span(reaches_months(birth, first_month) if first_month else birth, reaches_months(birth, last_month))


def over_until_reaching_span(birth: date, over_months: int, until_months: int) -> Span:
    """母子保健法12条 "満a月を超え満b月に達しない": from the day after reaching a months (the a-month "birthday")
    through the day of reaching b months (the day before the b-month "birthday")."""
    return Span(reaches_months(birth, over_months) + ONE_DAY, reaches_months(birth, until_months))


def days_span(birth: date, first_day: int, last_day: int) -> Span:
    """Days after birth, both ends included (the 1か月児健診's 生後27日を超え6週を超えない: days 28..42)."""
    return Span(birth + timedelta(days=first_day), birth + timedelta(days=last_day))


def weeks_span(birth: date, first_week: int, last_week: int) -> Span:
    """ロタウイルス: 出生a週0日後からb週0日後まで, both ends included."""
    return days_span(birth, 7 * first_week, 7 * last_week)


def march_31_on_or_after(day: date) -> date:
    return date(day.year if day.month <= 3 else day.year + 1, 3, 31)


def until_end_of_fiscal_year_of_age_span(birth: date, age: int) -> Span:
    """meta.conventions.until_end_of_fiscal_year_of_age: through the first 31 March on or after the day the child
    reaches `age` (the day before the birthday; born 1 April → that very 31 March)."""
    return Span(birth, march_31_on_or_after(reaches_age_on(birth, years=age)))


def class_span(birth: date, lowest: int | None, highest: int | None) -> Span:
    """The days the child's class index (年齢クラス, then 学年) is within [lowest, highest]; None = no limit.

    Index k holds during the fiscal year cohort + 1 + k (see ages.class_index), so it starts on 1 April of that
    year and ends on 31 March of the next; index 0 also covers the months between birth and the first 1 April.
    """
    cohort = school_cohort(birth)
    first = date(cohort + 1 + lowest, 4, 1) if lowest else birth
    last = date(cohort + 2 + highest, 3, 31) if highest is not None else None
    return Span(max(first, birth), last)


def grade_classes(grade: str) -> tuple[int, int]:
    try:
        return GRADE_CLASS_RANGES[grade]
    except KeyError:
        raise UnreadableRule(f"unknown school grade {grade!r}") from None


def grade_span(birth: date, lowest_grade: str | None, highest_grade: str | None) -> Span:
    """School grades (meta.conventions.school_grade) from `lowest_grade` through `highest_grade`."""
    lowest = grade_classes(lowest_grade)[0] if lowest_grade else None
    highest = grade_classes(highest_grade)[1] if highest_grade else None
    return class_span(birth, lowest, highest)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day (horizons, not ages)."""
    year, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month_index + 1
    return date(year, month, min(day.day, days_in_month(year, month)))
