"""The resident's feed of the day, kept so that one computation is one processing record on the ledger."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from app.db import BigIntPK, UTCDateTime, utcnow


class RecommendFeed(SQLModel, table=True):
    __tablename__ = "recommend_feed"
    __table_args__ = (sa.UniqueConstraint("resident_id", "day"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", index=True)
    day: date
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
