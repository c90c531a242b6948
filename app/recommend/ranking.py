"""Ranking Kashiwa-no-ha events and coupons for one household, each with its reasons (issue 6, "Ranking").

`score_events` / `score_coupons` are pure: catalogue rows (CatalogEvent, CatalogCoupon, CatalogVenue or anything
with the same attributes), a `RankingInput` holding only what the resident consented to for this purpose (the feed
reads it through the enforcement point and passes nothing else), and the day. `rank_events` / `rank_coupons` are the
`flask recommend preview` adapters: they read the catalogue from a session and build the input from the CLI's
household (children's births and town only).

The model, in order of precedence:
1. Filters. The venue is within the 3 km ring around 柏の葉キャンパス駅 (venues without a coordinate are out); an
   event that ended before the day (in Japan time), a coupon outside its validity (not yet valid or expired), a 多胎
   event for a household known to have no twins, and a birthday coupon whose birthday is known not to be near (or
   cannot be known: no birth dates) are out.
2. The age tier, a hard tier, never a weight: INSIDE (fits a child on the event's day, months and grades) >
   UNCERTAIN (may fit: a month-only birth on the edge, only age bands, or no age at all) > OUTSIDE (fits no child).
   `score` = 20 / 10 / 0 for the tier + the item's value in [0, 1] − the venue penalty (at most 1.5): no weight or
   penalty ever crosses a tier.
3. The value, a weighted sum of components in [0, 1] (EVENT_WEIGHTS, COUPON_WEIGHTS): date proximity (linear to 0 at
   HORIZON_DAYS; a standing activity counts as half), the walking band from the home 町丁目's point (from the station
   without it), how often the family joined events with the item's tags or used coupons of its store category
   (full from HISTORY_SATURATION times), how narrowly the age range fits, a lift for active items when the health
   score is low, and for coupons their occasion (birthday, a child turning N months, a joined event) and freshness.
   An input that is missing contributes 0 to every item.
4. Diversity: within a venue, items are taken best first; the 2nd loses 0.15 and the 3rd and later 1.5, which puts
   them after every venue's first two items of the same tier. Ties are broken by id: the order is deterministic.

`Ranked.used` names the inputs that were read (birth_dates or age_bands, town, history, health_score); `missing`
names those that were not available and would add something (plus birth_day when the day would settle an age or a
birthday), for the card's neutral note (ranking_text.MISSING_INPUT_NOTES).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache, partial
from itertools import repeat
from operator import mul
from types import MappingProxyType
from typing import Any, Literal

from sqlmodel import Session, select

from app.catalog.models import CatalogCoupon, CatalogEvent, CatalogVenue, ListingStatus
from app.household.address import (
    DETOUR_FACTOR,
    EVENTS_RING_KM,
    KASHIWA,
    NAGAREYAMA,
    WALKING_METRES_PER_MINUTE,
    Town,
    WalkBand,
    find_town,
    great_circle_km,
    station_distance_km,
    walk_band,
    walking_minutes,
)
from app.recommend import ranking_text as text
from app.recommend.ranking_age import (
    AgeFit,
    AgeTier,
    ChildBirths,
    Multiples,
    TargetAges,
    TriggerState,
    age_fit,
    birthday_trigger_state,
    children_from,
    is_expected,
    multiples_in,
    parse_trigger,
    target_ages,
)
from app.recommend.ranking_events import STANDING_VALUE, Occurrence, next_occurrence
from app.recommend.ranking_types import (
    INPUT_NAMES,
    ChildLike,
    CouponRow,
    EventRow,
    History,
    HouseholdLike,
    Ranked,
    RankingInput,
    Reason,
    VenueRow,
)

__all__ = ["FEED_LIMIT", "INPUT_NAMES", "AgeTier", "ChildLike", "CouponRow", "EventRow", "History", "HouseholdLike",
           "Ranked", "RankingInput", "Reason", "VenueRow", "as_dicts", "rank_coupons", "rank_events",
           "ranking_input_from_household", "score_coupons", "score_events"]

FEED_LIMIT = 10
HORIZON_DAYS = 60  # date proximity falls linearly from 1 (today) to 0 at this many days ahead

TIER_OFFSET: Mapping[AgeTier, float] = {AgeTier.INSIDE: 20.0, AgeTier.UNCERTAIN: 10.0, AgeTier.OUTSIDE: 0.0}
_INSIDE = AgeTier.INSIDE  # read for every item: a module constant costs less than the enum's class attribute
SECOND_AT_VENUE_PENALTY = 0.15
THIRD_AT_VENUE_PENALTY = 1.5  # > 1 + 0.15: a venue's 3rd item comes after every venue's 2nd of the same tier

EVENT_WEIGHTS: Mapping[str, float] = {"date": 0.30, "walk": 0.25, "history": 0.20, "age_specificity": 0.15,
                                      "health": 0.10}
COUPON_WEIGHTS: Mapping[str, float] = {"trigger": 0.25, "walk": 0.20, "history": 0.20, "freshness": 0.15,
                                       "age_specificity": 0.10, "health": 0.10}
WALK_SCORE: Mapping[WalkBand, float] = {WalkBand.WITHIN_10: 1.0, WalkBand.MIN_10_20: 2 / 3, WalkBand.MIN_20_30: 1 / 3,
                                        WalkBand.OVER_30: 0.0}
# An age range this wide (or open-ended) says nothing about the child; a 2–6-month class says a lot.
SPECIFICITY_SPAN_MONTHS = 144
# A category joined or used this many times counts fully; fewer count in proportion.
HISTORY_SATURATION = 3
# Tags every other event has: matching them says nothing about what the family likes.
GENERIC_TAGS = frozenset({"indoor", "all_ages", "outdoor_indoor"})
# Health score (カロママプラス, 0–100): from 60 down to 30 active items are lifted more and more; above 60, not at all.
HEALTH_LOW_BELOW = 60
HEALTH_SPAN = 30
ACTIVE_TAGS = frozenset({"outdoor", "sports", "activity", "playground", "health"})
ACTIVE_COUPON_CATEGORIES = frozenset({"fitness", "community_health"})
FRESH_DAYS = 14  # a coupon valid since fewer days than this is new
# A venue whose coordinate may be off by more than this (catalogue coord_precision_m): its walk is "approximate".
APPROXIMATE_COORDINATE_M = 500

# The model's version, which the data ethics board approves (security anchor G6; app/recommend/rules.py). REVISION
# is raised by hand when the model's logic changes; the digest follows its parameters by itself, so a changed weight,
# tier or threshold is a new version, which the feed applies only once the board's approval of it is recorded.
REVISION = 1


def parameters() -> dict[str, Any]:
    """Every parameter of the model (what the version's digest covers)."""
    return {
        "feed_limit": FEED_LIMIT, "horizon_days": HORIZON_DAYS, "standing_value": STANDING_VALUE,
        "tier_offset": {tier.name: value for tier, value in TIER_OFFSET.items()},
        "venue_penalties": [SECOND_AT_VENUE_PENALTY, THIRD_AT_VENUE_PENALTY],
        "event_weights": dict(EVENT_WEIGHTS), "coupon_weights": dict(COUPON_WEIGHTS),
        "walk_score": {str(band): value for band, value in WALK_SCORE.items()},
        "ring_km": EVENTS_RING_KM, "detour_factor": DETOUR_FACTOR, "walking_m_per_minute": WALKING_METRES_PER_MINUTE,
        "specificity_span_months": SPECIFICITY_SPAN_MONTHS, "history_saturation": HISTORY_SATURATION,
        "generic_tags": sorted(GENERIC_TAGS), "health_low_below": HEALTH_LOW_BELOW, "health_span": HEALTH_SPAN,
        "active_tags": sorted(ACTIVE_TAGS), "active_coupon_categories": sorted(ACTIVE_COUPON_CATEGORIES),
        "fresh_days": FRESH_DAYS, "approximate_coordinate_m": APPROXIMATE_COORDINATE_M,
    }


def rules_version() -> str:
    """REVISION, a dot and the first 8 hex digits of SHA-256 over the parameters (e.g. 1.e509f454)."""
    digest = hashlib.sha256(json.dumps(parameters(), sort_keys=True).encode()).hexdigest()
    return f"{REVISION}.{digest[:8]}"


# --- what one computation shares -----------------------------------------------------------------------------


# HouseholdInput names the city "kashiwa" / "nagareyama"; the town list, 柏市 / 流山市.
_CITY_NAMES = {"kashiwa": KASHIWA, "nagareyama": NAGAREYAMA, KASHIWA: KASHIWA, NAGAREYAMA: NAGAREYAMA}


@lru_cache(maxsize=1024)
def _home_town(city: str | None, town: str) -> Town | None:
    """The town's representative point; None for a town not in the list (the ranking then measures from the station)."""
    known_city = _CITY_NAMES.get(city or "")
    for candidate in ((known_city,) if known_city else (KASHIWA, NAGAREYAMA)):
        if found := find_town(candidate, town):
            return found
    return None


@dataclass(frozen=True)
class _Place:
    band: WalkBand
    approximate: bool  # the catalogue's coordinate error is large: the band is rougher than usual


# A venue as far as the walk goes: id, lat, lng, coord_precision_m.
_VenuePoint = tuple[str, float | None, float | None, int | None]


@lru_cache(maxsize=2048)
def _places(venues: tuple[_VenuePoint, ...], home: tuple[float, float] | None) -> Mapping[str, _Place]:
    """The venues in the ring and their walk from `home` (lat, lng). Cached: the batch ranks for 50,000
    households living in a few hundred towns, with the same venues."""
    places: dict[str, _Place] = {}
    for venue_id, lat, lng, precision_m in venues:
        if lat is None or lng is None or not station_distance_km(lat, lng) <= EVENTS_RING_KM:
            continue
        # From the home town's representative point; without the town, from the station (the area's centre).
        km = great_circle_km(*home, lat, lng) if home else station_distance_km(lat, lng)
        places[venue_id] = _Place(walk_band(walking_minutes(km)), (precision_m or 0) > APPROXIMATE_COORDINATE_M)
    return MappingProxyType(places)


@dataclass(frozen=True)
class _Context:
    on: date
    inputs: RankingInput
    children: tuple[ChildBirths, ...] | None
    home: Town | None
    places: Mapping[str, _Place]  # venues in the ring only
    health_need: float  # 0 (no lift) .. 1
    expecting: bool  # a birth date after the day: an expected child
    used: tuple[str, ...]  # the inputs read (the same for every item)
    missing: tuple[str, ...]  # the inputs not available, for every item
    missing_birth_day: tuple[str, ...]  # … and the day of birth, for an item that it would settle


def _context(venues: Iterable[VenueRow], inputs: RankingInput, on: date) -> _Context:
    home = _home_town(inputs.city, inputs.town) if inputs.town else None
    places = _places(tuple((venue.id, venue.lat, venue.lng, venue.coord_precision_m) for venue in venues),
                     (home.lat, home.lng) if home else None)
    need = 0.0
    if inputs.health_score is not None:
        need = min(1.0, max(0.0, (HEALTH_LOW_BELOW - inputs.health_score) / HEALTH_SPAN))
    expecting = any(is_expected(birth, on) for birth in inputs.birth_dates or ())
    held = {"town": home is not None, "history": inputs.history is not None, "health_score": inputs.health_score is not None}
    used = ["birth_dates"] if inputs.birth_dates is not None else (["age_bands"] if inputs.age_bands is not None else [])
    used += [name for name, is_held in held.items() if is_held]
    missing = [] if inputs.birth_dates is not None else ["birth_dates"]
    missing += [name for name, is_held in held.items() if not is_held]
    # "birth_day" is missing only where birth dates were given (without the day).
    missing_birth_day = ("birth_day", *missing) if inputs.birth_dates is not None else tuple(missing)
    return _Context(on, inputs, children_from(inputs.birth_dates, inputs.age_bands, on), home, places, need, expecting,
                    tuple(used), tuple(missing), missing_birth_day)


# --- the components and their reasons ------------------------------------------------------------------------


def _specificity(fit: AgeFit, target: TargetAges) -> float:
    # Only for an item that fits: for a household of unknown ages a narrow range is a guess, not a match.
    if fit.tier is not _INSIDE:
        return 0.0
    return max(0.0, 1 - min(target.width_months, SPECIFICITY_SPAN_MONTHS) / SPECIFICITY_SPAN_MONTHS)


# Reasons are worded only for the items shown, but for each household: the same few sentences, worded once.
_walk_reason_text = lru_cache(maxsize=4096)(text.walk_reason)
_age_reason = lru_cache(maxsize=1 << 14)(text.age_reason)


def _walk_reason(ctx: _Context, place: _Place) -> Reason:
    return _walk_reason_text(ctx.home.town if ctx.home else None, place.band, approximate=place.approximate)


def _history(ctx: _Context, keys: Iterable[str], labels: Mapping[str, tuple[str, str]],
             ignored: frozenset[str] = frozenset()) -> tuple[float, Reason | None]:
    history = ctx.inputs.history
    if history is None:
        return 0.0, None
    matched = sorted(((history.counts.get(key, 0), key) for key in set(keys) - ignored if history.counts.get(key, 0) > 0),
                     key=lambda pair: (-pair[0], pair[1]))
    if not matched:
        return 0.0, None
    names = tuple(labels.get(key, (key, key)) for _, key in matched[:2])
    return min(matched[0][0], HISTORY_SATURATION) / HISTORY_SATURATION, _history_reason(names)


@lru_cache(maxsize=4096)
def _history_reason(names: tuple[tuple[str, str], ...]) -> Reason:
    return Reason(f"これまでの参加・利用({'・'.join(ja for ja, _ in names)})に近い内容です。",
                  f"Similar to what you joined or used before ({', '.join(en for _, en in names)}).", "history")


_HEALTH_REASON = Reason("健康スコアをもとに、からだを動かす・健康づくりの内容を上にしています。",
                        "Based on your health score, active and health-related items are placed higher.", "health")


def _health(ctx: _Context, active: bool) -> tuple[float, Reason | None]:
    if not active or ctx.health_need <= 0:
        return 0.0, None
    return ctx.health_need, _HEALTH_REASON


@dataclass(slots=True)  # not frozen: built for every item of every household, and a frozen init costs more
class _Scored:
    item_id: str
    venue_id: str
    tier: AgeTier
    value: float
    # The reasons are worded only for the items that make the cut: the batch ranks every resident's feed.
    explain: Callable[[], Iterable[Reason | None]]
    used: tuple[str, ...]
    missing: tuple[str, ...]


def _scored(item_id: str, venue_id: str, tier: AgeTier, weights: Mapping[str, float], components: Mapping[str, float],
            explain: Callable[[], Iterable[Reason | None]], ctx: _Context, needs_birth_day: bool) -> _Scored:
    # Σ weight × component in the weights' order (map: the batch sums this for every item of every household).
    value = sum(map(mul, weights.values(), map(components.get, weights, repeat(0.0))))
    return _Scored(item_id, venue_id, tier, value, explain, ctx.used, ctx.missing_birth_day if needs_birth_day else ctx.missing)


# --- events --------------------------------------------------------------------------------------------------


_MULTIPLES_REASON = Reason("ふたご・みつごのご家庭向けです。", "For families with twins or triplets.", "multiples")
_EXPECTING_REASON = Reason("妊娠中の方も参加できます。", "Parents-to-be are welcome too.", "age_expecting")


def _score_event(event: EventRow, ctx: _Context) -> _Scored | None:
    place = ctx.places.get(event.venue_id)
    occurrence: Occurrence | None = next_occurrence(event.starts_at, event.ends_at, event.recurrence, ctx.on, HORIZON_DAYS)
    if place is None or occurrence is None:
        return None
    target = target_ages(event.target_age_min_months, event.target_age_max_months_exclusive, event.target_grades)
    fit = age_fit(ctx.children, target, occurrence.day)
    tier, multiples_reason = fit.tier, None
    if event.requires_multiples:
        multiples = multiples_in(ctx.inputs.birth_dates)
        if multiples is Multiples.NO:
            return None
        if multiples is Multiples.MAYBE:
            tier = min(tier, AgeTier.UNCERTAIN)
        multiples_reason = _MULTIPLES_REASON
    # A birth date after today is an expected child (HouseholdInput): an event that welcomes parents-to-be fits.
    welcomes_expecting = event.includes_expectant_parents and ctx.expecting and tier < AgeTier.INSIDE
    tier = AgeTier.INSIDE if welcomes_expecting else tier
    history_value, history_reason = _history(ctx, event.tags, text.TAG_LABELS, GENERIC_TAGS)
    health_value, health_reason = _health(ctx, not ACTIVE_TAGS.isdisjoint(event.tags))
    components = {"date": occurrence.value, "walk": WALK_SCORE[place.band], "history": history_value,
                  "age_specificity": _specificity(fit, target), "health": health_value}
    explain = partial(_event_reasons, event, ctx, place, occurrence, fit, target, welcomes_expecting, multiples_reason,
                      history_reason, health_reason)
    return _scored(event.id, event.venue_id, tier, EVENT_WEIGHTS, components, explain, ctx,
                   fit.uncertain_because == "birth_day")


# A partial, not a closure: a closure's variables are cells made on every call, for every event of every household.
def _event_reasons(event: EventRow, ctx: _Context, place: _Place, occurrence: Occurrence, fit: AgeFit, target: TargetAges,
                   welcomes_expecting: bool, multiples_reason: Reason | None, history_reason: Reason | None,
                   health_reason: Reason | None) -> Iterable[Reason | None]:
    age = (_EXPECTING_REASON if welcomes_expecting
           else _age_reason(fit, target, ctx.on, occurrence.day, parent_focused=event.parent_focused, kind="event"))
    return (age, multiples_reason, Reason(*occurrence.describe(), "date"), _walk_reason(ctx, place), history_reason,
            health_reason)


def score_events(events: Iterable[EventRow], venues: Iterable[VenueRow], ranking_input: RankingInput, on: date,
                 limit: int | None = FEED_LIMIT) -> list[Ranked]:
    """The events for this household on `on`, best first (see the module docstring for the model)."""
    ctx = _context(venues, ranking_input, on)
    return _ordered([s for event in events if (s := _score_event(event, ctx)) is not None], "event", limit)


# --- coupons -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Trigger:
    value: float = 0.0  # 1 when the coupon's occasion is met for this household
    reason: Reason | None = None
    tier_cap: AgeTier = AgeTier.INSIDE
    needs_birth_day: bool = False


_NO_TRIGGER = _Trigger()
_ATTENDED = _Trigger(1.0, Reason("参加したイベントの特典です。", "An offer for an event you joined.", "trigger"))
_ATTENDED_CONDITION = _Trigger(0.0, Reason("対象のイベントに参加した方への特典です。", "For those who joined the related event.",
                                           "trigger_condition"))


def _coupon_trigger(trigger: str, target: TargetAges, ctx: _Context) -> _Trigger | None:
    """The coupon's occasion (catalogue `trigger`); None when the coupon is for an occasion this household is known
    not to have, or one that cannot be known (a birthday without birth dates). Unknown triggers change nothing."""
    kind, number_or_id = parse_trigger(trigger) or ("", None)
    if kind == "birthday":
        days = number_or_id
        state = birthday_trigger_state(ctx.inputs.birth_dates, target, ctx.on, days)
        if state is None:
            return None
        if state is TriggerState.MET:
            return _Trigger(1.0, Reason(f"お子さまのお誕生日の前後{days}日間に使える特典です。",
                                        f"A birthday offer: your child's birthday is within {days} days.", "trigger"))
        return _Trigger(0.0, Reason(f"お誕生日の前後{days}日間の特典です。お誕生日の日にちがあると確かめられます。",
                                    f"A birthday offer (within {days} days of the birthday); the day of birth would "
                                    "settle it.", "trigger_maybe"), AgeTier.UNCERTAIN, True)
    if kind == "age_enters":
        months = number_or_id
        if any(child.months_on(ctx.on) == (months, months) for child in ctx.children or ()):
            return _Trigger(1.0, Reason(f"生後{months}か月になったお子さま向けです。",
                                        f"For children who have just turned {months} months.", "trigger"))
    elif kind == "attended":
        history = ctx.inputs.history
        if history is not None and number_or_id in history.attended_event_ids:
            return _ATTENDED
        # Still shown: the event recurs, and the condition is stated plainly rather than hidden.
        return _ATTENDED_CONDITION
    return _NO_TRIGGER


@lru_cache(maxsize=1024)  # the same few validity dates for every household of the day
def _freshness(valid_from: date | None, on: date) -> tuple[float, Reason | None]:
    if valid_from is None or (on - valid_from).days >= FRESH_DAYS:
        return 0.0, None
    return 1 - (on - valid_from).days / FRESH_DAYS, Reason(f"新しいクーポンです({text.date_ja(valid_from)}から)。",
                                                           f"A new coupon (from {text.date_en(valid_from)}).", "freshness")


def _score_coupon(coupon: CouponRow, ctx: _Context) -> _Scored | None:
    place = ctx.places.get(coupon.venue_id)
    if place is None or (coupon.valid_from and coupon.valid_from > ctx.on) or (coupon.valid_to and coupon.valid_to < ctx.on):
        return None
    target = target_ages(coupon.target_age_min_months, coupon.target_age_max_months_exclusive)
    fit = age_fit(ctx.children, target, ctx.on)
    trigger = _coupon_trigger(coupon.trigger or "", target, ctx)
    if trigger is None:
        return None
    freshness, freshness_reason = _freshness(coupon.valid_from, ctx.on)
    labels = {coupon.merchant_category: (coupon.merchant_category_ja or coupon.merchant_category,
                                         coupon.merchant_category_en or coupon.merchant_category)}
    history_value, history_reason = _history(ctx, [coupon.merchant_category], labels)
    health_value, health_reason = _health(ctx, coupon.merchant_category in ACTIVE_COUPON_CATEGORIES)
    components = {"trigger": trigger.value, "walk": WALK_SCORE[place.band], "history": history_value,
                  "freshness": freshness, "age_specificity": _specificity(fit, target), "health": health_value}
    explain = partial(_coupon_reasons, coupon, ctx, place, fit, target, trigger.reason, history_reason, health_reason,
                      freshness_reason)
    return _scored(coupon.id, coupon.venue_id, min(fit.tier, trigger.tier_cap), COUPON_WEIGHTS, components, explain, ctx,
                   fit.uncertain_because == "birth_day" or trigger.needs_birth_day)


def _coupon_reasons(coupon: CouponRow, ctx: _Context, place: _Place, fit: AgeFit, target: TargetAges,
                    trigger_reason: Reason | None, history_reason: Reason | None, health_reason: Reason | None,
                    freshness_reason: Reason | None) -> Iterable[Reason | None]:
    return (_age_reason(fit, target, ctx.on, ctx.on, parent_focused=coupon.parent_focused, kind="coupon"), trigger_reason,
            _walk_reason(ctx, place), history_reason, health_reason, freshness_reason)


def score_coupons(coupons: Iterable[CouponRow], venues: Iterable[VenueRow], ranking_input: RankingInput, on: date,
                  limit: int | None = FEED_LIMIT) -> list[Ranked]:
    """The coupons usable on `on` for this household, best first."""
    ctx = _context(venues, ranking_input, on)
    return _ordered([s for coupon in coupons if (s := _score_coupon(coupon, ctx)) is not None], "coupon", limit)


# --- order and diversity -------------------------------------------------------------------------------------


def _ordered(items: list[_Scored], kind: Literal["event", "coupon"], limit: int | None) -> list[Ranked]:
    """Tier, then value with the venue penalty, then id. Each venue's own items are taken best first, so the
    penalty of an item is known from its place among them (the same order a greedy pick would give)."""
    by_venue: dict[str, list[_Scored]] = {}
    for item in items:
        by_venue.setdefault(item.venue_id, []).append(item)
    scored: list[tuple[float, _Scored]] = []
    for venue_items in by_venue.values():
        venue_items.sort(key=lambda s: (-TIER_OFFSET[s.tier] - s.value, s.item_id))
        for position, item in enumerate(venue_items):
            penalty = 0.0 if position == 0 else SECOND_AT_VENUE_PENALTY if position == 1 else THIRD_AT_VENUE_PENALTY
            scored.append((TIER_OFFSET[item.tier] + item.value - penalty, item))
    scored.sort(key=lambda pair: (-pair[0], pair[1].item_id))
    kept = scored if limit is None else scored[:limit]
    return [Ranked(item.item_id, kind, score, tuple(filter(None, item.explain())), item.used, item.missing, item.venue_id,
                   item.tier) for score, item in kept]


# --- the CLI adapters (`flask recommend preview`) ------------------------------------------------------------


def ranking_input_from_household(household: HouseholdLike) -> RankingInput:
    """Children's births and the town: all the CLI knows. Counted siblings (大学生年代, for the allowance only) are
    not children events are for."""
    births = tuple(child.birth for child in household.children if not getattr(child, "counted_sibling", False))
    return RankingInput(birth_dates=births, town=household.town or None, city=household.city or None)


def as_dicts(ranked: Sequence[Ranked]) -> list[dict[str, Any]]:
    return [{"id": r.item_id, "score": round(r.score, 4), "reasons": [{"ja": x.ja, "en": x.en} for x in r.reasons]}
            for r in ranked]


def rank_events(session: Session, household: HouseholdLike, on: date, limit: int | None = FEED_LIMIT) -> list[dict[str, Any]]:
    # Only published events reach residents (a partner's draft or withdrawn listing is not ranked).
    events = session.exec(select(CatalogEvent).where(CatalogEvent.status == ListingStatus.PUBLISHED)
                          .order_by(CatalogEvent.id)).all()
    venues = session.exec(select(CatalogVenue).order_by(CatalogVenue.id)).all()
    return as_dicts(score_events(events, venues, ranking_input_from_household(household), on, limit))


def rank_coupons(session: Session, household: HouseholdLike, on: date, limit: int | None = FEED_LIMIT) -> list[dict[str, Any]]:
    coupons = session.exec(select(CatalogCoupon).where(CatalogCoupon.status == ListingStatus.PUBLISHED)
                           .order_by(CatalogCoupon.id)).all()
    venues = session.exec(select(CatalogVenue).order_by(CatalogVenue.id)).all()
    return as_dicts(score_coupons(coupons, venues, ranking_input_from_household(household), on, limit))
