"""The spans of days behind each way the catalogue writes an age limit (worked out by hand)."""

from __future__ import annotations

from datetime import date

import pytest

from app.recommend.spans import (
    Span,
    UnreadableRule,
    add_months,
    class_span,
    days_span,
    grade_span,
    months_span,
    over_until_reaching_span,
    until_end_of_fiscal_year_of_age_span,
    vaccination_months_span,
    weeks_span,
)

pytestmark = pytest.mark.smoke

D = date


@pytest.mark.parametrize(("birth", "last"), [
    (D(2008, 4, 1), D(2026, 3, 31)),   # reaches 18 on 2026-03-31: that very 31 March
    (D(2008, 4, 2), D(2027, 3, 31)),   # reaches 18 on 2026-04-01
    (D(2008, 2, 29), D(2026, 3, 31)),  # reaches 18 on 2026-02-28
])
def test_until_the_31_march_after_age_18(birth, last):
    assert until_end_of_fiscal_year_of_age_span(birth, 18) == Span(birth, last)


@pytest.mark.parametrize(("birth", "last"), [
    (D(2024, 5, 10), D(2027, 5, 8)),    # 3歳の誕生日の前々日
    (D(2024, 2, 29), D(2027, 2, 27)),   # reaches 3 on 2027-02-28 (no 29 February)
    (D(2024, 3, 31), D(2027, 3, 29)),
    (D(2024, 3, 1), D(2027, 2, 27)),    # reaches 3 on the day before 1 March: 28 February, as the 29 Feb child
])
def test_fewer_than_36_months_ends_two_days_before_the_3rd_birthday(birth, last):
    assert months_span(birth, 6, 36).last == last


def test_a_vaccination_window_includes_the_day_the_upper_age_is_reached():
    # MR 1期 "生後12月から生後24月に至るまで", born 2024-12-10: from 2025-12-09 through 2026-12-09.
    assert vaccination_months_span(D(2024, 12, 10), 12, 24) == Span(D(2025, 12, 9), D(2026, 12, 9))
    # The 厚木市 example: born 2018-04-01, "生後2月から生後60月に至るまで" = 2018-05-31 .. 2023-03-31.
    assert vaccination_months_span(D(2018, 4, 1), 2, 60) == Span(D(2018, 5, 31), D(2023, 3, 31))


def test_over_one_age_and_not_yet_the_next():
    # 母子保健法12条 "満1歳6か月を超え満2歳に達しない", born 2025-05-10.
    assert over_until_reaching_span(D(2025, 5, 10), 18, 24) == Span(D(2026, 11, 10), D(2027, 5, 9))
    # Born 2024-08-31: 18 months are reached on 2026-02-28 (no 31 February), so "over" from 1 March.
    assert over_until_reaching_span(D(2024, 8, 31), 18, 24).first == D(2026, 3, 1)


def test_days_and_weeks_after_birth_include_both_ends():
    assert days_span(D(2026, 10, 29), 28, 42) == Span(D(2026, 11, 26), D(2026, 12, 10))
    assert weeks_span(D(2026, 1, 1), 6, 24) == Span(D(2026, 2, 12), D(2026, 6, 18))


def test_classes_and_grades_follow_the_april_2_cohort():
    # Born 2020-04-02: 年長 (class 5) in FY2026; born 2020-04-01: 小学1年 in FY2026.
    assert grade_span(D(2020, 4, 2), "elementary_1", "elementary_6") == Span(D(2027, 4, 1), D(2033, 3, 31))
    assert grade_span(D(2020, 4, 1), "elementary_1", "elementary_6") == Span(D(2026, 4, 1), D(2032, 3, 31))
    # "preschool" as an upper limit is 未就学, 年長 included.
    assert grade_span(D(2020, 4, 2), None, "preschool").last == D(2027, 3, 31)
    # Class 0 starts at birth, also for a child born after 1 April of the fiscal year (cohort 2026: 年長 in FY2032).
    assert class_span(D(2026, 11, 20), 0, 5) == Span(D(2026, 11, 20), D(2033, 3, 31))
    with pytest.raises(UnreadableRule):
        grade_span(D(2020, 4, 2), None, "kindergarten_9")


def test_spans_intersect():
    assert Span(D(2026, 1, 1), D(2026, 12, 31)).intersect(Span(D(2026, 6, 1))) == Span(D(2026, 6, 1), D(2026, 12, 31))
    assert Span(D(2026, 1, 1), D(2026, 1, 31)).intersect(Span(D(2026, 2, 1))) is None


@pytest.mark.parametrize(("day", "later"), [
    (D(2026, 11, 26), D(2027, 5, 26)),
    (D(2026, 8, 31), D(2027, 2, 28)),
    (D(2027, 8, 31), D(2028, 2, 29)),
    (D(2026, 10, 1), D(2027, 4, 1)),
])
def test_the_horizon_is_the_same_day_six_months_later_or_the_months_last_day(day, later):
    assert add_months(day, 6) == later
