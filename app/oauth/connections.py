"""The systems a resident has connected (authorized): what each may read, since when, and disconnecting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app import audit
from app.accounts.models import Resident
from app.audit import EventTag
from app.consent.models import Purpose, Recipient
from app.db import utcnow
from app.ledger.services import lock_chain
from app.oauth.models import OAuthClient, OAuthToken
from app.oauth.server import revoke_family


@dataclass(frozen=True)
class Connection:
    client: OAuthClient
    recipient: Recipient | None
    purpose: Purpose | None
    scopes: list[str]
    since: datetime


def _live_tokens(session: Session, resident: Resident, client_id: str | None = None) -> list[OAuthToken]:
    statement = select(OAuthToken).where(OAuthToken.resident_id == resident.id, col(OAuthToken.revoked_at).is_(None),
                                         col(OAuthToken.refresh_expires_at) > utcnow())
    if client_id is not None:
        statement = statement.where(OAuthToken.client_id == client_id)
    return list(session.exec(statement.order_by(col(OAuthToken.issued_at))))


def of_resident(session: Session, resident: Resident) -> list[Connection]:
    by_client: dict[str, list[OAuthToken]] = {}
    for token in _live_tokens(session, resident):
        by_client.setdefault(token.client_id, []).append(token)
    result = []
    for client_id, tokens in by_client.items():
        client = session.get(OAuthClient, client_id)
        if client is None:
            continue
        scopes = sorted({scope for token in tokens for scope in token.scope.split()})
        result.append(Connection(client, session.get(Recipient, client.recipient_key),
                                 session.get(Purpose, client.purpose_key), scopes,
                                 since=tokens[0].issued_at))
    return sorted(result, key=lambda c: c.since)


def disconnect(session: Session, resident: Resident, client_id: str, *, ip: str | None = None) -> bool:
    """Revoke every token family the client holds for this resident; False if it held none."""
    lock_chain(session, resident.principal)  # a refresh running now either finishes first or sees the revocation
    families = {token.grant_id for token in _live_tokens(session, resident, client_id)}
    for family in families:
        revoke_family(session, family, "disconnected_by_resident")
    if families:
        audit.record(session, EventTag.OAUTH_DISCONNECT, actor=resident.principal, ip=ip, client=client_id)
    return bool(families)
