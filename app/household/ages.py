"""A child's ages from the birth date: legal age, age in months, 年齢クラス/学年 and a coarse age band.

Pure functions of a birth date and a reference date; no clock is read here, callers pass "today".

Birth dates may be entered as year and month only. Then every fact is worked out for each day of that month that
is not after the reference date; a fact on which all those days agree is known, otherwise it is unknown and listed
in `ChildFacts.day_needed_for`, so the page can ask for the day only when it matters.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import MINYEAR, date, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

MAX_CHILDREN = 12
MAX_AGE = 22

# The last class index of a 児童 in the sense of 児童手当法3条1項 (18歳に達する日以後の最初の3月31日まで):
# 高校3年相当. See `class_index` for the numbering.
LAST_CHILD_CLASS_INDEX = 17
# 児童手当法 as revised in 2024 (令和6年10月施行): for the 多子加算 the children counted are those up to
# 22歳に達する日以後の最初の3月31日 (the 大学生年代). A child reaches 22 during the fiscal year in which their class
# index is 21 (cohort Y reaches 22 between 1 April Y+22 and 31 March Y+23, i.e. in FY Y+22, and
# FY Y+22 − Y − 1 = 21), so that fiscal year is the last one counted: indices 18..21 = 大学1..4年相当.
# Cross-check: municipal guidance for FY2025 (令和7年度) names the 大学生年代 as born 2003-04-02 .. 2007-04-01,
# which are class indices 21..18 in FY2025.
LAST_COUNTED_SIBLING_CLASS_INDEX = 21

# Anyone born this many calendar years before the reference date is far past every limit above; refusing them
# early also keeps `date()` away from years it cannot represent.
_CERTAINLY_TOO_OLD_YEARS = 30


class AgeBand(StrEnum):
    """The coarse age band a recipient may be shown, derived from the class index."""

    AGES_0_2 = "0-2"
    AGES_3_5 = "3-5"
    ELEMENTARY = "elementary"
    JUNIOR_HIGH = "junior_high"
    HIGH_SCHOOL = "high_school"
    YOUNG_ADULT = "young_adult"


# Plain strings: the app wraps them for translation; the English label doubles as the stable message key.
AGE_BAND_LABEL_EN: Mapping[AgeBand, str] = MappingProxyType({
    AgeBand.AGES_0_2: "Ages 0–2",
    AgeBand.AGES_3_5: "Ages 3–5",
    AgeBand.ELEMENTARY: "Elementary school",
    AgeBand.JUNIOR_HIGH: "Junior high school",
    AgeBand.HIGH_SCHOOL: "High-school age",
    AgeBand.YOUNG_ADULT: "Ages 18–22",
})
AGE_BAND_LABEL_JA: Mapping[AgeBand, str] = MappingProxyType({
    AgeBand.AGES_0_2: "0〜2歳",
    AgeBand.AGES_3_5: "3〜5歳",
    AgeBand.ELEMENTARY: "小学生",
    AgeBand.JUNIOR_HIGH: "中学生",
    AgeBand.HIGH_SCHOOL: "高校生相当",
    AgeBand.YOUNG_ADULT: "18〜22歳",
})


class BirthDateProblem(StrEnum):
    """Stable codes of `InvalidBirthDate`; the app maps them to translated messages."""

    BAD_MONTH = "bad_month"
    BAD_DAY = "bad_day"
    FUTURE = "future"
    TOO_OLD = "too_old"


class InvalidBirthDate(ValueError):
    def __init__(self, code: BirthDateProblem, message_args: Mapping[str, object] | None = None) -> None:
        self.code = code
        self.message_args: Mapping[str, object] = MappingProxyType(dict(message_args or {}))
        super().__init__(f"{code}: {dict(self.message_args)}")


@dataclass(frozen=True)
class BirthDate:
    """A birth date; `day` is None when only the year and month were given."""

    year: int
    month: int
    day: int | None = None


@dataclass(frozen=True)
class ChildFacts:
    """What follows from a birth date on a reference date. None means unknown (see `day_needed_for`) or, for the
    class labels and `school_grade`, that the child is past high-school age."""

    legal_age: int | None
    age_months: int | None
    class_index: int | None
    class_label_ja: str | None
    class_label_en: str | None
    school_grade: str | None
    band: AgeBand | None
    is_child: bool | None
    is_counted_sibling_age: bool | None
    day_needed_for: tuple[str, ...]


# ---------------------------------------------------------------------------------------------------------------
# Legal age


def japan_today() -> date:
    """The date in Japan, where ages and school years are counted."""
    from datetime import timedelta, timezone

    from app.db import utcnow

    return utcnow().astimezone(timezone(timedelta(hours=9))).date()


def days_in_month(year: int, month: int) -> int:
    # calendar.monthrange goes through datetime and fails outside years 1..9999; this does not.
    if month == 2:
        return 29 if calendar.isleap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def reaches_age_on(birth: date, *, years: int = 0, months: int = 0) -> date:
    """The day on which a person born on `birth` reaches the age of `years` years and `months` months.

    年齢計算ニ関スル法律1項: age is counted from the day of birth (初日算入), with 民法143条 applied. 民法143条2項: a
    period of months or years ends on the day before the day corresponding to the starting day in the last month;
    if that month has no corresponding day, it ends on the last day of that month. Hence:
    - born 2025-03-15 reaches 1 month on 2025-04-14 (the day before 04-15);
    - born 31 January reaches 1 month on the last day of February (there is no 31 February), i.e. on 28 February,
      or 29 February in a leap year; born 31 March reaches 1 month on 30 April;
    - born 29 February reaches each age on 28 February: in a common year there is no 29 February, so the period
      ends on the last day of February (the 28th); in a leap year the 29th exists and the period ends the day
      before it (again the 28th);
    - born 1 March reaches each age on the last day of February (the day before 1 March), 29 February in a leap year.
    """
    total = years * 12 + months
    if total == 0:
        return birth
    year, month_index = divmod(birth.month - 1 + total, 12)
    year += birth.year
    month = month_index + 1
    last_day = days_in_month(year, month)
    if birth.day > last_day:
        return date(year, month, last_day)
    return date(year, month, birth.day) - timedelta(days=1)


def age_in_months(birth: date, on: date) -> int:
    """Completed months of age on `on` (0 from the day of birth)."""
    if on < birth:
        raise ValueError("the reference date is before the birth date")
    months = (on.year - birth.year) * 12 + (on.month - birth.month)
    # The calendar difference can be one off either way (born 1 March reaches 1 month on 31 March).
    while months > 0 and reaches_age_on(birth, months=months) > on:
        months -= 1
    while reaches_age_on(birth, months=months + 1) <= on:
        months += 1
    return months


def legal_age(birth: date, on: date) -> int:
    """Completed years of age on `on`. Equal to whole months // 12: a period of N years ends where one of 12N
    months does (民法143条2項)."""
    return age_in_months(birth, on) // 12


# ---------------------------------------------------------------------------------------------------------------
# Fiscal year, 年齢クラス and 学年


def fiscal_year(on: date) -> int:
    """The fiscal and school year (1 April – 31 March) containing `on`, named by the calendar year it starts in."""
    return on.year if on.month >= 4 else on.year - 1


def school_cohort(birth: date) -> int:
    """The school cohort: children born 2 April Y .. 1 April Y+1 form cohort Y.

    学校教育法17条1項: a child starts school at the beginning of the first school year after the day following the day
    they reach 6. A child born on 1 April reaches each age on 31 March (年齢計算ニ関スル法律), so starts school a year
    earlier than one born on 2 April; the 年齢クラス of 保育所・幼稚園 (age on 1 April of the fiscal year) follows the
    same cut-off.
    """
    return birth.year if (birth.month, birth.day) >= (4, 2) else birth.year - 1


def class_index(birth: date, on: date) -> int:
    """0..5 = 0歳児..5歳児クラス (5 = 年長), 6..11 = 小学1..6年, 12..14 = 中学1..3年, 15..17 = 高校1..3年相当, 18.. after.

    A child born during the fiscal year of `on` (cohort F) would get −1; they belong to the 0歳児クラス, as do the
    children aged 0 on 1 April (cohort F − 1).
    """
    return max(0, fiscal_year(on) - school_cohort(birth) - 1)


def class_label_ja(index: int) -> str | None:
    if 0 <= index <= 5:
        return f"{index}歳児クラス"
    if 6 <= index <= 11:
        return f"小学{index - 5}年"
    if 12 <= index <= 14:
        return f"中学{index - 11}年"
    if 15 <= index <= LAST_CHILD_CLASS_INDEX:
        # 相当: not everyone of that age attends high school.
        return f"高校{index - 14}年相当"
    return None


def class_label_en(index: int) -> str | None:
    if 0 <= index <= 5:
        return f"{index}-year-old class"
    if 6 <= index <= 11:
        return f"Grade {index - 5} (elementary)"
    if 12 <= index <= 14:
        return f"Grade {index - 5} (junior high)"
    if 15 <= index <= LAST_CHILD_CLASS_INDEX:
        return f"Grade {index - 5} equivalent"
    return None


def school_grade(index: int) -> str | None:
    """The grade key used by the seed catalog's eligibility rules (`conventions.school_grade`)."""
    if 0 <= index <= 4:
        return "preschool"
    if index == 5:
        return "preschool_senior"
    if 6 <= index <= 11:
        return f"elementary_{index - 5}"
    if 12 <= index <= 14:
        return f"junior_high_{index - 11}"
    if 15 <= index <= LAST_CHILD_CLASS_INDEX:
        return f"high_{index - 14}"
    return None


