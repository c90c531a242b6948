"""The consent door for one-stop switching: what of a resident's data may move to a destination, now.

A transfer reads the resident's data twice: when the bank converts what it keeps (an uploaded export) into the
destination's format, and when converted items leave for the destination (pushed, or pulled through the API).
Both happen only here, each checked against the live consent for the destination's offer (recipient × purpose)
item by item, and each writes its ledger record — PROCESSING for the conversion, PROVISION (第三者提供記録) for a
delivery — in the caller's transaction, which commits before anything leaves the process.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.accounts.models import Resident
from app.consent.catalogue import items_by_key
from app.consent.enforce import ConsentRequired, live_consents
from app.consent.items import KIND_ITEMS
from app.consent.models import BANK, Purpose, Recipient, Sensitivity
from app.data_imports.models import DataImport, HealthActivitySummary, HealthRecord, HealthWorkout, ImportedItem
from app.db import utcnow
from app.imports.apple_health.elements import record_dict
from app.imports.rows import RECORD_COLUMNS
from app.ledger.models import RecordKind
from app.ledger.services import WrittenRecord, append, lock_chain

# What an uploaded export's stored kinds are read from (the few Google kinds are JSON rows of `imported_item`).
_ROW_KINDS = ("health_record", "workout", "activity_summary")
STAGE_BATCH = 1000


@dataclass(frozen=True)
class ReleasedItem:
    """A staged item as it leaves: its id, digest and canonical JSON text (the bytes the digest is over)."""

    seq: int
    item_id: str
    kind: str
    sha256: str
    body: str


def items_of_kinds(kinds: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(KIND_ITEMS[kind] for kind in kinds if kind in KIND_ITEMS))


def live_kinds(session: Session, resident: Resident, recipient: str, purpose: str, kinds: Sequence[str]) -> list[str]:
    """The kinds whose consent item is live for this recipient and purpose now."""
    live = live_consents(session, resident, recipient, purpose)
    return [kind for kind in kinds if KIND_ITEMS.get(kind) in live]


def _record(session: Session, resident: Resident, kind: RecordKind, recipient: str, purpose: str,
            counts: Mapping[str, int], **details: Any) -> WrittenRecord | Any:
    recipient_row, purpose_row = session.get(Recipient, recipient), session.get(Purpose, purpose)
    names = {key: item.name_ja for key, item in items_by_key(session).items()}
    keys = items_of_kinds(list(counts))
    return append(session, subject=resident.principal, kind=kind, payload={
        "recipient": recipient,
        "recipient_name": recipient_row.legal_name if recipient_row else recipient,
        "purpose": purpose,
        "purpose_name": purpose_row.name_ja if purpose_row else purpose,
        "items": keys,
        "item_names": {key: names[key] for key in keys if key in names},
        "counts": dict(sorted(counts.items())),
        "date": utcnow().isoformat(),
        **details,
    })


def release(session: Session, *, resident: Resident, job_id: uuid.UUID, recipient: str, purpose: str,
            after: int = 0, limit: int = 500, via: Mapping[str, str] | None = None,
            scope: Collection[str] | None = None) -> list[ReleasedItem]:
    """The next staged items of a job (after staging position `after`) whose consent is live — and, for a client's
    token, whose item is in its `scope` — with the PROVISION record of exactly these written in the caller's
    transaction, and each marked released (what the destination's receipt is then checked against). Raises
    ConsentRequired when no kind of the job may go any more (a withdrawal stops a transfer mid-way: nothing after it
    leaves)."""
    from app.switching.models import TransferItem  # the staging table belongs to switching; only read here

    # Under the resident's chain lock, as a withdrawal is: it either committed before this check (and nothing of
    # what it withdrew leaves) or waits until these items' provision record is written.
    lock_chain(session, resident.principal)
    staged_kinds = list(session.exec(select(TransferItem.kind).where(TransferItem.job_id == job_id,
                                                                      col(TransferItem.taken)).distinct()))
    allowed = [kind for kind in live_kinds(session, resident, recipient, purpose, staged_kinds)
               if scope is None or KIND_ITEMS.get(kind) in scope]
    if staged_kinds and not allowed:
        raise ConsentRequired()
    rows = session.exec(
        select(TransferItem).where(TransferItem.job_id == job_id, col(TransferItem.id) > after,
                                   col(TransferItem.taken), col(TransferItem.kind).in_(allowed))
        .order_by(col(TransferItem.id)).limit(limit)).all()
    items = [ReleasedItem(int(row.id or 0), row.item_id, row.kind, row.sha256, row.body) for row in rows]
    for row in rows:
        row.released = True
    if items:
        counts = Counter(item.kind for item in items)
        _record(session, resident, RecordKind.PROVISION, recipient, purpose, counts, job=str(job_id),
                first_item=items[0].item_id, last_item=items[-1].item_id,
                withheld=sorted(set(staged_kinds) - set(allowed)), **({"via": dict(via)} if via else {}))
    return items


def withheld_kinds(session: Session, *, resident: Resident, recipient: str, purpose: str,
                   kinds: Sequence[str]) -> list[str]:
    """Of these kinds, the ones without live consent now (for the report and the manifest check)."""
    allowed = set(live_kinds(session, resident, recipient, purpose, kinds))
    return [kind for kind in kinds if kind not in allowed]


def stage_from_import(session: Session, *, resident: Resident, import_id: uuid.UUID, recipient: str, purpose: str,
                      kinds: Sequence[str], stage: Callable[[list[dict[str, Any]]], None]) -> dict[str, int]:
    """Read the resident's stored export for a transfer: the consented kinds' items, as interchange dicts, handed to
    `stage` in batches (the switching code converts and stages them). Writes the PROCESSING record of the
    conversion. Returns the counts read per kind."""
    upload = session.get(DataImport, import_id)
    if upload is None or upload.resident_id != resident.id:
        raise ConsentRequired()
    allowed = live_kinds(session, resident, recipient, purpose, kinds)
    if not allowed:
        raise ConsentRequired()
    counts: Counter[str] = Counter()
    catalogue = items_by_key(session)
    for kind in allowed:
        # A 要配慮 record filed under an ordinary item (an irregular-rhythm notification is a `health_record`) has no
        # item of its own to consent to: it never leaves, whatever the destination's format would make of it.
        ordinary = catalogue[KIND_ITEMS[kind]].sensitivity != Sensitivity.SPECIAL
        for batch in _stored_items(session, import_id, kind):
            if ordinary:
                batch = [item for item in batch if not item.get("sensitive")]
            counts[kind] += len(batch)
            stage(batch)
    _record(session, resident, RecordKind.PROCESSING, BANK, purpose, counts, converted_for=recipient,
            import_id=str(import_id))
    return dict(counts)


def _stored_items(session: Session, import_id: uuid.UUID, kind: str) -> Iterator[list[dict[str, Any]]]:
    """One kind of a stored import as interchange dicts (docs/interchange.md), in batches, in storage order."""
    if kind not in _ROW_KINDS:
        query: Any = (select(ImportedItem).where(ImportedItem.import_id == import_id, ImportedItem.kind == kind)
                      .order_by(col(ImportedItem.id)))
        for rows in _batches(session, query):
            yield [{"kind": kind, "row_id": row.id, **row.data} for row in rows]
        return
    model: Any = {"health_record": HealthRecord, "workout": HealthWorkout, "activity_summary": HealthActivitySummary}[kind]
    query = select(model).where(model.import_id == import_id).order_by(col(model.id))
    if kind == "health_record":
        query = query.where(sa.not_(col(HealthRecord.duplicate)))  # the same sample from two sources counts once
    for rows in _batches(session, query):
        yield [_row_item(kind, row) for row in rows]


def _batches(session: Session, query: Any) -> Iterator[list[Any]]:
    last = 0
    while True:
        rows = session.exec(query.where(col(query.column_descriptions[0]["entity"].id) > last).limit(STAGE_BATCH)).all()
        if not rows:
            return
        last = rows[-1].id
        yield list(rows)


def _row_item(kind: str, row: Any) -> dict[str, Any]:
    """A stored row back as its interchange item (docs/interchange.md), with `row_id` as its source id."""
    if kind == "health_record":
        return {**record_dict(tuple(getattr(row, name) for name in RECORD_COLUMNS)), "row_id": row.id}
    values = {name: getattr(row, name) for name in row.__class__.model_fields if name not in ("id", "import_id")}
    if kind == "workout":
        values.update(values.pop("details") or {})
    return {"kind": kind, "schema_version": 1, **values, "row_id": row.id}
