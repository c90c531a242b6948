"""Writing and reading the ledger: append in the caller's transaction, history, erasure, anchors, and the
APPI 法30条 receipts (which live in the ledger as RECEIPT records).

Payload keys the history page and the exports read (all optional; anything else is kept and exported as is):

- `items`: list of item keys (`address`, `children.birth_date`, …); `item_names` {key: name} to show names
- `purpose` (a key or words) and `purpose_name`: why; `basis` for a receipt (on what basis the bank received it)
- `consent_id`, `receipt_id` or `consent_receipts` (a list): the consent the record relies on
- `event`: for a CONSENT record, `given` | `withdrawn` | `renewed`
- `recipient_name` (+ `recipient_address`, `recipient_representative`): for a PROVISION (APPI 法29条)
- `provider_name` (+ `provider_address`, `provider_representative`, `how_obtained`): for a RECEIPT (法30条)
- `action`: a code for what the bank did (see `app.ledger.presentation.ACTION_LABELS`), `description` in words
Never put a token, a password or an email address in a payload: the payload is shown and exported as stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.accounts.providers import DataSource
from app.db import in_values, insert_ignoring_conflicts, new_id, utcnow
from app.ledger.chain import ZERO_HASH, anchor_digest, new_salt, normalise_payload, payload_digest, record_hash, timestamp
from app.ledger.models import LedgerAnchor, LedgerChain, LedgerPayload, LedgerRecord, RecordKind
from app.ledger.verification import BreakReason, Verification, verify_all, verify_anchor, verify_chain
from app.signing import sign

__all__ = [
    "BreakReason", "HistoryEntry", "NewRecord", "ReceiptView", "Verification", "WrittenRecord", "append", "append_many",
    "chain_of", "erase_payloads", "history", "latest_anchors", "lock_chain", "lock_chains", "make_anchor", "receipts_for",
    "record_receipt", "verify_all", "verify_anchor", "verify_chain",
]

ANCHOR_JWS_TYPE = "ledger-anchor+jws"
# The basis on which the bank receives data from a provider: the resident's own action and consent there.
CONSENT_BASIS = "本人による連携の操作と、提供元での本人の同意（OAuth 2.0 認可）"


@dataclass(frozen=True)
class HistoryEntry:
    record: LedgerRecord
    payload: dict[str, Any] | None  # None once erased
    salt: str | None = None  # exported, so that the resident can recompute the payload digest


def chain_of(session: Session, subject: str) -> LedgerChain | None:
    return session.exec(
        select(LedgerChain).where(col(LedgerChain.subject) == subject).execution_options(populate_existing=True)
    ).first()


def lock_chain(session: Session, subject: str) -> LedgerChain:
    """The subject's chain, created if needed, locked until the caller's transaction ends. Consent decisions and
    uses of the same resident's data take it too, so they happen one after the other, never interleaved (a use
    cannot read a grant that a concurrent withdrawal is about to end).

    INSERT … ON CONFLICT DO NOTHING: a first record for the same resident in two transactions at once creates one
    chain (the second insert waits for the first and then does nothing). FOR UPDATE then serialises the appends on
    PostgreSQL; on SQLite the write lock taken at BEGIN IMMEDIATE already does. populate_existing: the session
    keeps objects across commits (expire_on_commit=False), and a stale head here would fork the chain.
    """
    return lock_chains(session, [subject])[subject]


def lock_chains(session: Session, subjects: Collection[str]) -> dict[str, LedgerChain]:
    """`lock_chain` for many subjects at once (the batch of feeds): one insert, one SELECT … FOR UPDATE, rows
    locked in subject order so that two batches over overlapping residents cannot deadlock."""
    wanted = sorted(set(subjects))
    if not wanted:
        return {}
    chains = _select_for_update(session, wanted)
    missing = [subject for subject in wanted if subject not in chains]
    if missing:  # rare in a batch: a first record for these residents
        now = utcnow()
        session.execute(
            insert_ignoring_conflicts(session, LedgerChain, "subject")
            .values([{"id": new_id(), "subject": subject, "created_at": now, "head_seq": 0, "head_hash": ZERO_HASH}
                     for subject in missing])
        )
        chains.update(_select_for_update(session, missing))
    return chains


def _select_for_update(session: Session, subjects: list[str]) -> dict[str, LedgerChain]:
    rows = session.exec(
        select(LedgerChain)
        .where(in_values(session, col(LedgerChain.subject), subjects))
        .order_by(col(LedgerChain.subject))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {chain.subject: chain for chain in rows}


def append(session: Session, *, subject: str, kind: RecordKind, payload: dict[str, Any],
           at: datetime | None = None) -> LedgerRecord:
    """Add a record to the subject's chain in the caller's transaction (no commit).

    Anything failing raises, and the caller's transaction (with the work the record is about) rolls back: no
    record, no data.
    """
    body = normalise_payload(payload)  # a payload JSON cannot hold is refused before anything is written
    chain = lock_chain(session, subject)
    values, salt = _next_values(chain, RecordKind(kind), body, at)
    record = LedgerRecord(**values)
    session.add(record)
    session.flush()  # the record exists before the head points at it (PostgreSQL's trigger checks that)
    assert record.id is not None
    session.add(LedgerPayload(record_id=record.id, salt=salt, body=body))
    chain.head_seq, chain.head_hash = record.seq, record.record_hash
    session.add(chain)
    session.flush()
    return record


@dataclass(frozen=True)
class NewRecord:
    """One record for `append_many`: what `append` takes, for a chain already locked by `lock_chains`."""

    chain: LedgerChain
    kind: RecordKind
    payload: dict[str, Any]
    at: datetime | None = None


@dataclass(frozen=True)
class WrittenRecord:
    """What `append_many` wrote, as plain values (a LedgerRecord instance costs more to build than to insert)."""

    id: int
    chain_id: uuid.UUID
    seq: int
    kind: str
    at: datetime
    record_hash: str


def append_many(session: Session, entries: Sequence[NewRecord]) -> list[WrittenRecord]:
    """`append` for many chains at once, one record per chain, with three statements for all of them (the batch of
    feeds writes one processing record per resident and purpose). The chains must be locked by `lock_chains` in
    this transaction. Returns what was written, in the given order."""
    if len({entry.chain.id for entry in entries}) != len(entries):
        raise ValueError("append_many takes one record per chain")
    if not entries:
        return []
    rows, payloads = [], []
    for entry in entries:
        body = normalise_payload(entry.payload)
        values, salt = _next_values(entry.chain, RecordKind(entry.kind), body, entry.at)
        rows.append(values)
        payloads.append((salt, body))
    ids = session.execute(sa.insert(LedgerRecord).returning(col(LedgerRecord.id), sort_by_parameter_order=True),
                          rows).scalars().all()
    session.execute(sa.insert(LedgerPayload), [{"record_id": record_id, "salt": salt, "body": body}
                                               for record_id, (salt, body) in zip(ids, payloads, strict=True)])
    _advance_heads(session, [(row["chain_id"], row["seq"], row["record_hash"]) for row in rows])
    for entry in entries:
        session.expire(entry.chain)  # its head moved in the database: nobody may read the old one from this object
    return [WrittenRecord(record_id, row["chain_id"], row["seq"], row["kind"], row["at"], row["record_hash"])
            for record_id, row in zip(ids, rows, strict=True)]


def _advance_heads(session: Session, heads: list[tuple[uuid.UUID, int, str]]) -> None:
    """Move each chain's head to its new record (the trigger checks every row). PostgreSQL: one UPDATE … FROM
    unnest(arrays); elsewhere one statement per chain."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text(
            "UPDATE ledger_chain SET head_seq = new.seq, head_hash = new.hash "
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:seqs AS integer[]), CAST(:hashes AS varchar[])) AS new(id, seq, hash) "
            "WHERE ledger_chain.id = new.id"
        ), {"ids": [chain_id for chain_id, _seq, _hash in heads], "seqs": [seq for _id, seq, _hash in heads],
            "hashes": [digest for _id, _seq, digest in heads]})
    else:
        session.execute(sa.update(LedgerChain), [{"id": chain_id, "head_seq": seq, "head_hash": digest}
                                                 for chain_id, seq, digest in heads])


