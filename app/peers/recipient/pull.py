"""Pulling: read each linked resident's items from the bank, apply the recipient's rules, send the notices.

One pull at a time per peer (a lock): refresh tokens rotate, and two pulls presenting the same refresh token
would look like a replay to the bank, which then revokes the whole authorization. The database transaction is
committed before every call to the bank, so no SQLite write lock is held while waiting on the network, and a
rotated refresh token is saved the moment it arrives.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from app.peers.authserver.storage import PeerDatabase
from app.peers.recipient.bank import BankClient, BankError, BankRefused, MeAnswer, TokenAnswer, Unauthorized
from app.peers.recipient.profile import NOTICES_SCOPE, RecipientProfile
from app.peers.recipient.rules import RuleContext, today_in_japan
from app.peers.recipient.storage import (
    ACTIVE,
    PULL_ERROR,
    PULL_OK,
    PULL_REFUSED,
    Link,
    SentNotice,
    all_links,
    now,
    sent_notice_keys,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
# Refresh a little before the access token runs out rather than spend a call on a 401.
EXPIRY_MARGIN_SECONDS = 10
NO_NOTICES_GRANTED = "案内の送信（notices）は許可されていないため、案内は送っていません。"


@dataclass(frozen=True, slots=True)
class PullResult:
    subject: str
    status: str  # ok, refused or error
    items: dict[str, Any] | None = None
    notices_sent: list[str] = field(default_factory=list)
    message: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"sub": self.subject, "status": self.status, "items": self.items,
                "notices_sent": self.notices_sent, "message": self.message}


class Puller:
    def __init__(self, profile: RecipientProfile, bank: BankClient, db: PeerDatabase,
                 base_url: Callable[[], str]) -> None:
        self.profile = profile
        self.bank = bank
        self.db = db
        self.base_url = base_url
        self.lock = threading.Lock()

    def pull_all(self) -> list[PullResult]:
        """Pull for every link (refused ones are reported, not contacted)."""
        with self.lock:
            links = all_links(self.db.session)
            self.db.session.commit()
            return [self._pull(link) for link in links]

    def link(self, tokens: TokenAnswer, *, requested_scope: str) -> PullResult:
        """A resident just authorized us: learn their pairwise subject from the API, store the tokens under it
        and use that first answer as the first pull (each answer is a provision record on their ledger, so the
        same data is not asked for twice). Raises BankError, after revoking what cannot be stored."""
        with self.lock:
            try:
                answer = self.bank.me(tokens.access_token)
                self._check_recipient(answer)
            except BankError:
                self.bank.revoke(tokens.refresh_token or tokens.access_token,
                                 hint="refresh_token" if tokens.refresh_token else "access_token")
                raise
            session = self.db.session
            link = session.get(Link, answer.sub)
            if link is None:
                link = Link(subject=answer.sub, linked_at=now())
                session.add(link)
            link.relink(access_token=tokens.access_token, expires_in=tokens.expires_in,
                        refresh_token=tokens.refresh_token, scope=tokens.scope or requested_scope)
            session.commit()
            log.info("linked a resident (%s…)", answer.sub[:8])
            return self._pull(link, answer)

    # -- one link --------------------------------------------------------------------------------------------

    def _pull(self, link: Link, answer: MeAnswer | None = None) -> PullResult:
        if link.state != ACTIVE:
            return PullResult(link.subject, PULL_REFUSED, link.items, [], "この連携は利用できません（拒否済み）。")
        session = self.db.session
        sent: list[str] = []
        message: str | None = None
        try:
            if answer is None:
                answer = self._authorized(link, self.bank.me)
            self._check_recipient(answer)
            if answer.sub != link.subject:
                raise BankError("Azukari の応答の利用者識別子が、この連携と一致しません。")
            link.record_answer(items=answer.items, withheld=answer.withheld, record=answer.record)
            already_sent = sent_notice_keys(session, link.subject)
            session.commit()
            drafts = self.profile.rules(answer.items, RuleContext(today_in_japan(), self.base_url()))
            if drafts and NOTICES_SCOPE not in link.scopes:
                message = NO_NOTICES_GRANTED
                drafts = []
            for draft in drafts:
                if draft.id in already_sent:
                    continue
                bank_id = self._authorized(link, self.bank.send_notice, draft)
                session.add(SentNotice(subject=link.subject, notice_key=draft.id, title=draft.title, link=draft.link,
                                       bank_notice_id=bank_id, sent_at=now()))
                session.commit()
                sent.append(draft.id)
            link.record_pull(PULL_OK, message)
            session.commit()
            return PullResult(link.subject, PULL_OK, answer.items, sent, message)
        except BankRefused as refused:
            log.info("the bank refused the link %s…: %s", link.subject[:8], refused.code)
            link.refuse(refused.code or "refused")
            link.record_pull(PULL_REFUSED, refused.message)
            session.commit()
            return PullResult(link.subject, PULL_REFUSED, link.items, sent, refused.message)
        except BankError as error:
            link.record_pull(PULL_ERROR, error.message)
            session.commit()
            return PullResult(link.subject, PULL_ERROR, link.items, sent, error.message)

    def _authorized(self, link: Link, call: Callable[..., T], *args: Any) -> T:
        """Call the API with the link's access token: refresh first if it has run out, or once after a 401."""
        refreshed = False
        if not link.access_token or (link.access_expires_at is not None
                                     and link.access_expires_at <= now() + EXPIRY_MARGIN_SECONDS):
            self._refresh(link)
            refreshed = True
        try:
            return call(link.access_token, *args)
        except Unauthorized:
            if refreshed:
                raise
        self._refresh(link)
        return call(link.access_token, *args)

    def _refresh(self, link: Link) -> None:
        if not link.refresh_token:
            raise BankRefused("expired")
        tokens = self.bank.refresh(link.refresh_token)
        link.store_tokens(access_token=tokens.access_token, expires_in=tokens.expires_in,
                          refresh_token=tokens.refresh_token, scope=tokens.scope)
        # At once: the old refresh token is spent, and presenting it again would revoke the authorization.
        self.db.session.commit()

    def _check_recipient(self, answer: MeAnswer) -> None:
        expected = (self.profile.recipient_key, self.profile.purpose_key)
        if (answer.recipient, answer.purpose) != expected and None not in (answer.recipient, answer.purpose):
            raise BankError("Azukari の応答の提供先・利用目的が、このシステムの登録と一致しません。")
