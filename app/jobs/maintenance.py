"""Housekeeping that runs every hour: expired sessions, old throttle counters, used tokens, sent mail, old jobs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import col, delete

from app import throttle
from app.db import utcnow
from app.jobs.models import FINISHED, Job
from app.jobs.registry import JobHandler, PeriodicTask
from app.jobs.runner import JobContext
from app.mail.models import MailMessage
from app.sessions import purge_expired_sessions
from app.tokens import ActionToken

KIND = "maintenance.purge"
FINISHED_JOB_RETENTION = timedelta(days=30)
SENT_MAIL_RETENTION = timedelta(days=30)
MAX_ATTEMPTS = 3


def purge(ctx: JobContext) -> dict[str, Any]:
    settings = ctx.settings
    db = ctx.session
    counts: dict[str, int] = {}
    counts["sessions"] = purge_expired_sessions(db, idle=settings.session_idle, absolute=settings.session_absolute)
    ctx.save(progress=25, stage="sessions")
    counts["throttle_hits"] = throttle.purge_older_than(db, timedelta(days=1))
    ctx.save(progress=50, stage="throttle")
    cutoff = utcnow() - timedelta(days=7)
    counts["tokens"] = db.exec(  # type: ignore[call-overload]
        delete(ActionToken).where(sa.or_(col(ActionToken.expires_at) < cutoff, col(ActionToken.used_at) < cutoff))
    ).rowcount
    ctx.save(progress=75, stage="tokens")
    # Sent mail is not a record of anything: the outbox keeps it 30 days (a closed account's goodbye mail included).
    counts["mail"] = db.exec(  # type: ignore[call-overload]
        delete(MailMessage).where(col(MailMessage.sent_at) < utcnow() - SENT_MAIL_RETENTION)
    ).rowcount
    counts["jobs"] = db.exec(  # type: ignore[call-overload]
        delete(Job).where(
            col(Job.status).in_([s.value for s in FINISHED]),
            col(Job.finished_at) < utcnow() - FINISHED_JOB_RETENTION,
            col(Job.id) != ctx.job.id,
        )
    ).rowcount
    return counts


JOB_HANDLERS = [
    JobHandler(
        KIND,
        purge,
        stage_labels={
            "sessions": _l("Removing expired sessions"),
            "throttle": _l("Removing old login counters"),
            "tokens": _l("Removing used links"),
        },
    )
]
PERIODIC_TASKS = [PeriodicTask(KIND, every=timedelta(hours=1), max_attempts=MAX_ATTEMPTS)]
