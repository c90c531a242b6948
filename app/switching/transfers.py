"""A transfer job's data path, in the four OAuth patterns (docs/switching.md): collect → report → deliver → verify.

Services take the session and the resident explicitly. `collect` pulls from the source's API (patterns 2, 3) or
converts the stored export (an upload); in patterns 1 and 4 the source pushes through the intake API instead
(`receive_push`, `finish_push`). `deliver` pushes to the destination's importer (2, 4) or marks the job ready for
the destination to pull (1, 3, `app/switching/api.py`); either way the destination's signed receipt is checked
against the manifest (`check_receipt`). The saga of issue 12 (retries, pauses, deletion) builds on these steps.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from app.accounts.models import Resident
from app.config import Settings
from app.consent import transfers as door
from app.consent.catalogue import items_by_key, offer_for
from app.consent.enforce import ConsentRequired
from app.data_imports.models import DataImport, ImportStatus
from app.db import utcnow
from app.errors import Conflict, DomainError, NotFound
from app.ledger.models import RecordKind
from app.ledger.services import append, record_receipt
from app.switching import manifest as manifests
from app.switching import pull, registry, remote, saga, staging
from app.switching.converters import converter_for
from app.switching.models import JobState, TransferJob

BUSY_RETRIES = 3
REMOTE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class InvalidTransfer(DomainError):
    status = 422
    message = _l("This transfer cannot be made: check the source, the destination and the pattern.")


class NoExport(DomainError):
    status = 409
    message = _l("Upload the export first: there is no finished import to move.")


class WrongState(Conflict):
    message = _l("The transfer is not at that step.")


class CountMismatch(Conflict):
    message = _l("The source said it sent a different number of records than arrived.")

    def __init__(self, expected: dict[str, int], received: dict[str, int]) -> None:
        super().__init__()
        self.expected, self.received = expected, received


class ReceiptMismatch(Conflict):
    message = _l("The destination's receipt does not match what was sent.")

    def __init__(self, comparison: Any) -> None:
        super().__init__()
        self.comparison = comparison


def start(session: Session, resident: Resident, *, source: str, destination: str, pattern: int,
          kinds: tuple[str, ...] | None = None) -> TransferJob:
    """A new job. `kinds` defaults to every kind the source gives; an upload source needs a finished import."""
    src, dst = registry.source(source), registry.destination(destination)
    if pattern not in registry.PATTERNS:
        raise InvalidTransfer()
    chosen = tuple(kinds or src.kinds)
    if not chosen or any(kind not in src.kinds for kind in chosen):
        raise InvalidTransfer()
    import_id = None
    if src.upload_format is not None:
        upload = latest_import(session, resident, src)
        if upload is None:
            raise NoExport()
        import_id = upload.id
    pushes = src.has_api and pattern in registry.SOURCE_PUSHES
    job = TransferJob(resident_id=resident.id, source=source, destination=destination, pattern=pattern,
                      kinds=list(chosen), import_id=import_id, format=dst.format,
                      state=JobState.AWAITING_SOURCE if pushes else JobState.NEW)
    session.add(job)
    session.flush()
    append(session, subject=resident.principal, kind=RecordKind.TRANSFER, payload={
        "step": "started", "job": str(job.id), "source": source, "destination": destination, "pattern": pattern,
        "kinds": list(chosen), "description": f"{src.label_ja} から {dst.label_ja} へののりかえを始めました"})
    return job


def latest_import(session: Session, resident: Resident, source: registry.Source) -> DataImport | None:
    """The resident's newest finished import of an upload source's format: what a transfer of it moves."""
    return session.exec(select(DataImport).where(
        DataImport.resident_id == resident.id, DataImport.format == source.upload_format,
        DataImport.status == ImportStatus.DONE).order_by(col(DataImport.finished_at).desc())).first()


def job_of(session: Session, resident: Resident, job_id: uuid.UUID | str) -> TransferJob:
    """The resident's own job (another resident's is as absent as a missing one)."""
    try:
        job = session.get(TransferJob, uuid.UUID(str(job_id)))
    except ValueError:
        job = None
    if job is None or job.resident_id != resident.id:
        raise NotFound()
    return job


def jobs_of(session: Session, resident: Resident, *, limit: int = 20) -> list[TransferJob]:
    return list(session.exec(select(TransferJob).where(TransferJob.resident_id == resident.id)
                             .order_by(col(TransferJob.created_at).desc()).limit(limit)))


def consent_needed(session: Session, resident: Resident, job: TransferJob) -> list[str]:
    """The job's kinds still to be agreed to here: before the bank converts an uploaded export, and before it pushes
    what it collected from a service (patterns 2, 4). A pulling destination (1, 3) asks on the bank's authorization
    screen instead."""
    source, destination = registry.SOURCES[job.source], registry.DESTINATIONS[job.destination]
    if source.has_api and (job.pattern in registry.DESTINATION_PULLS or job.state != JobState.COLLECTED):
        return []
    converter, offer = converter_for(job.format), offer_for(session, destination.recipient, destination.purpose)
    # Only what the destination's format takes and its offer asks for: the rest is not sent in any case (lost).
    kinds = [kind for kind in job.kinds if converter.takes(kind) and offer is not None
             and door.items_of_kinds([kind])[0] in offer.items]
    return door.withheld_kinds(session, resident=resident, recipient=destination.recipient,
                               purpose=destination.purpose, kinds=kinds)


# --- collecting ---------------------------------------------------------------------------------------------


def collect(session: Session, settings: Settings, resident: Resident, job: TransferJob) -> TransferJob:
    """The worker's collect step (patterns 2 and 3, or an upload): EXPORTING (the source's API is read) →
    CONVERTING (staged, with the manifest) → COLLECTED. The staged items, the receipt record and COLLECTED commit
    together, so a step resumed after a crash reads the source again (a read changes nothing there) and stages
    from nothing."""
    if job.state not in (JobState.NEW, JobState.EXPORTING, JobState.CONVERTING):
        raise WrongState()
    src = registry.source(job.source)
    if src.upload_format is not None:
        saga.advance(session, settings, job, JobState.CONVERTING)
        dst = registry.destination(job.destination)
        assert job.import_id is not None
        door.stage_from_import(session, resident=resident, import_id=job.import_id, recipient=dst.recipient,
                               purpose=dst.purpose, kinds=job.kinds,
                               stage=lambda batch: staging.stage_items(session, job, batch))
    else:
        if job.state != JobState.CONVERTING:
            saga.advance(session, settings, job, JobState.EXPORTING)
        client = remote.ServiceClient(session, settings, resident, registry.provider(settings, job.source))
        fetched = pull.fetch(client, job.kinds)
        saga.advance(session, settings, job, JobState.CONVERTING)
        staging.stage_google(session, job, fetched.resources)
        _record_receipt(session, resident, job, {kind: n for kind, n in fetched.counts.items()}, how="pull")
    _collected(session, job)
    return saga.advance(session, settings, job, JobState.COLLECTED)


def waiting_for(session: Session, resident: Resident, source: str) -> list[TransferJob]:
    return list(session.exec(select(TransferJob).where(
        TransferJob.resident_id == resident.id, TransferJob.source == source,
        TransferJob.state == JobState.AWAITING_SOURCE).order_by(col(TransferJob.created_at))))


def receive_push(session: Session, resident: Resident, job: TransferJob, records: list[dict[str, Any]], *,
                 kinds: list[str]) -> tuple[int, int]:
    """Records the source pushed (patterns 1, 4), of the `kinds` the resident let it send: staged once per id.
    Returns (new, repeated)."""
    if job.state != JobState.AWAITING_SOURCE:
        raise WrongState()
    new, repeated = staging.stage_google(session, job, records, kinds=kinds)
    job.updated_at = utcnow()
    return new, repeated


def finish_push(session: Session, resident: Resident, job: TransferJob, stated: dict[str, int]) -> TransferJob:
    """The source's last word: its counts per kind must equal what arrived (repeats count once)."""
    if job.state != JobState.AWAITING_SOURCE:
        raise WrongState()
    arrived = {kind: n for kind, n in job.intake_counts.items() if n}
    if {k: v for k, v in stated.items() if v} != arrived:
        raise CountMismatch(stated, arrived)
    _record_receipt(session, resident, job, arrived, how="push")
    _collected(session, job)
    return saga.move(session, job, JobState.COLLECTED)


