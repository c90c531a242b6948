"""Properties of the ranking over random households, days and catalogues (hypothesis).

The age oracle here is written independently of app.recommend.ranking_age: for every day a child's birth may be on,
it computes the age in months (and the class index, for events with grades) on the event's day with
app.household.ages and checks the catalogue's range directly. "Inside" means inside for every possible birth day of
some child; "outside" means outside for every possible birth day of every child.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.household.address import DATA_DIR
from app.household.ages import BirthDate, age_in_months, class_index, possible_birth_dates
from app.recommend.ranking import AgeTier, History, Ranked, RankingInput, score_coupons, score_events
from tests.unit.recommend.ranking_rows import COUPONS, EVENTS, JST, VENUES, at, event, venue

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

with (DATA_DIR / "kashiwanoha_area_towns.csv").open(encoding="utf-8", newline="") as _file:
    RING_TOWNS = sorted({row["town"] for row in csv.DictReader(_file) if not row["koaza"]})
HISTORY_KEYS = sorted({tag for e in EVENTS for tag in e.tags} | {c.merchant_category for c in COUPONS})
SYNTHETIC_VENUES = (venue("v_test"), venue("v_other", 35.8964, 139.9371), venue("v_third", 35.911, 139.9575))
FOR_PARTICIPANTS = frozenset(c.id for c in COUPONS if (c.trigger or "").startswith("attended_event:"))
GRADE_INDEXES = {"preschool": (0, 4), "preschool_senior": (5, 5),
                 **{f"elementary_{n}": (5 + n, 5 + n) for n in range(1, 7)},
                 **{f"junior_high_{n}": (11 + n, 11 + n) for n in range(1, 4)},
                 **{f"high_{n}": (14 + n, 14 + n) for n in range(1, 4)}}


# --- strategies ------------------------------------------------------------------------------------------------


def _catalogue_edges() -> list[date]:
    """The days either side of every event's start and end and every coupon's validity: where filters can slip."""
    days: set[date] = set()
    for e in EVENTS:
        for moment in (e.starts_at, e.ends_at):
            if moment is not None:
                day = moment.astimezone(JST).date()
                days |= {day - timedelta(days=1), day, day + timedelta(days=1)}
    for c in COUPONS:
        for day in (c.valid_from, c.valid_to):
            if day is not None:
                days |= {day - timedelta(days=1), day, day + timedelta(days=1)}
    return sorted(days)


days_to_rank = st.dates(min_value=date(2026, 11, 1), max_value=date(2027, 11, 30)) | st.sampled_from(_catalogue_edges())


@st.composite
def births_before(draw: st.DrawFn, on: date) -> tuple[BirthDate, ...]:
    births: list[BirthDate] = []
    for _ in range(draw(st.integers(0, 3))):
        born = on - timedelta(days=draw(st.integers(0, 15 * 366)))
        with_day = draw(st.sampled_from((True, True, False)))
        births.append(BirthDate(born.year, born.month, born.day if with_day else None))
    if births and draw(st.booleans()):
        births.append(births[0])  # twins, now and then
    return tuple(births)


histories = st.none() | st.builds(
    History,
    counts=st.dictionaries(st.sampled_from(HISTORY_KEYS), st.integers(1, 6), max_size=5),
    attended_event_ids=st.frozensets(st.sampled_from(sorted(e.id for e in EVENTS)), max_size=2),
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[RankingInput, date]:
    on = draw(days_to_rank)
    ranking_input = RankingInput(
        birth_dates=draw(st.none() | births_before(on)),
        town=draw(st.none() | st.sampled_from(RING_TOWNS)),
        history=draw(histories),
        health_score=draw(st.none() | st.integers(0, 100)),
    )
    return ranking_input, on


@st.composite
def synthetic_events(draw: st.DrawFn, on: date) -> list[SimpleNamespace]:
    made = []
    for index in range(draw(st.integers(1, 12))):
        start = on + timedelta(days=draw(st.integers(-30, 90)))
        low = draw(st.integers(0, 150))
        high = draw(st.none() | st.integers(low + 1, low + 100))
        # Now and then school grades too, which need not agree with the months (as in the catalogue's workshops).
        grades = None
        if draw(st.booleans()):
            first, last = sorted(draw(st.lists(st.sampled_from(sorted(GRADE_INDEXES)), min_size=2, max_size=2)),
                                 key=lambda key: GRADE_INDEXES[key])
            grades = {"min": first, "max": last}
        made.append(event(f"ev_{index:02d}", draw(st.sampled_from([v.id for v in SYNTHETIC_VENUES])), start=at(start),
                          end=at(start + timedelta(days=draw(st.integers(0, 3))), 16), min_months=low, max_months=high,
                          grades=grades,
                          tags=tuple(draw(st.lists(st.sampled_from(("outdoor", "music", "science", "baby")), max_size=2)))))
    return made


# --- the oracle ------------------------------------------------------------------------------------------------


def ages_day(item: SimpleNamespace, on: date) -> date | None:
    """The day the item's ages apply to; None for a seasonal activity (its next season is not re-derived here)."""
    starts_at = getattr(item, "starts_at", None)
    if starts_at is None:
        return None if "_to_" in (getattr(item, "recurrence", None) or "") else on
    return max(starts_at.astimezone(JST).date(), on)


