"""The summary as a pure function of rows: the window, counts per category, attended events, JSON-ready."""

from __future__ import annotations

import json
from datetime import date

from app.participation.services import SummaryRow, is_empty, summarize, window_start

ON = date(2026, 11, 26)


def test_counts_each_category_once_per_record_and_lists_attended_events_sorted() -> None:
    rows = [
        SummaryRow("event", "ev_b", ["outdoor", "free", "outdoor"], date(2026, 11, 1)),  # a tag listed twice
        SummaryRow("event", "ev_a", ["outdoor"], date(2026, 5, 1)),
        SummaryRow("event", "ev_a", ["outdoor"], date(2026, 6, 1)),  # the same event again: counted, listed once
        SummaryRow("coupon", "cp_x", ["cafe"], date(2026, 10, 1)),  # a coupon is not an attended event
        SummaryRow("coupon", "cp_y", [], date(2026, 10, 2)),  # nothing to count
    ]
    summary = summarize(rows, ON)
    assert summary == {"counts": {"cafe": 1, "free": 1, "outdoor": 3}, "attended_event_ids": ["ev_a", "ev_b"]}
    assert json.loads(json.dumps(summary)) == summary


def test_the_window_includes_its_first_day_and_the_day_itself_only() -> None:
    start = window_start(ON)
    rows = [SummaryRow("event", f"ev_{day}", ["x"], day)
            for day in (date(2025, 11, 26), start, ON, date(2026, 11, 27))]
    assert summarize(rows, ON)["attended_event_ids"] == [f"ev_{start}", f"ev_{ON}"]
    assert summarize(rows, ON, months=1)["attended_event_ids"] == [f"ev_{ON}"]


def test_empty() -> None:
    assert is_empty(summarize([], ON)) and summarize([], ON) == {"counts": {}, "attended_event_ids": []}
    assert not is_empty(summarize([SummaryRow("coupon", "cp", ["cafe"], ON)], ON))
