"""Sliding-window attempt counters in the database, shared by every web process (ASVS 6.3.1, 2.4.1)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, delete, select

from app.db import BigIntPK, UTCDateTime, utcnow
from app.errors import RateLimited


class ThrottleHit(SQLModel, table=True):
    __tablename__ = "throttle_hit"
    __table_args__ = (sa.Index("ix_throttle_hit_bucket_at", "bucket", "at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    bucket: str = Field(max_length=96)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


def bucket(kind: str, value: str) -> str:
    """A bucket name that does not keep the value itself (an email or address) in clear."""
    return f"{kind}:{hashlib.sha256(value.strip().lower().encode()).hexdigest()[:40]}"


def check(session: Session, name: str, *, limit: int, window: timedelta) -> None:
    """Raise RateLimited when `limit` hits already fall within `window`; Retry-After is when one expires."""
    since = utcnow() - window
    rows = session.exec(
        select(ThrottleHit.at)
        .where(ThrottleHit.bucket == name, col(ThrottleHit.at) > since)
        .order_by(col(ThrottleHit.at).desc())
        .limit(limit)
    ).all()
    if len(rows) >= limit:
        oldest_counted: datetime = rows[-1]
        raise RateLimited(retry_after=int((oldest_counted + window - utcnow()).total_seconds()) + 1)


def hit(session: Session, name: str) -> None:
    session.add(ThrottleHit(bucket=name))


def clear(session: Session, name: str) -> None:
    session.exec(delete(ThrottleHit).where(col(ThrottleHit.bucket) == name))


def purge_older_than(session: Session, age: timedelta) -> int:
    return session.exec(delete(ThrottleHit).where(col(ThrottleHit.at) < utcnow() - age)).rowcount
