"""Job handlers used only by the worker tests (loaded through JOB_MODULES)."""

from __future__ import annotations

import time
from typing import Any

from app.jobs.registry import JobHandler
from app.jobs.runner import JobContext, RetryLater


def run_steps(ctx: JobContext) -> dict[str, Any]:
    """Counts `steps` steps, saving a checkpoint after each, so a new worker resumes where the last stopped."""
    steps = ctx.payload["steps"]
    done_steps: list[int] = list(ctx.job.result.get("steps", []))
    for step in range(ctx.checkpoint.get("done", 0), steps):
        time.sleep(ctx.payload.get("step_seconds", 0.2))
        done_steps.append(step)
        ctx.save(progress=(step + 1) * 100 // steps, stage="step", checkpoint={"done": step + 1},
                 result={"steps": done_steps})
    return {"steps": done_steps, "finished_by": ctx.worker_id}


def flaky(ctx: JobContext) -> dict[str, Any]:
    if ctx.job.attempts < 2:
        raise RetryLater("not yet")
    return {"attempts": ctx.job.attempts}


JOB_HANDLERS = [JobHandler("test.steps", run_steps), JobHandler("test.flaky", flaky)]
