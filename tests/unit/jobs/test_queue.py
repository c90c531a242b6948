"""The queue's rules, run in-process on the test database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import select

from app.db import utcnow
from app.jobs import services
from app.jobs.models import Job, JobStatus
from app.jobs.registry import JobHandler, PeriodicTask, Registry
from app.jobs.runner import PermanentFailure, RetryLater, run_next
from app.jobs.scheduler import enqueue_due, slot_of

pytestmark = pytest.mark.smoke

LEASE = timedelta(seconds=30)


def registry(*handlers: JobHandler) -> Registry:
    return Registry(handlers={h.kind: h for h in handlers}, periodic=())


def test_claim_takes_due_jobs_by_priority_then_age(db):
    later = services.enqueue(db, "k", run_at=utcnow() + timedelta(minutes=5))
    low = services.enqueue(db, "k")
    high = services.enqueue(db, "k", priority=5)
    db.commit()
    first = services.claim_next(db, worker_id="w", kinds=["k"], lease=LEASE)
    second = services.claim_next(db, worker_id="w", kinds=["k"], lease=LEASE)
    assert (first.id, second.id) == (high.id, low.id)
    assert services.claim_next(db, worker_id="w", kinds=["k"], lease=LEASE) is None  # `later` is not due
    assert first.status == JobStatus.RUNNING.value and first.attempts == 1
    assert later.status == JobStatus.QUEUED.value


def test_claim_only_takes_kinds_the_worker_handles(db):
    services.enqueue(db, "other")
    db.commit()
    assert services.claim_next(db, worker_id="w", kinds=["k"], lease=LEASE) is None


def test_a_job_whose_lease_ran_out_is_claimed_again(db):
    job = services.enqueue(db, "k")
    db.commit()
    services.claim_next(db, worker_id="dead", kinds=["k"], lease=LEASE)
    assert services.claim_next(db, worker_id="alive", kinds=["k"], lease=LEASE) is None
    with freeze_time(timedelta(seconds=31)):
        again = services.claim_next(db, worker_id="alive", kinds=["k"], lease=LEASE)
    assert again.id == job.id and again.worker_id == "alive" and again.attempts == 2
    assert not services.renew_lease(db, job_id=job.id, worker_id="dead", lease=LEASE)


def test_unique_keys_make_enqueue_idempotent(db):
    first = services.enqueue(db, "k", unique_key="k@1")
    second = services.enqueue(db, "k", unique_key="k@1")
    assert first is not None and second is None


def test_retry_later_backs_off_and_permanent_failure_stops(app, db):
    calls = []

    def flaky(ctx):
        calls.append(ctx.job.attempts)
        raise RetryLater("peer busy", retry_after=timedelta(seconds=120))

    def broken(ctx):
        raise PermanentFailure("bad input")

    flaky_job = services.enqueue(db, "flaky", max_attempts=3)
    broken_job = services.enqueue(db, "broken")
    db.commit()
    handlers = registry(JobHandler("flaky", flaky), JobHandler("broken", broken))
    assert run_next(app, handlers, worker_id="w") and run_next(app, handlers, worker_id="w")
    db.expire_all()
    flaky_job, broken_job = db.get(Job, flaky_job.id), db.get(Job, broken_job.id)
    assert flaky_job.status == JobStatus.QUEUED.value
    assert flaky_job.run_at >= utcnow() + timedelta(seconds=110)  # honours retry_after
    assert "peer busy" in flaky_job.last_error
    assert broken_job.status == JobStatus.FAILED.value and broken_job.attempts == 1
    for hours in (3, 6):  # each retry waits for its run_at
        with freeze_time(timedelta(hours=hours)):
            assert run_next(app, handlers, worker_id="w")
    with freeze_time(timedelta(hours=9)):
        assert not run_next(app, handlers, worker_id="w")  # failed for good: nothing left to run
    db.expire_all()
    assert db.get(Job, flaky_job.id).status == JobStatus.FAILED.value
    assert calls == [1, 2, 3]


def test_progress_and_result_are_saved_and_done_once(app, db):
    def work(ctx):
        ctx.save(progress=50, stage="half", checkpoint={"n": 1}, result={"partial": True})
        return {"answer": 42}

    job = services.enqueue(db, "work")
    db.commit()
    assert run_next(app, registry(JobHandler("work", work)), worker_id="w")
    db.expire_all()
    job = db.get(Job, job.id)
    assert job.status == JobStatus.DONE.value and job.progress == 100
    assert job.result == {"answer": 42} and job.checkpoint == {"n": 1}
    assert job.finished_at is not None and job.lease_until is None


def test_the_backoff_grows_and_is_capped():
    assert timedelta(seconds=2.5) <= services.backoff(1) <= timedelta(seconds=5)
    assert services.backoff(4) > services.backoff(1)
    assert services.backoff(50) <= timedelta(seconds=services.BACKOFF_CAP_SECONDS)


def test_periodic_tasks_enqueue_one_job_per_slot(db):
    task = PeriodicTask("maintenance.purge", every=timedelta(hours=1))
    now = datetime(2026, 11, 26, 10, 5, tzinfo=UTC)
    assert enqueue_due(db, [task], now) == 1
    assert enqueue_due(db, [task], now + timedelta(minutes=50)) == 0  # 10:55, the same hour
    assert enqueue_due(db, [task], now + timedelta(minutes=55)) == 1  # 11:00, the next one
    keys = db.exec(select(Job.unique_key).where(Job.kind == "maintenance.purge")).all()
    assert sorted(keys) == [f"maintenance.purge@{slot_of(task, now)}", f"maintenance.purge@{slot_of(task, now) + 1}"]


def test_a_failed_job_can_be_retried_by_the_operator(db):
    job = services.enqueue(db, "k", max_attempts=1)
    db.commit()
    services.claim_next(db, worker_id="w", kinds=["k"], lease=LEASE)
    services.mark_failed_attempt(job, "boom")
    assert job.status == JobStatus.FAILED.value
    services.retry(db, job=job, actor="staff:test")
    assert job.status == JobStatus.QUEUED.value and job.attempts == 0
    from app.audit import AuditEvent

    assert db.exec(select(AuditEvent.actor).where(AuditEvent.tag == "jobs:job:retry")).all() == ["staff:test"]


def test_a_job_that_keeps_killing_its_worker_fails_instead_of_looping(db):
    job = services.enqueue(db, "k", max_attempts=2)
    db.commit()
    for minutes in (0, 1):  # two workers die with it
        with freeze_time(timedelta(minutes=minutes)):
            assert services.claim_next(db, worker_id=f"dead-{minutes}", kinds=["k"], lease=LEASE).id == job.id
    with freeze_time(timedelta(minutes=5)):
        assert services.claim_next(db, worker_id="next", kinds=["k"], lease=LEASE) is None
    db.refresh(job)
    assert job.status == JobStatus.FAILED.value and "worker stopped" in job.last_error
