from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import JSON, Field, SQLModel

from app.db import BigIntPK, UTCDateTime, utcnow


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELED = "canceled"


FINISHED = (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELED)

JOB_STATUS_LABELS = {
    JobStatus.QUEUED.value: _l("Waiting to start"),
    JobStatus.RUNNING.value: _l("Running"),
    JobStatus.DONE.value: _l("Finished"),
    JobStatus.FAILED.value: _l("Failed"),
    JobStatus.CANCELED.value: _l("Canceled"),
}


class Job(SQLModel, table=True):
    """One unit of background work. A running job holds a lease; when its worker dies the lease runs out
    and another worker takes the job up again from its last checkpoint."""

    __tablename__ = "job"
    __table_args__ = (sa.Index("ix_job_status_run_at", "status", "run_at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    kind: str = Field(max_length=64, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default=JobStatus.QUEUED.value, max_length=16)
    priority: int = 0
    attempts: int = 0
    max_attempts: int = 5
    run_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    worker_id: str | None = Field(default=None, max_length=64)
    progress: int = 0  # percent
    stage: str | None = Field(default=None, max_length=64)
    checkpoint: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    result: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    last_error: str | None = Field(default=None, max_length=2000)
    # Who started it ("resident:<uuid>", "staff:<uuid>", or "scheduler"): the one who may watch it.
    started_by: str | None = Field(default=None, max_length=64, index=True)
    # Idempotent enqueue: the scheduler's "<task>@<slot>", or a caller's own key.
    unique_key: str | None = Field(default=None, max_length=128, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED
