"""The ranking of events and coupons, example by example: filters, the hard age tier, the components, their reasons,
the inputs named as used or missing, and diversity. The properties over random households are in
test_ranking_properties.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from app.household.ages import AgeBand, BirthDate
from app.recommend import ranking_text as text
from app.recommend.ranking import (
    FEED_LIMIT,
    AgeTier,
    History,
    Ranked,
    RankingInput,
    as_dicts,
    ranking_input_from_household,
    score_coupons,
    score_events,
)
from app.recommend.ranking_age import target_ages
from tests.unit.recommend.ranking_rows import (
    COUPONS,
    EVENTS,
    EVENTS_BY_ID,
    OUTSIDE_RING,
    VENUES,
    at,
    coupon,
    event,
    venue,
)

ON = date(2026, 12, 1)
TEST_VENUES = (venue("v_test"), venue("v_other"), venue("v_third"))


def ids(ranked: list[Ranked]) -> list[str]:
    return [r.item_id for r in ranked]


def by_id(ranked: list[Ranked]) -> dict[str, Ranked]:
    return {r.item_id: r for r in ranked}


def codes(ranked: Ranked) -> list[str]:
    return [reason.code for reason in ranked.reasons]


def born(year: int, month: int, day: int | None = None) -> RankingInput:
    return RankingInput(birth_dates=(BirthDate(year, month, day),))


# --- filters ---------------------------------------------------------------------------------------------------


def test_only_venues_within_the_3_km_ring_with_a_coordinate_count() -> None:
    venues = (venue("v_near"), venue("v_far", *OUTSIDE_RING), venue("v_unknown", None, None, None))
    events = [event(f"ev_{v.id}", v.id, start=at(ON + timedelta(days=3))) for v in venues]
    coupons = [coupon(f"cp_{v.id}", v.id) for v in venues]
    assert ids(score_events(events, venues, RankingInput(), ON)) == ["ev_v_near"]
    assert ids(score_coupons(coupons, venues, RankingInput(), ON)) == ["cp_v_near"]


def test_every_shipped_venue_with_a_coordinate_is_in_the_ring() -> None:
    ranked = score_events(EVENTS, VENUES, RankingInput(), date(2026, 11, 1), limit=None)
    assert {r.venue_id for r in ranked} == {e.venue_id for e in EVENTS}


def test_an_event_that_ended_before_the_day_is_out_and_one_ending_on_the_day_is_in() -> None:
    jst_late = datetime(2026, 12, 1, 23, 30, tzinfo=timezone(timedelta(hours=9)))
    events = [
        event("ev_yesterday", start=at(ON - timedelta(days=1)), end=at(ON - timedelta(days=1), 12)),
        # Stored as UTC (as the database returns it): 23:30 in Japan is still 1 December there.
        event("ev_tonight", start=at(ON, 20), end=jst_late.astimezone(UTC)),
        event("ev_ongoing", start=at(ON - timedelta(days=10)), end=at(ON + timedelta(days=10))),
        event("ev_standing", recurrence="open_hours"),
    ]
    ranked = by_id(score_events(events, TEST_VENUES, RankingInput(), ON))
    assert set(ranked) == {"ev_tonight", "ev_ongoing", "ev_standing"}
    assert ranked["ev_tonight"].reasons[1].ja.startswith("今日、2026年12月1日(火) 20:00〜23:30")
    assert ranked["ev_ongoing"].reasons[1].ja.startswith("開催中です")
    assert score_events(events, TEST_VENUES, RankingInput(), ON + timedelta(days=1)) != []
    assert "ev_tonight" not in ids(score_events(events, TEST_VENUES, RankingInput(), ON + timedelta(days=1)))


def test_a_coupon_is_listed_only_within_its_validity() -> None:
    coupons = [
        coupon("cp_expired", valid_from=date(2026, 11, 1), valid_to=ON - timedelta(days=1)),
        coupon("cp_last_day", valid_from=date(2026, 11, 1), valid_to=ON),
        coupon("cp_first_day", valid_from=ON, valid_to=date(2027, 1, 31)),
        coupon("cp_not_yet", valid_from=ON + timedelta(days=1)),
        coupon("cp_open"),
    ]
    assert sorted(ids(score_coupons(coupons, TEST_VENUES, RankingInput(), ON))) == ["cp_first_day", "cp_last_day", "cp_open"]


def test_a_seasonal_activity_out_of_season_is_placed_at_its_next_season() -> None:
    swan = EVENTS_BY_ID["ev_park_swan_boat"]  # weekends and holidays, March to November
    december = by_id(score_events([swan], VENUES, born(2022, 1, 1), date(2026, 12, 1)))["ev_park_swan_boat"]
    assert "2027年3月6日(土)から実施されます(3月〜11月の土日祝)" in december.reasons[1].ja
    in_season = by_id(score_events([swan], VENUES, born(2022, 1, 1), date(2027, 5, 12)))["ev_park_swan_boat"]
    assert in_season.reasons[1].ja == "実施期間中です(3月〜11月の土日祝)。"
    assert in_season.score > december.score


# --- the age tier ----------------------------------------------------------------------------------------------


def test_an_event_for_the_child_ranks_above_a_nearer_sooner_one_outside_its_ages() -> None:
    far = venue("v_far_in_ring", 35.911, 139.9575)  # 柏たなか, ~2 km
    events = [
        event("ev_outside", "v_test", start=at(ON), max_months=7, tags=("outdoor", "sports")),
        event("ev_inside", "v_far_in_ring", start=at(ON + timedelta(days=59)), min_months=36, max_months=72),
    ]
    household = replace(born(2022, 6, 1), town="若柴", history=History({"outdoor": 9, "sports": 9}), health_score=0)
    ranked = score_events(events, (venue("v_test"), far), household, ON)
    assert ids(ranked) == ["ev_inside", "ev_outside"]
    assert [r.tier for r in ranked] == [AgeTier.INSIDE, AgeTier.OUTSIDE]
    assert codes(ranked[1])[0] == "age_outside"
    assert "下の方に表示しています" in ranked[1].reasons[0].ja


def test_ages_are_checked_on_the_events_day() -> None:
    # 11 months today, 12 months on 14 January: the 1–3-year-olds' eurhythmics fits on the day.
    rhythmic = EVENTS_BY_ID["ev_lala_rhythmic"]
    ranked = by_id(score_events([rhythmic], VENUES, born(2026, 1, 10), ON))["ev_lala_rhythmic"]
    assert ranked.tier is AgeTier.INSIDE
    assert ranked.reasons[0].ja == "開催日に1歳のお子さまが、対象年齢(1〜3歳)に合います。"
    assert by_id(score_events([rhythmic], VENUES, born(2026, 1, 20), ON))["ev_lala_rhythmic"].tier is AgeTier.OUTSIDE


def test_a_month_only_birth_on_the_edge_is_uncertain_and_asks_for_the_day() -> None:
    # Born in January 2026: 12 months on 14 January 2027 if born by the 14th, 11 months otherwise.
    rhythmic = EVENTS_BY_ID["ev_lala_rhythmic"]
    ranked = by_id(score_events([rhythmic], VENUES, born(2026, 1), ON))["ev_lala_rhythmic"]
    assert ranked.tier is AgeTier.UNCERTAIN
    assert codes(ranked)[0] == "age_maybe"
    assert ranked.missing[0] == "birth_day"
    assert "birth_dates" in ranked.used


def test_grades_and_months_must_both_fit() -> None:
    # 6 years 3 months in December, born in September: 年長 (final kindergarten year), not yet elementary_1.
    workshop = EVENTS_BY_ID["ev_tsite_zukan_ws"]  # 72–119 months and elementary_1..4
    ranked = by_id(score_events([workshop], VENUES, born(2020, 9, 15), date(2026, 12, 20)))
    assert ranked["ev_tsite_zukan_ws"].tier is AgeTier.OUTSIDE
    first_grader = by_id(score_events([workshop], VENUES, born(2019, 9, 15), date(2026, 12, 20)))
    assert first_grader["ev_tsite_zukan_ws"].tier is AgeTier.INSIDE
    assert "6〜9歳、小学1〜4年生" in first_grader["ev_tsite_zukan_ws"].reasons[0].ja


def test_age_bands_alone_give_inside_when_the_whole_band_fits_and_uncertain_otherwise() -> None:
    bands = RankingInput(age_bands=(AgeBand.AGES_0_2,))
    events = [EVENTS_BY_ID["ev_tsite_ehon_baby"], EVENTS_BY_ID["ev_lala_baby_massage"], EVENTS_BY_ID["ev_koil_coderdojo"]]
    ranked = by_id(score_events(events, VENUES, bands, ON))
    assert ranked["ev_tsite_ehon_baby"].tier is AgeTier.INSIDE  # 0–3: every 0–2歳児クラス child is under 48 months
    assert ranked["ev_lala_baby_massage"].tier is AgeTier.UNCERTAIN
    assert ranked["ev_koil_coderdojo"].tier is AgeTier.OUTSIDE
    assert ranked["ev_lala_baby_massage"].used == ("age_bands",)
    assert ranked["ev_lala_baby_massage"].missing[0] == "birth_dates"
    assert "生年月日があると確かめられます" in ranked["ev_lala_baby_massage"].reasons[0].ja
    # The consent item reads "unknown" for a child whose band is not settled: no child, no tier from it.
    assert by_id(score_events(events, VENUES, RankingInput(age_bands=("unknown",)), ON))["ev_tsite_ehon_baby"].tier \
        is AgeTier.UNCERTAIN


def test_without_any_age_every_item_is_in_the_middle_tier_and_says_so() -> None:
    ranked = score_events(EVENTS, VENUES, RankingInput(), ON, limit=None)
    assert {r.tier for r in ranked} == {AgeTier.UNCERTAIN}
    assert all(codes(r)[0] == "age_unknown" and r.missing[0] == "birth_dates" for r in ranked)
    no_children = score_events(EVENTS, VENUES, RankingInput(birth_dates=()), ON, limit=None)
    assert all(r.reasons[0].ja == "お子さまの登録がないため、年齢では並べていません。" for r in no_children)


def test_a_twins_meetup_is_for_households_with_twins_only() -> None:
    twins_event = EVENTS_BY_ID["ev_haguhagu_twins"]
    twins = RankingInput(birth_dates=(BirthDate(2026, 3, 4), BirthDate(2026, 3, 4)))
    siblings = RankingInput(birth_dates=(BirthDate(2026, 3, 4), BirthDate(2024, 3, 4)))
    same_month = RankingInput(birth_dates=(BirthDate(2026, 3), BirthDate(2026, 3)))
    assert by_id(score_events([twins_event], VENUES, twins, ON))["ev_haguhagu_twins"].tier is AgeTier.INSIDE
    assert score_events([twins_event], VENUES, siblings, ON) == []
    assert by_id(score_events([twins_event], VENUES, same_month, ON))["ev_haguhagu_twins"].tier is AgeTier.UNCERTAIN
    assert "multiples" in codes(by_id(score_events([twins_event], VENUES, twins, ON))["ev_haguhagu_twins"])


def test_an_expected_child_makes_events_open_to_parents_to_be_fit() -> None:
    hiroba = EVENTS_BY_ID["ev_lala_mini_hiroba"]  # 0–5 years and expectant parents
    expecting = RankingInput(birth_dates=(BirthDate(2027, 3),))
    ranked = by_id(score_events([hiroba, EVENTS_BY_ID["ev_lala_rhythmic"]], VENUES, expecting, ON))
    assert ranked["ev_lala_mini_hiroba"].tier is AgeTier.INSIDE
    assert ranked["ev_lala_mini_hiroba"].reasons[0].ja == "妊娠中の方も参加できます。"
    assert ranked["ev_lala_rhythmic"].tier is AgeTier.UNCERTAIN  # nobody born yet: no child to place it for
    due_on_a_day = RankingInput(birth_dates=(BirthDate(ON.year + 1, 1, 15),))  # a day, not just a month
    assert by_id(score_events([hiroba], VENUES, due_on_a_day, ON))["ev_lala_mini_hiroba"].tier is AgeTier.INSIDE


# --- coupon triggers -------------------------------------------------------------------------------------------

CHICORU_BIRTHDAY = next(c for c in COUPONS if c.id == "cp_chicoru_birthday")  # 6–107 months, birthday ± 3 days


@pytest.mark.parametrize(("birth", "on", "listed"), [
    (BirthDate(2023, 12, 4), date(2026, 12, 1), True),  # 3 days before
    (BirthDate(2023, 11, 28), date(2026, 12, 1), True),  # 3 days after
    (BirthDate(2023, 12, 5), date(2026, 12, 1), False),  # 4 days before
    (BirthDate(2023, 11, 27), date(2026, 12, 1), False),
    (BirthDate(2023, 12, 30), date(2027, 1, 2), True),  # across the new year
    (BirthDate(2020, 2, 29), date(2027, 3, 3), True),  # 28 February in a common year, 3 days before
    (BirthDate(2020, 2, 29), date(2027, 3, 4), False),
    (BirthDate(2016, 12, 1), date(2026, 12, 1), False),  # 10 years old: past the coupon's ages
])
def test_the_birthday_coupon_applies_within_3_days_of_a_birthday_of_a_child_in_its_ages(
        birth: BirthDate, on: date, listed: bool) -> None:
    ranked = score_coupons([CHICORU_BIRTHDAY], VENUES, RankingInput(birth_dates=(birth,)), on)
    assert bool(ranked) is listed
    if listed:
        assert ranked[0].tier is AgeTier.INSIDE
        assert "お誕生日の前後3日間に使える特典です" in ranked[0].reasons[1].ja


def test_the_birthday_coupon_needs_the_day_of_birth_to_be_sure() -> None:
    month_only = score_coupons([CHICORU_BIRTHDAY], VENUES, born(2023, 12), date(2026, 12, 1))
    assert month_only[0].tier is AgeTier.UNCERTAIN
    assert month_only[0].missing[0] == "birth_day"
    assert codes(month_only[0])[1] == "trigger_maybe"
    assert score_coupons([CHICORU_BIRTHDAY], VENUES, born(2023, 6), date(2026, 12, 1)) == []
    assert score_coupons([CHICORU_BIRTHDAY], VENUES, RankingInput(age_bands=(AgeBand.AGES_3_5,)), ON) == []
    assert score_coupons([CHICORU_BIRTHDAY], VENUES, RankingInput(), ON) == []


def test_a_coupon_for_an_events_participants_is_lifted_only_for_those_who_joined() -> None:
    ehon = next(c for c in COUPONS if c.id == "cp_bookstore_ehon")  # attended_event:ev_tsite_ehon_baby
    child = born(2024, 5, 1)
    joined = score_coupons([ehon], VENUES, replace(child, history=History({}, frozenset({"ev_tsite_ehon_baby"}))), ON)[0]
    not_joined = score_coupons([ehon], VENUES, replace(child, history=History({})), ON)[0]
    unknown = score_coupons([ehon], VENUES, child, ON)[0]
    assert codes(joined)[1] == "trigger" and codes(not_joined)[1] == codes(unknown)[1] == "trigger_condition"
    assert joined.score > not_joined.score == unknown.score
    assert "history" in unknown.missing


def test_the_weaning_coupon_is_lifted_in_the_month_a_child_turns_5_months() -> None:
    weaning = next(c for c in COUPONS if c.id == "cp_baby_goods_weaning")
    just_five = score_coupons([weaning], VENUES, born(2026, 7, 1), ON)[0]
    six = score_coupons([weaning], VENUES, born(2026, 5, 20), ON)[0]
    assert codes(just_five)[1] == "trigger"
    assert just_five.score > six.score


# --- components and their reasons ------------------------------------------------------------------------------


def test_the_walk_is_measured_from_the_home_town_and_otherwise_from_the_station() -> None:
    park = EVENTS_BY_ID["ev_park_toride"]
    from_home = by_id(score_events([park], VENUES, replace(born(2021, 1, 1), town="柏の葉四丁目", city="kashiwa"), ON))
    assert from_home["ev_park_toride"].reasons[2].ja == "柏の葉四丁目から徒歩10分以内(目安)です。"
    assert "town" in from_home["ev_park_toride"].used
    from_station = by_id(score_events([park], VENUES, born(2021, 1, 1), ON))["ev_park_toride"]
    assert from_station.reasons[2].ja == "柏の葉キャンパス駅から徒歩20〜30分(目安)です。"
    assert "town" in from_station.missing and "town" not in from_station.used
    # 流山市 towns are found too; a town in neither list counts as no town.
    assert "town" in by_id(score_events([park], VENUES, RankingInput(town="駒木台"), ON))["ev_park_toride"].used
    assert "town" in by_id(score_events([park], VENUES, RankingInput(town="どこでもない町"), ON))["ev_park_toride"].missing


def test_a_nearer_venue_ranks_higher_all_else_equal() -> None:
    venues = (venue("v_near", 35.8934, 139.9512), venue("v_mid", 35.8964, 139.9371))
    events = [event("ev_b_near", "v_near", start=at(ON + timedelta(days=5))),
              event("ev_a_mid", "v_mid", start=at(ON + timedelta(days=5)))]
    assert ids(score_events(events, venues, RankingInput(town="若柴"), ON)) == ["ev_b_near", "ev_a_mid"]


def test_a_sooner_event_ranks_higher_within_the_horizon_all_else_equal() -> None:
    events = [event(f"ev_{days:03d}", venue_id, start=at(ON + timedelta(days=days)))
              for days, venue_id in ((70, "v_test"), (3, "v_other"), (30, "v_third"))]
    ranked = score_events(events, TEST_VENUES, RankingInput(), ON)
    assert ids(ranked) == ["ev_003", "ev_030", "ev_070"]
    assert "(3日後)" in ranked[0].reasons[1].ja


def test_history_lifts_matching_categories_and_names_them() -> None:
    events = [event("ev_a_music", "v_test", start=at(ON + timedelta(days=5)), tags=("indoor", "music")),
              event("ev_b_science", "v_other", start=at(ON + timedelta(days=5)), tags=("indoor", "science"))]
    without = score_events(events, TEST_VENUES, RankingInput(), ON)
    with_history = score_events(events, TEST_VENUES, RankingInput(history=History({"science": 2, "indoor": 50})), ON)
    assert ids(without) == ["ev_a_music", "ev_b_science"]
    assert ids(with_history) == ["ev_b_science", "ev_a_music"]
    assert with_history[0].reasons[-1].ja == "これまでの参加・利用(科学)に近い内容です。"
    # "indoor" is on almost every event: it is not taken as a preference.
    assert "history" not in codes(with_history[1])


def test_a_low_health_score_lifts_active_items_and_a_good_one_changes_nothing() -> None:
    events = [event("ev_a_indoor", "v_test", start=at(ON + timedelta(days=5)), tags=("indoor", "reading")),
              event("ev_b_outdoor", "v_other", start=at(ON + timedelta(days=5)), tags=("outdoor", "sports"))]
    low = score_events(events, TEST_VENUES, RankingInput(health_score=30), ON)
    good = score_events(events, TEST_VENUES, RankingInput(health_score=80), ON)
    none = score_events(events, TEST_VENUES, RankingInput(), ON)
    assert ids(low) == ["ev_b_outdoor", "ev_a_indoor"]
    assert "health" in codes(low[0])
    assert [(r.item_id, r.score) for r in good] == [(r.item_id, r.score) for r in none]
    assert all("health_score" in r.used for r in good) and all("health_score" in r.missing for r in none)


def test_a_new_coupon_is_lifted_for_two_weeks() -> None:
    coupons = [coupon("cp_a_old", "v_test", valid_from=ON - timedelta(days=30)),
               coupon("cp_b_new", "v_other", valid_from=ON - timedelta(days=2))]
    ranked = score_coupons(coupons, TEST_VENUES, RankingInput(), ON)
    assert ids(ranked) == ["cp_b_new", "cp_a_old"]
    assert ranked[0].reasons[-1].ja == "新しいクーポンです(2026年11月29日(日)から)。"


def test_a_narrow_age_range_that_fits_ranks_above_an_all_ages_one() -> None:
    events = [event("ev_a_all", "v_test", start=at(ON + timedelta(days=5))),
              event("ev_b_baby", "v_other", start=at(ON + timedelta(days=5)), min_months=2, max_months=7)]
    assert ids(score_events(events, TEST_VENUES, born(2026, 8, 1), ON)) == ["ev_b_baby", "ev_a_all"]


# --- diversity, ties, limit ------------------------------------------------------------------------------------


def test_one_venue_does_not_fill_the_feed() -> None:
    strong = [event(f"ev_a{n}", "v_test", start=at(ON + timedelta(days=n))) for n in range(5)]
    weaker = [event(f"ev_b{n}", "v_other", start=at(ON + timedelta(days=40 + n))) for n in range(3)]
    ranked = score_events(strong + weaker, TEST_VENUES, RankingInput(), ON, limit=None)
    assert ids(ranked)[:4] == ["ev_a0", "ev_a1", "ev_b0", "ev_b1"]
    assert ids(ranked)[4:] == ["ev_a2", "ev_a3", "ev_a4", "ev_b2"]  # past the first two of each, by value again


def test_diversity_never_crosses_the_age_tier() -> None:
    inside = [event(f"ev_in{n}", "v_test", start=at(ON + timedelta(days=50)), min_months=0, max_months=24)
              for n in range(4)]
    outside = [event("ev_out", "v_other", start=at(ON), min_months=120)]
    ranked = score_events(inside + outside, TEST_VENUES, born(2026, 1, 1), ON, limit=None)
    assert ids(ranked)[-1] == "ev_out"


def test_ties_are_broken_by_id_and_the_order_matches_the_scores() -> None:
    events = [event(name, venue_id, start=at(ON + timedelta(days=5)))
              for name, venue_id in (("ev_c", "v_third"), ("ev_a", "v_test"), ("ev_b", "v_other"))]
    ranked = score_events(events, TEST_VENUES, RankingInput(), ON)
    assert ids(ranked) == ["ev_a", "ev_b", "ev_c"]
    assert len({r.score for r in ranked}) == 1


def test_the_limit_keeps_the_best() -> None:
    everything = score_events(EVENTS, VENUES, born(2025, 1, 1), ON, limit=None)
    assert score_events(EVENTS, VENUES, born(2025, 1, 1), ON) == everything[:FEED_LIMIT]
    assert score_events(EVENTS, VENUES, born(2025, 1, 1), ON, limit=3) == everything[:3]


# --- used, missing, output -------------------------------------------------------------------------------------


def test_used_and_missing_name_the_inputs() -> None:
    full = RankingInput(birth_dates=(BirthDate(2025, 1, 1),), town="若柴", history=History({"music": 1}), health_score=50)
    for ranked in score_events(EVENTS, VENUES, full, ON, limit=None) + score_coupons(COUPONS, VENUES, full, ON, limit=None):
        assert ranked.used == ("birth_dates", "town", "history", "health_score")
        assert ranked.missing == ()
    bare = score_events(EVENTS, VENUES, RankingInput(), ON, limit=None)
    assert {r.missing for r in bare} == {("birth_dates", "town", "history", "health_score")}
    assert {r.used for r in bare} == {()}


def test_every_reason_is_in_both_languages_and_no_placeholder_coupon_names_a_brand() -> None:
    households = [RankingInput(), RankingInput(birth_dates=(BirthDate(2024, 12, 3), BirthDate(2026, 6)), town="若柴",
                                               history=History({"baby_goods": 2, "reading": 1}), health_score=20),
                  RankingInput(age_bands=(AgeBand.AGES_3_5, AgeBand.ELEMENTARY))]
    venue_names = [name for v in VENUES for name in (v.name_ja, v.name_en) if name]
    for household in households:
        for on in (date(2026, 12, 1), date(2027, 2, 1), date(2027, 5, 1)):
            coupons = score_coupons(COUPONS, VENUES, household, on, limit=None)
            for ranked in score_events(EVENTS, VENUES, household, on, limit=None) + coupons:
                assert ranked.reasons
                for reason in ranked.reasons:
                    assert reason.ja.strip() and reason.en.strip() and reason.code
                    assert not any(name in reason.ja or name in reason.en for name in venue_names)
            brands = {brand for c in COUPONS for brand in c.brand_examples}
            for ranked in coupons:
                assert not any(brand in reason.ja or brand in reason.en for reason in ranked.reasons for brand in brands)


def test_the_cli_input_takes_births_and_town_and_leaves_out_counted_siblings() -> None:
    household = SimpleNamespace(
        children=(SimpleNamespace(birth=BirthDate(2025, 3, 1), counted_sibling=False),
                  SimpleNamespace(birth=BirthDate(2005, 6, 1), counted_sibling=True)),
        city="kashiwa", town="若柴")
    assert ranking_input_from_household(household) == RankingInput(birth_dates=(BirthDate(2025, 3, 1),), town="若柴",
                                                                    city="kashiwa")
    ranked = score_events(EVENTS, VENUES, ranking_input_from_household(household), ON, limit=2)
    assert as_dicts(ranked) == [{"id": r.item_id, "score": round(r.score, 4),
                                 "reasons": [{"ja": x.ja, "en": x.en} for x in r.reasons]} for r in ranked]


# --- wording ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("low", "high", "grades", "expected_ja", "expected_en"), [
    (0, None, None, "年齢を問わず", "all ages"),
    (72, None, None, "6歳以上", "6 years and over"),
    (0, 48, None, "0〜3歳", "ages 0–3"),
    (2, 7, None, "2〜6か月", "2–6 months"),
    (5, 12, None, "5〜11か月", "5–11 months"),
    (6, 108, None, "6か月〜8歳", "6 months to 8 years"),
    (5, 18, None, "5か月〜1歳5か月", "5 months to 1 year 5 months"),
    (96, 180, {"min": "elementary_3", "max": "junior_high_3"}, "8〜14歳、小学3年生〜中学3年生",
     "ages 8–14, grade 3 of elementary school to grade 3 of junior high school"),
])
def test_age_ranges_read_as_a_parent_would_say_them(low: int, high: int | None, grades: dict[str, str] | None,
                                                     expected_ja: str, expected_en: str) -> None:
    target = target_ages(low, high, grades)
    assert (text.target_ja(target), text.target_en(target)) == (expected_ja, expected_en)


def test_every_missing_input_has_a_neutral_note() -> None:
    for name in ("birth_dates", "birth_day", "town", "history", "health_score"):
        note_ja, note_en = text.MISSING_INPUT_NOTES[name]
        assert note_ja.endswith("。") and note_en.endswith(".")
        assert "同意" not in note_ja and "consent" not in note_en.lower()  # it says what it adds, never asks
