"""A child's ages: legal age (年齢計算ニ関スル法律, 民法143条), 年齢クラス/学年, bands and birth-date validation.

Every expected value was worked out by hand from the rules in app/household/ages.py's docstrings.
"""

from __future__ import annotations

from datetime import date

import pytest

from app.household.ages import (
    AGE_BAND_LABEL_EN,
    AGE_BAND_LABEL_JA,
    MAX_AGE,
    MAX_CHILDREN,
    AgeBand,
    BirthDate,
    InvalidBirthDate,
    age_band,
    age_in_months,
    class_index,
    describe_child,
    fiscal_year,
    legal_age,
    possible_birth_dates,
    reaches_age_on,
    validate_birth,
)

pytestmark = pytest.mark.smoke

D = date


@pytest.mark.parametrize(("birth", "years", "months", "reached_on"), [
    (D(2025, 3, 15), 0, 1, D(2025, 4, 14)),
    (D(2025, 3, 1), 0, 1, D(2025, 3, 31)),
    (D(2025, 1, 31), 0, 1, D(2025, 2, 28)),   # no 31 Feb: the period ends on the last day of February
    (D(2025, 1, 29), 0, 1, D(2025, 2, 28)),   # no 29 Feb in 2025 either
    (D(2025, 1, 28), 0, 1, D(2025, 2, 27)),
    (D(2024, 1, 31), 0, 1, D(2024, 2, 29)),   # leap year: the last day of February is the 29th
    (D(2025, 3, 31), 0, 1, D(2025, 4, 30)),   # no 31 Apr
    (D(2025, 3, 30), 0, 1, D(2025, 4, 29)),
    (D(2025, 3, 31), 0, 2, D(2025, 5, 30)),   # 31 May exists: the day before
    (D(2025, 12, 15), 0, 1, D(2026, 1, 14)),  # across the year end
    (D(2025, 5, 10), 0, 0, D(2025, 5, 10)),   # age 0 from the day of birth
    (D(2024, 2, 29), 1, 0, D(2025, 2, 28)),   # common year: no 29 Feb, ends on the 28th
    (D(2024, 2, 29), 4, 0, D(2028, 2, 28)),   # leap year: 29 Feb exists, ends the day before
    (D(2024, 3, 1), 1, 0, D(2025, 2, 28)),
    (D(2023, 3, 1), 1, 0, D(2024, 2, 29)),
    (D(2019, 4, 1), 6, 0, D(2025, 3, 31)),
    (D(2020, 5, 10), 5, 0, D(2025, 5, 9)),
])
def test_the_day_an_age_is_reached(birth, years, months, reached_on):
    assert reaches_age_on(birth, years=years, months=months) == reached_on


@pytest.mark.parametrize(("birth", "on", "age"), [
    (D(2020, 5, 10), D(2025, 5, 8), 4),
    (D(2020, 5, 10), D(2025, 5, 9), 5),      # the day before the birthday
    (D(2020, 5, 10), D(2025, 5, 10), 5),
    (D(2020, 12, 31), D(2021, 12, 29), 0),
    (D(2020, 12, 31), D(2021, 12, 30), 1),
    (D(2020, 1, 31), D(2021, 1, 30), 1),
    (D(2024, 2, 29), D(2025, 2, 27), 0),
    (D(2024, 2, 29), D(2025, 2, 28), 1),
    (D(2024, 2, 29), D(2028, 2, 27), 3),
    (D(2024, 2, 29), D(2028, 2, 28), 4),
    (D(2024, 2, 29), D(2028, 2, 29), 4),
    (D(2024, 3, 1), D(2025, 2, 27), 0),
    (D(2024, 3, 1), D(2025, 2, 28), 1),
    (D(2023, 3, 1), D(2024, 2, 28), 0),
    (D(2023, 3, 1), D(2024, 2, 29), 1),
    (D(2019, 4, 1), D(2025, 3, 30), 5),
    (D(2019, 4, 1), D(2025, 3, 31), 6),
    (D(2025, 6, 1), D(2025, 6, 1), 0),
])
def test_legal_age(birth, on, age):
    assert legal_age(birth, on) == age


