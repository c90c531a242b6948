"""The request's state machine allows only its moves, and the deadline is 30 days from 受付, counted in Japan."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.city_records.deadline import days_left, deadline_for, is_overdue, japan_date
from app.city_records.states import (
    ANSWERABLE,
    CANCELABLE,
    FINAL,
    OPEN,
    TRANSITIONS,
    InvalidTransition,
    RequestState,
    can_move,
    check_move,
)

S = RequestState
ALLOWED = {
    (S.REQUESTED, S.ACCEPTED), (S.REQUESTED, S.DECIDED_DISCLOSE), (S.REQUESTED, S.DECIDED_NOT_DISCLOSE),
    (S.REQUESTED, S.CANCELED), (S.ACCEPTED, S.DECIDED_DISCLOSE), (S.ACCEPTED, S.DECIDED_NOT_DISCLOSE),
    (S.ACCEPTED, S.CANCELED), (S.DECIDED_DISCLOSE, S.DELIVERED), (S.DECIDED_DISCLOSE, S.CANCELED),
    (S.DELIVERED, S.IMPORTED), (S.DELIVERED, S.DISCARDED),
}


@pytest.mark.parametrize(("current", "target"), [(a, b) for a in S for b in S])
def test_only_the_listed_moves_are_allowed(current: RequestState, target: RequestState) -> None:
    allowed = (current, target) in ALLOWED
    assert can_move(current, target) is allowed
    if allowed:
        assert check_move(current.value, target.value) is target
    else:
        with pytest.raises(InvalidTransition):
            check_move(current.value, target.value)


def test_the_groups_of_states() -> None:
    assert {S.DECIDED_NOT_DISCLOSE, S.IMPORTED, S.DISCARDED, S.CANCELED} == FINAL
    assert {S.REQUESTED, S.ACCEPTED, S.DECIDED_DISCLOSE} == CANCELABLE  # before delivery only
    assert S.DELIVERED in OPEN and not (OPEN & FINAL)
    assert {S.REQUESTED, S.ACCEPTED} == ANSWERABLE
    assert set(TRANSITIONS) == set(S)
    assert not can_move("nonsense", "accepted") and not can_move("requested", "nonsense")


def test_the_deadline_is_thirty_days_after_the_day_of_receipt_in_japan() -> None:
    # 10:00 in Japan on 26 November: the first day is not counted (民法140条), so 26 December.
    assert deadline_for(datetime(2026, 11, 26, 1, 0, tzinfo=UTC)) == date(2026, 12, 26)
    # 23:30 UTC on 26 November is already 27 November in Japan.
    late_evening_utc = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    assert japan_date(late_evening_utc) == date(2026, 11, 27)
    assert deadline_for(late_evening_utc) == date(2026, 12, 27)
    # Across the year end and February.
    assert deadline_for(datetime(2027, 1, 31, 3, tzinfo=UTC)) == date(2027, 3, 2)
    with pytest.raises(ValueError):
        deadline_for(datetime(2026, 11, 26, 10))  # naive: refused


def test_overdue_only_after_the_whole_last_day_and_only_without_a_decision() -> None:
    deadline = date(2026, 12, 26)
    assert not is_overdue(deadline, decided=False, today=date(2026, 12, 26))
    assert is_overdue(deadline, decided=False, today=date(2026, 12, 27))
    assert not is_overdue(deadline, decided=True, today=date(2027, 1, 30))
    assert not is_overdue(None, decided=False, today=date(2027, 1, 30))
    assert days_left(deadline, date(2026, 12, 20)) == 6 and days_left(deadline, deadline + timedelta(days=2)) == -2
    assert days_left(None) is None
