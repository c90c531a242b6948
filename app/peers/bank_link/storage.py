"""What a peer keeps about its own accounts' links to the bank, in the peer's SQLite file (its own tables).

`bank_link`: one row per peer account (the peer's own subject, from its sign-in): the tokens the bank issued to
this peer for that resident, what was granted, and how the last action after connecting went. Tokens are kept as
they are (the peer must present them again) and are never logged nor shown; a link the bank refused loses them.

`bank_link_job`: the bank's job ids this peer worked on for an account as the bank's client (Google pushing to
`/intake/{id}`, a destination pulling `/transfers/{id}`), kept when the bank answered 2xx: how a result event
without a bearer token is attributed to its account.

`bank_link_event`: the bank's result events (RFC 8417 SETs pushed per RFC 8935, docs/switching.md "Result
events"), once per `jti`, with the account they were attributed to (or none).
"""

from __future__ import annotations

import time

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ACTIVE = "active"
REFUSED = "refused"


def now() -> int:
    return int(time.time())


class Base(DeclarativeBase):
    pass


class BankLinkRow(Base):
    __tablename__ = "bank_link"

    account: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    scope: Mapped[str] = mapped_column(Text, default="")  # what the bank granted, which may be less than asked
    access_token: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[int | None] = mapped_column(Integer)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    linked_at: Mapped[int] = mapped_column(Integer)
    refused_at: Mapped[int | None] = mapped_column(Integer)
    refused_reason: Mapped[str | None] = mapped_column(String(64))
    # The peer's last action on the link (Google's push, a destination's pull), whatever came of it.
    acted_at: Mapped[int | None] = mapped_column(Integer)
    action_ok: Mapped[bool | None] = mapped_column()
    action_message: Mapped[str | None] = mapped_column(Text)

    def store_tokens(self, *, access_token: str, expires_in: int | None, refresh_token: str | None,
                     scope: str | None) -> None:
        self.access_token = access_token
        self.access_expires_at = now() + expires_in if expires_in else None
        # Rotation: a new refresh token replaces the old one; none in the answer keeps the one we have.
        if refresh_token:
            self.refresh_token = refresh_token
        if scope:
            self.scope = scope

    def relink(self, *, access_token: str, expires_in: int | None, refresh_token: str | None, scope: str) -> None:
        """The resident connected (again): the new authorization replaces whatever the link held."""
        self.state = ACTIVE
        self.linked_at = now()
        self.refused_at = self.refused_reason = None
        self.refresh_token = None
        self.store_tokens(access_token=access_token, expires_in=expires_in, refresh_token=refresh_token, scope=scope)

    def refuse(self, reason: str) -> None:
        """The bank will not serve this link any more: stop using it and drop the tokens it would not honour."""
        self.state = REFUSED
        self.refused_at = now()
        self.refused_reason = reason[:64]
        self.access_token = self.refresh_token = self.access_expires_at = None


class BankJobRow(Base):
    """A bank job (or transfer) id this peer called the bank about for `account`, and the bank answered 2xx."""

    __tablename__ = "bank_link_job"

    job: Mapped[str] = mapped_column(String(200), primary_key=True)
    account: Mapped[str] = mapped_column(String(255), primary_key=True)
    seen_at: Mapped[int] = mapped_column(Integer)


class BankEventRow(Base):
    """One verified result event from the bank (`urn:azukari:event:transfer-result`), stored once per `jti`."""

    __tablename__ = "bank_link_event"
    __table_args__ = (Index("ix_bank_link_event_account_received", "account", "received_at"),)

    jti: Mapped[str] = mapped_column(String(200), primary_key=True)
    account: Mapped[str | None] = mapped_column(String(255))  # None: the event named no account of this peer
    attributed_by: Mapped[str | None] = mapped_column(String(16))  # "bearer", "job" or None
    job: Mapped[str] = mapped_column(String(200), index=True)
    role: Mapped[str] = mapped_column(String(16))  # "source" or "destination": what this peer was in the job
    state: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(String(64))
    counts: Mapped[str] = mapped_column(Text, default="{}")  # JSON: {"<kind>": n}, what the destination holds
    deletion_certificate_id: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[str | None] = mapped_column(String(64))  # the bank's ISO 8601 time of the state
    issued_at: Mapped[int | None] = mapped_column(Integer)  # the SET's `iat`
    received_at: Mapped[int] = mapped_column(Integer)