@pytest.mark.parametrize(("birth", "on", "months"), [
    (D(2025, 3, 15), D(2025, 3, 15), 0),
    (D(2025, 3, 15), D(2025, 4, 13), 0),
    (D(2025, 3, 15), D(2025, 4, 14), 1),
    (D(2025, 1, 31), D(2025, 2, 27), 0),
    (D(2025, 1, 31), D(2025, 2, 28), 1),
    (D(2025, 1, 31), D(2025, 3, 29), 1),
    (D(2025, 1, 31), D(2025, 3, 30), 2),
    (D(2025, 3, 31), D(2025, 4, 29), 0),
    (D(2025, 3, 31), D(2025, 4, 30), 1),
    (D(2025, 3, 1), D(2025, 3, 30), 0),
    (D(2025, 3, 1), D(2025, 3, 31), 1),      # one more than the calendar-month difference
    (D(2024, 2, 29), D(2025, 2, 28), 12),
    (D(2023, 11, 20), D(2025, 11, 19), 24),
])
def test_age_in_months(birth, on, months):
    assert age_in_months(birth, on) == months


def test_age_in_months_refuses_a_reference_date_before_the_birth():
    with pytest.raises(ValueError):
        age_in_months(D(2025, 3, 15), D(2025, 3, 14))


@pytest.mark.parametrize(("on", "year"), [
    (D(2025, 3, 31), 2024), (D(2025, 4, 1), 2025), (D(2025, 12, 31), 2025), (D(2026, 1, 1), 2025),
])
def test_fiscal_year_starts_on_1_april(on, year):
    assert fiscal_year(on) == year


@pytest.mark.parametrize(("birth", "on", "index", "label_ja", "label_en", "grade"), [
    # The 1 April / 2 April cut-off (学校教育法17条).
    (D(2019, 4, 1), D(2025, 4, 1), 6, "小学1年", "Grade 1 (elementary)", "elementary_1"),
    (D(2019, 4, 2), D(2025, 4, 1), 5, "5歳児クラス", "5-year-old class", "preschool_senior"),
    # Reference date 31 March vs 1 April.
    (D(2019, 4, 1), D(2025, 3, 31), 5, "5歳児クラス", "5-year-old class", "preschool_senior"),
    (D(2019, 4, 2), D(2026, 3, 31), 5, "5歳児クラス", "5-year-old class", "preschool_senior"),
    (D(2019, 4, 2), D(2026, 4, 1), 6, "小学1年", "Grade 1 (elementary)", "elementary_1"),
    # Born during the fiscal year of the reference date: 0歳児クラス, and again the next year.
    (D(2025, 6, 1), D(2025, 6, 1), 0, "0歳児クラス", "0-year-old class", "preschool"),
    (D(2025, 6, 1), D(2026, 3, 31), 0, "0歳児クラス", "0-year-old class", "preschool"),
    (D(2025, 6, 1), D(2026, 4, 1), 0, "0歳児クラス", "0-year-old class", "preschool"),
    (D(2025, 6, 1), D(2027, 4, 1), 1, "1歳児クラス", "1-year-old class", "preschool"),
    (D(2025, 4, 1), D(2025, 4, 1), 0, "0歳児クラス", "0-year-old class", "preschool"),
    (D(2025, 4, 1), D(2026, 4, 1), 1, "1歳児クラス", "1-year-old class", "preschool"),
    (D(2025, 4, 2), D(2026, 4, 1), 0, "0歳児クラス", "0-year-old class", "preschool"),
    (D(2022, 10, 10), D(2026, 1, 10), 2, "2歳児クラス", "2-year-old class", "preschool"),
    (D(2013, 4, 2), D(2025, 9, 1), 11, "小学6年", "Grade 6 (elementary)", "elementary_6"),
    (D(2013, 4, 1), D(2025, 9, 1), 12, "中学1年", "Grade 7 (junior high)", "junior_high_1"),
    (D(2010, 4, 2), D(2025, 9, 1), 14, "中学3年", "Grade 9 (junior high)", "junior_high_3"),
    (D(2010, 1, 5), D(2025, 9, 1), 15, "高校1年相当", "Grade 10 equivalent", "high_1"),
    (D(2007, 4, 2), D(2025, 9, 1), 17, "高校3年相当", "Grade 12 equivalent", "high_3"),
    (D(2007, 4, 1), D(2025, 9, 1), 18, None, None, None),
])
def test_class_and_grade(birth, on, index, label_ja, label_en, grade):
    assert class_index(birth, on) == index
    facts = describe_child(BirthDate(birth.year, birth.month, birth.day), on)
    assert (facts.class_index, facts.class_label_ja, facts.class_label_en, facts.school_grade) == (
        index, label_ja, label_en, grade)
    assert facts.day_needed_for == ()


