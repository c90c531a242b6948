"""app/throttle.py RefusalMemo: a key refused with Retry-After is refused again until then, and only until then."""

from __future__ import annotations

import pytest

from app import throttle


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(throttle.time, "monotonic", lambda: now[0])
    return now


def test_refused_until_its_retry_after_then_forgotten(clock: list[float]) -> None:
    memo = throttle.RefusalMemo()
    assert memo.retry_after("a") is None
    memo.refuse("a", 30)
    assert memo.retry_after("a") == 31 and memo.retry_after("b") is None
    clock[0] += 29.5
    assert memo.retry_after("a") == 1
    clock[0] += 0.5
    assert memo.retry_after("a") is None


def test_it_stays_bounded_and_keeps_what_is_still_refused(clock: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(throttle.RefusalMemo, "MAX_KEYS", 3)
    memo = throttle.RefusalMemo()
    memo.refuse("old", 1)
    memo.refuse("long", 60)
    memo.refuse("other", 60)
    clock[0] += 2
    memo.refuse("new", 60)  # full: the expired key goes, the live ones stay
    assert [memo.retry_after(k) is not None for k in ("old", "long", "other", "new")] == [False, True, True, True]
