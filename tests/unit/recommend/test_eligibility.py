"""The engine's promises beyond the household table: check codes, soon dates, reasons, sources, end days, the
third-child note, low confidence, unreadable rules. Pure: the shipped catalogue as plain objects, no database."""

from __future__ import annotations

import copy
from datetime import date
from types import SimpleNamespace

import pytest

from app.recommend.eligibility import CheckReason, ServiceResult, Status, evaluate
from app.recommend.household import ChildInput, HouseholdInput
from tests.unit.recommend.conftest import birth
from tests.unit.recommend.test_households import HOUSEHOLDS

pytestmark = pytest.mark.smoke

D = date


def results(services, on: str, children: list[str], city: str | None = "kashiwa",
            counted: tuple[str, ...] = ()) -> dict[str, ServiceResult]:
    kids = tuple(ChildInput(birth(text)) for text in children) + tuple(ChildInput(birth(t), True) for t in counted)
    found = evaluate(services, HouseholdInput(kids, city, "若柴"), date.fromisoformat(on))  # type: ignore[arg-type]
    return {r.service_id.removeprefix("svc_"): r for r in found}


def only(services, service_id: str) -> list[SimpleNamespace]:
    return [s for s in services if s.id == service_id]


def test_results_come_in_the_order_given_with_source_and_last_checked(services):
    found = evaluate(services, HouseholdInput((ChildInput(birth("2026-01-15")),), "kashiwa", "若柴"), D(2026, 11, 26))
    assert [r.service_id for r in found] == [s.id for s in services]
    for result, service in zip(found, services, strict=True):
        assert result.source_url == service.source_url and result.source_url.startswith("http")
        assert result.last_checked == service.last_checked


@pytest.mark.parametrize("row", HOUSEHOLDS, ids=[h.name for h in HOUSEHOLDS])
def test_every_result_explains_itself_in_both_languages_and_low_confidence_is_never_eligible(services, row):
    found = results(services, row.on.isoformat(), list(row.children), row.city, row.counted)
    low = {s.id.removeprefix("svc_") for s in services if s.confidence == "low"}
    for short, result in found.items():
        assert result.reasons, short
        assert all(reason.ja and reason.en for reason in result.reasons), short
        assert (result.status is Status.SOON) == (result.soon_from is not None), short
        assert (result.status is Status.CHECK) <= bool(result.check_reasons), short
        if short in low:
            assert result.status is not Status.ELIGIBLE, short
        if result.status is Status.OTHER_CITY:
            assert any("流山市でお手続き" in reason.ja for reason in result.reasons)


def test_a_rule_made_low_confidence_is_at_most_check(services):
    daretsu = copy.deepcopy(only(services, "svc_daretsu")[0])
    daretsu.confidence = "low"
    [result] = evaluate([daretsu], HouseholdInput((ChildInput(birth("2026-01-15")),), "kashiwa", None), D(2026, 11, 26))
    assert (result.status, result.check_reasons) == (Status.CHECK, (CheckReason.UNVERIFIED_RULE,))


def test_an_unreadable_edited_rule_is_check_not_an_error(services):
    nursery = copy.deepcopy(only(services, "svc_hoikuen_nyuen")[0])
    nursery.eligibility["age"]["school_grade_max"] = "kindergarten_9"
    [result] = evaluate([nursery], HouseholdInput((ChildInput(birth("2024-01-15")),), "kashiwa", None), D(2026, 11, 26))
    assert (result.status, result.check_reasons) == (Status.CHECK, (CheckReason.UNVERIFIED_RULE,))


@pytest.mark.parametrize(("on", "children", "city", "service", "codes"), [
    ("2026-11-26", ["2026-01-15"], "kashiwa", "hitorioya_iryohi", ["income_test"]),
    ("2026-11-26", ["2026-01-15"], "kashiwa", "ichiji_azukari_hoikuen", ["facility_dependent"]),
    ("2026-11-26", ["2026-01-15"], "kashiwa", "haguhagu_pocket", ["unverified_rule"]),
    ("2026-11-26", ["2026-01-15"], "kashiwa", "famisapo_hitorioya_josei", ["income_test", "unverified_rule"]),
    ("2026-11-26", ["2026-01-15"], "kashiwa", "mushoka", ["income_test"]),  # 0歳児クラス: tax-exempt households only
    ("2026-11-26", ["2012-09-01"], "kashiwa", "kodomo_iryohi", ["income_test", "unverified_rule"]),  # 中2: from 小4
    ("2026-11-26", ["2012-09-01"], "kashiwa", "teiki_yobosesshu", ["other_condition"]),  # HPV: girls
    ("2026-11-26", ["2020-04"], "kashiwa", "byoji_hoiku", ["birth_day_needed"]),
    ("2026-11-26", ["2020-04"], "kashiwa", "ichiji_azukari_hoikuen", ["facility_dependent", "birth_day_needed"]),
    ("2026-11-26", ["2020-04"], "kashiwa", "shugaku_enjo", ["income_test", "birth_day_needed"]),
    ("2026-11-15", ["2026-05"], "kashiwa", "daretsu", ["birth_day_needed"]),
    ("2026-11-26", ["2026-01-15"], "nagareyama", "byoji_hoiku", ["other_condition"]),  # a nursery in 柏市 is enough
    ("2026-11-26", ["2026-01-15"], "nagareyama", "haguhagu_hiroba", ["unverified_rule"]),  # no residence rule stated
    ("2026-11-26", ["2025-06-01"], None, "daretsu", ["address_needed"]),
    ("2026-11-26", ["2025-06-01"], None, "kenshin_1y6m", ["address_needed"]),  # soon, and then to be checked
    ("2026-11-26", ["2026-11-20"], "kashiwa", "kenshin_1m", ["unverified_rule"]),  # soon, low confidence
    ("2026-11-26", ["2026-11-20"], "kashiwa", "ninpu_kyufu", ["unverified_rule"]),  # second payment, deadline unknown
    ("2026-11-26", ["2026-01-15"], "nagareyama", "jidoteate", []),  # other_city carries no codes
])
def test_check_codes(services, on, children, city, service, codes):
    assert [str(code) for code in results(services, on, children, city)[service].check_reasons] == codes


