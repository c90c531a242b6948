"""The ranking's inputs and results, and the shapes of the rows it reads (app.recommend.ranking re-exports them).

Rows are typed by Protocols so that CatalogEvent / CatalogCoupon / CatalogVenue, the CLI's HouseholdInput and the
tests' SimpleNamespace rows all fit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol

from app.household.ages import AgeBand, BirthDate
from app.recommend.ranking_age import AgeTier

# The inputs a ranking may use, by the names `Ranked.used` / `Ranked.missing` give them. "birth_day" is only ever
# missing: birth dates consented without the day.
INPUT_NAMES = ("birth_dates", "age_bands", "town", "history", "health_score")


@dataclass(frozen=True)
class History:
    """Past participation and coupon use: event tags and coupon store categories → how many times."""

    counts: Mapping[str, int] = field(default_factory=dict)
    attended_event_ids: frozenset[str] = frozenset()  # for coupons offered to those who joined an event


@dataclass(frozen=True)
class RankingInput:
    """What the ranking may use; each part is None when the resident has not consented to it (or has none)."""

    birth_dates: tuple[BirthDate, ...] | None = None  # the children's (year, month, day or None)
    age_bands: tuple[AgeBand | str, ...] | None = None  # used only when birth_dates is None
    town: str | None = None  # the home 町丁目, e.g. "若柴", "柏の葉二丁目"
    city: str | None = None  # "kashiwa" / "nagareyama" (or 柏市 / 流山市); None: looked up in 柏市, then 流山市
    history: History | None = None
    health_score: int | None = None  # 0–100


@dataclass(frozen=True)
class Reason:
    ja: str
    en: str
    code: str = ""  # what the reason is about (age, date, walk, history, health, trigger, freshness …), for tests/UI


@dataclass(frozen=True)
class Ranked:
    item_id: str
    kind: Literal["event", "coupon"]
    score: float
    reasons: tuple[Reason, ...]
    used: tuple[str, ...]  # the inputs read for this item: birth_dates | age_bands, town, history, health_score
    missing: tuple[str, ...]  # the inputs that would add something (text.MISSING_INPUT_NOTES): also birth_day
    venue_id: str = ""
    tier: AgeTier = AgeTier.UNCERTAIN


class VenueRow(Protocol):
    id: str
    lat: float | None
    lng: float | None
    coord_precision_m: int | None


class EventRow(Protocol):
    id: str
    venue_id: str
    starts_at: datetime | None
    ends_at: datetime | None
    recurrence: str | None
    target_age_min_months: int | None
    target_age_max_months_exclusive: int | None
    target_grades: dict[str, Any] | None
    tags: list[str]
    parent_focused: bool
    requires_multiples: bool
    includes_expectant_parents: bool


class CouponRow(Protocol):
    id: str
    venue_id: str
    merchant_category: str
    merchant_category_ja: str
    merchant_category_en: str
    target_age_min_months: int | None
    target_age_max_months_exclusive: int | None
    trigger: str | None
    parent_focused: bool
    valid_from: date | None
    valid_to: date | None


class ChildLike(Protocol):
    @property
    def birth(self) -> BirthDate: ...

    @property
    def counted_sibling(self) -> bool: ...


class HouseholdLike(Protocol):
    """What the CLI's HouseholdInput (app.recommend.household) offers the ranking."""

    @property
    def children(self) -> Sequence[ChildLike]: ...

    @property
    def city(self) -> str | None: ...

    @property
    def town(self) -> str | None: ...
