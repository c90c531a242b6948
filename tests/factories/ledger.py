"""Ledger helpers for tests: a few records, and tampering that bypasses PostgreSQL's append-only triggers."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from app.ledger.models import LedgerRecord, RecordKind
from app.ledger.services import append


def new_subject() -> str:
    return f"resident:{uuid.uuid4()}"


def append_records(db: Session, subject: str, count: int, *, kind: RecordKind = RecordKind.PROCESSING) -> list[LedgerRecord]:
    return [append(db, subject=subject, kind=kind, payload={"description": f"step {n}", "items": ["address"], "n": n})
            for n in range(1, count + 1)]


def tamper(db: Session, sql: str, **params: Any) -> int:
    """Run `sql` as an attacker with direct database access would: on PostgreSQL the triggers are switched off for
    this statement only (`session_replication_role = replica`, superuser only); SQLite has no triggers."""
    postgresql = db.get_bind().dialect.name == "postgresql"
    if postgresql:
        db.execute(sa.text("SET LOCAL session_replication_role = replica"))
    try:
        return int(db.execute(sa.text(sql), params).rowcount or 0)  # type: ignore[attr-defined]
    finally:
        if postgresql:
            db.execute(sa.text("SET LOCAL session_replication_role = origin"))
