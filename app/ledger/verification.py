"""Checking the chains: recompute every record hash, every link and every payload digest still held, compare the
head and the latest signed anchor, and name the first broken record.

How a break is located (so that editing record k is reported at k):
- a field of record k changed (kind, time, prev hash, payload digest, or the hash itself): k's hash no longer
  recomputes → k;
- the payload of k changed: its digest no longer matches → k;
- record k rewritten with a recomputed hash: k looks whole, but record k+1 (whose own hash still recomputes, so
  its `prev_hash` is authentic) names another hash for k → k; for the last record the chain's head or the
  latest anchor plays the part of k+1;
- record k deleted, or its sequence number changed: the sequence jumps → k is missing.
An erased payload (account deleted, retention ended) is not a break: the record's hash covers only its digest.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, select

from app.ledger.chain import ZERO_HASH, anchor_digest, payload_digest, record_hash, timestamp
from app.ledger.models import LedgerAnchor, LedgerChain, LedgerPayload, LedgerRecord
from app.signing import BadSignature, verify


class BreakReason(StrEnum):
    ALTERED = "altered"  # the record's fields do not give its stored hash
    PAYLOAD_ALTERED = "payload_altered"  # the payload does not give the record's digest
    REWRITTEN = "rewritten"  # the record's hash differs from the one its successor, the head or an anchor holds
    MISSING = "missing"  # the sequence has a gap here (or the head counts records that are not there)
    UNACCOUNTED = "unaccounted"  # a record beyond the chain's head (not written by the ledger)


BREAK_DESCRIPTIONS = {  # English, for the command line and logs; pages translate their own
    BreakReason.ALTERED: "the record was changed after it was written",
    BreakReason.PAYLOAD_ALTERED: "the record's content was changed after it was written",
    BreakReason.REWRITTEN: "the record differs from the one the next record (or the signed anchor) vouches for",
    BreakReason.MISSING: "the record is missing",
    BreakReason.UNACCOUNTED: "the record is beyond the chain's head",
}


@dataclass(frozen=True)
class Verification:
    subject: str
    ok: bool
    records: int
    first_broken_seq: int | None
    reason: BreakReason | None
    chain_id: uuid.UUID | None = None
    erased: int = 0  # records whose payload was erased (still verified through their hash)
    anchored_seq: int | None = None  # the record the latest signed anchor vouches for, if any

    @property
    def description(self) -> str:
        return BREAK_DESCRIPTIONS[self.reason] if self.reason else "ok"


# Columns, not objects: what is checked is what the database holds, never an object this session kept.
_RECORD_COLUMNS = (
    LedgerRecord.chain_id, LedgerRecord.seq, LedgerRecord.kind, LedgerRecord.at, LedgerRecord.prev_hash,
    LedgerRecord.payload_digest, LedgerRecord.record_hash, LedgerPayload.salt, LedgerPayload.body,
)
_CHAIN_COLUMNS = (LedgerChain.id, LedgerChain.subject, LedgerChain.head_seq, LedgerChain.head_hash)


def _records(session: Session, chain_id: uuid.UUID | None = None) -> Any:
    statement = (
        select(*_RECORD_COLUMNS)
        .outerjoin(LedgerPayload, col(LedgerPayload.record_id) == col(LedgerRecord.id))
        .order_by(col(LedgerRecord.chain_id), col(LedgerRecord.seq))
    )
    if chain_id is not None:
        statement = statement.where(col(LedgerRecord.chain_id) == chain_id)
    return session.execute(statement.execution_options(yield_per=1000))


def check_chain(chain: Any, rows: Iterable[Any], anchored: tuple[int, str] | None = None) -> Verification:
    """Verify one chain from its row (id, subject, head_seq, head_hash) and its records in sequence order."""
    rows = list(rows)
    stored = {row.seq: row.record_hash for row in rows}
    erased = sum(1 for row in rows if row.salt is None)
    first: tuple[int, BreakReason] | None = None
    expected, previous = 1, ZERO_HASH
    for row in rows:
        if row.seq != expected:
            first = (expected, BreakReason.MISSING)
            break
        recomputed = record_hash(chain_id=row.chain_id, seq=row.seq, kind=row.kind, at=row.at,
                                 prev_hash=row.prev_hash, payload_digest=row.payload_digest)
        if recomputed != row.record_hash:
            first = (row.seq, BreakReason.ALTERED)
            break
        if row.prev_hash != previous:
            # This record is whole, so the hash it names for its predecessor is authentic: the predecessor changed.
            first = (row.seq - 1, BreakReason.REWRITTEN) if row.seq > 1 else (1, BreakReason.ALTERED)
            break
        if row.salt is not None and payload_digest(row.salt, row.body) != row.payload_digest:
            first = (row.seq, BreakReason.PAYLOAD_ALTERED)
            break
        previous = row.record_hash
        expected += 1
    last = expected - 1  # the last record of the unbroken run
    if first is None:
        if chain.head_seq > last:
            first = (last + 1, BreakReason.MISSING)
        elif chain.head_seq < last:
            first = (chain.head_seq + 1, BreakReason.UNACCOUNTED)
        elif last and chain.head_hash != previous:
            first = (last, BreakReason.REWRITTEN)
    if anchored is not None:
        seq, anchored_hash = anchored
        problem = None
        if seq not in stored:
            problem = (min(seq, last + 1), BreakReason.MISSING)
        elif stored[seq] != anchored_hash:
            problem = (seq, BreakReason.REWRITTEN)
        if problem and (first is None or problem[0] < first[0]):
            first = problem
    return Verification(
        subject=chain.subject, ok=first is None, records=len(rows),
        first_broken_seq=first[0] if first else None, reason=first[1] if first else None,
        chain_id=chain.id, erased=erased, anchored_seq=anchored[0] if anchored else None,
    )


def verify_anchor(anchor: LedgerAnchor) -> bool:
    """The anchor's signature is the bank's, and its digest covers its heads and time (needs an app context)."""
    try:
        claims = verify(anchor.jws)
    except BadSignature:
        return False
    digest = anchor_digest(anchor.at, anchor.heads)
    return claims.get("digest") == digest == anchor.digest and claims.get("at") == timestamp(anchor.at)


def _anchored_heads(session: Session) -> dict[str, tuple[int, str]]:
    """The heads of the latest anchor, if its signature holds (a forged anchor vouches for nothing)."""
    anchor = session.exec(
        select(LedgerAnchor).order_by(col(LedgerAnchor.at).desc(), col(LedgerAnchor.id).desc()).limit(1)
        .execution_options(populate_existing=True)
    ).first()
    if anchor is None or not verify_anchor(anchor):
        return {}
    return {str(chain_id): (int(seq), str(head)) for chain_id, seq, head in anchor.heads}


def verify_chain(session: Session, subject: str) -> Verification:
    """Verify the subject's chain (a subject without records has an empty, valid chain). Needs an app context
    when anchors exist (their signature is checked with the bank's key)."""
    chain = session.execute(select(*_CHAIN_COLUMNS).where(col(LedgerChain.subject) == subject)).first()
    if chain is None:
        return Verification(subject=subject, ok=True, records=0, first_broken_seq=None, reason=None)
    return check_chain(chain, _up_to_head(chain, _records(session, chain.id)), _anchored_heads(session).get(str(chain.id)))


def _up_to_head(chain: Any, rows: Iterable[Any]) -> Iterator[Any]:
    """The records up to the head as it was read: the chain row is read first, so a record appended (and
    committed) while verifying lies beyond that head and is left for the next check, not reported as broken."""
    return (row for row in rows if row.seq <= chain.head_seq)


def verify_all(session: Session) -> list[Verification]:
    """Every chain, in one pass over the records (ordered by chain, then sequence)."""
    chains = {row.id: row for row in session.execute(select(*_CHAIN_COLUMNS))}
    anchored = _anchored_heads(session)
    results: dict[uuid.UUID, Verification] = {}
    for chain_id, rows in itertools.groupby(_records(session), key=lambda row: row.chain_id):
        chain = chains.get(chain_id)
        if chain is not None:
            results[chain_id] = check_chain(chain, _up_to_head(chain, rows), anchored.get(str(chain_id)))
    for chain_id, chain in chains.items():
        if chain_id not in results:
            results[chain_id] = check_chain(chain, (), anchored.get(str(chain_id)))
    known = {str(chain_id) for chain_id in chains}
    for chain_id, (seq, _hash) in anchored.items():
        if chain_id not in known:  # the anchor vouches for a chain that is gone
            results[uuid.UUID(chain_id)] = Verification(subject="", ok=False, records=0, first_broken_seq=1,
                                                        reason=BreakReason.MISSING, chain_id=uuid.UUID(chain_id),
                                                        anchored_seq=seq)
    return sorted(results.values(), key=lambda v: (v.ok, str(v.chain_id)))


def broken(verifications: Sequence[Verification]) -> list[Verification]:
    return [v for v in verifications if not v.ok]
