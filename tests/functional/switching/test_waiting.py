"""A step that fails for now (the other service down, slow or busy) and will be tried again: the transfer stays where
it is, and its page tells the resident which service cannot be reached and that Azukari tries again by itself
(bench/faults.py's peer drill measures how soon). The next move clears the note; the last attempt still fails."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from sqlmodel import Session

from app.jobs.runner import PermanentFailure, RetryLater
from app.switching import jobs, remote, saga, transfers
from app.switching.models import JobState, TransferJob
from tests.functional.switching.test_views import collected_values, job_for, page


def _context(app: Any, db: Session, job: TransferJob, step: str, *, attempts: int = 1) -> SimpleNamespace:
    return SimpleNamespace(session=db, settings=app.config["AZUKARI"], payload={"transfer_id": str(job.id), "step": step},
                           job=SimpleNamespace(attempts=attempts, max_attempts=5), save=lambda **_: None)


def _failing(error: Exception):  # type: ignore[no-untyped-def]
    def fail(*_: Any, **__: Any) -> None:
        raise error

    return fail


@pytest.mark.parametrize(("step", "state", "patched", "note", "named"), [
    (jobs.COLLECT, JobState.EXPORTING, "collect", saga.WAITING_ON_SOURCE, "Google"),
    (jobs.DELIVER, JobState.DELIVERING, "deliver", saga.WAITING_ON_DESTINATION, "ブログサービスA"),
])
def test_an_unreachable_service_keeps_the_step_and_the_page_says_who(app, db: Session, hanako, hanako_browser,  # type: ignore[no-untyped-def]
                                                                      monkeypatch, step, state, patched, note, named):
    job = job_for(db, hanako, state, **collected_values())
    db.commit()  # (the worker's step rolls back what it did not commit)
    monkeypatch.setattr(transfers, patched, _failing(remote.ServiceUnavailable("timeout")))
    with pytest.raises(RetryLater):
        jobs.run(_context(app, db, job, step))
    db.refresh(job)
    assert (job.state, job.error) == (state, note)
    html = page(hanako_browser, f"/switching/jobs/{job.id}")
    assert f"{named} にいまつながりません" in html and "自動でもう一度試します" in html
    assert 'hx-trigger="every 3s"' in html  # it keeps checking, and the note goes when the step moves on
    assert "のりかえを中止" not in html


def test_a_busy_service_is_a_note_too_and_the_next_move_clears_it(app, db: Session, hanako, monkeypatch):  # type: ignore[no-untyped-def]
    job = job_for(db, hanako, JobState.DELIVERING, **collected_values())
    db.commit()
    monkeypatch.setattr(transfers, "deliver", _failing(remote.ServiceBusy(retry_after=30)))
    with pytest.raises(RetryLater):
        jobs.run(_context(app, db, job, jobs.DELIVER))
    db.refresh(job)
    assert job.error == saga.WAITING_ON_DESTINATION
    saga.move(db, job, JobState.DELIVERING)  # the step resumed by the next attempt
    assert job.error is None


def test_on_the_last_attempt_the_transfer_stops_with_its_reason(app, db: Session, hanako, monkeypatch):  # type: ignore[no-untyped-def]
    job = job_for(db, hanako, JobState.EXPORTING)
    db.commit()
    monkeypatch.setattr(transfers, "collect", _failing(remote.ServiceUnavailable("timeout")))
    with pytest.raises(PermanentFailure):
        jobs.run(_context(app, db, job, jobs.COLLECT, attempts=5))
    db.refresh(job)
    assert (job.state, job.error) == (JobState.FAILED, "timeout")


def test_a_canceled_transfer_gets_no_note(app, db: Session, hanako):  # type: ignore[no-untyped-def]
    job = job_for(db, hanako, JobState.CANCELED, error="consent_withdrawn")
    stale = TransferJob(**{**job.model_dump(), "state": JobState.DELIVERING})  # a worker's old copy
    saga.note_waiting(db, stale, saga.WAITING_ON_DESTINATION)
    db.refresh(job)
    assert job.error == "consent_withdrawn"
