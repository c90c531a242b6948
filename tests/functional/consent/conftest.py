"""Fixtures for the consent tests: the bank's catalogue loaded, approved by the ethics board (with the profiling
rules' current versions) and offered."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlmodel import Session, select

from app.consent import catalogue
from app.consent.catalogue import OfferView
from app.consent.models import Offer, Purpose, Recipient
from app.recommend import rules

BOARD = (date(2026, 10, 1), "DE-TEST-01")


def approve_everything(session: Session, *, actor: str = "test", profiling_rules: bool = True) -> None:
    approved_on, minutes = BOARD
    for kind, model in (("recipient", Recipient), ("purpose", Purpose)):
        for row in session.exec(select(model)):
            if catalogue.approval_of(session, kind, row.key) is None:
                catalogue.record_approval(session, actor=actor, kind=kind, key=row.key, approved_on=approved_on,
                                          minutes_ref=minutes)
    if profiling_rules:
        approve_profiling_rules(session, actor=actor)


def approve_profiling_rules(session: Session, *, actor: str = "test") -> None:
    """The current version of every profiling rule (the feed's eligibility and ranking), as the demo seed does."""
    approved_on, minutes = BOARD
    for rule in rules.current_rules():
        if catalogue.approval_of(session, rules.KIND, rule.subject) is None:
            catalogue.record_approval(session, actor=actor, kind=rules.KIND, key=rule.subject, approved_on=approved_on,
                                      minutes_ref=minutes)


# The fixtures push an app context only while they work: one held across the test would be reused by the test
# client's requests (Flask reuses an active context of the same app), sharing `g` (the logged-in user) between them.


@pytest.fixture
def loaded_catalogue(app: Flask, db: Session) -> None:
    """The catalogue file in the database, nothing approved or offered yet (unless a migration did so)."""
    with app.app_context():
        catalogue.load_catalogue(db)
        db.flush()


def offer_everything(app: Flask, db: Session, *, profiling_rules: bool = True) -> dict[tuple[str, str], OfferView]:
    with app.app_context():
        approve_everything(db, profiling_rules=profiling_rules)
        for offer in db.exec(select(Offer)):
            if not offer.active:
                catalogue.activate_offer(db, actor="test", offer=offer, active=True)
        db.flush()
        return {(view.recipient.key, view.purpose.key): view for view in catalogue.active_offers(db)}


@pytest.fixture
def offers(app: Flask, db: Session, loaded_catalogue: None) -> dict[tuple[str, str], OfferView]:
    """Every offer of the catalogue approved and active, by (recipient, purpose); the profiling rules approved."""
    return offer_everything(app, db)
