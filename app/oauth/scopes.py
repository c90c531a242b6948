"""OAuth scopes are the consent catalogue's items, plus `notices`; what a token may do is always checked against
the resident's live consent, never its scope alone (security-anchors §0.4)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from app.accounts.models import Resident
from app.consent.catalogue import items_by_key
from app.consent.enforce import live_consents
from app.consent.models import Sensitivity
from app.oauth.models import OAuthClient

NOTICES = "notices"  # may send the resident notices; granted with any item, never on its own


def items_of(scopes: Iterable[str]) -> list[str]:
    return [scope for scope in scopes if scope != NOTICES]


def client_items(session: Session, scopes: Iterable[str]) -> list[str]:
    """The items a client's token may read: its scope's items but the 要配慮 ones. No client is registered for one
    (app/oauth/clients.py), so this matters only for a scope a bug or an older registration left behind: such an
    item leaves only through the bank's own screens, after a fresh login and its own box (B5)."""
    special = {key for key, item in items_by_key(session).items() if item.sensitivity == Sensitivity.SPECIAL}
    return [item for item in items_of(scopes) if item not in special]


def consent_still_live(session: Session, resident: Resident, client: OAuthClient, scopes: Iterable[str]) -> bool:
    """Whether the consent door would still serve any item of the scope (as `/me` serves the live ones, naming
    the others `withheld`; a withdrawal revokes the token outright)."""
    live = live_consents(session, resident, client.recipient_key, client.purpose_key)
    return any(item in live for item in items_of(scopes))


def live_consent_end(session: Session, resident: Resident, client: OAuthClient, scopes: Iterable[str]) -> datetime | None:
    """When the last of the scope's live consents ends (a refresh family never outlives them)."""
    live = live_consents(session, resident, client.recipient_key, client.purpose_key)
    ends = [live[item].expires_at for item in items_of(scopes) if item in live]
    return max((end for end in ends if end is not None), default=None)
