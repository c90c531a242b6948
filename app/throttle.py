"""Sliding-window attempt counters in the database, shared by every web process (ASVS 6.3.1, 2.4.1)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, delete, select

from app.db import BigIntPK, UTCDateTime, utcnow
from app.errors import RateLimited

if TYPE_CHECKING:
    from app.config import Settings


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
    if limit <= 0:  # (a limit of nothing: a configuration that closes the door)
        raise RateLimited(retry_after=int(window.total_seconds()))
    since = utcnow() - window
    # The limit-th newest hit inside the window, if there is one: the bucket is full, and Retry-After is when that
    # hit leaves the window. One row comes back, not `limit` of them: a client flooding past its limit of 600 a
    # minute costs one index walk per refusal (bench/bench_api_fairness.py).
    oldest_counted: datetime | None = session.exec(
        select(ThrottleHit.at)
        .where(ThrottleHit.bucket == name, col(ThrottleHit.at) > since)
        .order_by(col(ThrottleHit.at).desc())
        .offset(limit - 1)
        .limit(1)
    ).first()
    if oldest_counted is not None:
        raise RateLimited(retry_after=int((oldest_counted + window - utcnow()).total_seconds()) + 1)


@dataclass(frozen=True)
class Limit:
    """At most `limit` requests in `window` for the bucket `name`."""

    name: str
    limit: int
    window: timedelta


def take(session: Session, *limits: Limit) -> None:
    """One request against every limit: RateLimited (Retry-After: the longest wait) when any is used up, else each
    counts it. Buckets are per client or per account, so one's excess never slows another's requests."""
    waits = []
    for limit in limits:
        try:
            check(session, limit.name, limit=limit.limit, window=limit.window)
        except RateLimited as error:
            waits.append(error.retry_after)
    if waits:
        raise RateLimited(retry_after=max(waits))
    for limit in limits:
        hit(session, limit.name)


class RefusalMemo:
    """What this process refused, and until when: a key refused with Retry-After is refused again from memory until
    then, before any database work, so a client flooding past its limit costs one hash and a dict lookup per request
    and does not slow others' requests (bench/bench_api_fairness.py). It only ever refuses what the database would
    also refuse (the same bucket, the same Retry-After), so each process keeping its own is safe."""

    MAX_KEYS = 10_000

    def __init__(self) -> None:
        self._until: dict[str, float] = {}

    def retry_after(self, key: str) -> int | None:
        """Seconds until `key` may try again, or None if it is not being refused."""
        until = self._until.get(key)
        if until is None:
            return None
        left = until - time.monotonic()
        if left <= 0:
            self._until.pop(key, None)
            return None
        return int(left) + 1

    def refuse(self, key: str, retry_after: int) -> None:
        if len(self._until) >= self.MAX_KEYS:
            now = time.monotonic()
            self._until = {k: v for k, v in self._until.items() if v > now}
            if len(self._until) >= self.MAX_KEYS:  # (a flood of distinct keys: forget them, the database still counts)
                self._until.clear()
        self._until[key] = time.monotonic() + retry_after


def hit(session: Session, name: str) -> None:
    session.add(ThrottleHit(bucket=name))


def clear(session: Session, name: str) -> None:
    session.exec(delete(ThrottleHit).where(col(ThrottleHit.bucket) == name))


@dataclass(frozen=True)
class LoginBuckets:
    """The two counters a login attempt is checked against: its account and its client address."""

    account: str
    ip: str

    @classmethod
    def of(cls, scope: str, email: str, ip: str | None) -> LoginBuckets:
        return cls(bucket(f"{scope}:account", email), bucket(f"{scope}:ip", ip or "unknown"))

    def check(self, session: Session, settings: Settings) -> None:
        window = timedelta(minutes=settings.login_window_minutes)
        check(session, self.account, limit=settings.login_failures_per_account, window=window)
        check(session, self.ip, limit=settings.login_failures_per_ip, window=window)

    def fail(self, session: Session) -> None:
        hit(session, self.account)
        hit(session, self.ip)

    def succeed(self, session: Session) -> None:
        """A success forgets the account's failures (not the address's: one address may try many accounts)."""
        clear(session, self.account)


def purge_older_than(session: Session, age: timedelta) -> int:
    return session.exec(delete(ThrottleHit).where(col(ThrottleHit.at) < utcnow() - age)).rowcount
