"""The items the bank derives for statistics, as pure functions of the rows they are derived from: months, not
days; nothing after the day asked for; the 4 weeks around a first recommendation; two survey answers only."""

from __future__ import annotations

from datetime import date

from app import months
from app.consent import derived_items as derived
from app.participation.services import SummaryRow
from app.recommend.impressions import Impression

ON = date(2026, 10, 31)


def test_the_window_is_the_twelve_months_ending_with_the_day() -> None:
    assert months.months_back(date(2026, 2, 10), 3) == ["2025-12", "2026-01", "2026-02"]
    assert months.months_between("2026-11", "2027-02") == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert months.shift("2026-01", -1) == "2025-12" and months.last_day("2028-02") == date(2028, 2, 29)
    assert len(derived.window(ON)) == 12 and min(derived.window(ON)) == "2025-11"


def test_services_used_gives_months_in_the_window_only() -> None:
    rows = [("svc_a", date(2026, 10, 7), None), ("svc_a", date(2026, 10, 20), date(2024, 6, 10)),
            ("svc_a", date(2025, 10, 31), None),  # 13 months back: out
            ("svc_b", date(2026, 11, 1), None)]  # after the day: out
    assert derived.services_used(rows, ON) == {"svc_a": ["2026-10"]}
    assert derived.services_used(None, ON) == {}


def test_services_shown_counts_services_only() -> None:
    rows = [Impression("service", "svc_a", ["childcare_temporary"], "2026-10", date(2026, 10, 3)),
            Impression("service", "svc_a", ["childcare_temporary"], "2026-09", date(2026, 9, 30)),
            Impression("event", "ev_1", ["baby"], "2026-10", date(2026, 10, 3))]
    assert derived.services_shown(rows, ON) == {"svc_a": ["2026-09", "2026-10"]}
    assert derived.services_shown(rows, date(2026, 10, 2)) == {"svc_a": ["2026-09"]}


def _joined(day: date, *tags: str) -> SummaryRow:
    return SummaryRow("event", "ev", list(tags), day)


def test_recommendation_response_counts_the_four_weeks_around_the_first_recommendation() -> None:
    first = date(2026, 9, 10)
    shown = [Impression("event", "ev_1", ["baby", "reading"], "2026-09", first),
             Impression("coupon", "cp_1", ["baby"], "2026-10", date(2026, 10, 2)),  # not the first for baby
             Impression("event", "ev_2", ["music"], "2026-10", date(2026, 10, 20))]  # under 4 weeks before ON: out
    joined = [_joined(date(2026, 8, 14), "baby"),  # 27 days before: in
              _joined(date(2026, 8, 12), "baby"),  # 29 days before: out
              _joined(first, "baby"), _joined(date(2026, 10, 7), "baby"),  # day 0 and day 27: after
              _joined(date(2026, 10, 8), "baby"),  # day 28: out
              _joined(date(2026, 9, 12), "reading", "baby")]
    found = derived.recommendation_response(derived.ShownAndJoined(shown, joined), ON)
    assert found == [{"category": "baby", "month": "2026-09", "before": 1, "after": 3},
                     {"category": "reading", "month": "2026-09", "before": 0, "after": 1}]
    assert derived.recommendation_response(None, ON) == []


def test_childcare_satisfaction_takes_two_questions_and_valid_answers_only() -> None:
    answers = {"pre_pilot": {"info_finding": 2, "bank_trust": 5, "free_text": "…"},
               "post_pilot": {"info_finding": 4, "service_satisfaction": 9, "bank_trust": 1}}
    assert derived.childcare_satisfaction(answers, ON) == {"info_finding": [2, 4]}  # 9 is not on the scale
    only_post = {"post_pilot": {"service_satisfaction": 5, "info_finding": True}}
    assert derived.childcare_satisfaction(only_post, ON) == {"service_satisfaction": [None, 5]}
    assert derived.childcare_satisfaction(None, ON) == {}