def age_band(index: int) -> AgeBand | None:
    if index <= 2:
        return AgeBand.AGES_0_2
    if index <= 5:
        return AgeBand.AGES_3_5
    if index <= 11:
        return AgeBand.ELEMENTARY
    if index <= 14:
        return AgeBand.JUNIOR_HIGH
    if index <= LAST_CHILD_CLASS_INDEX:
        return AgeBand.HIGH_SCHOOL
    if index <= LAST_COUNTED_SIBLING_CLASS_INDEX:
        return AgeBand.YOUNG_ADULT
    return None


def is_child_index(index: int) -> bool:
    return index <= LAST_CHILD_CLASS_INDEX


def is_counted_sibling_index(index: int) -> bool:
    return LAST_CHILD_CLASS_INDEX < index <= LAST_COUNTED_SIBLING_CLASS_INDEX


# ---------------------------------------------------------------------------------------------------------------
# Validation and the facts for a possibly partial birth date


def _check_calendar(birth: BirthDate) -> None:
    if not 1 <= birth.month <= 12:
        raise InvalidBirthDate(BirthDateProblem.BAD_MONTH, {"month": birth.month})
    if birth.day is not None and not 1 <= birth.day <= days_in_month(birth.year, birth.month):
        raise InvalidBirthDate(BirthDateProblem.BAD_DAY, {"day": birth.day, "month": birth.month})


