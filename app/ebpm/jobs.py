"""The worker's daily `ebpm.release`: last month's release, made once (the job registry has fixed periods, not
calendar months: the daily run makes it on the 1st, or on the first day the worker runs after)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.ebpm import services
from app.household.ages import japan_today
from app.jobs.registry import JobHandler, PeriodicTask
from app.jobs.runner import JobContext

RELEASE_KIND = "ebpm.release"


def release_last_month(ctx: JobContext) -> dict[str, Any]:
    month = services.previous_month(japan_today())
    made = services.release(ctx.session, month)
    ctx.save(progress=100)
    return {"month": month, "version": made.version, "households": made.households}


JOB_HANDLERS = [JobHandler(RELEASE_KIND, release_last_month)]
# 05:00 JST, after the nightly feeds (04:00)
PERIODIC_TASKS = [PeriodicTask(RELEASE_KIND, every=timedelta(days=1), offset=timedelta(hours=20))]
