"""The catalogue: loading the bank's starting catalogue, the ethics board's approvals, and offering.

An offer reaches residents only when the data ethics board's approval of both its recipient and its purpose is
recorded (G6): `activate_offer` refuses otherwise, and every approval is an audit event. A profiling rule (kind
`profiling_rule`, app/recommend/rules.py) is approved here too, version by version; the feed checks it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from app import audit
from app.audit import EventTag
from app.consent import special_care
from app.consent.events import ethics_approval_recorded
from app.consent.models import DataItem, EthicsApproval, Offer, Purpose, Recipient
from app.errors import Conflict, DomainError, NotFound

CATALOGUE_FILE: Path = special_care.CATALOGUE_FILE


class NotApproved(DomainError):
    status = 409
    message = _l("This recipient or purpose has no recorded approval by the data ethics board yet.")


def load_catalogue(session: Session, path: Path = CATALOGUE_FILE) -> dict[str, int]:
    """Insert what is missing from the catalogue file; existing rows (possibly edited by the operator) stay.
    Refuses the whole file (UnlistedSpecialCareItem, nothing added) when a 要配慮 item is outside the 指針 Ver3.0 list
    (B5, app/consent/special_care.py)."""
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    special_care.check_items(document.get("items", []))
    counts = {"items": 0, "recipients": 0, "purposes": 0, "offers": 0}
    for model, section in ((DataItem, "items"), (Recipient, "recipients"), (Purpose, "purposes")):
        for row in document.get(section, []):
            if session.get(model, row["key"]) is None:
                session.add(model(**special_care.strip_category(row)))
                counts[section] += 1
    session.flush()
    for row in document.get("offers", []):
        offer = offer_for(session, row["recipient"], row["purpose"])
        if offer is None:
            session.add(Offer(recipient_key=row["recipient"], purpose_key=row["purpose"], items=list(row["items"])))
            counts["offers"] += 1
        elif missing := [key for key in row["items"] if key not in offer.items]:
            # An item the file adds to an existing offer is asked for from now on; nobody's consent changes (the
            # new item is granted only by those who choose it). Items are never removed here.
            offer.items = [*offer.items, *missing]
            session.add(offer)
            counts["offer items"] = counts.get("offer items", 0) + len(missing)
    session.flush()
    return counts


def add_recipient(session: Session, *, actor: str, values: dict[str, str], ip: str | None = None) -> Recipient:
    if session.get(Recipient, values["key"]) is not None:
        raise Conflict(str(_l("This key is already used.")))
    recipient = Recipient(**values)
    session.add(recipient)
    audit.record(session, EventTag.CATALOGUE_ADD, actor=actor, ip=ip, kind="recipient", key=recipient.key)
    return recipient


def add_purpose(session: Session, *, actor: str, values: dict[str, object], ip: str | None = None) -> Purpose:
    if session.get(Purpose, values["key"]) is not None:
        raise Conflict(str(_l("This key is already used.")))
    purpose = Purpose(**values)  # type: ignore[arg-type]
    session.add(purpose)
    audit.record(session, EventTag.CATALOGUE_ADD, actor=actor, ip=ip, kind="purpose", key=purpose.key)
    return purpose


def add_offer(session: Session, *, actor: str, recipient_key: str, purpose_key: str, items: list[str],
              ip: str | None = None) -> Offer:
    """A new request for data, inactive until offered (which needs the approvals)."""
    if offer_for(session, recipient_key, purpose_key) is not None:
        raise Conflict(str(_l("This recipient already has an offer for this purpose.")))
    known = pickable_items(session)
    if not items or any(key not in known for key in items):
        raise NotFound()
    offer = Offer(recipient_key=recipient_key, purpose_key=purpose_key, items=[k for k in known if k in items])
    session.add(offer)
    audit.record(session, EventTag.CATALOGUE_ADD, actor=actor, ip=ip, kind="offer", key=f"{recipient_key}/{purpose_key}")
    return offer


def offer_for(session: Session, recipient_key: str, purpose_key: str) -> Offer | None:
    return session.exec(
        select(Offer).where(Offer.recipient_key == recipient_key, Offer.purpose_key == purpose_key)
    ).first()


def items_by_key(session: Session) -> dict[str, DataItem]:
    """Every item of the catalogue table, 要配慮 ones outside the list included (to name and to withhold them)."""
    return {item.key: item for item in session.exec(select(DataItem))}


def pickable_items(session: Session) -> dict[str, DataItem]:
    """The items that may be offered and chosen: all but a 要配慮 item outside the 指針 Ver3.0 list (B5)."""
    return {key: item for key, item in items_by_key(session).items() if special_care.pickable(item)}


def approval_of(session: Session, kind: str, key: str) -> EthicsApproval | None:
    return session.exec(
        select(EthicsApproval).where(EthicsApproval.subject_kind == kind, EthicsApproval.subject_key == key)
    ).first()


def approved_subjects(session: Session, kind: str, keys: Iterable[str]) -> set[str]:
    """Those of `keys` whose approval (of `kind`) is recorded, in one query."""
    wanted = list(keys)
    if not wanted:
        return set()
    return set(session.exec(select(EthicsApproval.subject_key).where(
        EthicsApproval.subject_kind == kind, col(EthicsApproval.subject_key).in_(wanted))))


def _exists(session: Session, kind: str, key: str) -> bool:
    """A recipient or purpose in the catalogue, or a profiling rule in its current version (G6: the board approves
    the version the code applies; app/recommend/rules.py)."""
    if kind == "profiling_rule":
        from app.recommend.rules import current_subjects  # the recommend package imports this module

        return key in current_subjects()
    model = {"recipient": Recipient, "purpose": Purpose}.get(kind)
    return model is not None and session.get(model, key) is not None


def record_approval(session: Session, *, actor: str, kind: str, key: str, approved_on: date, minutes_ref: str,
                    ip: str | None = None) -> EthicsApproval:
    if not _exists(session, kind, key):
        raise NotFound()
    if approval_of(session, kind, key) is not None:
        raise Conflict(str(_l("An approval is already recorded for this.")))
    approval = EthicsApproval(subject_kind=kind, subject_key=key, approved_on=approved_on,
                              minutes_ref=minutes_ref.strip(), recorded_by=actor)
    session.add(approval)
    audit.record(session, EventTag.ETHICS_APPROVAL, actor=actor, ip=ip, kind=kind, key=key,
                 approved_on=approved_on.isoformat(), minutes_ref=approval.minutes_ref)
    sender = current_app._get_current_object() if has_app_context() else None  # type: ignore[attr-defined]
    ethics_approval_recorded.send(sender, session=session, kind=kind, key=key)
    return approval


def is_approved(session: Session, offer: Offer) -> bool:
    return (approval_of(session, "recipient", offer.recipient_key) is not None
            and approval_of(session, "purpose", offer.purpose_key) is not None)


def activate_offer(session: Session, *, actor: str, offer: Offer, active: bool, ip: str | None = None) -> Offer:
    if active and not is_approved(session, offer):
        raise NotApproved()
    offer.active = active
    session.add(offer)
    audit.record(session, EventTag.OFFER_ACTIVATE if active else EventTag.OFFER_DEACTIVATE, actor=actor, ip=ip,
                 recipient=offer.recipient_key, purpose=offer.purpose_key)
    return offer


@dataclass(frozen=True)
class OfferView:
    offer: Offer
    recipient: Recipient
    purpose: Purpose
    items: list[DataItem]  # the offer's items that may be picked (`pickable_items`), in the offer's order


def _view_of(session: Session, offer: Offer, items: dict[str, DataItem]) -> OfferView | None:
    recipient, purpose = session.get(Recipient, offer.recipient_key), session.get(Purpose, offer.purpose_key)
    if recipient is None or purpose is None:
        return None
    return OfferView(offer, recipient, purpose, [items[k] for k in offer.items if k in items])


def offer_views(session: Session, *, active_only: bool = False) -> list[OfferView]:
    """Every offer (or only those residents are offered), in the order they were added."""
    items = pickable_items(session)
    statement = select(Offer).order_by(Offer.id)
    if active_only:
        statement = statement.where(Offer.active == True)  # noqa: E712
    views = (_view_of(session, offer, items) for offer in session.exec(statement))
    return [view for view in views if view is not None]


def active_offers(session: Session) -> list[OfferView]:
    """What residents are offered, the bank's own processing first."""
    return sorted(offer_views(session, active_only=True), key=lambda v: (v.recipient.kind != "bank", v.offer.id or 0))


def offer_view(session: Session, offer_id: int) -> OfferView | None:
    """Any offer, active or not: a consent given stays the resident's to see, withdraw or renew."""
    offer = session.get(Offer, offer_id)
    return _view_of(session, offer, pickable_items(session)) if offer is not None else None


def all_offers(session: Session) -> list[tuple[OfferView, bool]]:
    """Every offer with whether it may be activated (for the operator)."""
    return [(view, is_approved(session, view.offer)) for view in offer_views(session)]