def _next_values(chain: LedgerChain, kind: RecordKind, body: dict[str, Any],
                 at: datetime | None) -> tuple[dict[str, Any], str]:
    """The columns of the record that follows the chain's head, and the salt of its (normalised) payload's digest."""
    at = (at or utcnow()).astimezone(UTC)
    salt = new_salt()
    digest = payload_digest(salt, body)
    seq = chain.head_seq + 1
    return {"chain_id": chain.id, "seq": seq, "kind": kind.value, "at": at, "prev_hash": chain.head_hash,
            "payload_digest": digest, "record_hash": record_hash(chain_id=chain.id, seq=seq, kind=kind.value, at=at,
                                                                 prev_hash=chain.head_hash, payload_digest=digest)}, salt


def history(
    session: Session,
    subject: str,
    *,
    kinds: Collection[RecordKind] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
    before_seq: int | None = None,
) -> list[HistoryEntry]:
    """The subject's records, newest first (by sequence); `since` inclusive, `until` and `before_seq` exclusive."""
    statement = (
        select(LedgerRecord, LedgerPayload)
        .join(LedgerChain, col(LedgerChain.id) == col(LedgerRecord.chain_id))
        .outerjoin(LedgerPayload, col(LedgerPayload.record_id) == col(LedgerRecord.id))
        .where(col(LedgerChain.subject) == subject)
        .order_by(col(LedgerRecord.seq).desc())
        .execution_options(populate_existing=True)
    )
    if kinds:
        statement = statement.where(col(LedgerRecord.kind).in_([RecordKind(k).value for k in kinds]))
    if since is not None:
        statement = statement.where(col(LedgerRecord.at) >= since)
    if until is not None:
        statement = statement.where(col(LedgerRecord.at) < until)
    if before_seq is not None:
        statement = statement.where(col(LedgerRecord.seq) < before_seq)
    if limit is not None:
        statement = statement.limit(limit)
    return [
        HistoryEntry(record, dict(payload.body) if payload else None, payload.salt if payload else None)
        for record, payload in session.exec(statement)
    ]


