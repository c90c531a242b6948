"""How long a closed account's records keep what they say (APPI: a 第三者提供記録 (法29条, 規則21条) and a 確認記録
(法30条, 規則24条) are kept three years).

Closing an account erases at once the payloads of its processing, consent, transfer and deletion records, and keeps
those of its provision and receipt records until three years after each was written; the daily job
`ledger.retention` erases them then. An open account's records are never erased (docs/decisions.md § Provision
records are kept three years after the account closes). The chain rows stay in every case, and still verify.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.accounts.models import Resident
from app.db import utcnow
from app.ledger.models import LedgerChain, LedgerPayload, LedgerRecord, RecordKind
from app.principals import parse_principal

RETAINED_KINDS = (RecordKind.PROVISION.value, RecordKind.RECEIPT.value)
RECORD_RETENTION = timedelta(days=3 * 366)  # three years, whatever the leap days


def _records_of(subjects: Any) -> Any:
    return (select(LedgerRecord.id).join(LedgerChain, col(LedgerChain.id) == col(LedgerRecord.chain_id))
            .where(col(LedgerChain.subject).in_(subjects)))


def _delete_payloads(session: Session, records: Any) -> int:
    result = session.execute(sa.delete(LedgerPayload).where(col(LedgerPayload.record_id).in_(records)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def erase_on_closing(session: Session, subject: str, *, now: datetime | None = None) -> tuple[int, int]:
    """The account of `subject` closes: every payload goes but those the law keeps, which stay until their three years
    are over. Returns (erased, kept)."""
    cutoff = (now or utcnow()) - RECORD_RETENTION
    kept = sa.and_(col(LedgerRecord.kind).in_(RETAINED_KINDS), col(LedgerRecord.at) >= cutoff)
    erased = _delete_payloads(session, _records_of([subject]).where(sa.not_(kept)))
    still = session.execute(select(sa.func.count()).select_from(LedgerPayload).where(
        col(LedgerPayload.record_id).in_(_records_of([subject]).where(kept)))).scalar_one()
    return erased, int(still)


def erase_expired(session: Session, *, now: datetime | None = None) -> int:
    """The daily job: closed accounts' provision and receipt payloads whose three years are over. Returns how many."""
    cutoff = (now or utcnow()) - RECORD_RETENTION
    expired = sa.and_(col(LedgerRecord.kind).in_(RETAINED_KINDS), col(LedgerRecord.at) < cutoff)
    subjects = session.execute(
        select(LedgerChain.subject).distinct()
        .join(LedgerRecord, col(LedgerRecord.chain_id) == col(LedgerChain.id))
        .join(LedgerPayload, col(LedgerPayload.record_id) == col(LedgerRecord.id))
        .where(expired)).scalars().all()
    residents = {subject: parsed[1] for subject in subjects
                 if (parsed := parse_principal(subject)) is not None and parsed[0] == "resident"}
    open_ids = set(session.execute(select(Resident.id).where(col(Resident.id).in_(list(residents.values()))))
                   .scalars().all()) if residents else set()
    closed = [subject for subject, resident_id in residents.items() if resident_id not in open_ids]
    if not closed:
        return 0
    return _delete_payloads(session, _records_of(closed).where(expired))