def fits(birth: date, item: SimpleNamespace, day: date) -> bool:
    months = age_in_months(birth, day)
    low, high = item.target_age_min_months or 0, item.target_age_max_months_exclusive
    inside = low <= months and (high is None or months < high)
    grades = getattr(item, "target_grades", None)
    if inside and grades:
        index = class_index(birth, day)
        inside = GRADE_INDEXES[grades["min"]][0] <= index <= GRADE_INDEXES[grades["max"]][1]
    return inside


def inside_for_a_child(births: Sequence[BirthDate], item: SimpleNamespace, on: date, day: date) -> bool:
    return any(all(fits(d, item, day) for d in possible_birth_dates(b, on)) for b in births)


def outside_for_every_child(births: Sequence[BirthDate], item: SimpleNamespace, on: date, day: date) -> bool:
    return all(not fits(d, item, day) for b in births for d in possible_birth_dates(b, on))


def assert_outside_never_above_inside(ranked: list[Ranked], items: Sequence[SimpleNamespace], ranking_input: RankingInput,
                                      on: date) -> None:
    births = ranking_input.birth_dates
    if not births:
        return
    rows = {item.id: item for item in items}
    seen_outside = False
    for r in ranked:
        day = ages_day(rows[r.item_id], on)
        if day is None:
            continue
        item = rows[r.item_id]
        if outside_for_every_child(births, item, on, day):
            seen_outside = True
            assert r.tier is AgeTier.OUTSIDE
        elif inside_for_a_child(births, item, on, day):
            assert not seen_outside, f"{r.item_id} fits a child but ranks below an item that fits none"
            # A twins' event or a birthday offer may still be uncertain for other reasons; anything else is INSIDE.
            special = getattr(item, "requires_multiples", False) or getattr(item, "trigger", None)
            assert r.tier is AgeTier.INSIDE or (special and r.tier is AgeTier.UNCERTAIN)


# --- properties ------------------------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(cases())
def test_an_event_outside_every_childs_age_range_never_ranks_above_one_inside(case: tuple[RankingInput, date]) -> None:
    ranking_input, on = case
    assert_outside_never_above_inside(score_events(EVENTS, VENUES, ranking_input, on, limit=None), EVENTS, ranking_input, on)


@PROPERTY_SETTINGS
@given(st.data())
def test_the_same_holds_for_made_up_events(data: st.DataObject) -> None:
    ranking_input, on = data.draw(cases())
    events = data.draw(synthetic_events(on))
    ranked = score_events(events, SYNTHETIC_VENUES, ranking_input, on, limit=None)
    assert_outside_never_above_inside(ranked, events, ranking_input, on)


@PROPERTY_SETTINGS
@given(cases())
def test_a_coupon_outside_every_childs_age_range_never_ranks_above_one_inside(case: tuple[RankingInput, date]) -> None:
    ranking_input, on = case
    ranked = score_coupons(COUPONS, VENUES, ranking_input, on, limit=None)
    assert_outside_never_above_inside(ranked, COUPONS, ranking_input, on)


