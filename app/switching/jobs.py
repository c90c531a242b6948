"""The worker's job `switching.run`: one step of a transfer, `collect` (from the source's API or the stored
export) or `deliver` (after the resident read the pre-transfer report and said send).

A source that pushes (patterns 1, 4) is received by the intake API instead of `collect`. A busy
or unreachable service is retried by the runner with its backoff; a refusal, a lost connection or a withdrawn
consent ends the transfer with its reason, and nothing more is sent.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from app.accounts.models import Resident
from app.consent.enforce import ConsentRequired
from app.jobs.registry import JobHandler
from app.jobs.runner import JobContext, PermanentFailure, RetryLater
from app.switching import deletion, notify_result, remote, saga, transfers
from app.switching import manifest as manifests
from app.switching.models import JobState, TransferJob

RUN_KIND = "switching.run"
COLLECT, DELIVER, DELETE = "collect", "deliver", "delete"


def run(ctx: JobContext) -> dict[str, Any]:
    job = ctx.session.get(TransferJob, uuid.UUID(ctx.payload["transfer_id"]))
    step = ctx.payload.get("step", COLLECT)
    steps = {COLLECT: (JobState.NEW, JobState.EXPORTING, JobState.CONVERTING),
             DELIVER: (JobState.DELIVERING, JobState.VERIFYING),
             DELETE: (JobState.VERIFIED, JobState.SOURCE_CONTRACT_ENDED, JobState.SOURCE_DELETION_REQUESTED)}.get(step, ())
    if job is None or job.state not in steps:
        return {"skipped": True}
    resident = ctx.session.get(Resident, job.resident_id)
    if resident is None:
        return {"skipped": True}
    try:
        if step == COLLECT:
            ctx.save(progress=10, stage="collecting")
            transfers.collect(ctx.session, ctx.settings, resident, job)
        elif step == DELETE:
            ctx.save(progress=10, stage="deleting")
            deletion.delete_at_source(ctx.session, ctx.settings, resident, job)
        else:
            ctx.save(progress=10, stage="delivering")
            transfers.deliver(ctx.session, ctx.settings, resident, job)
    except saga.Stale:  # moved meanwhile (canceled by a withdrawal): nothing more for this step to do
        ctx.session.rollback()
        return {"skipped": True}
    except ConsentRequired:
        return _end(ctx, job, JobState.CANCELED, "consent_withdrawn", deleting=step == DELETE)
    except (remote.NotConnected, remote.ServiceRefused) as error:
        reason = getattr(error, "error", "not_connected")
        # A full destination is not the end: the transfer waits (what was delivered stays acknowledged) until the
        # resident has made room there and says continue.
        state = JobState.PAUSED if reason == "destination_full" and step == DELIVER else JobState.FAILED
        return _end(ctx, job, state, reason, deleting=step == DELETE)
    except remote.ServiceBusy as busy:  # still 429 after waiting in the call: the runner comes back later
        _unless_last_attempt(ctx, job, "rate_limited", deleting=step == DELETE)
        _waiting(ctx, job, step)
        raise RetryLater("rate_limited", retry_after=timedelta(seconds=busy.retry_after)) from None
    except remote.ServiceUnavailable as down:  # 5xx, timeout, garbage: the same step again, with backoff
        _unless_last_attempt(ctx, job, down.reason, deleting=step == DELETE)
        _waiting(ctx, job, step)
        raise RetryLater(down.reason) from None
    except (transfers.ReceiptMismatch, manifests.ReceiptInvalid) as error:
        if step == DELETE:  # the source's certificate did not verify: the deletion stays unproven, the transfer stands
            return _end(ctx, job, job.state, "certificate_invalid", deleting=True)
        ctx.session.commit()  # the job is FAILED with its reason; nothing more is sent
        raise PermanentFailure(type(error).__name__) from None
    except Exception:  # a defect: retried like any job, but never left running for ever on the resident's page
        _unless_last_attempt(ctx, job, "internal", deleting=step == DELETE)
        raise
    ctx.save(progress=100, stage="done")
    return {"state": job.state}


def _unless_last_attempt(ctx: JobContext, job: TransferJob, reason: str, *, deleting: bool = False) -> None:
    """On the runner's last attempt the transfer stops with its reason (the resident sees it and may start again)."""
    if ctx.job.attempts >= ctx.job.max_attempts:
        _end(ctx, job, JobState.FAILED, reason, deleting=deleting)


def _waiting(ctx: JobContext, job: TransferJob, step: str) -> None:
    """Tell the resident's page which service keeps the step waiting (the old one while collecting or deleting)."""
    ctx.session.rollback()
    job = ctx.session.get(TransferJob, job.id) or job
    saga.note_waiting(ctx.session, job, saga.WAITING_ON_DESTINATION if step == DELIVER else saga.WAITING_ON_SOURCE)


def _end(ctx: JobContext, job: TransferJob, state: str, reason: str, *, deleting: bool = False) -> dict[str, Any]:
    """Stop here with `reason`: the transfer's state, or (a deletion step) only the deletion's: a verified transfer
    stays verified whatever happens to the deletion, which can be asked for again."""
    ctx.session.rollback()
    job = ctx.session.get(TransferJob, job.id) or job
    if deleting:
        job.deletion = {**(job.deletion or {}), "status": "failed", "error": reason[:60]}
        ctx.session.commit()
    elif job.state not in (JobState.FAILED, JobState.CANCELED):  # (a withdrawal may have canceled it already)
        saga.advance(ctx.session, ctx.settings, job, state, error=reason[:60])
    raise PermanentFailure(reason)


JOB_HANDLERS = [JobHandler(notify_result.NOTIFY_KIND, notify_result.notify_service),
                JobHandler(RUN_KIND, run, stage_labels={"collecting": _l("Collecting your data"),
                                                        "delivering": _l("Delivering"),
                                                        "deleting": _l("Deleting at the old service"),
                                                        "done": _l("Done")})]