def _record_receipt(session: Session, resident: Resident, job: TransferJob, counts: dict[str, int], *, how: str) -> None:
    src = registry.source(job.source)
    assert src.data_source is not None
    items = door.items_of_kinds(job.kinds)
    known = items_by_key(session)
    record_receipt(session, principal=resident.principal, source_key=job.source, source=src.data_source,
                   items=items, kept=True, item_names={key: known[key].name_ja for key in items if key in known},
                   job=str(job.id), method=how, counts=counts, purpose="switching")


def _collected(session: Session, job: TransferJob) -> None:
    """The manifest and the report's counts of what is staged (the state is the caller's move)."""
    dst = registry.destination(job.destination)
    job.manifest = manifests.build_manifest(job=str(job.id), source=job.source, destination=job.destination,
                                            format=dst.format, items=staging.manifest_entries(session, job),
                                            created_at=utcnow().isoformat())
    job.staged_counts = staging.counts(session, job)
    job.collected = job.staged_counts["taken"]


# --- delivering ---------------------------------------------------------------------------------------------


def send(session: Session, resident: Resident, job: TransferJob) -> TransferJob:
    """The resident said send (after the report, the terms and a fresh sign-in) or, paused, continue: DELIVERING,
    for the worker's deliver step, in the caller's transaction."""
    if job.resident_id != resident.id or job.state not in (JobState.COLLECTED, JobState.PAUSED):
        raise WrongState()
    return saga.move(session, job, JobState.DELIVERING)


