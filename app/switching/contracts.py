"""Contracts around a switch (issue 12): the destination's terms the resident accepts before anything is sent, kept
on the job with their version and time and on the ledger. (The source's contracts end with the deletion at the
source, `deletion.delete_at_source`, which terminates each deleted service first.)"""

from __future__ import annotations

from sqlmodel import Session

from app.accounts.models import Resident
from app.db import utcnow
from app.ledger.models import RecordKind
from app.ledger.services import append
from app.switching import registry
from app.switching.models import TransferJob


def accept_terms(session: Session, resident: Resident, job: TransferJob, *, version: str) -> None:
    destination = registry.DESTINATIONS[job.destination]
    accepted_at = utcnow().isoformat()
    job.contracts = {**(job.contracts or {}), "destination_terms": {"service": job.destination, "version": version,
                                                                   "accepted_at": accepted_at}}
    append(session, subject=resident.principal, kind=RecordKind.TRANSFER, payload={
        "step": "destination_terms_accepted", "job": str(job.id), "destination": job.destination,
        "destination_name": destination.label_ja, "terms_version": version, "accepted_at": accepted_at,
        "description": f"{destination.label_ja} の利用規約（{version}版）に同意しました"})
