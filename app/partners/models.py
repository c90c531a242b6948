from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from app.db import UTCDateTime, new_id, utcnow


class Partner(SQLModel, table=True):
    """A partner organisation (a venue or shop) whose staff use the partner console.

    `key` is the partner's name in the consent catalogue (its recipient key, where it is one) and in the source of
    the data it hands the bank (`partner:<key>` on a participation). `venue_ids` are the catalogue venues where its
    staff may publish events and coupons and check residents in."""

    __tablename__ = "partner"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    key: str = Field(max_length=40, sa_column_kwargs={"unique": True})
    name_ja: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    # What the bank's APPI 法30条 record of a receipt from this partner names (the legal name is `name_ja`).
    address: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    representative: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    venue_ids: list[str] = Field(default_factory=list, sa_type=JSON, sa_column_kwargs={"server_default": "[]"})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_ja


class PartnerReport(SQLModel, table=True):
    """A weekly release of the partner's report (app/partners/report.py): only the figures as they may be shown."""

    __tablename__ = "partner_report"
    __table_args__ = (sa.UniqueConstraint("partner_id", "week_of"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    partner_id: uuid.UUID = Field(foreign_key="partner.id", ondelete="CASCADE")
    week_of: date  # the Monday of the week it was released; it covers the eight weeks before
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ListingImage(SQLModel, table=True):
    """The picture of a partner's event or coupon, as the bank re-encoded it (WebP, at most 1200 px, no metadata)."""

    __tablename__ = "listing_image"
    __table_args__ = (sa.UniqueConstraint("kind", "listing_id"),
                      sa.CheckConstraint("kind IN ('event', 'coupon')", name="kind_valid"))

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    partner_id: uuid.UUID = Field(foreign_key="partner.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=10)
    listing_id: str = Field(max_length=60)
    width: int
    height: int
    data: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
