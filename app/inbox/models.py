"""A notice from a recipient to a resident."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, new_id, utcnow


class Notice(SQLModel, table=True):
    __tablename__ = "inbox_notice"
    # A sender's retry of the same notice (same external id) is the same notice.
    __table_args__ = (sa.UniqueConstraint("client_id", "resident_id", "external_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", index=True)
    client_id: str = Field(max_length=64)
    recipient_key: str = Field(max_length=40)
    purpose_key: str = Field(max_length=40)
    external_id: str = Field(max_length=100)
    title: str = Field(max_length=120)
    body: str = Field(max_length=2000, sa_type=sa.Text)
    link_url: str = Field(default="", max_length=500)
    # The consent that allowed it, and the provision record of the data it was based on (if any yet), by its
    # sequence number in the resident's ledger chain.
    consent_receipt_id: uuid.UUID | None = None
    ledger_seq: int | None = Field(default=None, sa_type=sa.BigInteger)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
