"""The ledger's tables: one hash chain per resident, the records, their erasable payloads, and daily anchors.

A chain is keyed by its subject (a principal, "resident:<uuid>"), not by a foreign key: the records outlive the
account (without their payloads once it is deleted) for the legal retention period (APPI 法29条2項・法30条4項
and the PPC rules: at least 3 years). On PostgreSQL, triggers (see the "ledger" migration) make records and
anchors insert-only, let a payload be deleted but never changed, and let a chain's head only advance by one, to
a record that exists.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from app.db import BigIntPK, UTCDateTime, new_id, utcnow
from app.ledger.chain import ZERO_HASH


class RecordKind(StrEnum):
    PROCESSING = "processing"  # the bank itself used or stored the resident's data
    PROVISION = "provision"  # 第三者提供 (APPI 法29条 record)
    RECEIPT = "receipt"  # 第三者からの受領 (APPI 法30条 確認記録)
    CONSENT = "consent"  # a consent given, changed or withdrawn
    TRANSFER = "transfer"  # a step of moving the resident's data to another bank
    DELETION = "deletion"  # data or the account deleted


class LedgerChain(SQLModel, table=True):
    """One resident's chain; its head is the last record's sequence number and hash."""

    __tablename__ = "ledger_chain"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    subject: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    head_seq: int = 0
    head_hash: str = Field(default=ZERO_HASH, max_length=64)


class LedgerRecord(SQLModel, table=True):
    """One event in a chain. Only hashes and the kind: what happened is in the payload (erasable)."""

    __tablename__ = "ledger_record"
    __table_args__ = (sa.UniqueConstraint("chain_id", "seq"), sa.CheckConstraint("seq >= 1", name="seq_positive"))

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    chain_id: uuid.UUID = Field(foreign_key="ledger_chain.id")
    seq: int
    kind: str = Field(max_length=16)
    at: datetime = Field(sa_type=UTCDateTime)
    prev_hash: str = Field(max_length=64)
    payload_digest: str = Field(max_length=64)
    record_hash: str = Field(max_length=64)


class LedgerPayload(SQLModel, table=True):
    """What a record says (who, what, why), with the salt of its digest. Deleted on erasure; never changed."""

    __tablename__ = "ledger_payload"

    record_id: int = Field(primary_key=True, foreign_key="ledger_record.id", sa_type=BigIntPK)
    salt: str = Field(max_length=64)
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class LedgerAnchor(SQLModel, table=True):
    """A signed statement of every chain's head at one moment (daily), to be kept off-host as well."""

    __tablename__ = "ledger_anchor"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    heads: list[list[Any]] = Field(default_factory=list, sa_type=JSON)  # [[chain id, seq, record hash], …]
    digest: str = Field(max_length=64)
    jws: str  # compact JWS (ES256, typ "ledger-anchor+jws") over {"at", "chains", "digest"}