@PROPERTY_SETTINGS
@given(cases())
def test_no_past_event_and_no_coupon_outside_its_validity_is_ever_ranked(case: tuple[RankingInput, date]) -> None:
    ranking_input, on = case
    events = {e.id: e for e in EVENTS}
    for r in score_events(EVENTS, VENUES, ranking_input, on, limit=None):
        last = events[r.item_id].ends_at or events[r.item_id].starts_at
        assert last is None or last.astimezone(JST).date() >= on
    coupons = {c.id: c for c in COUPONS}
    for r in score_coupons(COUPONS, VENUES, ranking_input, on, limit=None):
        coupon = coupons[r.item_id]
        assert (coupon.valid_from is None or coupon.valid_from <= on) and (coupon.valid_to is None or on <= coupon.valid_to)


@PROPERTY_SETTINGS
@given(cases(), st.randoms(use_true_random=False))
def test_the_ranking_is_deterministic_whatever_the_order_of_the_rows(case: tuple[RankingInput, date],
                                                                      shuffler: random.Random) -> None:
    ranking_input, on = case
    events, coupons, venues = list(EVENTS), list(COUPONS), list(VENUES)
    first = (score_events(events, venues, ranking_input, on), score_coupons(coupons, venues, ranking_input, on))
    for rows in (events, coupons, venues):
        shuffler.shuffle(rows)
    assert (score_events(events, venues, ranking_input, on), score_coupons(coupons, venues, ranking_input, on)) == first
    assert (score_events(events, venues, ranking_input, on), score_coupons(coupons, venues, ranking_input, on)) == first


def assert_ordered_and_diverse(ranked: list[Ranked]) -> None:
    # The list is sorted by score (then id), and the tiers never go back up.
    assert ranked == sorted(ranked, key=lambda r: (-r.score, r.item_id))
    assert [r.tier for r in ranked] == sorted((r.tier for r in ranked), reverse=True)
    # Within a tier, a venue's 3rd item comes only once no other venue has a 1st or 2nd item of that tier left: so
    # in any top K, no venue holds more than 2 places while an item of the same tier from another venue waits.
    placed: Counter[str] = Counter()
    overflow_seen: dict[AgeTier, bool] = {}
    for r in ranked:
        placed[r.venue_id] += 1
        if placed[r.venue_id] >= 3:
            overflow_seen[r.tier] = True
        else:
            assert not overflow_seen.get(r.tier), f"{r.item_id} waited behind a venue's 3rd item"


@PROPERTY_SETTINGS
@given(cases())
def test_one_venue_never_takes_more_than_two_places_while_alternatives_wait(case: tuple[RankingInput, date]) -> None:
    ranking_input, on = case
    assert_ordered_and_diverse(score_events(EVENTS, VENUES, ranking_input, on, limit=None))
    assert_ordered_and_diverse(score_coupons(COUPONS, VENUES, ranking_input, on, limit=None))


@PROPERTY_SETTINGS
@given(st.data())
def test_diversity_holds_for_made_up_events(data: st.DataObject) -> None:
    ranking_input, on = data.draw(cases())
    assert_ordered_and_diverse(score_events(data.draw(synthetic_events(on)), SYNTHETIC_VENUES, ranking_input, on, limit=None))


@PROPERTY_SETTINGS
@given(cases(), histories.filter(lambda history: history is not None))
def test_without_the_history_input_nothing_uses_history(case: tuple[RankingInput, date], history: History) -> None:
    ranking_input, on = case
    with_history, without = replace(ranking_input, history=history), replace(ranking_input, history=None)
    for score in (score_events, score_coupons):
        rows = EVENTS if score is score_events else COUPONS
        used = score(rows, VENUES, with_history, on, limit=None)  # type: ignore[operator]
        withdrawn = score(rows, VENUES, without, on, limit=None)  # type: ignore[operator]
        assert all("history" in r.used and "history" not in r.missing for r in used)
        assert all("history" not in r.used and "history" in r.missing for r in withdrawn)
        # No reason drawn from history: neither "similar to what you joined" nor "an offer for an event you joined".
        assert not any(reason.code == "history" or (r.item_id in FOR_PARTICIPANTS and reason.code == "trigger")
                       for r in withdrawn for reason in r.reasons)
        # Without history the ranking is the one an empty history gives: history acts only through its content.
        empty = score(rows, VENUES, replace(ranking_input, history=History()), on, limit=None)  # type: ignore[operator]
        assert [(r.item_id, r.score, r.reasons) for r in withdrawn] == [(r.item_id, r.score, r.reasons) for r in empty]
