"""Worker jobs: one step of one request (`city_records.sync`, queued by `sync.schedule`), the sweep every ten
minutes that takes any step whose job was lost (a worker killed mid-call leaves its claim to run out), and telling
柏市 of the withdrawal of a deleted account's requests (`city_records.withdraw`)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from app.city_records import sync
from app.city_records.city_api import CityApi, CityError
from app.db import utcnow
from app.jobs.registry import JobHandler, PeriodicTask
from app.jobs.runner import JobContext, RetryLater


def sync_request(ctx: JobContext) -> dict[str, Any]:
    outcome = sync.sync_one(ctx.session, ctx.settings, uuid.UUID(ctx.payload["request_id"]))
    ctx.save(progress=100, stage=outcome)
    return {"outcome": outcome}


def sweep(ctx: JobContext) -> dict[str, Any]:
    outcomes: dict[str, int] = {}
    for request_id in sync.due_ids(ctx.session, utcnow()):
        outcome = sync.sync_one(ctx.session, ctx.settings, request_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        ctx.save(stage="sweeping")
    return outcomes


def withdraw(ctx: JobContext) -> dict[str, Any]:
    """Tell 柏市 a mandate is withdrawn when its request row is gone (the account was deleted): only the id is needed."""
    request_id = uuid.UUID(ctx.payload["request_id"])
    ctx.session.commit()  # no transaction held open across the network call
    try:
        CityApi(ctx.settings).withdraw(request_id)
    except CityError as error:
        raise RetryLater(f"柏市 could not be told: {error}") from error
    return {"request_id": str(request_id)}


JOB_HANDLERS = [JobHandler(sync.KIND, sync_request), JobHandler(sync.SWEEP_KIND, sweep),
                JobHandler(sync.WITHDRAW_KIND, withdraw)]
PERIODIC_TASKS = [PeriodicTask(sync.SWEEP_KIND, every=timedelta(minutes=10), max_attempts=3)]
