"""The daily anchor: a signed statement of every chain's head (kept in the database; copy it off-host too)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.jobs.registry import JobHandler, PeriodicTask
from app.jobs.runner import JobContext
from app.ledger.services import make_anchor

KIND = "ledger.anchor"


def anchor(ctx: JobContext) -> dict[str, Any]:
    made = make_anchor(ctx.session)  # committed with the job's result (a rerun only adds a second anchor)
    return {"anchor": made.id, "chains": len(made.heads), "digest": made.digest}


JOB_HANDLERS = [JobHandler(KIND, anchor)]
# Once a day, just after midnight in Japan (slots start at 15:00 UTC).
PERIODIC_TASKS = [PeriodicTask(KIND, every=timedelta(days=1), offset=timedelta(hours=15), max_attempts=5)]
