"""The saga's map of moves: what can follow what, and what can never happen (a deletion before a matched receipt,
anything after the end)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from app.config import Settings
from app.switching import saga
from app.switching.models import JobState, TransferJob

S = JobState


def test_every_state_has_its_moves_and_the_ends_have_none() -> None:
    states = {value for name, value in vars(S).items() if name.isupper() and isinstance(value, str)}
    assert set(saga.TRANSITIONS) == states
    assert all(target in states for targets in saga.TRANSITIONS.values() for target in targets)
    assert saga.TRANSITIONS[S.COMPLETE] == saga.TRANSITIONS[S.FAILED] == saga.TRANSITIONS[S.CANCELED] == ()


def test_the_source_side_is_reached_only_through_a_matched_receipt() -> None:
    leading_to = {state for state, targets in saga.TRANSITIONS.items() if S.SOURCE_CONTRACT_ENDED in targets}
    assert leading_to == {S.VERIFIED}
    assert {state for state, targets in saga.TRANSITIONS.items() if S.VERIFIED in targets} == {S.VERIFYING}
    # and a verified transfer can no longer fail or be canceled: what arrived, arrived
    for state in S.DONE:
        assert S.FAILED not in saga.TRANSITIONS[state] and S.CANCELED not in saga.TRANSITIONS[state]


def test_every_open_state_can_fail_or_be_canceled() -> None:
    for state in S.OPEN:
        assert {S.FAILED, S.CANCELED} <= set(saga.TRANSITIONS[state]), state


def test_a_crash_point_does_nothing_unless_asked(tmp_path: Path) -> None:
    settings = Settings(azukari_env="test", instance_path=tmp_path, database_url="sqlite://")
    job = TransferJob(resident_id=uuid.uuid4(), source="google", destination="blog-a", pattern=2,
                      format="blog-a/1")
    saga.crash_point(settings, job, S.VERIFYING)  # not set: no kill, no marker
    assert not (tmp_path / "faults").exists()


def test_fault_injection_is_refused_in_production() -> None:
    from app.config import InsecureSettings

    with pytest.raises(InsecureSettings, match="FAULT_KILL_AT"):
        Settings(azukari_env="production", secret_key="x" * 40, mail_backend="smtp", fault_kill_at="verified",
                 database_url="sqlite://", signing_key_pem="unused")
