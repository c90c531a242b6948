"""Tokens die with the consent: a withdrawal revokes every token family whose scope holds a withdrawn item, in
the withdrawal's own transaction (so there is nothing to deliver later and nothing to lose: the next call with
such a token is 403 `consent_required`)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlmodel import Session, select

from app.consent.events import ConsentWithdrawn, consent_withdrawn
from app.oauth.models import OAuthClient, OAuthToken
from app.oauth.server import revoke_family
from app.principals import parse_principal


def revoke_for_withdrawal(session: Session, change: ConsentWithdrawn) -> int:
    parsed = parse_principal(change.subject)
    if parsed is None or parsed[0] != "resident":
        return 0
    withdrawn = set(change.items)
    families = {
        token.grant_id
        for token, client in session.exec(
            select(OAuthToken, OAuthClient)
            .join(OAuthClient, OAuthClient.client_id == OAuthToken.client_id)  # type: ignore[arg-type]
            .where(OAuthToken.resident_id == parsed[1], OAuthToken.revoked_at.is_(None),  # type: ignore[union-attr]
                   OAuthClient.recipient_key == change.recipient, OAuthClient.purpose_key == change.purpose))
        if withdrawn & set(token.scope.split())
    }
    return sum(revoke_family(session, family, "consent_withdrawn") for family in families)


def _on_withdrawal(_sender: Any, *, session: Session, change: ConsentWithdrawn, **_: Any) -> None:
    revoke_for_withdrawal(session, change)


def init_app(app: Flask) -> None:
    # Connected once for the process (blinker keeps a weak reference to a module-level function: it stays).
    consent_withdrawn.connect(_on_withdrawal)
