"""The resident's inbox: delivering a recipient's notice, reading, deleting, and stopping a sender.

A notice arrives only under a live consent of the resident to that recipient for that purpose (the resource API
checks first; `deliver` checks again, so no other caller can slip one in). Stopping a sender is withdrawing that
consent, whole: the recipient then neither receives the resident's data nor sends notices. Notices already
received stay readable (and deletable) by the resident.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, func, select

from app.accounts.models import Resident
from app.config import Settings, current_settings
from app.consent import catalogue, decisions, enforce
from app.consent.models import ConsentReceipt, DataItem, Grant, Purpose, Recipient
from app.db import utcnow
from app.errors import DomainError, NotFound
from app.inbox.models import Notice
from app.ledger.services import lock_chain
from app.security import is_loopback_host

# The limits of the columns (and of the API: title ≤ 120, body ≤ 2000 characters).
MAX_EXTERNAL_ID = 100
MAX_TITLE = 120
MAX_BODY = 2000
MAX_LINK = 500
MAX_CLIENT_ID = 64
MAX_KEY = 40
LATEST_ON_HOME = 3
PAGE_SIZE = 100


class InvalidNotice(DomainError):
    status = 422
    message = _l("This notice cannot be delivered: a field is missing, too long or not allowed.")


class NoLiveConsent(DomainError):
    status = 403
    message = _l("The resident has no live consent for notices from this recipient for this purpose.")


# --- delivering -------------------------------------------------------------------------------------------


def is_safe_link(url: str) -> bool:
    """https to any host, or http to this machine outside production (the stand-in peers); no credentials, no spaces or control
    characters. Anything else (javascript:, data:, a relative path) could run or mislead inside the app."""
    if not url or len(url) > MAX_LINK or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return False
    if not host or parts.username is not None or parts.password is not None:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(host)
                                       and not current_settings().is_production)


def _text(value: object, *, limit: int, required: bool) -> str:
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise InvalidNotice()
    if required and not value.strip():
        raise InvalidNotice()
    return value


def has_live_consent(session: Session, resident: Resident, recipient_key: str, purpose_key: str,
                     now: datetime | None = None) -> bool:
    """As the consent door sees it (`enforce.live_consents`, read afresh): the offer is made and at least one of
    its items is live. `deliver` repeats this under the chain lock, where it must see a concurrent withdrawal."""
    return bool(enforce.live_consents(session, resident, recipient_key, purpose_key, now))


def _existing(session: Session, client_id: str, resident_id: uuid.UUID, external_id: str) -> Notice | None:
    return session.exec(select(Notice).where(Notice.client_id == client_id, Notice.resident_id == resident_id,
                                             Notice.external_id == external_id)).first()


def deliver(session: Session, *, resident_id: uuid.UUID, client_id: str, recipient_key: str, purpose_key: str,
            external_id: str, title: str, body: str, link_url: str | None, consent_receipt_id: uuid.UUID | None,
            ledger_seq: int | None) -> tuple[Notice, bool]:
    """Put a notice in the resident's inbox; (the notice, True) when new. A retry with the same external id from
    the same client is the notice already delivered, unchanged: (it, False).

    Raises InvalidNotice for a bad field, NoLiveConsent when the resident does not (or no longer) consent."""
    resident = session.get(Resident, resident_id)
    if resident is None:
        raise InvalidNotice()
    client_id = _text(client_id, limit=MAX_CLIENT_ID, required=True)
    external_id = _text(external_id, limit=MAX_EXTERNAL_ID, required=True)
    existing = _existing(session, client_id, resident.id, external_id)
    if existing is not None:
        return existing, False
    recipient_key = _text(recipient_key, limit=MAX_KEY, required=True)
    purpose_key = _text(purpose_key, limit=MAX_KEY, required=True)
    title = _text(title, limit=MAX_TITLE, required=True)
    body = _text(body, limit=MAX_BODY, required=False)
    link_url = link_url or ""
    if link_url and not is_safe_link(link_url):
        raise InvalidNotice()
    if ledger_seq is not None and (type(ledger_seq) is not int or ledger_seq < 1):
        raise InvalidNotice()
    if consent_receipt_id is not None:
        receipt = decisions.receipt_of(session, resident, consent_receipt_id)
        if receipt is None or (receipt.recipient_key, receipt.purpose_key) != (recipient_key, purpose_key):
            raise InvalidNotice()
    if not has_live_consent(session, resident, recipient_key, purpose_key):
        raise NoLiveConsent()  # refused before taking the lock: a refusal writes nothing
    # Decisions take the resident's chain lock too: under it, no withdrawal can end the consent between the check
    # and the insert, and a concurrent retry of the same notice has either committed (found now) or waits.
    lock_chain(session, resident.principal)
    existing = _existing(session, client_id, resident.id, external_id)
    if existing is not None:
        return existing, False
    if not has_live_consent(session, resident, recipient_key, purpose_key):
        raise NoLiveConsent()
    notice = Notice(resident_id=resident.id, client_id=client_id, recipient_key=recipient_key,
                    purpose_key=purpose_key, external_id=external_id, title=title, body=body, link_url=link_url,
                    consent_receipt_id=consent_receipt_id, ledger_seq=ledger_seq)
    session.add(notice)
    session.flush()
    return notice, True


BANK_CLIENT_ID = "azukari"  # the bank's own notices (the result of something the resident asked it to do)


def is_from_bank(notice: Notice) -> bool:
    return (notice.client_id, notice.recipient_key, notice.purpose_key) == (BANK_CLIENT_ID, BANK_CLIENT_ID,
                                                                             "own_request")


def notify_from_bank(session: Session, resident: Resident, *, external_id: str, title: str, body: str,
                     path: str) -> Notice:
    """A notice from the bank itself about the resident's own request (a transfer's result): no consent is its
    basis and it links inside the app (`path`). The same external id again is the notice already there."""
    existing = _existing(session, BANK_CLIENT_ID, resident.id, external_id)
    if existing is not None:
        return existing
    if not path.startswith("/") or path.startswith("//"):
        raise InvalidNotice()
    notice = Notice(resident_id=resident.id, client_id=BANK_CLIENT_ID, recipient_key=BANK_CLIENT_ID,
                    purpose_key="own_request", external_id=_text(external_id, limit=MAX_EXTERNAL_ID, required=True),
                    title=_text(title, limit=MAX_TITLE, required=True), body=_text(body, limit=MAX_BODY, required=False),
                    link_url=path)
    session.add(notice)
    session.flush()
    return notice


# --- reading ----------------------------------------------------------------------------------------------


def notices_of(session: Session, resident: Resident, *, limit: int | None = PAGE_SIZE) -> list[Notice]:
    """Newest first."""
    statement = (select(Notice).where(Notice.resident_id == resident.id)
                 .order_by(col(Notice.received_at).desc(), col(Notice.id)))
    if limit is not None:
        statement = statement.limit(limit)
    return list(session.exec(statement))


def unread_count(session: Session, resident: Resident) -> int:
    return int(session.exec(select(func.count()).select_from(Notice).where(
        Notice.resident_id == resident.id, col(Notice.read_at).is_(None))).one())


def notice_of(session: Session, resident: Resident, notice_id: uuid.UUID) -> Notice:
    """The resident's own notice; another resident's is as good as missing (404, never 403: no hint it exists)."""
    notice = session.get(Notice, notice_id)
    if notice is None or notice.resident_id != resident.id:
        raise NotFound()
    return notice


def mark_read(session: Session, resident: Resident, notice: Notice, *, now: datetime | None = None) -> Notice:
    """Idempotent: the first reading time stays."""
    if notice.resident_id != resident.id:
        raise NotFound()
    if notice.read_at is None:
        notice.read_at = now or utcnow()
        session.add(notice)
    return notice


def delete_notice(session: Session, resident: Resident, notice: Notice) -> None:
    """Gone for good (the resident's own copy; the sender keeps whatever it keeps)."""
    if notice.resident_id != resident.id:
        raise NotFound()
    session.delete(notice)
    session.flush()


def senders_of(session: Session, notices: list[Notice]) -> dict[str, Recipient]:
    """The recipients who sent these notices, by key (a sender removed from the catalogue is simply absent)."""
    keys = {notice.recipient_key for notice in notices}
    if not keys:
        return {}
    return {row.key: row for row in session.exec(select(Recipient).where(col(Recipient.key).in_(keys)))}


@dataclass(frozen=True)
class ConsentBasis:
    """Why a notice could be sent: the consent (its receipt and items), and whether it is still live."""

    sender: Recipient | None
    purpose: Purpose | None
    receipt: ConsentReceipt | None
    items: list[DataItem]
    live: bool
    offer_id: int | None


def basis_of(session: Session, resident: Resident, notice: Notice) -> ConsentBasis:
    receipt = (decisions.receipt_of(session, resident, notice.consent_receipt_id)
               if notice.consent_receipt_id is not None else None)
    known = catalogue.items_by_key(session)
    if receipt is not None:
        keys = list(receipt.items)
    else:  # no receipt named: the items granted to this sender and purpose, as far as the grants still tell
        keys = [g.item_key for g in session.exec(select(Grant).where(
            Grant.resident_id == resident.id, Grant.recipient_key == notice.recipient_key,
            Grant.purpose_key == notice.purpose_key, Grant.granted == True))]  # noqa: E712
    offer = catalogue.offer_for(session, notice.recipient_key, notice.purpose_key)
    return ConsentBasis(
        sender=session.get(Recipient, notice.recipient_key),
        purpose=session.get(Purpose, notice.purpose_key),
        receipt=receipt,
        items=[known[key] for key in keys if key in known],
        live=has_live_consent(session, resident, notice.recipient_key, notice.purpose_key),
        offer_id=offer.id if offer is not None else None,
    )


# --- stopping a sender ------------------------------------------------------------------------------------


def sender_offer(session: Session, recipient_key: str, purpose_key: str) -> catalogue.OfferView:
    """The offer a sender's notices come under (active or stopped: a given consent stays withdrawable)."""
    offer = catalogue.offer_for(session, recipient_key, purpose_key)
    view = catalogue.offer_view(session, offer.id) if offer is not None and offer.id is not None else None
    if view is None:
        raise NotFound()
    return view


def consents_to(session: Session, resident: Resident, recipient_key: str, purpose_key: str) -> bool:
    """Whether anything is still granted to the sender for the purpose (live or expired: both can be withdrawn)."""
    grants = decisions.grants_for(session, resident, recipient_key, purpose_key)
    return any(grant.granted for grant in grants.values())


def stop_sender(session: Session, settings: Settings, *, resident: Resident, recipient_key: str, purpose_key: str,
                ip: str | None) -> ConsentReceipt | None:
    """Withdraw the whole consent the sender's notices come under: the receipt, the ledger record, the audit event
    and the `consent_withdrawn` signal (tokens revoked) are the withdrawal's own. None when nothing was granted."""
    view = sender_offer(session, recipient_key, purpose_key)
    return decisions.withdraw(session, settings, resident=resident, view=view, items=None, ip=ip)
