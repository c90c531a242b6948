from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from app.db import UTCDateTime, new_id, utcnow


class Passkey(SQLModel, table=True):
    """A resident's WebAuthn credential: only its id and public key are kept (the private key never leaves the
    authenticator). `sign_count` is the authenticator's counter, to notice a cloned key."""

    __tablename__ = "passkey"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", index=True)
    credential_id: bytes = Field(sa_type=sa.LargeBinary, unique=True)
    public_key: bytes = Field(sa_type=sa.LargeBinary)
    sign_count: int = 0
    transports: list[str] = Field(default_factory=list, sa_type=JSON)
    name: str = Field(max_length=60)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