@pytest.mark.parametrize(("on", "children", "service", "soon_from"), [
    ("2026-11-26", ["2026-11-20"], "daretsu", D(2027, 5, 19)),      # reach(6)
    ("2026-11-26", ["2026-11-20"], "nyuji_kenshin", D(2027, 2, 19)),  # reach(3)
    ("2026-11-26", ["2026-11-20"], "teiki_yobosesshu", D(2027, 1, 19)),  # 生後2月
    ("2026-11-26", ["2026-11-20"], "kenshin_1m", D(2026, 12, 18)),  # day 28
    ("2026-02-27", ["2025-08-31"], "daretsu", D(2026, 2, 28)),      # no 31 February
    ("2027-02-27", ["2024-02-29"], "kenshin_3y", D(2027, 3, 1)),    # the day after reach(36) = 28 February
    ("2026-11-09", ["2025-05-10"], "kenshin_1y6m", D(2026, 11, 10)),
    ("2026-11-26", ["2020-04-02"], "kodomoroom", D(2027, 4, 1)),
    ("2026-11-15", ["2026-05"], "otafuku_josei", D(2027, 4, 30)),   # the earliest possible day (born 1 May)
    ("2026-12-20", ["2018-06-15"], "teiki_yobosesshu", D(2027, 6, 14)),  # 日本脳炎2期 at 9
])
def test_soon_gives_the_first_day(services, on, children, service, soon_from):
    result = results(services, on, children)[service]
    assert (result.status, result.soon_from) == (Status.SOON, soon_from)


def test_the_eligible_children_are_named_by_position_and_counted_siblings_never_are(services):
    found = results(services, "2026-11-26", ["2026-02-03", "2023-07-07", "2019-10-10"], counted=("2006-05-05",))
    assert found["jidoteate"].child_indexes == (0, 1, 2)
    assert found["daretsu"].child_indexes == (0,)
    assert found["kenshin_3y"].child_indexes == (1,)
    assert found["kodomoroom"].child_indexes == (2,)
    assert found["kenshin_1y6m"].child_indexes == ()


def test_the_third_child_rate_counts_older_siblings_up_to_22(services):
    # The youngest is the 4th counted child (the 20-year-old counted sibling, then the 2019 and 2023 children).
    found = results(services, "2026-11-26", ["2026-02-03", "2023-07-07", "2019-10-10"], counted=("2006-05-05",))
    texts = [reason.ja for reason in found["jidoteate"].reasons]
    assert "2026年2月3日生まれのお子さまは第3子以降の額(多子加算)になります。" in texts
    assert "2023年7月7日生まれのお子さまは第3子以降の額(多子加算)になります。" in texts
    assert not any("2019年10月10日" in text and "第3子" in text for text in texts)
    # Without the counted sibling, only the youngest is third.
    alone = results(services, "2026-11-26", ["2026-02-03", "2023-07-07", "2019-10-10"])
    assert sum("第3子以降の額(多子加算)" in reason.ja for reason in alone["jidoteate"].reasons) == 1
    # A counted sibling past 22 (class index above 21) is not counted any more.
    past = results(services, "2026-11-26", ["2026-02-03", "2023-07-07"], counted=("2003-06-01",))
    assert not any("第3子" in reason.ja for reason in past["jidoteate"].reasons)


def test_an_unknown_day_that_may_change_the_rank_says_so(services):
    # Twins born in June 2026 (day unknown) after one older child: either twin may be the third (both are "born in
    # June 2026", so the one sentence covers both).
    found = results(services, "2026-11-26", ["2026-06", "2026-06", "2024-01-31"])
    assert [reason.ja for reason in found["jidoteate"].reasons if "第3子" in reason.ja] == [
        "2026年6月生まれのお子さまが第3子以降の額になるかは、生年月日の日付や上のお子さまの状況で変わります。"]


