"""What a peer keeps about its own accounts' links to the bank, in the peer's SQLite file (its own tables).

One row per peer account (the peer's own subject, from its sign-in): the tokens the bank issued to this peer
for that resident, what was granted, and how the last action after connecting went. Tokens are kept as they
are (the peer must present them again) and are never logged nor shown; a link the bank refused loses them.
"""

from __future__ import annotations

import time

from sqlalchemy import Integer, String, Text
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
