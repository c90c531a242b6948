"""49 hand-written households and the status of every one of the 30 services for each: an exact match.

Each row gives the day of evaluation, the children's birth dates (YYYY-MM when the day is unknown), the counted
siblings (18–22, for 児童手当's third-child rate only), the city and the 町丁目, then the services by expected
status. A service a row does not name is expected to be not_eligible: the test compares all 30 services, and
refuses a row that names an unknown service or one service twice.

The expectations were worked out by hand from the catalogue and the rules in app/recommend (eligibility's
docstring, service_rules' end days), not copied from the engine. The comments give the arithmetic of the
boundary each row is about: "reach(n)" is the day a child legally reaches n months (年齢計算ニ関スル法律: the day
before the n-month "birthday"; the month's last day when that day does not exist); the soon horizon is 6 months.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from app.recommend.eligibility import evaluate
from app.recommend.household import ChildInput, HouseholdInput
from tests.unit.recommend.conftest import birth, catalogue_services

pytestmark = pytest.mark.smoke

STATUS_CODES = {"E": "eligible", "S": "soon", "C": "check", "O": "other_city", "N": "not_eligible"}

# Groups that recur, in 柏市 (every name is also checked against the catalogue):
# 要確認 for any born child: ファミサポ (low confidence), its single-parent subsidy (unconfirmed rule, income limit),
# and the planned こども・若者相談センター (opening not confirmed).
ANY_CHILD_CHECKS = "famisapo famisapo_hitorioya_josei kodomo_wakamono_center"
# 要確認 up to the 31 March after 18: 子ども医療費 (low confidence, possibly extended to 高3), and the single-parent
# schemes with an income limit.
UNDER_18_CHECKS = "kodomo_iryohi hitorioya_iryohi jido_fuyo_teate"
# 要確認 for preschoolers: 一時預かり (facility-dependent), はぐはぐポケット and the 支援センター (low confidence).
PRESCHOOL_CHECKS = "ichiji_azukari_hoikuen haguhagu_pocket shien_center_kashiwanoha"
# Plainly eligible for preschoolers in 柏市: 病児保育, 保育園の入園, はぐはぐひろば.
PRESCHOOL_ELIGIBLE = "byoji_hoiku hoikuen_nyuen haguhagu_hiroba"
# What a child up to high-school age in 柏市 always has: 児童手当 (eligible) and にこにこダイヤル (any child).
CHILD_ELIGIBLE = "jidoteate soudan"


@dataclass(frozen=True)
class Household:
    name: str
    on: date
    children: tuple[str, ...]
    city: str | None
    town: str | None
    counted: tuple[str, ...] = ()
    expected: dict[str, str] = field(default_factory=dict)


def household(name: str, on: str, children: list[str], *, city: str | None = "kashiwa", town: str | None = "若柴",
              counted: tuple[str, ...] = (), E: str = "", S: str = "", C: str = "", O: str = "") -> Household:  # noqa: E741
    expected: dict[str, str] = {}
    for code, names in (("E", E), ("S", S), ("C", C), ("O", O)):
        for short in names.split():
            assert short not in expected, f"{name}: {short} listed twice"
            expected[short] = STATUS_CODES[code]
    return Household(name, date.fromisoformat(on), tuple(children), city, town, counted, expected)


NEWBORN_KASHIWA = dict(
    E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} akachan_homon hahatoko_tsudoi",
    S="daretsu nyuji_kenshin kenshin_1m teiki_yobosesshu",
    C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka sango_care ninpu_kyufu",
)

HOUSEHOLDS = [
    # --- the household and the two cities ---------------------------------------------------------------
    household(
        "若柴: a 10-month-old (2026-01-15) and a 4-year-old (2022-06-10, 3歳児クラス)", "2026-11-26",
        ["2026-01-15", "2022-06-10"],
        # 10 months: daretsu (6..36), 2nd infant check-up (9..12), つどい (< 13), 産後ケア (to the 1st birthday).
        # 3歳児クラス: 無償化; born 2022-06-10 is in the MR catch-up's 第1期 (3-year-old cohort, to 2027-03-31).
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} daretsu mushoka nyuji_kenshin teiki_yobosesshu otafuku_josei "
          "mr_catchup hahatoko_tsudoi",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} sango_care"),
    household(
        "駒木台 (流山市): the same children", "2026-11-26", ["2026-01-15", "2022-06-10"], city="nagareyama", town="駒木台",
        # National schemes → 流山市でお手続き; 柏市-only → not eligible, except: residence unknown (はぐはぐポケット),
        # no residence condition stated (ひろば, 支援センター), or a 柏市 nursery is enough (病児保育).
        O="jidoteate jido_fuyo_teate mushoka teiki_yobosesshu sango_care",
        C="haguhagu_pocket byoji_hoiku haguhagu_hiroba shien_center_kashiwanoha"),
    household(
        "柏の葉二丁目: expecting in March 2027 (year and month only, in the future)", "2026-11-26", ["2027-03"],
        town="柏の葉二丁目",
        # Not born: only the services whose life stages include pregnancy.
        E="ninpu_kyufu hahatoko_tsudoi soudan haguhagu_hiroba", C="shien_center_kashiwanoha kodomo_wakamono_center"),
    household(
        "駒木台 (流山市): expecting", "2026-11-26", ["2027-03"], city="nagareyama", town="駒木台",
        O="ninpu_kyufu", C="haguhagu_hiroba shien_center_kashiwanoha"),
    household(
        "柏の葉二丁目: a 6-day-old (2026-11-20)", "2026-11-26", ["2026-11-20"], town="柏の葉二丁目",
        # daretsu from reach(6) = 2027-05-19, within the horizon (2027-05-26); 1か月児健診 from day 28 = 12-18 (low
        # confidence: soon, to be checked); 0歳児クラス 無償化 only for tax-exempt households (income test);
        # 妊婦支援給付's second payment while under 2 months (要確認).
        **NEWBORN_KASHIWA),
    household(
        "柏の葉二丁目: born this month, day unknown (2026-11, evaluated on the 10th: days 1..10 only)", "2026-11-10",
        ["2026-11"], town="柏の葉二丁目", **NEWBORN_KASHIWA),
    household(
        "駒木台 (流山市): a 6-day-old", "2026-11-26", ["2026-11-20"], city="nagareyama", town="駒木台",
        O="jidoteate jido_fuyo_teate mushoka kenshin_1m teiki_yobosesshu akachan_homon sango_care ninpu_kyufu",
        C="haguhagu_pocket byoji_hoiku haguhagu_hiroba shien_center_kashiwanoha"),
    # --- こども誰でも通園制度: "3歳の誕生日の前々日まで" and the 3歳児健診 "満3歳を超え" ------------------------------
    household(
        "born 2024-05-10, on 2027-05-08: the 3rd birthday's 前々日, the last day of daretsu", "2027-05-08", ["2024-05-10"],
        # reach(36) = 2027-05-09, so fewer than 36 months through 05-08. 3歳児健診 from the 3rd birthday (05-10): soon.
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} daretsu teiki_yobosesshu otafuku_josei",
        S="kenshin_3y", C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka"),
    household(
        "born 2024-05-10, on 2027-05-09: the 前日, daretsu has ended", "2027-05-09", ["2024-05-10"],
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} teiki_yobosesshu otafuku_josei",
        S="kenshin_3y", C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka"),
    household(
        "born 2024-05-10, on the 3rd birthday: the 3歳児健診 starts (満3歳を超え)", "2027-05-10", ["2024-05-10"],
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} kenshin_3y teiki_yobosesshu otafuku_josei",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka"),
    # --- 1歳6か月児健診: "満1歳6か月を超え満2歳に達しない" ------------------------------------------------------------
    household(
        "born 2025-05-10, on reach(18) = 2026-11-09: not yet over 1歳6か月", "2026-11-09", ["2025-05-10"],
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} daretsu teiki_yobosesshu otafuku_josei",
        S="kenshin_1y6m", C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka"),
    household(
        "born 2025-05-10, on 2026-11-10: over 1歳6か月", "2026-11-10", ["2025-05-10"],
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} daretsu kenshin_1y6m teiki_yobosesshu otafuku_josei",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka"),
    household(
        "born 2025-05-10, on reach(24) = 2027-05-09: the last day before 満2歳", "2027-05-09", ["2025-05-10"],
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} daretsu kenshin_1y6m teiki_yobosesshu otafuku_josei",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka"),
    household(
        "born 2025-05-10, on the 2nd birthday: the check-up is over; the 3歳児健診 is a year away", "2027-05-10",
        ["2025-05-10"],
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} daretsu teiki_yobosesshu otafuku_josei",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka"),
    # --- leap day: born 2024-02-29 reaches every age on 28 February ----------------------------------------------
    household(
        "born 2024-02-29, on 2027-02-27: daretsu's last day (reach(36) = 2027-02-28)", "2027-02-27", ["2024-02-29"],
        # 3歳児健診 from 2027-03-01 (the day after reach(36)); the MR catch-up's Kashiwa-only cohort ended 2026-03-31.
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} daretsu teiki_yobosesshu otafuku_josei",
        S="kenshin_3y", C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka"),
    household(
        "born 2024-02-29, on 2027-02-28: 満3歳 reached, daretsu over, check-up tomorrow", "2027-02-28", ["2024-02-29"],
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} teiki_yobosesshu otafuku_josei",
        S="kenshin_3y", C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka"),
    household(
        "born 2024-02-29, on 2027-03-01: the 3歳児健診 starts", "2027-03-01", ["2024-02-29"],
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} kenshin_3y teiki_yobosesshu otafuku_josei",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka"),
    # --- April 1 / April 2 ------------------------------------------------------------------------------------------
    household(
        "born 2020-04-01: 小学1年生 in FY2026", "2026-11-26", ["2020-04-01"],
        E=f"{CHILD_ELIGIBLE} kodomoroom afterschool teiki_yobosesshu",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} shugaku_enjo"),
    household(
        "born 2020-04-02: 年長 in FY2026; school (こどもルーム, 就学援助) from 2027-04-01, within 6 months", "2026-11-26",
        ["2020-04-02"],
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} mushoka teiki_yobosesshu otafuku_josei",
        S="kodomoroom afterschool shugaku_enjo",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} ichiji_azukari_hoikuen haguhagu_pocket shien_center_kashiwanoha"),
    household(
        "born April 2020, day unknown: the day decides 小1 or 年長", "2026-11-26", ["2020-04"],
        # Day 1 is 小1, days 2..30 年長: whatever differs between the two rows above is 要確認 (birth_day_needed).
        E=f"{CHILD_ELIGIBLE} teiki_yobosesshu",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} {PRESCHOOL_ELIGIBLE} mushoka kodomoroom afterschool "
          "otafuku_josei shugaku_enjo"),
    household(
        "born 2023-03-31: the MR catch-up's 3-year-old cohort (to 2027-03-31)", "2026-11-26", ["2023-03-31"],
        # reach(36) = 2026-03-30 → 3歳児健診 2026-03-31 .. reach(48) = 2027-03-30.
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} mushoka kenshin_3y teiki_yobosesshu otafuku_josei mr_catchup",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS}"),
    household(
        "born 2023-04-01: the Kashiwa-only 2-year-old cohort, which ended on 2026-03-31", "2026-11-26", ["2023-04-01"],
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} mushoka kenshin_3y teiki_yobosesshu otafuku_josei",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS}"),
    household(
        "born April 2018, day unknown: MR 第2期 starts on 2018-04-02", "2026-11-26", ["2018-04"],
        # Day 1 is 小3 and outside 第2期, days 2..30 are 小2 and inside: the catch-up needs the day. 日本脳炎2期 from
        # reach(108) = 2027-03-31 .. 2027-04-29: soon for every day.
        E=f"{CHILD_ELIGIBLE} kodomoroom afterschool", S="teiki_yobosesshu",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} shugaku_enjo mr_catchup"),
    # --- the 18th fiscal-year end (児童手当, ひとり親医療, 児童扶養手当) -------------------------------------------------
    household(
        "born 2008-04-01, on 2026-03-31: reaches 18 today, paid through today", "2026-03-31", ["2008-04-01"],
        # 高校3年生相当: 子ども医療費 is 要確認 (the old page ends at 中3, the notes say it was probably extended).
        E=CHILD_ELIGIBLE, C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS}"),
    household(
        "born 2008-04-01, on 2026-04-01: past the 31 March after 18", "2026-04-01", ["2008-04-01"],
        E="soudan", C=ANY_CHILD_CHECKS),
    household(
        "born 2008-04-02, on 2026-04-01: reaches 18 today, paid until 2027-03-31", "2026-04-01", ["2008-04-02"],
        E=CHILD_ELIGIBLE, C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS}"),
    household(
        "born April 2008, day unknown, on 2026-04-01: the day decides", "2026-04-01", ["2008-04"],
        E="soudan", C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} jidoteate"),
    # --- vaccination windows: "生後90月に至るまで" includes the day the child reaches 90 months -------------------------
    household(
        "born 2019-05-10, on reach(90) = 2026-11-09: 五種混合/日本脳炎1期 still open", "2026-11-09", ["2019-05-10"],
        E=f"{CHILD_ELIGIBLE} kodomoroom afterschool teiki_yobosesshu",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} shugaku_enjo"),
    household(
        "born 2019-05-10, on 2026-11-10: no window until 日本脳炎2期 at 9 (2028-05-09)", "2026-11-10", ["2019-05-10"],
        E=f"{CHILD_ELIGIBLE} kodomoroom afterschool", C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} shugaku_enjo"),
    household(
        "born 2018-06-15, on 2026-12-20: 日本脳炎2期 from 2027-06-14 (soon); MR 第2期 catch-up", "2026-12-20", ["2018-06-15"],
        E=f"{CHILD_ELIGIBLE} kodomoroom afterschool mr_catchup", S="teiki_yobosesshu",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} shugaku_enjo"),
    household(
        "born 2012-09-01 (中学2年, 14): only HPV is open, for girls", "2026-11-26", ["2012-09-01"],
        E=CHILD_ELIGIBLE, C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} teiki_yobosesshu shugaku_enjo"),
    # --- month ends ------------------------------------------------------------------------------------------------
    household(
        "born 2025-08-31, on 2026-02-27: 6 months are reached on 2026-02-28 (no 31 February)", "2026-02-27", ["2025-08-31"],
        # おたふく from reach(12) = 2026-08-30, after the horizon (2026-08-27).
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} nyuji_kenshin teiki_yobosesshu hahatoko_tsudoi",
        S="daretsu", C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka sango_care"),
    household(
        "born 2025-08-31, on 2026-02-28: daretsu starts", "2026-02-28", ["2025-08-31"],
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} daretsu nyuji_kenshin teiki_yobosesshu hahatoko_tsudoi",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka sango_care"),
    household(
        "born 2026-10-29, on 2026-11-26: day 28, the 1か月児健診 window opens (low confidence: 要確認)", "2026-11-26",
        ["2026-10-29"],
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} akachan_homon hahatoko_tsudoi",
        S="daretsu nyuji_kenshin teiki_yobosesshu",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka kenshin_1m sango_care ninpu_kyufu"),
    household(
        "born 2026-10-15, on 2026-11-27: day 43, the 1か月児健診 window (days 28..42) has closed", "2026-11-27",
        ["2026-10-15"],
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} akachan_homon hahatoko_tsudoi",
        S="daretsu nyuji_kenshin teiki_yobosesshu",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka sango_care ninpu_kyufu"),
    # --- unknown birth day: deciding or not ---------------------------------------------------------------------------
    household(
        "born May 2026, day unknown, on 2026-11-15: 6 months reached for days 1..16 only", "2026-11-15", ["2026-05"],
        # daretsu: eligible or soon by the day → 要確認. おたふく from reach(12) = 2027-04-30 .. 2027-05-29: soon for days
        # 1..16 and just past the horizon (2027-05-15) for the rest, which is still soon.
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} nyuji_kenshin teiki_yobosesshu hahatoko_tsudoi",
        S="otafuku_josei",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} daretsu mushoka sango_care"),
    household(
        "born March 2025, day unknown, on 2026-11-26: every day gives the same answers", "2026-11-26", ["2025-03"],
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} daretsu kenshin_1y6m teiki_yobosesshu otafuku_josei",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka"),
    # --- the soon horizon for school: 1 April is within 6 months from 1 October ----------------------------------------
    household(
        "年長 (born 2021-01-15), on 2026-10-01: こどもルーム, アフタースクール and 就学援助 are soon", "2026-10-01",
        ["2021-01-15"],
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} mushoka teiki_yobosesshu otafuku_josei",
        S="kodomoroom afterschool shugaku_enjo", C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS}"),
    household(
        "年長 (born 2021-01-15), on 2026-09-30: 1 April is beyond the horizon", "2026-09-30", ["2021-01-15"],
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} mushoka teiki_yobosesshu otafuku_josei",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS}"),
    household(
        "駒木台 (流山市): 年長 on 2026-10-01", "2026-10-01", ["2021-01-15"], city="nagareyama", town="駒木台",
        # こどもルーム takes children of schools in 柏市 too: soon, with that condition to check.
        O="jidoteate jido_fuyo_teate mushoka teiki_yobosesshu", S="kodomoroom",
        C="haguhagu_pocket byoji_hoiku haguhagu_hiroba shien_center_kashiwanoha"),
    # --- several children, counted siblings ----------------------------------------------------------------------------
    household(
        "柏の葉六丁目: 9 months, 3 years 4 months (2歳児クラス), 小学1年, and a counted 20-year-old", "2026-11-26",
        ["2026-02-03", "2023-07-07", "2019-10-10"], town="柏の葉六丁目", counted=("2006-05-05",),
        # The 2歳児クラス child's 3歳児健診 runs 2026-07-07 .. 2027-07-06; his MR cohort (Kashiwa-only) has ended.
        # No child in the 3〜5歳児クラス: 無償化 is an income question only.
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} daretsu kodomoroom afterschool nyuji_kenshin kenshin_3y "
          "teiki_yobosesshu otafuku_josei hahatoko_tsudoi",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka sango_care shugaku_enjo"),
    household(
        "駒木台 (流山市): the same four", "2026-11-26", ["2026-02-03", "2023-07-07", "2019-10-10"],
        city="nagareyama", town="駒木台", counted=("2006-05-05",),
        O="jidoteate jido_fuyo_teate mushoka teiki_yobosesshu sango_care",
        C="haguhagu_pocket byoji_hoiku kodomoroom haguhagu_hiroba shien_center_kashiwanoha"),
    household(
        "twins born June 2026 (day unknown) and a sibling born 2024-01-31", "2026-11-26", ["2026-06", "2026-06", "2024-01-31"],
        # Twins: 4 or 5 months by the day, in the first infant check-up window either way; daretsu is eligible through
        # the sibling (33 months). The sibling's 3歳児健診 from 2027-01-31: soon.
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} daretsu nyuji_kenshin teiki_yobosesshu otafuku_josei hahatoko_tsudoi",
        S="kenshin_3y", C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka sango_care"),
    household(
        "expecting in January 2027 and a 2-year-old (2024-09-09)", "2026-11-26", ["2027-01-10", "2024-09-09"],
        # The expected child brings 妊婦支援給付 and つどい; 産後ケア starts only after the birth.
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} daretsu teiki_yobosesshu otafuku_josei hahatoko_tsudoi ninpu_kyufu",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka"),
    household(
        "中学3年 (2011-06-06) with two counted siblings (20 and 22 in this fiscal year)", "2026-11-26", ["2011-06-06"],
        counted=("2004-05-05", "2006-01-01"),
        # Past 13: only HPV (girls) is open. 就学援助 to 中3.
        E=CHILD_ELIGIBLE, C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} teiki_yobosesshu shugaku_enjo"),
    household(
        "only a counted sibling: no child to evaluate", "2026-11-26", [], counted=("2005-12-12",)),
    household(
        "no address (city unknown): a 17-month-old", "2026-11-26", ["2025-06-01"], city=None, town=None,
        # Residence matters everywhere except はぐはぐひろば (no residence condition stated): 要確認 (address_needed);
        # the 1歳6か月児健診 from 2026-12-01 stays soon.
        E="haguhagu_hiroba", S="kenshin_1y6m",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} {CHILD_ELIGIBLE} byoji_hoiku hoikuen_nyuen daretsu "
          "mushoka teiki_yobosesshu otafuku_josei"),
    household(
        "MR catch-up over: born 2022-06-10, on 2027-04-01 (valid_until 2027-03-31)", "2027-04-01", ["2022-06-10"],
        # 4歳児クラス now; 3歳児健診 ended on reach(48) = 2026-06-09.
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} mushoka teiki_yobosesshu otafuku_josei",
        C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS}"),
    household(
        "born 2025-01-31, on 2025-04-30: 3 months reached, the first infant check-up", "2025-04-30", ["2025-01-31"],
        # reach(3) = 2025-04-30 (there is no 31 April: the month's last day); 赤ちゃん訪問 to reach(4) − 1 = 2025-05-29;
        # 妊婦支援給付's newborn window ended with reach(2) − 1 = 2025-03-29.
        E=f"{CHILD_ELIGIBLE} {PRESCHOOL_ELIGIBLE} nyuji_kenshin teiki_yobosesshu akachan_homon hahatoko_tsudoi",
        S="daretsu", C=f"{ANY_CHILD_CHECKS} {UNDER_18_CHECKS} {PRESCHOOL_CHECKS} mushoka sango_care"),
]


def test_there_are_at_least_forty_households_and_every_named_service_exists():
    ids = {service.id.removeprefix("svc_") for service in catalogue_services()}
    assert len(ids) == 30
    assert len(HOUSEHOLDS) >= 40
    assert len({h.name for h in HOUSEHOLDS}) == len(HOUSEHOLDS)
    for row in HOUSEHOLDS:
        assert set(row.expected) <= ids, (row.name, set(row.expected) - ids)


@pytest.mark.parametrize("row", HOUSEHOLDS, ids=[h.name for h in HOUSEHOLDS])
def test_every_service_has_the_expected_status(services, row: Household):
    children = tuple(ChildInput(birth(text)) for text in row.children) + \
        tuple(ChildInput(birth(text), counted_sibling=True) for text in row.counted)
    results = evaluate(services, HouseholdInput(children, row.city, row.town), row.on)  # type: ignore[arg-type]
    actual = {r.service_id.removeprefix("svc_"): str(r.status) for r in results}
    expected = {short: row.expected.get(short, "not_eligible") for short in actual}
    differences = {short: f"expected {expected[short]}, got {actual[short]}" for short in actual
                   if actual[short] != expected[short]}
    assert not differences, differences