def erase_payloads(session: Session, subject: str) -> int:
    """Delete the payloads of the subject's records (account deletion, end of retention); the chain stays and
    still verifies. Returns how many were erased."""
    records = (
        select(LedgerRecord.id)
        .join(LedgerChain, col(LedgerChain.id) == col(LedgerRecord.chain_id))
        .where(col(LedgerChain.subject) == subject)
    )
    result = session.execute(sa.delete(LedgerPayload).where(col(LedgerPayload.record_id).in_(records)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def make_anchor(session: Session) -> LedgerAnchor:
    """Sign the heads of every chain now (in the caller's transaction). Columns, not objects: the heads are read
    from the database, never from objects this session may hold."""
    at = utcnow()
    rows = session.execute(
        select(LedgerChain.id, LedgerChain.head_seq, LedgerChain.head_hash).where(col(LedgerChain.head_seq) > 0)
    ).all()
    heads = sorted([str(chain_id), seq, head] for chain_id, seq, head in rows)
    digest = anchor_digest(at, heads)
    anchor = LedgerAnchor(at=at, heads=heads, digest=digest,
                          jws=sign({"at": timestamp(at), "chains": len(heads), "digest": digest}, typ=ANCHOR_JWS_TYPE))
    session.add(anchor)
    session.flush()
    return anchor


def latest_anchors(session: Session, *, limit: int = 10) -> list[LedgerAnchor]:
    return list(session.exec(select(LedgerAnchor).order_by(col(LedgerAnchor.at).desc(), col(LedgerAnchor.id).desc())
                             .limit(limit)))


# --- APPI 法30条: receipts of personal data from third parties --------------------------------------------


@dataclass(frozen=True)
class ReceiptView:
    """What わたしのデータ shows of one receipt."""

    seq: int
    received_at: datetime
    source_key: str
    provider_name: str
    how_obtained: str
    items: list[str]
    kept: bool


def record_receipt(
    session: Session, *, principal: str, source_key: str, source: DataSource, items: Iterable[str], kept: bool,
    basis: str = CONSENT_BASIS, item_names: dict[str, str] | None = None, **details: object,
) -> LedgerRecord:
    """Append the APPI 法30条 record of one receipt, in the caller's transaction (with the data it records):
    who provided it (name, address, representative), how they obtained it, on what basis, which items."""
    return append(session, subject=principal, kind=RecordKind.RECEIPT, payload={
        "source_key": source_key,
        "provider_name": source.legal_name,
        "provider_address": source.address,
        "provider_representative": source.representative,
        "how_obtained": source.how_obtained,
        "basis": basis,
        "items": sorted(items),
        # False for the "保存しない" choice (used for the request, not kept) and for a MyNa Portal read waiting
        # for the resident's confirmation; a later PROCESSING record with its `receipt_seq` says it was stored.
        "kept": kept,
        **({"item_names": dict(item_names)} if item_names else {}),
        "details": dict(details),
    })


def receipts_for(session: Session, principal: str, *, limit: int = 20) -> list[ReceiptView]:
    """The latest receipts, newest first. Erased ones are left out: nothing about them is left to show."""
    receipts = [(e.record, e.payload) for e in history(session, principal, kinds=[RecordKind.RECEIPT], limit=limit)
                if e.payload is not None]
    if not receipts:
        return []
    since = min(record.at for record, _ in receipts)
    stored_later = {e.payload.get("receipt_seq") for e in history(session, principal, kinds=[RecordKind.PROCESSING],
                                                                  since=since) if e.payload is not None}
    return [
        ReceiptView(
            seq=record.seq,
            received_at=record.at,
            source_key=str(payload.get("source_key", "")),
            provider_name=str(payload.get("provider_name", "")),
            how_obtained=str(payload.get("how_obtained", "")),
            items=list(payload.get("items") or []),
            kept=bool(payload.get("kept")) or record.seq in stored_later,
        )
        for record, payload in receipts
    ]
