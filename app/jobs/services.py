"""Enqueue, claim, finish and watch jobs.

Claiming is one short transaction: on PostgreSQL `FOR UPDATE SKIP LOCKED`, so several workers never take
the same job and never wait for each other; on SQLite the write lock taken at BEGIN IMMEDIATE makes the
claim atomic (one worker at a time). A job whose lease ran out (its worker died) is claimable again.
"""

from __future__ import annotations

import copy
import random
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, col, select

from app import audit
from app.audit import EventTag
from app.db import insert_ignoring_conflicts, utcnow
from app.errors import NotFound
from app.jobs.models import Job, JobStatus

BACKOFF_BASE_SECONDS = 5
BACKOFF_CAP_SECONDS = 3600


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    started_by: str | None = None,
    run_at: datetime | None = None,
    max_attempts: int = 5,
    priority: int = 0,
    unique_key: str | None = None,
) -> Job | None:
    """Add a job in the caller's transaction (it runs only if that transaction commits).

    With `unique_key`, a second enqueue of the same key does nothing and returns None.
    """
    values = {
        "kind": kind,
        "payload": payload or {},
        "status": JobStatus.QUEUED.value,
        "run_at": run_at or utcnow(),
        "max_attempts": max_attempts,
        "priority": priority,
        "started_by": started_by,
        "unique_key": unique_key,
        "attempts": 0,
        "progress": 0,
        "checkpoint": {},
        "result": {},
        "created_at": utcnow(),
    }
    if unique_key is None:
        job = Job(**values)
        session.add(job)
        session.flush()
        return job
    statement = insert_ignoring_conflicts(session, Job, "unique_key").values(**values).returning(Job.id)
    job_id = session.execute(statement).scalar()
    return session.get(Job, job_id) if job_id is not None else None


def claimable(now: datetime, kinds: list[str]) -> Any:
    waiting = sa.and_(col(Job.status) == JobStatus.QUEUED.value, col(Job.run_at) <= now)
    abandoned = sa.and_(col(Job.status) == JobStatus.RUNNING.value, col(Job.lease_until) < now)
    return (
        select(Job)
        .where(sa.or_(waiting, abandoned), col(Job.kind).in_(kinds))
        .order_by(col(Job.priority).desc(), col(Job.run_at), col(Job.id))
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def claim_next(session: Session, *, worker_id: str, kinds: list[str], lease: timedelta) -> Job | None:
    """Take the next due job (or one abandoned by a dead worker) and commit the claim.

    An abandoned job that has used up its attempts (it keeps killing its worker, say) fails instead.
    """
    now = utcnow()
    while True:
        job = session.exec(claimable(now, kinds)).first()
        if job is None:
            session.commit()
            return None
        if job.status == JobStatus.RUNNING.value and job.attempts >= job.max_attempts:
            mark_failed_attempt(job, "the worker stopped while running it, on every attempt", permanent=True)
            session.add(job)
            session.commit()
            continue
        break
    job.status = JobStatus.RUNNING.value
    job.attempts += 1
    job.worker_id = worker_id
    job.lease_until = now + lease
    job.started_at = job.started_at or now
    session.add(job)
    session.commit()
    return job


def renew_lease(session: Session, *, job_id: int, worker_id: str, lease: timedelta) -> bool:
    """Extend a running job's lease; False when the job is no longer this worker's."""
    result = session.execute(
        sa.update(Job)
        .where(col(Job.id) == job_id, col(Job.worker_id) == worker_id, col(Job.status) == JobStatus.RUNNING.value)
        .values(lease_until=utcnow() + lease)
    )
    session.commit()
    return result.rowcount == 1


def owns(session: Session, job: Job, worker_id: str) -> bool:
    """Re-read the job's row, locking it until the caller commits: is it still running under this worker?"""
    row = session.execute(
        select(Job.worker_id, Job.status).where(col(Job.id) == job.id).with_for_update()
    ).first()
    return row is not None and row[0] == worker_id and row[1] == JobStatus.RUNNING.value


def mark_done(job: Job, result: dict[str, Any] | None = None) -> None:
    job.status = JobStatus.DONE.value
    job.progress = 100
    if result is not None:
        job.result = copy.deepcopy(result)
        flag_modified(job, "result")
    job.finished_at = utcnow()
    job.lease_until = None
    job.last_error = None


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with full jitter, capped."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def mark_failed_attempt(job: Job, error: str, *, retry_after: timedelta | None = None, permanent: bool = False) -> None:
    job.last_error = error[:2000]
    job.lease_until = None
    job.worker_id = None
    if permanent or job.attempts >= job.max_attempts:
        job.status = JobStatus.FAILED.value
        job.finished_at = utcnow()
    else:
        job.status = JobStatus.QUEUED.value
        job.run_at = utcnow() + max(retry_after or timedelta(0), backoff(job.attempts))


def retry(session: Session, *, job: Job, actor: str) -> None:
    """Run a failed job again (an operator's decision, audited)."""
    if job.status != JobStatus.FAILED.value:
        return
    audit.record(session, EventTag.JOB_RETRY, actor=actor, job=job.id, kind=job.kind)
    job.status = JobStatus.QUEUED.value
    job.attempts = 0
    job.run_at = utcnow()
    job.finished_at = None
    session.add(job)


def job_for_viewer(session: Session, *, job_id: int, viewer: str, sees_all: bool = False) -> Job:
    """The job if `viewer` started it (or may see every job); otherwise it does not exist for them."""
    job = session.get(Job, job_id)
    if job is None or not (sees_all or job.started_by == viewer):
        raise NotFound()
    return job


def recent_jobs(session: Session, *, limit: int = 50, status: str | None = None) -> list[Job]:
    statement = select(Job).order_by(col(Job.id).desc()).limit(limit)
    if status:
        statement = statement.where(Job.status == status)
    return list(session.exec(statement))


def status_counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.status, sa.func.count()).group_by(Job.status)).all()
    return {status: count for status, count in rows}
