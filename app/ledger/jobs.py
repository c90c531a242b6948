"""The daily anchor: a signed statement of every chain's head (kept in the database; copy it off-host too); and the
daily end of retention of closed accounts' provision and receipt records (app/ledger/retention.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.jobs.registry import JobHandler, PeriodicTask
from app.jobs.runner import JobContext
from app.ledger.retention import erase_expired
from app.ledger.services import make_anchor

KIND = "ledger.anchor"
RETENTION_KIND = "ledger.retention"


def anchor(ctx: JobContext) -> dict[str, Any]:
    made = make_anchor(ctx.session)  # committed with the job's result (a rerun only adds a second anchor)
    return {"anchor": made.id, "chains": len(made.heads), "digest": made.digest}


def end_retention(ctx: JobContext) -> dict[str, Any]:
    return {"erased": erase_expired(ctx.session)}


JOB_HANDLERS = [JobHandler(KIND, anchor), JobHandler(RETENTION_KIND, end_retention)]
# Once a day, just after midnight in Japan (slots start at 15:00 UTC); the retention an hour later.
PERIODIC_TASKS = [PeriodicTask(KIND, every=timedelta(days=1), offset=timedelta(hours=15), max_attempts=5),
                  PeriodicTask(RETENTION_KIND, every=timedelta(days=1), offset=timedelta(hours=16), max_attempts=5)]
