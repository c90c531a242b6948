"""A resident's pass (the pseudonymous id its QR codes carry), each code's single use, and coupon redemptions.

The constraints here are what makes a scan count once: a code is used once (`pass_scan` unique per pass and code),
and a coupon is redeemed once per resident (`coupon_redemption` unique per coupon and resident), however many
times a clerk taps and however many requests race.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, new_id, utcnow


class ScanAction:
    CHECK_IN = "check_in"  # at an event
    REDEEM = "redeem"  # a coupon
    ALL = (CHECK_IN, REDEEM)


class ResidentPass(SQLModel, table=True):
    """The id a resident's codes carry instead of the account's: a partner who reads a code learns nothing that
    links it to the account, and a new pass id (after a lost phone) voids every code issued before."""

    __tablename__ = "resident_pass"

    resident_id: uuid.UUID = Field(primary_key=True, foreign_key="resident.id", ondelete="CASCADE")
    pass_id: str = Field(max_length=16, sa_column_kwargs={"unique": True})  # Crockford base32 of 5 random bytes
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PassScan(SQLModel, table=True):
    """One accepted scan (or poster check-in): the partner's own record of it, and the code spent. A refused scan
    writes nothing here."""

    __tablename__ = "pass_scan"
    __table_args__ = (
        sa.UniqueConstraint("resident_id", "code_id"),
        sa.CheckConstraint("action IN ('check_in', 'redeem')", name="action_valid"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE")
    # Which code: "r<minute window>" for a rotating one, "o<nonce>" for one of the offline batch, "poster:<event>:<day>"
    # for a check-in from the event's poster (app/passes/posters.py).
    code_id: str = Field(max_length=40)
    partner_id: uuid.UUID = Field(foreign_key="partner.id", ondelete="RESTRICT", index=True)
    staff_id: uuid.UUID | None = Field(default=None, foreign_key="staff_member.id", ondelete="SET NULL")
    action: str = Field(max_length=10)
    item_id: str = Field(max_length=60)  # the event or coupon
    venue_id: str = Field(max_length=60)
    scanned_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CouponRedemption(SQLModel, table=True):
    __tablename__ = "coupon_redemption"
    __table_args__ = (sa.UniqueConstraint("coupon_id", "resident_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    coupon_id: str = Field(foreign_key="catalog_coupon.id", ondelete="RESTRICT", max_length=60, index=True)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE")
    partner_id: uuid.UUID = Field(foreign_key="partner.id", ondelete="RESTRICT")
    scan_id: uuid.UUID = Field(foreign_key="pass_scan.id", ondelete="CASCADE")
    redeemed_on: date  # the day in Japan
    redeemed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
