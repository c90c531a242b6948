"""The transfer saga: the one way a job moves between its states (docs/switching.md, "The saga").

The worker *advances*: the new state is committed before the side effect that follows it (a call to the source or
the destination), so a worker killed anywhere leaves the job at its last committed state, and the next worker
resumes from there; each step after a state is idempotent (staging once per id, delivery after the acknowledged
position, `complete` and the source's deletion answered again for the same reference). A request *moves* (the
resident's send, resume, keep or purge): checked the same way, committed with the request's one transaction.

The milestones are on the resident's ledger (TRANSFER records, in the same transaction as the state), and the end
of a transfer is announced in the same transaction too: a notice in the resident's inbox and a queued job that
tells both services (`app/switching/notify.py`), so a crash cannot lose the announcement.

Fault injection for the tests (`FAULT_KILL_AT`, refused in production): the worker SIGKILLs itself right after
committing a listed state, once per job and state (a marker file in the instance folder), which is exactly the
crash the saga must survive.
"""

from __future__ import annotations

import os
import signal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from app.accounts.models import Resident
from app.config import Settings
from app.db import utcnow
from app.errors import Conflict
from app.ledger.models import RecordKind
from app.ledger.services import append
from app.switching import notify_result
from app.switching.models import JobState, TransferJob

S = JobState
_ENDS = (S.FAILED, S.CANCELED)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.NEW: (S.EXPORTING, S.CONVERTING, *_ENDS),
    S.AWAITING_SOURCE: (S.COLLECTED, *_ENDS),
    S.EXPORTING: (S.CONVERTING, *_ENDS),
    S.CONVERTING: (S.COLLECTED, *_ENDS),
    S.COLLECTED: (S.DELIVERING, *_ENDS),
    S.DELIVERING: (S.READY, S.VERIFYING, S.PAUSED, *_ENDS),
    S.PAUSED: (S.DELIVERING, *_ENDS),
    S.READY: (S.VERIFYING, *_ENDS),
    S.VERIFYING: (S.VERIFIED, *_ENDS),
    # After the receipt matched nothing can undo the transfer: only the old service's side goes on.
    S.VERIFIED: (S.SOURCE_CONTRACT_ENDED, S.COMPLETE),
    S.SOURCE_CONTRACT_ENDED: (S.SOURCE_DELETION_REQUESTED,),
    S.SOURCE_DELETION_REQUESTED: (S.COMPLETE,),
    S.COMPLETE: (),
    S.FAILED: (),
    S.CANCELED: (),
}
# The states at which the resident and both services are told the result.
ANNOUNCED = (S.VERIFIED, S.COMPLETE, S.FAILED, S.CANCELED)
# What each milestone says on the resident's ledger (the job's own details are added to the record).
STORY = {
    S.DELIVERING: "移行先への送信を始めました",
    S.PAUSED: "移行先の容量が足りないため、送信を一時停止しました（受け取り済みの分はそのままです）",
    S.VERIFIED: "移行先の署名付き受領証が、送ったものと一件ずつ一致しました",
    S.SOURCE_CONTRACT_ENDED: "移行元が、移し終えたサービスの契約を終了しました",
    S.COMPLETE: "のりかえが完了しました",
    S.FAILED: "のりかえを中止しました（何も削除していません）",
    S.CANCELED: "同意の撤回により、のりかえを取り消しました（撤回の後は何も送っていません）",
}


class IllegalMove(Conflict):
    """A move the saga does not have (a programming error or a stale request: nothing is changed)."""


class Stale(IllegalMove):
    """Someone else moved the job meanwhile (the resident's withdrawal canceled it, say): this move is void."""


def move(session: Session, job: TransferJob, state: str, *, error: str | None = None,
         story: dict[str, Any] | None = None) -> TransferJob:
    """Set the job's next state (or the same again, when a step resumes) within the caller's transaction."""
    if state != job.state and state not in TRANSITIONS.get(job.state, ()):
        raise IllegalMove()
    # The row is locked until the move commits, and must still be where this session saw it.
    stored = session.execute(sa.select(TransferJob.state).where(col(TransferJob.id) == job.id)
                             .with_for_update()).scalar_one_or_none()
    if stored is not None and stored != job.state:
        raise Stale()
    changed = state != job.state
    job.state, job.updated_at = state, utcnow()
    if error is not None or state not in _ENDS:
        job.error = error
    session.add(job)
    if changed:
        _tell(session, job, story)
    return job


WAITING_ON_SOURCE, WAITING_ON_DESTINATION = "source_unreachable", "destination_unreachable"


def note_waiting(session: Session, job: TransferJob, reason: str) -> None:
    """A step that failed for now and will be tried again: the job stays where it is and says what it waits for, so
    the resident's page can tell her (the next move, the same step resumed included, clears it). Committed at once."""
    stored = session.execute(sa.select(TransferJob.state).where(col(TransferJob.id) == job.id)
                             .with_for_update()).scalar_one_or_none()
    if stored == job.state and job.state not in _ENDS:
        job.error, job.updated_at = reason, utcnow()
        session.add(job)
    session.commit()


def advance(session: Session, settings: Settings, job: TransferJob, state: str, *, error: str | None = None,
            story: dict[str, Any] | None = None) -> TransferJob:
    """The worker's move: committed at once, before whatever follows it."""
    move(session, job, state, error=error, story=story)
    session.commit()
    crash_point(settings, job, state)
    return job


def crash_point(settings: Settings, job: TransferJob, state: str) -> None:
    if not settings.fault_kill_at or state not in {s.strip() for s in settings.fault_kill_at.split(",")}:
        return
    marker = settings.instance_path / "faults" / f"{job.id}.{state}"
    if marker.exists():
        return
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
    os.kill(os.getpid(), signal.SIGKILL)


def _tell(session: Session, job: TransferJob, story: dict[str, Any] | None) -> None:
    resident = session.get(Resident, job.resident_id)
    if resident is None:
        return
    if job.state in STORY:
        append(session, subject=resident.principal, kind=RecordKind.TRANSFER, payload={
            "step": job.state, "job": str(job.id), "source": job.source, "destination": job.destination,
            **({"reason": job.error} if job.error and job.state in _ENDS else {}), **(story or {}),
            "description": STORY[job.state]})
    if job.state in ANNOUNCED:
        notify_result.announce(session, resident, job)
