"""Age fit for the ranking: which of the household's children an event or coupon is for, as a hard tier.

Pure functions of birth dates (or only age bands) and a date. A child is held as the range of days its birth may
have been on: one day when the date is known, the days of the month up to the reference date when only the year and
month are, and every birth of the band's 年齢クラス when only the band is consented. Age in months and the class index
are both monotone in the birth date, so the two ends of that range bound what the child's age can be, and an item is
INSIDE for a child only when every possible birth fits, OUTSIDE only when none does, and UNCERTAIN otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import MINYEAR, date, timedelta
from enum import Enum, IntEnum
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from app.household.ages import (
    AgeBand,
    BirthDate,
    age_in_months,
    class_index,
    days_in_month,
    fiscal_year,
    possible_birth_dates,
)

ONE_DAY = timedelta(days=1)


class AgeTier(IntEnum):
    """The hard tier of an item: every INSIDE item ranks above every UNCERTAIN one, which ranks above OUTSIDE."""

    OUTSIDE = 0  # outside every child's range: listed, but below everything that fits
    UNCERTAIN = 1  # may fit (the birth day or the birth dates would settle it), or no age is known at all
    INSIDE = 2


# The tiers as module constants for the per-item path: reading an enum member from its class costs a descriptor
# call (Python 3.11), and the batch fits every item to every child of 50,000 households.
_INSIDE, _UNCERTAIN, _OUTSIDE = AgeTier.INSIDE, AgeTier.UNCERTAIN, AgeTier.OUTSIDE

# The class indexes (see app.household.ages.class_index) each consented age band stands for.
BAND_CLASS_INDEXES: dict[AgeBand, tuple[int, int]] = {
    AgeBand.AGES_0_2: (0, 2),
    AgeBand.AGES_3_5: (3, 5),
    AgeBand.ELEMENTARY: (6, 11),
    AgeBand.JUNIOR_HIGH: (12, 14),
    AgeBand.HIGH_SCHOOL: (15, 17),
    AgeBand.YOUNG_ADULT: (18, 21),
}

# The catalogue's grade keys (meta.conventions.school_grade) as class-index ranges.
_GRADE_KEY = re.compile(r"^(?P<stage>elementary|junior_high|high)_(?P<year>[1-6])$")
_STAGE_FIRST_INDEX = {"elementary": 6, "junior_high": 12, "high": 15}


@lru_cache(maxsize=1 << 16)
def _months(birth: date, on: date) -> int:
    # The batch computes every resident's feed: the same (birth, event day) pairs recur across items and households.
    return age_in_months(birth, on)


def grade_class_indexes(key: str) -> tuple[int, int] | None:
    """"elementary_3" → (8, 8), "preschool" → (0, 4); None for a key the catalogue conventions do not define."""
    if key == "preschool":
        return (0, 4)
    if key == "preschool_senior":
        return (5, 5)
    match = _GRADE_KEY.match(key)
    if match is None:
        return None
    index = _STAGE_FIRST_INDEX[match["stage"]] + int(match["year"]) - 1
    return (index, index)


class ChildBirths(NamedTuple):
    """One child: the earliest and latest day the birth may have been on, and how that was known. (Named tuples
    here: the batch hashes these and the items' ages for every shown item's reason of every household.)"""

    earliest: date
    latest: date
    source: Literal["exact", "month", "band"]
    band: AgeBand | None = None

    def months_on(self, on: date) -> tuple[int, int]:
        """The least and greatest age in completed months the child can be on `on`."""
        least = _months(self.latest, on)
        return (least, least) if self.earliest == self.latest else (least, _months(self.earliest, on))

    def class_indexes_on(self, on: date) -> tuple[int, int]:
        return class_index(self.latest, on), class_index(self.earliest, on)


@lru_cache(maxsize=1 << 16)  # asked per household and per birthday coupon: the batch asks again for the same births
def child_from_birth(birth: BirthDate, on: date) -> ChildBirths | None:
    """None for a birth that cannot be placed: an impossible date, or one after `on` (not born yet)."""
    try:
        # An expected child (the CLI takes any date) is not ranked for: only the days already past count.
        days = [day for day in possible_birth_dates(birth, on) if day <= on]
    except ValueError:  # month 13, 31 April …: the CLI takes any input, the ranking just leaves it out
        return None
    if not days:
        return None
    return ChildBirths(days[0], days[-1], "exact" if birth.day is not None else "month")


def is_expected(birth: BirthDate, on: date) -> bool:
    """A birth that cannot have happened by `on` (every day it may be on is later): an expected child."""
    try:
        return date(birth.year, birth.month, birth.day or 1) > on
    except ValueError:
        return False


def child_from_band(band: AgeBand, on: date) -> ChildBirths:
    """Every birth whose 年齢クラス on `on` is in the band."""
    low, high = BAND_CLASS_INDEXES[band]
    year = fiscal_year(on)
    # Cohort Y (born 2 April Y .. 1 April Y+1) is in class fiscal_year − Y − 1; the 0歳児クラス also holds the
    # children born during the current fiscal year (cohort = fiscal_year).
    earliest_cohort = year - 1 - high
    latest_cohort = year if low == 0 else year - 1 - low
    earliest = date(earliest_cohort, 4, 2)
    latest = min(date(latest_cohort + 1, 4, 1), on)
    return ChildBirths(earliest, latest, "band", band)


def children_from(birth_dates: Sequence[BirthDate] | None, age_bands: Sequence[AgeBand | str] | None,
                  on: date) -> tuple[ChildBirths, ...] | None:
    """The children as birth ranges: from the birth dates when given, else from the bands; None when neither is."""
    if birth_dates is not None:
        return tuple(child for birth in birth_dates if (child := child_from_birth(birth, on)) is not None)
    if age_bands is not None:
        known = {band.value for band in AgeBand}
        # The consent item reads "unknown" for a child whose band its birth month cannot settle: no range to use.
        return tuple(child_from_band(AgeBand(band), on) for band in age_bands if str(band) in known)
    return None


class TargetAges(NamedTuple):
    """An item's ages: months at the item's date (min inclusive, max exclusive) and, for events, school grades."""

    min_months: int | None
    max_months_exclusive: int | None
    grade_indexes: tuple[int, int] | None = None
    grade_keys: tuple[str, str] | None = None

    @property
    def is_open_to_all(self) -> bool:
        return not self.min_months and self.max_months_exclusive is None and self.grade_indexes is None

    @property
    def width_months(self) -> int:
        low = self.min_months or 0
        return (self.max_months_exclusive if self.max_months_exclusive is not None else 216) - low


def target_ages(min_months: int | None, max_months_exclusive: int | None,
                grades: dict[str, str] | None = None) -> TargetAges:
    grade_range = (grades.get("min"), grades.get("max")) if grades else (None, None)
    return _target_ages(min_months, max_months_exclusive, *grade_range)


@lru_cache(maxsize=1024)
def _target_ages(min_months: int | None, max_months_exclusive: int | None, first_grade: str | None,
                 last_grade: str | None) -> TargetAges:
    if first_grade and last_grade:
        low, high = grade_class_indexes(first_grade), grade_class_indexes(last_grade)
        # A grade key the conventions do not define: the months alone decide (the catalogue always gives both).
        if low is not None and high is not None:
            return TargetAges(min_months, max_months_exclusive, (low[0], high[1]), (first_grade, last_grade))
    return TargetAges(min_months, max_months_exclusive)


def _interval_tier(low: int, high: int, allowed_low: int, allowed_high: int) -> AgeTier:
    """[low, high] against the inclusive range [allowed_low, allowed_high]."""
    if allowed_low <= low and high <= allowed_high:
        return _INSIDE
    if high < allowed_low or low > allowed_high:
        return _OUTSIDE
    return _UNCERTAIN


@lru_cache(maxsize=4096)
def latest_birth_aged(months: int, on: date) -> date:
    """The latest birth date of a child at least `months` full months old on `on`: an earlier birth is never
    younger, so a child born by `on` is that old exactly when born on or before this day.

    Cached per (months, day): the batch compares every child of every household with the same few item ages on
    the same few days, so the ages are compared as birth dates instead of worked out for each child."""
    if months <= 0:
        return on
    year, month_index = divmod(on.month - 1 - months, 12)
    year, month = on.year + year, month_index + 1
    if year < MINYEAR + 1:
        return date.min  # older than the calendar: no child is
    day = date(year, month, min(on.day, days_in_month(year, month)))  # about `months` before: then to the day
    while _months(day, on) < months:
        day -= ONE_DAY
    while day < on and _months(day + ONE_DAY, on) >= months:
        day += ONE_DAY
    return day


def child_tier(child: ChildBirths, target: TargetAges, on: date) -> AgeTier:
    """How one child fits the target on `on` (the event's day, or today for a coupon): its least and greatest age
    in months against [min_months, max_months_exclusive), as birth dates (see `latest_birth_aged`)."""
    old_enough_by = latest_birth_aged(target.min_months or 0, on)
    least_fits = child.latest <= old_enough_by  # the least age is at least min_months
    greatest_too_young = child.earliest > old_enough_by
    least_too_old, greatest_fits = False, True  # no upper limit
    if target.max_months_exclusive is not None:
        too_old_by = latest_birth_aged(target.max_months_exclusive, on)
        least_too_old, greatest_fits = child.latest <= too_old_by, child.earliest > too_old_by
    tier = _INSIDE if least_fits and greatest_fits else _OUTSIDE if greatest_too_young or least_too_old else _UNCERTAIN
    if target.grade_indexes is not None and tier is not _OUTSIDE:
        # The organiser's grades and the catalogue's months differ at the edges (a 4th grader may be 10 in March):
        # the item is for the child only when both agree.
        tier = min(tier, _interval_tier(*child.class_indexes_on(on), *target.grade_indexes))
    return tier


class AgeFit(NamedTuple):
    """A named tuple rather than a frozen dataclass: one is built for every item of every household."""

    tier: AgeTier
    # The children the item is (INSIDE) or may be (UNCERTAIN) for, and the day their ages are taken on.
    children: tuple[ChildBirths, ...]
    on: date | None
    # Why UNCERTAIN: "birth_day" (a month-only birth on the edge), "birth_dates" (only bands), "no_age" (no input),
    # "no_children" (birth dates consented, none registered); None when the tier is certain.
    uncertain_because: str | None

    @property
    def fitting(self) -> tuple[tuple[ChildBirths, tuple[int, int]], ...]:
        """The fitting children with their least and greatest age in months (worked out only for the items whose
        reasons are worded: the batch fits every item to every household)."""
        return _fitting(self.children, self.on) if self.on is not None else ()


@lru_cache(maxsize=1024)  # a reason reads `fitting` several times
def _fitting(children: tuple[ChildBirths, ...], on: date) -> tuple[tuple[ChildBirths, tuple[int, int]], ...]:
    return tuple((child, child.months_on(on)) for child in children)


_NO_AGE = AgeFit(AgeTier.UNCERTAIN, (), None, "no_age")
_NO_CHILDREN = AgeFit(AgeTier.UNCERTAIN, (), None, "no_children")


@lru_cache(maxsize=1 << 15)  # households with the same children's births (one child, mostly) share their fits
def age_fit(children: tuple[ChildBirths, ...] | None, target: TargetAges, on: date) -> AgeFit:
    """The household's tier: the best of its children's (an item is for the household if it is for one child)."""
    if children is None:
        return _NO_AGE
    if not children:
        return _NO_CHILDREN
    best, fitting = _OUTSIDE, []
    for child in children:
        tier = child_tier(child, target, on)
        if tier > best:
            best, fitting = tier, [child]
        elif tier == best and tier is not _OUTSIDE:
            fitting.append(child)
    because = None
    if best is _UNCERTAIN:
        because = "birth_dates" if any(child.source == "band" for child in fitting) else "birth_day"
    return AgeFit(best, tuple(fitting), on, because)


class Multiples(Enum):
    YES = "yes"
    MAYBE = "maybe"
    NO = "no"


def multiples_in(birth_dates: Sequence[BirthDate] | None) -> Multiples:
    """Twins or more: two children born on the same day (MAYBE when a shared month has no day to compare)."""
    if birth_dates is None:
        return Multiples.MAYBE
    exact = [(b.year, b.month, b.day) for b in birth_dates if b.day is not None]
    if len(exact) != len(set(exact)):
        return Multiples.YES
    months = [(b.year, b.month) for b in birth_dates]
    month_only = {(b.year, b.month) for b in birth_dates if b.day is None}
    if any(months.count(month) > 1 for month in month_only):
        return Multiples.MAYBE
    return Multiples.NO


# --- triggers --------------------------------------------------------------------------------------------------


class TriggerState(Enum):
    MET = "met"
    POSSIBLE = "possible"  # would be met for some day of a month-only birth
    NOT_MET = "not_met"


def _birthday_in(year: int, birth: date) -> date:
    # A child born on 29 February has its birthday on 28 February in a common year: the day it gets a year older
    # (年齢計算ニ関スル法律) and the last day of its birth month.
    return date(year, birth.month, min(birth.day, days_in_month(year, birth.month)))


def days_from_birthday(birth: date, on: date) -> int | None:
    """Days between `on` and the nearest birthday (not the day of birth itself); None before the first birthday's
    window could open."""
    distances = [abs((_birthday_in(year, birth) - on).days) for year in (on.year - 1, on.year, on.year + 1)
                 if year > birth.year]
    return min(distances) if distances else None


@lru_cache(maxsize=1 << 16)
def birthday_within(birth: BirthDate, on: date, days: int) -> TriggerState:
    """Is one of the child's birthdays within ±`days` of `on`? Needs the day; a month-only birth is POSSIBLE at best."""
    try:
        candidates = possible_birth_dates(birth, on)
    except ValueError:
        return TriggerState.NOT_MET
    hits = [distance is not None and distance <= days for distance in (days_from_birthday(d, on) for d in candidates)]
    if hits and all(hits):
        return TriggerState.MET
    return TriggerState.POSSIBLE if any(hits) else TriggerState.NOT_MET


def birthday_trigger_state(birth_dates: Sequence[BirthDate] | None, target: TargetAges, on: date,
                           days: int) -> TriggerState | None:
    """MET when a child in the coupon's ages has a birthday within ±days; None when that is known not to be so, or
    cannot be known (no birth dates)."""
    best = TriggerState.NOT_MET
    for birth in birth_dates or ():
        child = child_from_birth(birth, on)
        if child is None:
            continue
        state, tier = birthday_within(birth, on, days), child_tier(child, target, on)
        if state is TriggerState.MET and tier is AgeTier.INSIDE:
            return TriggerState.MET
        if state is not TriggerState.NOT_MET and tier is not AgeTier.OUTSIDE:
            best = TriggerState.POSSIBLE
    return best if best is TriggerState.POSSIBLE else None


_BIRTHDAY_TRIGGER = re.compile(r"^child_birthday_within_(?P<days>\d+)_days$")
_AGE_ENTERS_TRIGGER = re.compile(r"^child_age_enters_(?P<months>\d+)_months$")
_ATTENDED_TRIGGER = re.compile(r"^attended_event:(?P<event_id>.+)$")


@lru_cache(maxsize=1024)  # every coupon's trigger is read for every household of the batch: parsed once
def parse_trigger(trigger: str) -> tuple[str, Any] | None:
    """A coupon's `trigger` as ("birthday", days), ("age_enters", months) or ("attended", event id); None for any
    other trigger (it changes nothing)."""
    if match := _BIRTHDAY_TRIGGER.match(trigger):
        return "birthday", int(match["days"])
    if match := _AGE_ENTERS_TRIGGER.match(trigger):
        return "age_enters", int(match["months"])
    if match := _ATTENDED_TRIGGER.match(trigger):
        return "attended", match["event_id"]
    return None
