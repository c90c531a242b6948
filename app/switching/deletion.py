"""Verified deletion (issue 12, first part): only after the destination's signed receipt matched, and only when the
resident asks, never by default (docs/switching.md, security-anchors F).

- A source with an API: its service contracts are ended (terminate) and deletion is requested; the source's signed
  certificate is verified (ES256, its published keys) and kept. Done by the worker (`request_at_source` queues it).
- An uploaded export: there is no source to call. The bank purges its own copy (the import's rows and the staged
  items) and issues its own signed purge certificate; the resident deletes at the source themselves, and their
  confirmation is recorded, labelled as theirs (not a certificate from the source).

Every step is a DELETION record on the resident's ledger.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from app import signing
from app.accounts.models import Resident
from app.config import Settings
from app.data_imports.services import delete as delete_import
from app.db import utcnow
from app.errors import Conflict
from app.ledger.models import RecordKind
from app.ledger.services import append
from app.switching import manifest as manifests
from app.switching import pull, registry, remote, saga, staging
from app.switching.converters import converter_for
from app.switching.models import JobState, TransferJob

# Google's services and the interchange kinds each holds (docs/switching.md).
SERVICE_KINDS = {"blogger": ("post", "comment", "profile"), "youtube": ("interest", "watch_event"),
                 "calendar": ("calendar_event",), "maps": ("place_visit", "activity_segment")}
PURGE_TYP = "transfer-purge+jwt"
REQUESTED, DONE = "requested", "done"


class NotVerified(Conflict):
    message = _l("Deletion is possible only after the new service's receipt matched everything that was sent.")


SERVICE_NAMES = {"blogger": "Blogger", "youtube": "YouTube", "calendar": "Google カレンダー", "maps": "Google マップ"}


class NothingToDelete(Conflict):
    message = _l("Nothing can be deleted there: each of its services still holds data that did not move.")


def services_of(job: TransferJob) -> list[str]:
    """The source's services whose every kind moved completely: chosen, taken by the format, nothing of it lost or
    held back, and the receipt counts all of it. A service holding anything else (YouTube's watch history when only
    the subscriptions moved) is never deleted: deletion is per service at the source."""
    staged = job.staged_counts or {}
    taken, lost = staged.get("taken", {}), staged.get("lost", {})
    arrived = (job.receipt or {}).get("counts", {})
    converter = converter_for(job.format)

    def moved(kind: str) -> bool:
        return (kind in job.kinds and converter.takes(kind) and not lost.get(kind)
                and arrived.get(kind, 0) == taken.get(kind, 0))

    return sorted(service for service, kinds in SERVICE_KINDS.items() if all(moved(kind) for kind in kinds))


def _require_verified(job: TransferJob, *states: str) -> None:
    if job.state not in (states or (JobState.VERIFIED,)):
        raise NotVerified()


# A deletion at the source under way (the source's contract ended, its deletion asked for) may be asked again
# after it failed: the worker resumes from the state it reached.
ASKABLE = (JobState.VERIFIED, JobState.SOURCE_CONTRACT_ENDED, JobState.SOURCE_DELETION_REQUESTED)


def request_at_source(session: Session, resident: Resident, job: TransferJob) -> bool:
    """The resident asks for deletion at the source: marked, for the worker to carry out (`delete_at_source`).
    False when it is asked or done already (nothing new to carry out)."""
    _require_verified(job, *ASKABLE)
    if not registry.SOURCES[job.source].has_api:
        raise NotVerified()
    if (job.deletion or {}).get("status") in (REQUESTED, DONE):
        return False
    if not services_of(job):
        raise NothingToDelete()
    job.deletion = {"status": REQUESTED, "by": "source", "requested_at": utcnow().isoformat()}
    append(session, subject=resident.principal, kind=RecordKind.DELETION, payload={
        "by": "source", "step": "requested", "source": job.source, "job": str(job.id), "services": services_of(job),
        "description": "移行元にサービスの解約とデータの削除を依頼しました（移行先の受領証が一致した後）"})
    return True


def delete_at_source(session: Session, settings: Settings, resident: Resident, job: TransferJob) -> dict[str, Any]:
    """The worker's delete step: VERIFIED (the services are terminated) → SOURCE_CONTRACT_ENDED →
    SOURCE_DELETION_REQUESTED (the deletion is asked for) → COMPLETE with the source's verified certificate.
    Resumable at each state: terminating an ended service changes nothing, and the source answers the same
    certificate for the same reference (the job), so a repeated request deletes once."""
    _require_verified(job, *ASKABLE)
    deletion = dict(job.deletion or {})
    if deletion.get("status") == DONE:
        return deletion
    provider = registry.provider(settings, job.source)
    client = remote.ServiceClient(session, settings, resident, provider)
    services = services_of(job)
    if not services:
        raise NothingToDelete()
    if job.state == JobState.VERIFIED:
        for service in services:
            client.call("POST", f"/account/v1/services/{service}/terminate")
        saga.advance(session, settings, job, JobState.SOURCE_CONTRACT_ENDED, story={"services": services})
    saga.advance(session, settings, job, JobState.SOURCE_DELETION_REQUESTED, story={"services": services})
    answer = client.call("POST", "/account/v1/deletion", json_body={"services": services, "reference": str(job.id)})
    token = answer.get("certificate") if isinstance(answer, dict) else None
    payload = manifests.verify_certificate(str(token or ""), pull.jwks(provider.issuer, settings),
                                           issuer=provider.issuer, reference=str(job.id))
    deletion.update(status=DONE, by="source", certificate=token, services=payload["services"],
                    deleted=payload["deleted"], certificate_id=payload["jti"], deleted_at=utcnow().isoformat())
    job.deletion, job.updated_at = deletion, utcnow()
    append(session, subject=resident.principal, kind=RecordKind.DELETION, payload={
        "by": "source", "step": "certificate", "source": job.source, "job": str(job.id), "services": payload["services"],
        "deleted": payload["deleted"], "certificate_id": payload["jti"], "verified": True,
        "description": "移行元がデータを削除し、署名付きの削除証明書を発行しました（署名を検証済み）"})
    saga.advance(session, settings, job, JobState.COMPLETE, story={"certificate_id": payload["jti"]})
    return deletion


def purge_upload(session: Session, resident: Resident, job: TransferJob, *, instance_path: Path,
                 ip: str | None = None) -> dict[str, Any]:
    """An uploaded export's transfer: the bank erases its copy (the import and the staged items) and signs a purge
    certificate of what it erased."""
    _require_verified(job)
    if registry.SOURCES[job.source].has_api:
        raise NotVerified()
    deletion = dict(job.deletion or {})
    if deletion.get("status") == DONE:
        return deletion
    rows = 0
    if job.import_id is not None:
        rows = delete_import(session, resident, job.import_id, instance_path=instance_path, ip=ip)
    staged = staging.purge(session, job)
    payload = {"iss": "azukari", "jti": str(uuid.uuid4()), "iat": int(utcnow().timestamp()), "job": str(job.id),
               "source": job.source, "import_rows_erased": rows, "staged_items_erased": staged,
               "statement": "Azukari が保管していた書き出しのデータと、移行のための変換済みデータを消去しました"}
    certificate = signing.sign(payload, typ=PURGE_TYP)
    deletion.update(status=DONE, by="bank", certificate=certificate, certificate_id=payload["jti"],
                    erased={"import_rows": rows, "staged_items": staged}, deleted_at=utcnow().isoformat())
    job.deletion, job.import_id, job.updated_at = deletion, None, utcnow()
    append(session, subject=resident.principal, kind=RecordKind.DELETION, payload={
        "by": "bank", "step": "purge", "source": job.source, "job": str(job.id), "certificate_id": payload["jti"],
        "import_rows_erased": rows, "staged_items_erased": staged,
        "description": "Azukari が保管していたデータを消去し、Azukari の署名付き消去証明書を発行しました"})
    saga.move(session, job, JobState.COMPLETE, story={"certificate_id": payload["jti"]})
    return deletion


def confirm_deleted_at_source(session: Session, resident: Resident, job: TransferJob) -> dict[str, Any]:
    """The resident says they deleted the data at the source themselves (an upload's source has no API): recorded as
    their statement, never as the source's."""
    _require_verified(job, *JobState.DONE)
    deletion = dict(job.deletion or {})
    deletion["resident_confirmed_at"] = utcnow().isoformat()
    job.deletion = deletion
    append(session, subject=resident.principal, kind=RecordKind.DELETION, payload={
        "by": "resident", "step": "confirmed", "source": job.source, "job": str(job.id),
        "description": "移行元でのデータ削除を本人が申告しました（移行元からの証明ではありません）"})
    return deletion


def keep_at_source(session: Session, resident: Resident, job: TransferJob) -> TransferJob:
    """The resident keeps their data at the old service (or, after an upload, the bank's copy of the export): the
    switch is complete without a deletion, by their choice."""
    _require_verified(job)
    if (job.deletion or {}).get("status") in (REQUESTED, DONE):
        raise NotVerified()
    job.deletion = {"status": "kept", "decided_at": utcnow().isoformat()}
    return saga.move(session, job, JobState.COMPLETE, story={"kept_at_source": True})