@pytest.mark.parametrize(("index", "band"), [
    (0, AgeBand.AGES_0_2), (2, AgeBand.AGES_0_2), (3, AgeBand.AGES_3_5), (5, AgeBand.AGES_3_5),
    (6, AgeBand.ELEMENTARY), (11, AgeBand.ELEMENTARY), (12, AgeBand.JUNIOR_HIGH), (14, AgeBand.JUNIOR_HIGH),
    (15, AgeBand.HIGH_SCHOOL), (17, AgeBand.HIGH_SCHOOL), (18, AgeBand.YOUNG_ADULT), (21, AgeBand.YOUNG_ADULT),
    (22, None),
])
def test_bands(index, band):
    assert age_band(index) == band


def test_every_band_has_both_labels():
    assert set(AGE_BAND_LABEL_JA) == set(AGE_BAND_LABEL_EN) == set(AgeBand)
    assert AGE_BAND_LABEL_JA[AgeBand.HIGH_SCHOOL] == "高校生相当"
    assert AgeBand.AGES_0_2 == "0-2" and AgeBand.YOUNG_ADULT == "young_adult"


@pytest.mark.parametrize(("birth", "on", "index", "band", "is_child", "counted"), [
    # 児童手当 (2024 revision): counted up to the first 31 March after reaching 22. FY2025's 大学生年代 are born
    # 2003-04-02 .. 2007-04-01 (class indices 21..18).
    (D(2007, 4, 2), D(2025, 9, 1), 17, AgeBand.HIGH_SCHOOL, True, False),
    (D(2007, 4, 1), D(2025, 9, 1), 18, AgeBand.YOUNG_ADULT, False, True),
    (D(2003, 4, 2), D(2025, 9, 1), 21, AgeBand.YOUNG_ADULT, False, True),
    (D(2003, 4, 2), D(2026, 3, 31), 21, AgeBand.YOUNG_ADULT, False, True),  # reached 22 on 2025-04-01; counted to 03-31
    (D(2003, 4, 2), D(2026, 4, 1), 22, None, False, False),
    (D(2003, 4, 1), D(2025, 9, 1), 22, None, False, False),
    (D(2025, 6, 1), D(2025, 6, 1), 0, AgeBand.AGES_0_2, True, False),
])
def test_child_and_counted_sibling(birth, on, index, band, is_child, counted):
    facts = describe_child(BirthDate(birth.year, birth.month, birth.day), on)
    assert (facts.class_index, facts.band, facts.is_child, facts.is_counted_sibling_age) == (index, band, is_child, counted)


def test_possible_birth_dates_stop_at_the_reference_date():
    assert possible_birth_dates(BirthDate(2026, 11), D(2026, 11, 3)) == (D(2026, 11, 1), D(2026, 11, 2), D(2026, 11, 3))
    assert len(possible_birth_dates(BirthDate(2024, 2), D(2026, 11, 26))) == 29
    assert possible_birth_dates(BirthDate(2024, 2, 10), D(2026, 11, 26)) == (D(2024, 2, 10),)


