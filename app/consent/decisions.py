"""A resident's decisions: grant, withdraw, renew — each with a signed receipt, a ledger record and an audit event
in the same transaction. Opt-in only: nothing is granted that the resident did not choose."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from app import audit
from app.accounts.models import Resident
from app.audit import EventTag
from app.config import Settings
from app.consent import receipts
from app.consent.catalogue import OfferView, items_by_key
from app.consent.events import ConsentGiven, ConsentWithdrawn, consent_given, consent_withdrawn
from app.consent.models import BANK, ConsentReceipt, Grant, Recipient, Sensitivity
from app.db import utcnow
from app.errors import DomainError
from app.ledger.models import RecordKind
from app.ledger.services import append, lock_chain

VALIDITY = timedelta(days=365)
REMIND_BEFORE = timedelta(days=30)


class NothingChosen(DomainError):
    status = 422
    message = _l("Choose at least one item.")


class ItemNotOffered(DomainError):
    status = 422
    message = _l("That item is not part of this request.")


class SpecialCareNotConfirmed(DomainError):
    status = 422
    message = _l("Special-care personal information needs its own consent: tick the box that says you understand.")


def grants_for(session: Session, resident: Resident, recipient_key: str, purpose_key: str) -> dict[str, Grant]:
    rows = session.exec(select(Grant).where(Grant.resident_id == resident.id, Grant.recipient_key == recipient_key,
                                            Grant.purpose_key == purpose_key))
    return {row.item_key: row for row in rows}


def is_live(grant: Grant | None, now: datetime) -> bool:
    """Granted and not expired (a grant without an end date is not live: every consent ends)."""
    return grant is not None and grant.granted and grant.expires_at is not None and grant.expires_at > now


def _receipt(session: Session, settings: Settings, resident: Resident, view: OfferView, items: list[str],
             event: str, now: datetime, expiry: datetime | None) -> ConsentReceipt:
    record_id = uuid.uuid4()
    controller = session.get(Recipient, BANK) or view.recipient
    known = items_by_key(session)  # a withdrawn item the screens no longer offer (B5) is still named on its receipt
    chosen = [known[key] for key in view.offer.items if key in items and key in known]
    body = receipts.build(record_id=record_id, subject=resident.principal, event=event, at=now, expiry=expiry,
                          controller=controller, recipient=view.recipient, purpose=view.purpose, items=chosen,
                          withdraw_url=settings.absolute_url("/consents"))
    receipt = ConsentReceipt(id=record_id, resident_id=resident.id, event=event, recipient_key=view.recipient.key,
                             purpose_key=view.purpose.key, items=[i.key for i in chosen], issued_at=now, body=body,
                             jws=receipts.sign(body))
    session.add(receipt)
    append(session, subject=resident.principal, kind=RecordKind.CONSENT, at=now, payload={
        "event": event,
        "recipient": view.recipient.key,
        "recipient_name": view.recipient.legal_name,
        "purpose": view.purpose.key,
        "purpose_name": view.purpose.name_ja,
        "items": receipt.items,
        "item_names": {item.key: item.name_ja for item in chosen},
        "expires": expiry.isoformat() if expiry else None,
        "receipt_id": str(record_id),
    })
    return receipt


def grant(session: Session, settings: Settings, *, resident: Resident, view: OfferView, items: Collection[str],
          special_confirmed: bool = False, now: datetime | None = None, ip: str | None = None) -> ConsentReceipt:
    now = now or utcnow()
    offered = [item.key for item in view.items]  # the offer's items but a 要配慮 one outside the 指針 list (B5)
    chosen = [key for key in offered if key in set(items)]
    if set(items) - set(offered):
        raise ItemNotOffered()
    if not chosen:
        raise NothingChosen()
    special = [i.key for i in view.items if i.key in chosen and i.sensitivity == Sensitivity.SPECIAL]
    if special and not special_confirmed:
        raise SpecialCareNotConfirmed()
    expiry = now + VALIDITY
    lock_chain(session, resident.principal)
    receipt = _receipt(session, settings, resident, view, chosen, "given", now, expiry)
    current = grants_for(session, resident, view.recipient.key, view.purpose.key)
    for key in chosen:
        row = current.get(key) or Grant(resident_id=resident.id, recipient_key=view.recipient.key,
                                        purpose_key=view.purpose.key, item_key=key, granted=True)
        row.granted, row.decided_at, row.expires_at, row.reminded_at = True, now, expiry, None
        row.receipt_id = receipt.id
        session.add(row)
    audit.record(session, EventTag.CONSENT_GRANT, actor=resident.principal, ip=ip, recipient=view.recipient.key,
                 purpose=view.purpose.key, items=chosen, receipt=str(receipt.id))
    session.flush()
    consent_given.send(current_app._get_current_object(), session=session,  # type: ignore[attr-defined]
                       change=ConsentGiven(subject=resident.principal, recipient=view.recipient.key,
                                           purpose=view.purpose.key, items=tuple(chosen)))
    return receipt


def withdraw(session: Session, settings: Settings, *, resident: Resident, view: OfferView,
             items: Collection[str] | None = None, now: datetime | None = None,
             ip: str | None = None) -> ConsentReceipt | None:
    """Effective at once: the next use finds no live consent. Withdrawn items only; None when nothing was live."""
    now = now or utcnow()
    lock_chain(session, resident.principal)  # no use of these items runs while they are being withdrawn
    current = grants_for(session, resident, view.recipient.key, view.purpose.key)
    wanted = set(items) if items is not None else set(view.offer.items)
    withdrawn = [key for key in view.offer.items if key in wanted and current.get(key) and current[key].granted]
    if not withdrawn:
        return None
    receipt = _receipt(session, settings, resident, view, withdrawn, "withdrawn", now, None)
    for key in withdrawn:
        row = current[key]
        row.granted, row.decided_at, row.expires_at, row.receipt_id = False, now, None, receipt.id
        session.add(row)
    audit.record(session, EventTag.CONSENT_WITHDRAW, actor=resident.principal, ip=ip, recipient=view.recipient.key,
                 purpose=view.purpose.key, items=withdrawn, receipt=str(receipt.id))
    session.flush()
    # Subscribers act in this transaction (`session`), so what they do commits or rolls back with the withdrawal.
    consent_withdrawn.send(current_app._get_current_object(), session=session,  # type: ignore[attr-defined]
                           change=ConsentWithdrawn(subject=resident.principal, recipient=view.recipient.key,
                                                   purpose=view.purpose.key, items=tuple(withdrawn)))
    return receipt


def renew(session: Session, settings: Settings, *, resident: Resident, view: OfferView, now: datetime | None = None,
          special_confirmed: bool = False, ip: str | None = None) -> ConsentReceipt | None:
    """One tap: the items granted before (expired or about to) are granted for another year. 要配慮 items are
    a new explicit consent each time: the box again (and, in the view, a fresh login)."""
    now = now or utcnow()
    lock_chain(session, resident.principal)
    current = grants_for(session, resident, view.recipient.key, view.purpose.key)
    # Only what may still be picked is renewed: a 要配慮 item outside the 指針 list (B5) runs out, never renewed.
    items = [item.key for item in view.items if current.get(item.key) and current[item.key].granted]
    if not items:
        return None
    if not special_confirmed and any(i.key in items and i.sensitivity == Sensitivity.SPECIAL for i in view.items):
        raise SpecialCareNotConfirmed()
    expiry = now + VALIDITY
    receipt = _receipt(session, settings, resident, view, items, "renewed", now, expiry)
    for key in items:
        row = current[key]
        row.decided_at, row.expires_at, row.reminded_at, row.receipt_id = now, expiry, None, receipt.id
        session.add(row)
    audit.record(session, EventTag.CONSENT_RENEW, actor=resident.principal, ip=ip, recipient=view.recipient.key,
                 purpose=view.purpose.key, items=items, receipt=str(receipt.id))
    return receipt


def receipts_of(session: Session, resident: Resident, limit: int = 50) -> list[ConsentReceipt]:
    return list(session.exec(select(ConsentReceipt).where(ConsentReceipt.resident_id == resident.id)
                             .order_by(col(ConsentReceipt.issued_at).desc()).limit(limit)))


def receipt_of(session: Session, resident: Resident, receipt_id: uuid.UUID) -> ConsentReceipt | None:
    receipt = session.get(ConsentReceipt, receipt_id)
    return receipt if receipt is not None and receipt.resident_id == resident.id else None


def due_for_reminder(session: Session, now: datetime) -> list[Grant]:
    """Live grants ending within a month that were not reminded of yet."""
    return list(session.exec(select(Grant).where(
        Grant.granted == True,  # noqa: E712
        col(Grant.expires_at) > now, col(Grant.expires_at) <= now + REMIND_BEFORE, col(Grant.reminded_at).is_(None),
    )))


def withdraw_everything(session: Session, settings: Settings, *, resident: Resident, ip: str | None = None) -> int:
    """Every consent the resident holds, withdrawn (account deletion): receipts, records and the event, as for
    a withdrawal by hand. Returns how many offers were affected."""
    from app.consent.catalogue import offer_views

    keys = {(g.recipient_key, g.purpose_key) for g in session.exec(
        select(Grant).where(Grant.resident_id == resident.id, Grant.granted == True))}  # noqa: E712
    count = 0
    for view in offer_views(session):
        if (view.recipient.key, view.purpose.key) in keys and withdraw(
                session, settings, resident=resident, view=view, ip=ip) is not None:
            count += 1
    return count

