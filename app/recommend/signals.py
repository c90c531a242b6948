"""The feed kept for the day is dropped when what it was computed from changes: the bank's own consent given or
withdrawn, a change to the household (or the participation history), or the data ethics board's approval of a
profiling rule (every kept feed: one listed without personalisation while the rule waited is computed again with
it). All arrive inside the change's transaction."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.consent.events import (
    ConsentGiven,
    ConsentWithdrawn,
    consent_given,
    consent_withdrawn,
    ethics_approval_recorded,
)
from app.consent.models import BANK
from app.household.events import household_changed
from app.principals import parse_principal
from app.recommend import rules
from app.recommend.feed import invalidate, rules_approved


def _on_consent_change(_sender: Any, *, session: Session, change: ConsentGiven | ConsentWithdrawn, **_: Any) -> None:
    parsed = parse_principal(change.subject)
    if change.recipient == BANK and parsed is not None and parsed[0] == "resident":
        invalidate(session, parsed[1])


def _on_household_change(_sender: Any, *, session: Session, resident_id: Any, **_: Any) -> None:
    invalidate(session, resident_id)


def _on_approval(_sender: Any, *, session: Session, kind: str, **_: Any) -> None:
    if kind == rules.KIND:
        rules_approved(session)


def init_app() -> None:
    consent_withdrawn.connect(_on_consent_change)
    consent_given.connect(_on_consent_change)
    household_changed.connect(_on_household_change)
    ethics_approval_recorded.connect(_on_approval)
