"""Bringing an export into the bank: the resumable upload, the import (the worker's job, or `flask exports import`),
cancelling and deleting. Services take the session and the acting resident; they never commit, except
`run_import`, whose caller-supplied `step` commits each batch with the job's checkpoint.

The upload is a file on disk (`upload_path`), appended to in chunks at the offset the server holds; a client that
lost its connection asks for the offset and goes on from there. The import reads that file, writes the items in
batches, flags duplicates in SQL, and finishes in one transaction with the summary, the status and the ledger
record. A refused or broken export leaves nothing: its rows are deleted with the failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app import audit, throttle
from app.accounts.models import Resident
from app.audit import EventTag
from app.config import Settings
from app.consent.items import KIND_ITEMS
from app.data_imports import storage
from app.data_imports.models import DataImport, HealthRecord, ImportFormat, ImportStatus
from app.db import utcnow
from app.errors import Conflict, DomainError, NotFound
from app.imports import reader_process
from app.imports.summary import ImportSummary
from app.jobs import services as jobs
from app.jobs.models import Job
from app.ledger.models import RecordKind
from app.ledger.services import append

GiB = 1024**3
MAX_UPLOAD_BYTES = 4 * GiB
MAX_CHUNK_BYTES = 16 * 1024**2
MAX_OPEN_IMPORTS = 3
JOB_KIND = "data_imports.read"
SWEEP_KIND = "data_imports.sweep"
ABANDONED_AFTER = timedelta(days=2)
# Items between two commits of an import (each commit is a checkpoint a killed worker resumes from).
COMMIT_EVERY = 50_000
# The ledger's names for what an import stores (keys of app/consent/data/catalogue.toml), and each kind's item.
ITEMS = {"health_records": "ヘルスケアの記録", "ecg": "心電図", "clinical_records": "診療記録",
         "location_history": "位置情報の履歴", "viewing_history": "動画の視聴履歴", "calendar_events": "カレンダーの予定",
         "blog_posts": "ブログの投稿とコメント", "activity_history": "Google でのアクティビティ", "profile": "会員情報",
         "interests": "興味関心情報"}
# The consent item each stored kind belongs to: the door's vocabulary, one copy.


class UploadTooLarge(DomainError):
    status = 413


class OffsetMismatch(Conflict):
    """The chunk does not start where the file ends (a retry of a chunk already written, or a gap)."""

    def __init__(self, expected: int) -> None:
        super().__init__()
        self.expected = expected


class TooManyOpenImports(Conflict):
    pass


class ImportRefused(DomainError):
    """The export cannot be read; `code` is the stable reason (`messages.refusal_message` says it in words)."""

    status = 422

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


def upload_dir(instance_path: Path) -> Path:
    path = instance_path / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_path(instance_path: Path, import_id: uuid.UUID) -> Path:
    return upload_dir(instance_path) / f"{import_id}.upload"


# --- the upload ------------------------------------------------------------------------------------------------


def limit_start(session: Session, resident: Resident, ip: str | None, settings: Settings) -> None:
    """RateLimited past the uploads an account, or an address, may start in an hour (counted when allowed)."""
    hour = timedelta(hours=1)
    throttle.take(session,
                  throttle.Limit(throttle.bucket("upload:account", str(resident.id)), settings.uploads_per_account, hour),
                  throttle.Limit(throttle.bucket("upload:ip", ip or "unknown"), settings.uploads_per_ip, hour))


def limit_chunk(session: Session, resident: Resident, settings: Settings) -> None:
    """RateLimited past the chunks an account may send in a minute (checked before the body is read)."""
    throttle.take(session, throttle.Limit(throttle.bucket("upload:chunks", str(resident.id)),
                                          settings.upload_chunks_per_account, timedelta(minutes=1)))


def start_upload(session: Session, resident: Resident, *, filename: str, size: int, keep_sensitive: bool,
                 instance_path: Path, ip: str | None = None) -> DataImport:
    """A new import waiting for `size` bytes. The name is kept for display only (never used as a path)."""
    if size <= 0 or size > MAX_UPLOAD_BYTES:
        raise UploadTooLarge()
    open_count = session.exec(select(sa.func.count()).select_from(DataImport).where(
        DataImport.resident_id == resident.id, col(DataImport.status).in_(ImportStatus.OPEN))).one()
    if open_count >= MAX_OPEN_IMPORTS:
        raise TooManyOpenImports()
    data_import = DataImport(resident_id=resident.id, filename=os.path.basename(filename.replace("\\", "/"))[:255] or "export",
                             size=size, keep_sensitive=keep_sensitive)
    session.add(data_import)
    session.flush()
    upload_path(instance_path, data_import.id).touch(exist_ok=False)
    audit.record(session, EventTag.DATA_IMPORT_START, actor=resident.principal, ip=ip, size=size,
                 format=data_import.format)
    return data_import


def import_of(session: Session, resident: Resident, import_id: uuid.UUID, *, lock: bool = False) -> DataImport:
    """One of the resident's imports; another resident's (or none) is NotFound."""
    statement = select(DataImport).where(DataImport.id == import_id, DataImport.resident_id == resident.id)
    if lock:
        statement = statement.with_for_update()
    found = session.exec(statement).first()
    if found is None:
        raise NotFound()
    return found


def append_chunk(session: Session, resident: Resident, import_id: uuid.UUID, *, offset: int, stream: IO[bytes],
                 length: int, instance_path: Path) -> DataImport:
    """Write `length` bytes from `stream` at `offset`, which must be where the file ends; the last one queues the read."""
    data_import = import_of(session, resident, import_id, lock=True)
    if data_import.status != ImportStatus.UPLOADING:
        raise Conflict()
    if offset != data_import.received:
        raise OffsetMismatch(data_import.received)
    if length <= 0 or length > MAX_CHUNK_BYTES or offset + length > data_import.size:
        raise UploadTooLarge()
    path = upload_path(instance_path, data_import.id)
    written = 0
    with path.open("r+b") as out:
        out.truncate(offset)  # bytes of an interrupted chunk after the committed offset are dropped
        out.seek(offset)
        while written < length:
            block = stream.read(min(1024**2, length - written))
            if not block:
                break
            out.write(block)
            written += len(block)
        if written != length:  # the connection dropped mid-chunk: the client resends from `received`
            out.truncate(offset)
            raise Conflict()
        out.flush()
        os.fsync(out.fileno())
    data_import.received = offset + written
    data_import.updated_at = utcnow()
    if data_import.received == data_import.size:
        _queue(session, data_import, resident.principal)
    session.add(data_import)
    return data_import


def mark_received(session: Session, data_import: DataImport, resident: Resident) -> None:
    """The whole file is on disk (the no-script upload): queue the read."""
    data_import.received = data_import.size
    data_import.updated_at = utcnow()
    _queue(session, data_import, resident.principal)
    session.add(data_import)


def job_of(session: Session, data_import: DataImport) -> Job | None:
    return session.get(Job, data_import.job_id) if data_import.job_id is not None else None


def _queue(session: Session, data_import: DataImport, actor: str) -> None:
    data_import.status = ImportStatus.QUEUED
    job = jobs.enqueue(session, JOB_KIND, {"import_id": str(data_import.id)}, started_by=actor, max_attempts=3,
                       unique_key=f"{JOB_KIND}:{data_import.id}")
    data_import.job_id = job.id if job is not None else None


def cancel(session: Session, resident: Resident, import_id: uuid.UUID, *, instance_path: Path,
           ip: str | None = None) -> DataImport:
    """Stop an import that is not finished: the upload and anything read so far are deleted."""
    data_import = import_of(session, resident, import_id, lock=True)
    if data_import.status not in ImportStatus.OPEN:
        raise Conflict()
    storage.delete_rows(session, data_import.id)
    data_import.status, data_import.updated_at, data_import.finished_at = ImportStatus.CANCELED, utcnow(), utcnow()
    session.add(data_import)
    upload_path(instance_path, data_import.id).unlink(missing_ok=True)
    audit.record(session, EventTag.DATA_IMPORT_CANCEL, actor=resident.principal, ip=ip, data_import=str(data_import.id))
    return data_import


def delete(session: Session, resident: Resident, import_id: uuid.UUID, *, instance_path: Path,
           ip: str | None = None) -> int:
    """Delete a finished (or failed) import and everything stored from it; the ledger records the deletion."""
    data_import = import_of(session, resident, import_id, lock=True)
    if data_import.status in ImportStatus.OPEN:
        raise Conflict()
    rows = storage.delete_rows(session, data_import.id)
    was_done = data_import.status == ImportStatus.DONE
    session.delete(data_import)
    session.flush()
    upload_path(instance_path, data_import.id).unlink(missing_ok=True)
    if was_done:
        items = _ledger_items(data_import.summary.get("stored", {}))
        append(session, subject=resident.principal, kind=RecordKind.DELETION, payload={
            "items": sorted(items), "item_names": items, "by": "resident", "rows": rows,
            "description": "取り込んだ書き出しのデータを削除しました"})
    audit.record(session, EventTag.DATA_IMPORT_DELETE, actor=resident.principal, ip=ip, rows=rows)
    return rows


def erase_uploads_of(session: Session, resident: Resident, *, instance_path: Path) -> int:
    """Closing the account: the files of the resident's imports still on disk (an upload under way, or one waiting
    for the worker) are deleted; the rows go with the account (cascade). Each import is locked first, so a chunk
    arriving meanwhile waits and then finds no import. Returns how many files were deleted."""
    ids = session.exec(select(DataImport.id).where(DataImport.resident_id == resident.id).with_for_update()).all()
    erased = 0
    for import_id in ids:
        path = upload_path(instance_path, import_id)
        if path.exists():
            path.unlink(missing_ok=True)
            erased += 1
    return erased


def sweep_abandoned(session: Session, *, instance_path: Path, idle: timedelta = ABANDONED_AFTER) -> int:
    """Uploads nobody has added to for `idle` are dropped (row and file): a resident who comes back starts again."""
    cutoff = utcnow() - idle
    stale = session.exec(select(DataImport).where(DataImport.status == ImportStatus.UPLOADING,
                                                  col(DataImport.updated_at) < cutoff)).all()
    for data_import in stale:
        upload_path(instance_path, data_import.id).unlink(missing_ok=True)
        data_import.status, data_import.updated_at, data_import.finished_at = ImportStatus.CANCELED, utcnow(), utcnow()
        session.add(data_import)
    return len(stale)


def sweep_orphan_files(session: Session, *, instance_path: Path, idle: timedelta = ABANDONED_AFTER) -> int:
    """Files older than `idle` whose import no longer exists (a crash between an account's deletion and the removal
    of its files) are deleted. Returns how many."""
    cutoff = (utcnow() - idle).timestamp()
    old: dict[uuid.UUID, Path] = {}
    for path in upload_dir(instance_path).glob("*.upload"):
        try:
            if path.stat().st_mtime < cutoff:
                old[uuid.UUID(path.stem)] = path
        except (ValueError, FileNotFoundError):
            continue  # not one of ours, or gone meanwhile
    if not old:
        return 0
    known = set(session.exec(select(DataImport.id).where(col(DataImport.id).in_(list(old)))).all())
    orphans = [path for import_id, path in old.items() if import_id not in known]
    for path in orphans:
        path.unlink(missing_ok=True)
    return len(orphans)


def imports_of(session: Session, resident: Resident) -> list[DataImport]:
    return list(session.exec(select(DataImport).where(DataImport.resident_id == resident.id)
                             .order_by(col(DataImport.created_at).desc())).all())


# --- the import --------------------------------------------------------------------------------------------------


@dataclass
class Step:
    """What `run_import` reports after each batch: items read so far, and how far into the file (0–1)."""

    items: int
    fraction: float


def _ledger_items(stored: dict[str, int]) -> dict[str, str]:
    """The catalogue items (key → Japanese name) that what was stored belongs to, for the ledger."""
    keys = {KIND_ITEMS[kind] for kind, count in stored.items() if count and kind in KIND_ITEMS}
    return {key: ITEMS[key] for key in sorted(keys)}


def run_import(session: Session, data_import: DataImport, path: Path, *, step: Callable[[Step], None],
               resume_after: int = 0, batch: int = reader_process.BATCH,
               commit_every: int = COMMIT_EVERY) -> ImportSummary:
    """Read the export at `path` into the import's tables; `step` commits about every `commit_every` items (the first
    `resume_after` items were stored by an earlier attempt and are only counted). On success the import is DONE,
    with its summary and the ledger record, in the caller's transaction; on a refusal `ImportRefused` is raised after
    the rows are gone.

    The file is parsed by the reader process (`app.imports.reader_process`) while this one stores its rows."""
    writer = storage.RowWriter(session, import_id=data_import.id)
    next_commit = resume_after + commit_every
    done: reader_process.Done | None = None
    try:
        for message in reader_process.read_export(path, keep_sensitive=data_import.keep_sensitive, skip=resume_after,
                                                  batch=batch):
            if isinstance(message, reader_process.Rows):
                writer.write(message.records, message.points, message.others)
                if message.items >= next_commit:
                    step(Step(message.items, message.fraction))
                    next_commit = message.items + commit_every
            elif isinstance(message, str):
                data_import.format = ImportFormat.GOOGLE if message.startswith("google") else ImportFormat.APPLE_HEALTH
            else:
                done = message
    except reader_process.ReaderRefused as error:
        session.rollback()
        fail(session, data_import, error.code)
        raise ImportRefused(error.code, str(error)) from error
    assert done is not None
    if not done.summary.counts:
        session.rollback()
        fail(session, data_import, "empty")
        raise ImportRefused("empty", "the export holds no health data")
    duplicates = storage.flag_duplicates(session, data_import.id)
    _finish(session, data_import, done, duplicates)
    return done.summary


def fail(session: Session, data_import: DataImport, code: str) -> None:
    """Mark the import FAILED with `code` and delete whatever an earlier batch stored (the caller commits)."""
    storage.delete_rows(session, data_import.id)
    data_import.status, data_import.error_code = ImportStatus.FAILED, code[:40]
    data_import.updated_at = data_import.finished_at = utcnow()
    session.add(data_import)
    resident = session.get(Resident, data_import.resident_id)
    audit.record(session, EventTag.DATA_IMPORT_FAILED, actor=resident.principal if resident else None, code=code)


def _finish(session: Session, data_import: DataImport, done: reader_process.Done, duplicates: int) -> None:
    resident = session.get(Resident, data_import.resident_id)
    assert resident is not None
    data = done.summary.as_dict()
    data["stored"] = dict(done.stored)
    data["withheld"] = dict(done.withheld)
    data["duplicates"] = duplicates
    data["types"] = {name: count for name, count in session.execute(
        sa.select(HealthRecord.type, sa.func.count()).where(HealthRecord.import_id == data_import.id)
        .group_by(HealthRecord.type)).all()}
    data_import.summary = data
    data_import.profile = {k: v for k, v in (done.profile or {}).items() if k != "schema_version"} or None
    data_import.status, data_import.error_code = ImportStatus.DONE, None
    data_import.updated_at = data_import.finished_at = utcnow()
    session.add(data_import)
    items = _ledger_items(done.stored)
    append(session, subject=resident.principal, kind=RecordKind.PROCESSING, payload={
        "action": "data_imports.imported", "items": sorted(items), "item_names": items,
        "purpose_name": "ご本人が持ち込んだ書き出しの保管（ご本人の取込の操作による）",
        "format": data_import.format, "stored": dict(done.stored), "import": str(data_import.id)})
    audit.record(session, EventTag.DATA_IMPORT_DONE, actor=resident.principal, records=done.stored.get("health_record", 0))


def new_local_import(session: Session, resident: Resident, path: Path, *, keep_sensitive: bool) -> DataImport:
    """An import of a file already on this machine (`flask exports import`): no upload, straight to reading."""
    size = path.stat().st_size
    data_import = DataImport(resident_id=resident.id, filename=path.name[:255], size=size, received=size,
                             keep_sensitive=keep_sensitive, status=ImportStatus.READING, format=ImportFormat.APPLE_HEALTH)
    session.add(data_import)
    session.flush()
    return data_import


def record_count(session: Session, data_import: DataImport, *, include_duplicates: bool = True) -> int:
    statement = select(sa.func.count()).select_from(HealthRecord).where(HealthRecord.import_id == data_import.id)
    if not include_duplicates:
        statement = statement.where(HealthRecord.duplicate == sa.false())
    return int(session.exec(statement).one())
