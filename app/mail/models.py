from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from app.db import BigIntPK, UTCDateTime, utcnow


class MailMessage(SQLModel, table=True):
    __tablename__ = "mail_message"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    to: str = Field(max_length=254, index=True)
    subject: str = Field(max_length=255)
    body: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