def _check_not_future(birth: BirthDate, today: date) -> None:
    # Year and month only: any month up to the current one may hold a birth that has happened.
    latest = (today.year, today.month, today.day)
    earliest_possible = (birth.year, birth.month, birth.day or 1)
    if earliest_possible > latest:
        raise InvalidBirthDate(BirthDateProblem.FUTURE)


def _check_representable(birth: BirthDate, today: date) -> None:
    if birth.year < MINYEAR or birth.year <= today.year - _CERTAINLY_TOO_OLD_YEARS:
        raise InvalidBirthDate(BirthDateProblem.TOO_OLD, {"max_age": MAX_AGE})


def possible_birth_dates(birth: BirthDate, on: date) -> tuple[date, ...]:
    """The dates the birth may have been on: the given one, or each day of the month up to `on`."""
    if birth.day is not None:
        return (date(birth.year, birth.month, birth.day),)
    days = (date(birth.year, birth.month, day) for day in range(1, days_in_month(birth.year, birth.month) + 1))
    return tuple(d for d in days if d <= on)


def validate_birth(birth: BirthDate, today: date) -> None:
    """Refuse a birth date the household form must not accept; raises `InvalidBirthDate` with a stable code.

    Too old means past the 児童手当 counting limit for every possible day of the birth (class index above
    `LAST_COUNTED_SIBLING_CLASS_INDEX`); an April birth without a day that may still be counted is accepted, and
    `describe_child` then asks for the day.
    """
    _check_calendar(birth)
    _check_not_future(birth, today)
    _check_representable(birth, today)
    if all(class_index(d, today) > LAST_COUNTED_SIBLING_CLASS_INDEX for d in possible_birth_dates(birth, today)):
        raise InvalidBirthDate(BirthDateProblem.TOO_OLD, {"max_age": MAX_AGE})


_T = TypeVar("_T", bound=Hashable)


def _agreed(dates: tuple[date, ...], fact: Callable[[date], _T]) -> tuple[bool, _T | None]:
    """(True, value) when `fact` is the same for every date, else (False, None)."""
    values = {fact(d) for d in dates}
    if len(values) == 1:
        return True, values.pop()
    return False, None


def describe_child(birth: BirthDate, on: date) -> ChildFacts:
    """Every fact about the child on `on` that the birth date determines.

    Raises `InvalidBirthDate` for an impossible or future date; does not refuse a person past the age limits
    (`validate_birth` does), whose class labels and band are then None.
    """
    _check_calendar(birth)
    _check_not_future(birth, on)
    _check_representable(birth, on)
    dates = possible_birth_dates(birth, on)
    age_known, age = _agreed(dates, lambda d: legal_age(d, on))
    months_known, months = _agreed(dates, lambda d: age_in_months(d, on))
    class_known, index = _agreed(dates, lambda d: class_index(d, on))
    band_known, band = _agreed(dates, lambda d: age_band(class_index(d, on)))
    _, is_child = _agreed(dates, lambda d: is_child_index(class_index(d, on)))
    _, is_counted = _agreed(dates, lambda d: is_counted_sibling_index(class_index(d, on)))
    unknown = {"legal_age": not age_known, "age_months": not months_known, "class": not class_known, "band": not band_known}
    return ChildFacts(
        legal_age=age,
        age_months=months,
        class_index=index,
        class_label_ja=None if index is None else class_label_ja(index),
        class_label_en=None if index is None else class_label_en(index),
        school_grade=None if index is None else school_grade(index),
        band=band,
        is_child=is_child,
        is_counted_sibling_age=is_counted,
        day_needed_for=tuple(name for name, needed in unknown.items() if needed),
    )
