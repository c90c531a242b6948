"""Running one job: the handler's context, lease renewal while it runs, and the outcome.

A handler does its work in `ctx.session` and calls `ctx.save(...)` after each step: the step's writes,
the checkpoint and the progress commit together, so a worker killed between two saves loses only the
step in flight, and the next worker resumes from the checkpoint. The final result and DONE commit with
the last writes, so a job finishes once.
"""

from __future__ import annotations

import copy
import logging
import threading
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session

from app.db import get_database
from app.jobs import services
from app.jobs.models import Job
from app.jobs.registry import Registry

log = logging.getLogger("azukari.jobs")


class RetryLater(Exception):
    """A temporary failure (a peer is down, 429/5xx): try again after `retry_after` at the earliest."""

    def __init__(self, message: str, *, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """Retrying cannot help (bad input, a 4xx the other side will repeat): the job fails now."""


class LostLease(Exception):
    """Another worker took the job over (this one was presumed dead); stop without writing."""


class JobContext:
    def __init__(self, *, app: Flask, session: Session, job: Job, worker_id: str) -> None:
        self.app = app
        self.session = session
        self.job = job
        self.worker_id = worker_id
        self.lost = threading.Event()

    @property
    def payload(self) -> dict[str, Any]:
        return dict(self.job.payload)

    @property
    def checkpoint(self) -> dict[str, Any]:
        return dict(self.job.checkpoint)

    @property
    def settings(self) -> Any:
        return self.app.config["AZUKARI"]

    def save(
        self,
        *,
        progress: int | None = None,
        stage: str | None = None,
        checkpoint: dict[str, Any] | None = None,
        result: dict[str, Any] | None = None,
    ) -> None:
        """Commit the step: the handler's pending writes, the checkpoint and the progress, atomically."""
        if self.lost.is_set() or not services.owns(self.session, self.job, self.worker_id):
            self.session.rollback()
            raise LostLease(f"job {self.job.id} was taken over")
        if progress is not None:
            self.job.progress = max(0, min(100, progress))
        if stage is not None:
            self.job.stage = stage
        # Copies, flagged as changed: a handler that mutates and passes the same dict again must still be
        # saved (SQLAlchemy would otherwise compare it with itself and skip the UPDATE).
        if checkpoint is not None:
            self.job.checkpoint = copy.deepcopy(checkpoint)
            flag_modified(self.job, "checkpoint")
        if result is not None:
            self.job.result = copy.deepcopy(result)
            flag_modified(self.job, "result")
        self.session.add(self.job)
        self.session.commit()


class LeaseKeeper(threading.Thread):
    """Renews the lease of the running job every third of its length, on its own connection."""

    def __init__(self, app: Flask, *, job_id: int, worker_id: str, lease: timedelta, lost: threading.Event) -> None:
        super().__init__(name=f"lease-{job_id}", daemon=True)
        self.app, self.job_id, self.worker_id, self.lease, self.lost = app, job_id, worker_id, lease, lost
        self.stopped = threading.Event()

    def run(self) -> None:
        interval = max(0.2, self.lease.total_seconds() / 3)
        while not self.stopped.wait(interval):
            session = get_database(self.app).new_session()
            try:
                if not services.renew_lease(session, job_id=self.job_id, worker_id=self.worker_id, lease=self.lease):
                    self.lost.set()
                    return
            except Exception:  # a database blip: try again next round; the lease is three rounds long
                log.warning("lease renewal of job %s failed", self.job_id, exc_info=True)
            finally:
                session.close()

    def stop(self) -> None:
        self.stopped.set()


def run_next(app: Flask, registry: Registry, *, worker_id: str) -> bool:
    """Claim and run one job; False when nothing was due."""
    settings = app.config["AZUKARI"]
    lease = timedelta(seconds=settings.job_lease_seconds)
    session = get_database(app).new_session()
    try:
        job = services.claim_next(session, worker_id=worker_id, kinds=list(registry.handlers), lease=lease)
        if job is None:
            return False
        assert job.id is not None
        handler = registry.handlers[job.kind]
        context = JobContext(app=app, session=session, job=job, worker_id=worker_id)
        keeper = LeaseKeeper(app, job_id=job.id, worker_id=worker_id, lease=lease, lost=context.lost)
        keeper.start()
        log.info("job %s (%s) attempt %s started", job.id, job.kind, job.attempts)
        try:
            with app.app_context():
                outcome = handler.run(context)
            if context.lost.is_set() or not services.owns(session, job, worker_id):
                raise LostLease(f"job {job.id} was taken over")
            services.mark_done(job, outcome if isinstance(outcome, dict) else None)
            session.add(job)
            session.commit()
            log.info("job %s (%s) done", job.id, job.kind)
        except LostLease:
            session.rollback()
            log.warning("job %s lost its lease; another worker has it", job.id)
        except Exception as error:  # the job's failure must not stop the worker
            _record_failure(session, job.id, worker_id, error)
        finally:
            keeper.stop()
        return True
    finally:
        session.close()


def _record_failure(session: Session, job_id: int, worker_id: str, error: Exception) -> None:
    session.rollback()
    job = session.get(Job, job_id)
    if job is None or job.worker_id != worker_id:
        return
    message = f"{type(error).__name__}: {error}"
    if isinstance(error, PermanentFailure):
        services.mark_failed_attempt(job, message, permanent=True)
    elif isinstance(error, RetryLater):
        services.mark_failed_attempt(job, message, retry_after=error.retry_after)
    else:
        log.exception("job %s (%s) raised", job.id, job.kind, exc_info=error)
        services.mark_failed_attempt(job, message)
    session.add(job)
    session.commit()
    log.info("job %s (%s) attempt %s failed: %s; now %s", job.id, job.kind, job.attempts, message, job.status)