def test_daretsu_says_until_the_day_two_days_before_the_3rd_birthday(services):
    result = results(services, "2026-11-26", ["2024-05-10"])["daretsu"]
    assert result.reasons[0].ja == "2024年5月10日生まれのお子さまは2027年5月8日(土)まで対象です。"
    assert result.reasons[0].en == "Your child born on 10 May 2024 can use this until 8 May 2027 (Sat)."
    assert result.reasons[-1].ja == "対象: 生後6か月から3歳の誕生日の前々日まで"


def test_mr_1_is_due_through_the_day_before_the_2nd_birthday(services):
    # 生後24月に至るまで: born 2024-12-10 reaches 24 months on 2026-12-09, which is still in.
    day_before = results(services, "2026-12-09", ["2024-12-10"])["teiki_yobosesshu"]
    birthday = results(services, "2026-12-10", ["2024-12-10"])["teiki_yobosesshu"]
    assert any("麻しん風しん(MR)1期" in reason.ja for reason in day_before.reasons)
    assert not any("麻しん風しん(MR)1期" in reason.ja for reason in birthday.reasons)


def test_the_check_up_month_is_given_when_the_day_is_known(services):
    result = results(services, "2026-11-26", ["2025-05-10"])["kenshin_1y6m"]
    texts = [reason.ja for reason in result.reasons]
    assert "柏市では1歳7か月になる月に実施し、対象の方に通知が届きます。" in texts
    assert "2026年12月の予定です。" in texts


def test_not_eligible_says_why(services):
    nagareyama = results(services, "2026-11-26", ["2026-01-15"], city="nagareyama")
    assert nagareyama["daretsu"].reasons[0].ja == "柏市に住民登録のある方が対象です。"
    assert nagareyama["jidoteate"].reasons[0].ja.endswith("流山市でお手続きください。")
    kashiwa = results(services, "2026-11-26", ["2026-01-15"])
    # Born in January 2026: the cohort of 2 April 2025 .. 1 April 2026, at school from April 2032.
    assert kashiwa["kodomoroom"].reasons[0].ja == "2026年1月15日生まれのお子さまは2032年4月1日(木)から対象になります。"
    assert kashiwa["akachan_homon"].reasons[0].ja == "対象の年齢のお子さまがいません。"
    expected = results(services, "2026-11-26", ["2027-03"])
    assert expected["jidoteate"].reasons[0].ja == "お子さまが生まれてから対象になります。"
    ended = results(services, "2027-04-01", ["2022-06-10"])["mr_catchup"]
    assert ended.reasons[0].ja == "受付は2027年3月31日(水)で終了しました。"
    kashiwa_only_cohort = results(services, "2026-11-26", ["2023-07-07"])["mr_catchup"]
    assert kashiwa_only_cohort.reasons[0].ja == "受付は2026年3月31日(火)で終了しました。"
    nobody = results(services, "2026-11-26", [], counted=("2005-12-12",))["soudan"]
    assert nobody.reasons[0].ja == "お子さまの情報がありません。"


def test_check_explains_each_code(services):
    result = results(services, "2026-11-26", ["2020-04"])["ichiji_azukari_hoikuen"]
    texts = [reason.ja for reason in result.reasons]
    assert texts[0] == "2020年4月生まれのお子さまが対象になる可能性があります。"
    assert "対象年齢や料金は施設ごとに違います。利用したい施設に確認してください。" in texts
    assert "生まれた日によって結果が変わります。生年月日を日付まで入力してください。" in texts


def test_the_engine_reads_nothing_but_the_attributes(services):
    # Plain objects (no session, no app context) are enough; a CatalogService row has the same attributes.
    from app.catalog.models import CatalogService

    columns = set(CatalogService.model_fields)
    read = {"id", "category", "fact_scope", "confidence", "eligibility", "milestones", "birthdate_ranges",
            "valid_until", "life_stages", "source_url", "last_checked"}
    assert read <= columns
    trimmed = [SimpleNamespace(**{name: getattr(s, name) for name in read}) for s in services]
    household = HouseholdInput((ChildInput(birth("2026-01-15")), ChildInput(birth("2022-06"))), "kashiwa", "若柴")
    assert evaluate(trimmed, household, D(2026, 11, 26)) == evaluate(services, household, D(2026, 11, 26))


def test_a_residence_condition_turns_the_first_line_into_a_may(services):
    result = results(services, "2026-11-26", ["2026-11-20"], city="nagareyama")["byoji_hoiku"]
    assert [reason.ja for reason in result.reasons[:2]] == [
        "2026年11月20日生まれのお子さまが対象になる可能性があります。",
        "柏市外にお住まいでも、柏市内の保育園などに通っていれば利用できます。"]
    other_city = results(services, "2026-11-26", ["2026-11-20"], city="nagareyama")["teiki_yobosesshu"]
    assert (other_city.status, other_city.soon_from) == (Status.OTHER_CITY, None)
    assert other_city.reasons[1].ja == "2026年11月20日生まれのお子さまは2027年1月19日(火)から対象になります。"
