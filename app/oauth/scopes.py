"""OAuth scopes are the consent catalogue's items, plus `notices`; what a token may do is always checked against
the resident's live consent, never its scope alone (security-anchors §0.4)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from app.accounts.models import Resident
from app.consent.decisions import live_items
from app.oauth.models import OAuthClient

NOTICES = "notices"  # may send the resident notices; granted with any item, never on its own


def items_of(scopes: Iterable[str]) -> list[str]:
    return [scope for scope in scopes if scope != NOTICES]


def consent_still_live(session: Session, resident: Resident, client: OAuthClient, scopes: Iterable[str]) -> bool:
    """Whether every item of the scope is still consented to for the client's recipient and purpose."""
    items = items_of(scopes)
    live = live_items(session, resident, client.recipient_key, client.purpose_key)
    return bool(items) and all(item in live for item in items)


def live_consent_end(session: Session, resident: Resident, client: OAuthClient, scopes: Iterable[str]) -> datetime | None:
    """When the first of the scope's consents ends (a refresh family never outlives it)."""
    live = live_items(session, resident, client.recipient_key, client.purpose_key)
    ends = [live[item] for item in items_of(scopes) if item in live]
    return min(ends) if ends else None
