"""One participation: an event the resident joined or a coupon they used, on a day (Japan date)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from app.db import UTCDateTime, new_id, utcnow


class ParticipationKind:
    EVENT = "event"
    COUPON = "coupon"
    ALL = (EVENT, COUPON)


class ParticipationSource:
    RESIDENT = "resident"
    PARTNER_PREFIX = "partner:"  # + the partner's key, once shops record check-ins and redemptions


class Participation(SQLModel, table=True):
    __tablename__ = "participation"
    # Recording the same item twice on the same day is one participation (a double tap, a retry).
    __table_args__ = (
        sa.UniqueConstraint("resident_id", "kind", "item_id", "occurred_on"),
        sa.CheckConstraint("kind IN ('event', 'coupon')", name="kind_valid"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    # No index of its own: the unique constraint's index starts with it.
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE")
    kind: str = Field(max_length=10)
    # The catalogue's id (CatalogEvent.id / CatalogCoupon.id); no foreign key: it names one of two tables, and the
    # record stays meaningful through its snapshot below if the catalogue changes.
    item_id: str = Field(max_length=60)
    venue_id: str = Field(max_length=60)
    # A snapshot at recording time: the event's tags, or [the coupon's store category]. What the ranking counts.
    categories: list[str] = Field(default_factory=list, sa_type=JSON)
    occurred_on: date  # the day in Japan
    source: str = Field(default=ParticipationSource.RESIDENT, max_length=40)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
