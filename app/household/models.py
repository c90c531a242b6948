"""What a resident entrusts about their household: the children (held under the guardian's account), the home
address and the カロママプラス health score received from Smart Life Pass.

Ages are never stored: they are derived from the birth date on the day they are shown or used (app.household.ages).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow


class ChildSource:
    MANUAL = "manual"
    MYNAPORTAL = "mynaportal"


class Child(SQLModel, table=True):
    __tablename__ = "child"
    __table_args__ = (
        sa.CheckConstraint("birth_month BETWEEN 1 AND 12", name="birth_month_valid"),
        sa.CheckConstraint("birth_day IS NULL OR birth_day BETWEEN 1 AND 31", name="birth_day_valid"),
    )

    id: int | None = Field(default=None, primary_key=True)
    guardian_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", index=True)
    # An optional name the resident chooses ("上の子", "さくら"); never required, never given to recipients.
    nickname: str | None = Field(default=None, max_length=40)
    birth_year: int
    birth_month: int
    birth_day: int | None = None  # year-month is accepted; the day is asked for when it decides something
    # An older sibling (18–22) recorded only because 児童手当 counts them for the third-child rate.
    counted_for_allowance: bool = False
    source: str = Field(default=ChildSource.MANUAL, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class HomeAddress(SQLModel, table=True):
    """The address as Smart Life Pass provided it (kept only when the resident lets the bank keep a copy)."""

    __tablename__ = "home_address"

    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", primary_key=True)
    postal_code: str = Field(default="", max_length=10)
    region: str = Field(max_length=16)  # 都道府県
    locality: str = Field(max_length=32)  # 市区町村
    town: str = Field(max_length=64)  # 町丁目 as received
    block: str = Field(default="", max_length=64)  # 番地 …
    source: str = Field(max_length=32)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class HealthScore(SQLModel, table=True):
    """One day of the カロママプラス health score (0–100, with meal and exercise sub-scores)."""

    __tablename__ = "health_score"
    __table_args__ = (sa.UniqueConstraint("resident_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", index=True)
    day: date
    score: int
    meal: int
    exercise: int
    source: str = Field(max_length=32)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