@pytest.mark.parametrize(("birth", "on", "legal", "months", "index", "band", "needed"), [
    # April without a day: 1 April is the older cohort. In FY2026 the class is 1 (1 April) or 0 (2..30 April).
    (BirthDate(2025, 4), D(2026, 11, 26), 1, None, None, AgeBand.AGES_0_2, ("age_months", "class")),
    # ... but in FY2025 both cohorts are in the 0歳児クラス.
    (BirthDate(2025, 4), D(2025, 6, 15), 0, None, 0, AgeBand.AGES_0_2, ("age_months",)),
    # May 2021: one cohort; 5 on 15 May 2026 only if born by 16 May.
    (BirthDate(2021, 5), D(2026, 5, 15), None, None, 4, AgeBand.AGES_3_5, ("legal_age", "age_months")),
    # By 1 June every May 2021 birth is 5; months are 61 (born 1 May) or 60 (born 31 May).
    (BirthDate(2021, 5), D(2026, 6, 1), 5, None, 4, AgeBand.AGES_3_5, ("age_months",)),
    # This month, by the 26th: nobody born 1..26 Nov has reached 1 month (born 1 Nov reaches it on 30 Nov).
    (BirthDate(2026, 11), D(2026, 11, 26), 0, 0, 0, AgeBand.AGES_0_2, ()),
    (BirthDate(2026, 11), D(2026, 11, 30), 0, None, 0, AgeBand.AGES_0_2, ("age_months",)),
    # April 2007 in FY2025: 高校3年相当 (2..30 April) or 18 (1 April); all are 18 by then.
    (BirthDate(2007, 4), D(2025, 9, 1), 18, None, None, None, ("age_months", "class", "band")),
    (BirthDate(2020, 7, 7), D(2025, 9, 1), 5, 61, 4, AgeBand.AGES_3_5, ()),
])
def test_year_and_month_only(birth, on, legal, months, index, band, needed):
    facts = describe_child(birth, on)
    assert (facts.legal_age, facts.age_months, facts.class_index, facts.band, facts.day_needed_for) == (
        legal, months, index, band, needed)


def test_an_unknown_class_leaves_the_labels_empty_and_the_child_flags_unknown_when_they_differ():
    facts = describe_child(BirthDate(2007, 4), D(2025, 9, 1))
    assert (facts.class_label_ja, facts.class_label_en, facts.school_grade) == (None, None, None)
    assert (facts.is_child, facts.is_counted_sibling_age) == (None, None)
    known = describe_child(BirthDate(2025, 4), D(2026, 11, 26))
    assert (known.is_child, known.is_counted_sibling_age) == (True, False)


TODAY = D(2026, 11, 26)


@pytest.mark.parametrize(("birth", "code"), [
    (BirthDate(2020, 13, 1), "bad_month"),
    (BirthDate(2020, 0), "bad_month"),
    (BirthDate(2026, 13), "bad_month"),
    (BirthDate(2023, 2, 29), "bad_day"),
    (BirthDate(2024, 2, 30), "bad_day"),
    (BirthDate(2024, 4, 31), "bad_day"),
    (BirthDate(2024, 1, 0), "bad_day"),
    (BirthDate(2026, 11, 27), "future"),
    (BirthDate(2026, 12), "future"),
    (BirthDate(2027, 1, 1), "future"),
    # FY2026: 大学生年代 are born 2004-04-02 .. 2008-04-01.
    (BirthDate(2004, 4, 1), "too_old"),
    (BirthDate(2004, 3), "too_old"),
    (BirthDate(1990, 6, 1), "too_old"),
    (BirthDate(0, 1), "too_old"),
])
def test_validation_refuses(birth, code):
    with pytest.raises(InvalidBirthDate) as caught:
        validate_birth(birth, TODAY)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("birth", [
    BirthDate(2024, 2, 29),
    BirthDate(2026, 11, 26),
    BirthDate(2026, 11),
    BirthDate(2004, 4, 2),
    BirthDate(2004, 4),  # 1 April would be too old, 2..30 April are counted: ask for the day later
])
def test_validation_accepts(birth):
    validate_birth(birth, TODAY)


def test_too_old_names_the_limit():
    with pytest.raises(InvalidBirthDate) as caught:
        validate_birth(BirthDate(2004, 4, 1), TODAY)
    assert caught.value.message_args == {"max_age": 22}


def test_describe_child_refuses_impossible_and_future_dates():
    with pytest.raises(InvalidBirthDate) as caught:
        describe_child(BirthDate(2026, 12), TODAY)
    assert caught.value.code == "future"
    with pytest.raises(InvalidBirthDate):
        describe_child(BirthDate(2025, 2, 29), TODAY)


def test_limits():
    assert (MAX_CHILDREN, MAX_AGE) == (12, 22)