def deliver(session: Session, settings: Settings, resident: Resident, job: TransferJob, *,
            sleep: Callable[[float], None] = time.sleep) -> TransferJob:
    """The worker's deliver step. Patterns 2 and 4: DELIVERING (push everything) → VERIFYING (complete; the
    receipt is compared) → VERIFIED. Patterns 1 and 3: READY, for the destination to pull. Commits after each
    provision record, before its items leave, and after each batch the destination acknowledged: a retry (after a
    5xx, a timeout or a killed worker) resumes after it; `complete` answers the same receipt again."""
    if job.state not in (JobState.DELIVERING, JobState.VERIFYING):
        raise WrongState()
    dst = registry.destination(job.destination)
    saga.advance(session, settings, job, job.state)  # (resumed: a worker that dies here has sent nothing new)
    if job.pattern in registry.DESTINATION_PULLS:
        return saga.advance(session, settings, job, JobState.READY)
    client = remote.ServiceClient(session, settings, resident, registry.provider(settings, job.destination))
    if job.remote_id is None:
        answer = _patiently(session, sleep, lambda: client.call("POST", "/dtp/v1/jobs", json_body={
            "job": str(job.id), "format": job.format, "expected": {"items": len((job.manifest or {}).get("items", []))}}))
        remote_id = str(answer.get("id", ""))
        if not REMOTE_ID.fullmatch(remote_id):
            raise remote.ServiceUnavailable("garbage")  # it goes into our next URLs
        job.remote_id = remote_id
        session.commit()
    while job.state == JobState.DELIVERING:
        released = door.release(session, resident=resident, job_id=job.id, recipient=dst.recipient,
                                purpose=dst.purpose, after=job.delivered_through, limit=settings.transfer_push_batch,
                                via={"method": "importer_api", "destination": job.destination})
        if not released:
            saga.advance(session, settings, job, JobState.VERIFYING)
            break
        session.commit()  # the provision record is kept before its items leave
        body = {"items": [{"id": item.item_id, "sha256": item.sha256, "item": json.loads(item.body)}
                          for item in released]}
        answer = _patiently(session, sleep, lambda body=body: client.call(
            "POST", f"/dtp/v1/jobs/{job.remote_id}/items", json_body=body))
        if answer.get("rejected"):
            return saga.advance(session, settings, job, JobState.FAILED, error="rejected")
        job.delivered_through = released[-1].seq
        session.commit()
    manifest = expected_manifest(session, job)
    answer = _patiently(session, sleep, lambda: client.call("POST", f"/dtp/v1/jobs/{job.remote_id}/complete",
                                                            json_body=manifest))
    jwks = pull.jwks(client.provider.issuer, settings)
    try:
        check_receipt(session, job, str(answer.get("receipt", "")), jwks, issuer=client.provider.issuer)
    except manifests.ReceiptInvalid:
        saga.move(session, job, JobState.FAILED, error="receipt_invalid")
        raise
    except ReceiptMismatch:
        session.commit()  # FAILED, told and on the ledger: kept whatever the caller does next
        raise
    session.commit()
    saga.crash_point(settings, job, JobState.VERIFIED)
    return job


