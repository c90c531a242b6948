"""The consent catalogue (items, recipients, purposes, the ethics board's approvals, offers) and each resident's
decisions. A decision is one row per (resident, recipient, purpose, item); its receipts keep the history."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from app.db import BigIntPK, UTCDateTime, new_id, utcnow

# The bank itself, as the processor under the resident's mandate (委任), is a recipient key like the others.
BANK = "azukari"


class Sensitivity(StrEnum):
    ORDINARY = "ordinary"
    SPECIAL = "special"  # 要配慮個人情報 (APPI 法2条3項): its own explicit consent and a fresh login


class Granularity(StrEnum):
    COARSE = "coarse"  # derived (児童数, 年齢区分 …): what recipients are offered by default
    EXACT = "exact"  # birth dates, the address: only where a purpose truly needs them


class DataItem(SQLModel, table=True):
    __tablename__ = "consent_item"

    key: str = Field(primary_key=True, max_length=40)
    name_ja: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    description_ja: str = Field(default="", max_length=400)
    description_en: str = Field(default="", max_length=400)
    sensitivity: str = Field(default=Sensitivity.ORDINARY.value, max_length=16)
    granularity: str = Field(default=Granularity.COARSE.value, max_length=16)


class Recipient(SQLModel, table=True):
    __tablename__ = "consent_recipient"

    key: str = Field(primary_key=True, max_length=40)
    legal_name: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    kind: str = Field(max_length=20)  # bank | municipality | partner | switching | statistics | analysts
    address: str = Field(default="", max_length=200)
    contact: str = Field(default="", max_length=200)
    privacy_policy_url: str = Field(default="", max_length=300)


class Purpose(SQLModel, table=True):
    __tablename__ = "consent_purpose"

    key: str = Field(primary_key=True, max_length=40)
    name_ja: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    benefit_ja: str = Field(default="", max_length=400)
    benefit_en: str = Field(default="", max_length=400)
    retention_days: int = 365


class EthicsApproval(SQLModel, table=True):
    """A recorded approval by the data ethics board (データ倫理審査会) of a recipient or a purpose."""

    __tablename__ = "ethics_approval"
    __table_args__ = (sa.UniqueConstraint("subject_kind", "subject_key"),)

    id: int | None = Field(default=None, primary_key=True)
    subject_kind: str = Field(max_length=16)  # recipient | purpose
    subject_key: str = Field(max_length=40)
    approved_on: date
    minutes_ref: str = Field(max_length=100)
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Offer(SQLModel, table=True):
    """What a recipient asks for one purpose: the items a resident may grant, one by one."""

    __tablename__ = "consent_offer"
    __table_args__ = (sa.UniqueConstraint("recipient_key", "purpose_key"),)

    id: int | None = Field(default=None, primary_key=True)
    recipient_key: str = Field(foreign_key="consent_recipient.key", max_length=40)
    purpose_key: str = Field(foreign_key="consent_purpose.key", max_length=40)
    items: list[str] = Field(default_factory=list, sa_type=JSON)
    active: bool = False  # offered to residents: only once the recipient and the purpose are approved


class Grant(SQLModel, table=True):
    """The resident's current decision on one item for one recipient and purpose."""

    __tablename__ = "consent_grant"
    __table_args__ = (sa.UniqueConstraint("resident_id", "recipient_key", "purpose_key", "item_key"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", index=True)
    recipient_key: str = Field(max_length=40)
    purpose_key: str = Field(max_length=40)
    item_key: str = Field(max_length=40)
    granted: bool
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    receipt_id: uuid.UUID | None = None


class ConsentReceipt(SQLModel, table=True):
    """The signed record of one decision (ISO/IEC TS 27560 fields), kept for the resident to download and verify."""

    __tablename__ = "consent_receipt"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", index=True)
    event: str = Field(max_length=16)  # given | withdrawn | renewed | expired
    recipient_key: str = Field(max_length=40)
    purpose_key: str = Field(max_length=40)
    items: list[str] = Field(default_factory=list, sa_type=JSON)
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    jws: str = Field(sa_type=sa.Text)
