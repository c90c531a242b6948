"""A withdrawn consent cancels the resident's transfers that depend on it, inside the withdrawal's transaction:
those waiting for the resident or for a service (their next step would need it). A transfer the worker is
delivering meets the withdrawal at the consent door before its next batch, and the worker cancels it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, col, select

from app.consent import transfers as door
from app.consent.events import ConsentWithdrawn, consent_withdrawn
from app.principals import parse_principal
from app.switching import registry, saga
from app.switching.models import JobState, TransferJob

# Not the worker's states (EXPORTING, CONVERTING, DELIVERING, VERIFYING): the worker ends those itself.
WAITING = (JobState.NEW, JobState.AWAITING_SOURCE, JobState.COLLECTED, JobState.PAUSED, JobState.READY)


def _depends_on(job: TransferJob, change: ConsentWithdrawn) -> bool:
    if not set(door.items_of_kinds(job.kinds)) & set(change.items):
        return False  # an item this transfer does not move
    destination = registry.DESTINATIONS.get(job.destination)
    if destination is not None and (change.recipient, change.purpose) == (destination.recipient, destination.purpose):
        return True
    # A pushing source sends to the bank under the bank's own intake consent.
    return job.state == JobState.AWAITING_SOURCE and (change.recipient, change.purpose) == ("azukari", "switching_intake")


def cancel_dependent_transfers(session: Session, resident_id: uuid.UUID, change: ConsentWithdrawn) -> int:
    jobs = session.exec(select(TransferJob).where(TransferJob.resident_id == resident_id,
                                                  col(TransferJob.state).in_(WAITING)))
    canceled = 0
    for job in jobs:
        if _depends_on(job, change):
            saga.move(session, job, JobState.CANCELED, error="consent_withdrawn")
            canceled += 1
    return canceled


def _on_withdrawal(_sender: Any, *, session: Session, change: ConsentWithdrawn, **_: Any) -> None:
    parsed = parse_principal(change.subject)
    if parsed is not None and parsed[0] == "resident":
        cancel_dependent_transfers(session, uuid.UUID(str(parsed[1])), change)


def init_app() -> None:
    consent_withdrawn.connect(_on_withdrawal)