def _patiently(session: Session, sleep: Callable[[float], None], call: Callable[[], Any]) -> dict[str, Any]:
    """A call's JSON object, again after the wait a 429 asks for (a few times, with no transaction open while
    waiting); other errors go to the caller."""
    for attempt in range(BUSY_RETRIES + 1):
        try:
            answer = call()
        except remote.ServiceBusy as busy:
            if attempt == BUSY_RETRIES:
                raise
            session.commit()
            sleep(busy.retry_after)
            continue
        if not isinstance(answer, dict):
            raise remote.ServiceUnavailable("garbage")
        return answer
    raise AssertionError("unreachable")


def expected_manifest(session: Session, job: TransferJob) -> dict[str, Any]:
    """The manifest of what left: the items the consent door released to the destination (a resident who provided
    fewer items than were collected, or withdrew half-way, expects only those). Raises ConsentRequired when none
    left."""
    manifest = job.manifest or {}
    entries = staging.manifest_entries(session, job, released_only=True)
    if not entries:
        raise ConsentRequired()
    return manifests.build_manifest(job=str(job.id), source=job.source, destination=job.destination, format=job.format,
                                    items=entries, created_at=manifest.get("created_at") or utcnow())


def check_receipt(session: Session, job: TransferJob, jws: str, jwks: dict[str, Any], *, issuer: str) -> TransferJob:
    """Verify the destination's signed receipt and compare it with what left (`expected_manifest`), item by item."""
    if job.state not in (JobState.VERIFYING, JobState.READY):
        raise WrongState()
    # An unverifiable receipt changes nothing here (it may not come from the destination at all); a pulling
    # destination may send a good one, and `deliver` fails its own job.
    payload = manifests.verify_receipt(jws, jwks, issuer=issuer, job=str(job.id))
    if job.state == JobState.READY:
        saga.move(session, job, JobState.VERIFYING)
    comparison = manifests.compare(expected_manifest(session, job), payload)
    job.receipt, job.updated_at = payload, utcnow()
    if not comparison.matches:
        saga.move(session, job, JobState.FAILED, error="receipt_mismatch")
        raise ReceiptMismatch(comparison)
    _pass_through(session, job)
    return saga.move(session, job, JobState.VERIFIED, story={"counts": payload.get("counts", {})})


def _pass_through(session: Session, job: TransferJob) -> None:
    """Everything arrived: the bank keeps no copy of what it converted for the transfer, and says so on the ledger
    (an uploaded export itself stays until the resident erases it: `deletion.purge_upload`)."""
    resident = session.get(Resident, job.resident_id)
    erased = staging.purge(session, job)
    if resident is not None:
        append(session, subject=resident.principal, kind=RecordKind.DELETION, payload={
            "by": "bank", "step": "pass_through", "job": str(job.id), "staged_items_erased": erased,
            "description": "移行先がすべて受け取ったことを確認したため、移行のために変換して保管していたデータを消去しました"})


def ready_for(session: Session, resident: Resident, destination: str) -> list[TransferJob]:
    return list(session.exec(select(TransferJob).where(
        TransferJob.resident_id == resident.id, TransferJob.destination == destination,
        TransferJob.state == JobState.READY).order_by(col(TransferJob.created_at))))


def release_page(session: Session, resident: Resident, job: TransferJob, *, after: int, limit: int,
                 client_id: str, scope: list[str]) -> list[door.ReleasedItem]:
    """One page for a pulling destination (patterns 1, 3), through the consent door, within its token's scope."""
    if job.state != JobState.READY:
        raise WrongState()
    dst = registry.destination(job.destination)
    return door.release(session, resident=resident, job_id=job.id, recipient=dst.recipient, purpose=dst.purpose,
                        after=after, limit=limit, scope=scope,
                        via={"client": client_id, "method": "resource_api", "endpoint": "/api/v1/transfers/items"})


__all__ = ["ConsentRequired", "collect", "deliver", "finish_push", "receive_push", "start"]
