"""What a recipient keeps in its own SQLite file: one link per resident (by the bank's pairwise subject) with its
tokens and the data last received, and the notices it sent.

Tokens are kept as they are (the peer must present them again); they are never logged nor shown, not even on
the staff screen or the test controls, and a link the bank refused loses them at once.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

ACTIVE = "active"
REFUSED = "refused"

# Outcomes of one pull for one link.
PULL_OK = "ok"
PULL_REFUSED = "refused"
PULL_ERROR = "error"


def now() -> int:
    return int(time.time())


class Base(DeclarativeBase):
    pass


class Link(Base):
    """A resident who connected this recipient to Azukari, known only by the pairwise subject the bank gave."""

    __tablename__ = "recipient_link"

    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    scope: Mapped[str] = mapped_column(Text, default="")  # what the bank granted, which may be less than asked
    access_token: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[int | None] = mapped_column(Integer)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    linked_at: Mapped[int] = mapped_column(Integer)
    refused_at: Mapped[int | None] = mapped_column(Integer)
    refused_reason: Mapped[str | None] = mapped_column(String(64))
    # The last answer of the resource API: the items (JSON), the items withheld (JSON), the provision record.
    items_json: Mapped[str | None] = mapped_column(Text)
    withheld_json: Mapped[str | None] = mapped_column(Text)
    record: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[int | None] = mapped_column(Integer)
    # The last pull, whatever came of it.
    pulled_at: Mapped[int | None] = mapped_column(Integer)
    pull_status: Mapped[str | None] = mapped_column(String(16))
    pull_message: Mapped[str | None] = mapped_column(Text)

    @property
    def items(self) -> dict[str, Any] | None:
        return json.loads(self.items_json) if self.items_json else None

    @property
    def withheld(self) -> list[str]:
        return list(json.loads(self.withheld_json)) if self.withheld_json else []

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()

    def store_tokens(self, *, access_token: str, expires_in: int | None, refresh_token: str | None,
                     scope: str | None) -> None:
        self.access_token = access_token
        self.access_expires_at = now() + expires_in if expires_in else None
        # Rotation: a new refresh token replaces the old one; none in the answer keeps the one we have.
        if refresh_token:
            self.refresh_token = refresh_token
        if scope:
            self.scope = scope

    def refuse(self, reason: str) -> None:
        """The bank will not serve this link any more: stop using it and drop the tokens it would not honour."""
        self.state = REFUSED
        self.refused_at = now()
        self.refused_reason = reason
        self.access_token = self.refresh_token = self.access_expires_at = None

    def relink(self, *, access_token: str, expires_in: int | None, refresh_token: str | None, scope: str) -> None:
        """The resident connected (again): a new authorization replaces whatever the link held."""
        self.state = ACTIVE
        self.linked_at = now()
        self.refused_at = self.refused_reason = None
        self.refresh_token = None
        self.store_tokens(access_token=access_token, expires_in=expires_in, refresh_token=refresh_token, scope=scope)

    def record_answer(self, *, items: dict[str, Any], withheld: list[str], record: int | None) -> None:
        self.items_json = json.dumps(items, ensure_ascii=False, sort_keys=True)
        self.withheld_json = json.dumps(withheld, ensure_ascii=False)
        self.record = record
        self.received_at = now()

    def record_pull(self, status: str, message: str | None = None) -> None:
        self.pulled_at = now()
        self.pull_status = status
        self.pull_message = message


class SentNotice(Base):
    """A notice the bank accepted for a resident. `notice_key` is the id we sent: a retry reuses it."""

    __tablename__ = "recipient_notice"
    __table_args__ = (UniqueConstraint("subject", "notice_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), index=True)
    notice_key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    bank_notice_id: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[int] = mapped_column(Integer)


def all_links(session: Session) -> list[Link]:
    return list(session.scalars(select(Link).order_by(Link.linked_at, Link.subject)))


def sent_notice_keys(session: Session, subject: str) -> set[str]:
    return set(session.scalars(select(SentNotice.notice_key).where(SentNotice.subject == subject)))


def notices_by_subject(session: Session) -> dict[str, list[SentNotice]]:
    notices: dict[str, list[SentNotice]] = {}
    for notice in session.scalars(select(SentNotice).order_by(SentNotice.sent_at, SentNotice.id)):
        notices.setdefault(notice.subject, []).append(notice)
    return notices
