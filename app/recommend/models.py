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


class RecommendImpression(SQLModel, table=True):
    """That the resident's feed showed an item in a month (the first day it did). Written when a feed page lists
    it; read only through the consent door (the items `services_shown` and `recommendation_response`, for EBPM
    statistics). One row per resident, item and month: a page seen every day adds nothing."""

    __tablename__ = "recommend_impression"
    __table_args__ = (sa.UniqueConstraint("resident_id", "kind", "item_id", "month"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    # No index of its own: the unique constraint's index starts with it.
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE")
    kind: str = Field(max_length=10)  # service | event | coupon
    item_id: str = Field(max_length=60)
    # The service's category, the event's tags or the coupon's store category: what participation is counted by.
    categories: list[str] = Field(default_factory=list, sa_type=JSON)
    month: str = Field(max_length=7)  # "2026-10", in Japan
    first_shown_on: date
