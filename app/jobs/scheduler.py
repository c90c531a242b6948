"""Periodic tasks become ordinary jobs, one per time slot: the job's unique key `<kind>@<slot>` makes
the enqueue idempotent, so any number of workers may run the scheduler at once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from app.db import utcnow
from app.jobs import services
from app.jobs.registry import PeriodicTask

EPOCH = datetime(1970, 1, 1, tzinfo=utcnow().tzinfo)


def slot_of(task: PeriodicTask, now: datetime) -> int:
    return int((now - EPOCH - task.offset).total_seconds() // task.every.total_seconds())


def enqueue_due(session: Session, tasks: Iterable[PeriodicTask], now: datetime | None = None) -> int:
    """Enqueue the current slot of every task unless already there; returns how many were added."""
    now = now or utcnow()
    added = 0
    for task in tasks:
        key = f"{task.kind}@{slot_of(task, now)}"
        # INSERT … ON CONFLICT DO NOTHING: another worker may enqueue the same slot at the same instant.
        if services.enqueue(session, task.kind, task.payload, started_by="scheduler", unique_key=key,
                            max_attempts=task.max_attempts):
            added += 1
        session.commit()
    return added
