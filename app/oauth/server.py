"""authlib's authorization server, grants and endpoints over the bank's tables, closing authlib's gaps
(security-anchors §0 and C1–C8):

- PKCE S256 for every client (`hardening.S256CodeChallenge`); exact redirect URIs; only `code`.
- A code is claimed atomically when exchanged; a second exchange revokes every token issued from it (#757).
- Refresh tokens rotate; a rotated token presented again revokes the family, except within a 5-second grace,
  which covers the client's own concurrent retry (it only gets `invalid_grant`). Families end 30 days after the
  authorization and never outlive the consent (C5).
- private_key_jwt is the only client authentication (C4); revocation and introspection need it too (C6).
- Exchanging a code or a refresh token needs the consent to still be live: a withdrawal in between is
  `invalid_grant`.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    InvalidGrantError,
    InvalidScopeError,
    OAuth2Request,
    grants,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import g
from flask import request as flask_request
from sqlalchemy import or_, update
from sqlmodel import Session, select

from app.accounts.models import Resident
from app.config import current_settings
from app.db import get_session, utcnow
from app.ledger.services import lock_chain
from app.oauth import client_auth
from app.oauth.hardening import CallableIssuerParameter, S256CodeChallenge
from app.oauth.models import AuthorizationCode, OAuthClient, OAuthToken
from app.oauth.scopes import NOTICES, consent_still_live, live_consent_end
from app.oauth.subjects import pairwise_subject
from app.sessions import hash_token as digest

CODE_LIFETIME = timedelta(seconds=60)
ACCESS_TOKEN_LIFETIME = timedelta(minutes=5)
REFRESH_FAMILY_LIFETIME = timedelta(days=30)
REFRESH_REUSE_GRACE = timedelta(seconds=5)
AUTH_METHODS = [client_auth.METHOD]


def issuer() -> str:
    return current_settings().public_url.rstrip("/")


def endpoint_url(path: str) -> str:
    return issuer() + path


def _lock_resident(session: Session, resident_id: Any) -> None:
    """Take the resident's chain lock before claiming a code or refresh token and issuing from it.

    Withdrawals and disconnections take the same lock before revoking, so issuing and revoking never interleave:
    a withdrawal either sees the new token family (and revokes it) or happens first (and the consent check below
    refuses). Always before the claim, in the same order as a withdrawal (lock, then token rows): no deadlock.
    """
    lock_chain(session, f"resident:{resident_id}")


def _resident_if_consent_live(session: Session, resident_id: Any, client_id: str, scope: str) -> Resident | None:
    """The resident a code or token speaks for, if every item of its scope is still consented to."""
    resident = session.get(Resident, resident_id)
    client = session.get(OAuthClient, client_id)
    if resident is None or client is None or not consent_still_live(session, resident, client, scope.split()):
        return None
    return resident


def revoke_family(session: Session, grant_id: str, reason: str, now: datetime | None = None) -> int:
    """Revoke every access and refresh token issued from one authorization."""
    result = session.execute(update(OAuthToken).where(
        OAuthToken.grant_id == grant_id, OAuthToken.revoked_at.is_(None),  # type: ignore[union-attr,arg-type]
    ).values(revoked_at=now or utcnow(), revoked_reason=reason))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


class BankAuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def validate_requested_scope(self) -> None:
        """Every scope asked for must be registered for the client (else `invalid_scope`, not a silent cut), and
        at least one must be a data item."""
        requested = (self.request.payload.scope or "").split()
        client: OAuthClient = self.request.client
        unknown = [scope for scope in requested if scope not in client.scopes]
        if unknown or not [scope for scope in requested if scope != NOTICES]:
            raise InvalidScopeError(state=self.request.payload.state)

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        resident: Resident = request.user
        now = utcnow()
        get_session().add(AuthorizationCode(
            id=secrets.token_urlsafe(24), code_digest=digest(code), client_id=request.client.get_client_id(),
            # What the resident chose on the consent screen (the view puts it in g), never more than was asked.
            resident_id=resident.id, redirect_uri=request.payload.redirect_uri, scope=g.oauth_granted_scope,
            code_challenge=request.payload.data["code_challenge"],
            code_challenge_method=request.payload.data["code_challenge_method"],
            consent_receipt_id=g.get("oauth_consent_receipt_id"), issued_at=now, expires_at=now + CODE_LIFETIME))

    def query_authorization_code(self, code: str, client: OAuthClient) -> AuthorizationCode | None:
        session = get_session()
        row = session.exec(select(AuthorizationCode).where(AuthorizationCode.code_digest == digest(code))).first()
        if row is None or row.client_id != client.client_id:
            return None  # another client's code is simply not found (C3: bound to the client)
        if row.used_at is not None:
            revoke_family(session, row.id, "code_replay")
            return None
        if row.expires_at <= utcnow():
            return None
        return row

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Resident:
        # Claimed here, after PKCE and redirect_uri passed, so a failed attempt does not burn the code; the
        # conditional UPDATE makes two concurrent exchanges of one code yield one token.
        session = get_session()
        _lock_resident(session, authorization_code.resident_id)
        claimed = session.execute(update(AuthorizationCode).where(
            AuthorizationCode.id == authorization_code.id, AuthorizationCode.used_at.is_(None),  # type: ignore[union-attr,arg-type]
        ).values(used_at=utcnow())).rowcount  # type: ignore[attr-defined]
        if claimed != 1:
            revoke_family(session, authorization_code.id, "code_replay")
            raise InvalidGrantError("The code was already used.")
        resident = _resident_if_consent_live(session, authorization_code.resident_id, authorization_code.client_id,
                                             authorization_code.scope)
        if resident is None:
            raise InvalidGrantError("The resident's consent is no longer live.")
        return resident

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Nothing to do: the row was marked used, and stays so that a replay is recognised."""


class BankRefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> OAuthToken | None:
        session, now = get_session(), utcnow()
        row = session.exec(select(OAuthToken).where(OAuthToken.refresh_token_digest == digest(refresh_token))).first()
        if row is None or row.revoked_at is not None:
            return None
        if row.refresh_rotated_at is not None:
            if now - row.refresh_rotated_at > REFRESH_REUSE_GRACE:
                revoke_family(session, row.grant_id, "refresh_reuse", now)
            return None
        if row.refresh_expires_at is None or row.refresh_expires_at <= now:
            return None
        return row

    def authenticate_user(self, refresh_token: OAuthToken) -> Resident:
        session = get_session()
        _lock_resident(session, refresh_token.resident_id)
        claimed = session.execute(update(OAuthToken).where(
            OAuthToken.id == refresh_token.id, OAuthToken.refresh_rotated_at.is_(None),  # type: ignore[union-attr,arg-type]
            OAuthToken.revoked_at.is_(None),  # type: ignore[union-attr]
        ).values(refresh_rotated_at=utcnow())).rowcount  # type: ignore[attr-defined]
        if claimed != 1:
            raise InvalidGrantError("The refresh token was already used.")
        resident = _resident_if_consent_live(session, refresh_token.resident_id, refresh_token.client_id,
                                             refresh_token.scope)
        if resident is None:
            revoke_family(session, refresh_token.grant_id, "consent_ended")
            raise InvalidGrantError("The resident's consent is no longer live.")
        return resident

    def revoke_old_credential(self, refresh_token: OAuthToken) -> None:
        """Nothing to do: `authenticate_user` marked it rotated, atomically."""


class BankRevocationEndpoint(RevocationEndpoint):
    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> OAuthToken | None:
        return find_token(token_string)

    def revoke_token(self, token: OAuthToken, request: OAuth2Request) -> None:
        session = get_session()
        if token.refresh_token_digest == digest(request.form["token"]):
            revoke_family(session, token.grant_id, "revoked_by_client")  # RFC 7009 §2.1: the grant ends
        elif token.revoked_at is None:
            token.revoked_at, token.revoked_reason = utcnow(), "revoked_by_client"
            session.add(token)


class BankIntrospectionEndpoint(IntrospectionEndpoint):
    """RFC 7662 for the client's own tokens: anything else, unknown, expired or revoked is `{"active": false}`."""

    CLIENT_AUTH_METHODS = AUTH_METHODS

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Introspected | None:
        row = find_token(token_string)
        if row is None:
            return None
        is_refresh = row.refresh_token_digest == digest(token_string)
        return _Introspected(row, is_refresh)

    def check_permission(self, token: _Introspected, client: OAuthClient, request: OAuth2Request) -> bool:
        return token.row.client_id == client.client_id

    def introspect_token(self, token: _Introspected) -> dict[str, Any]:
        row = token.row
        session = get_session()
        resident = _resident_if_consent_live(session, row.resident_id, row.client_id, row.scope)
        client = session.get(OAuthClient, row.client_id)
        if resident is None or client is None:
            return {"active": False}

        end = row.refresh_expires_at if token.is_refresh else row.access_expires_at
        return {
            "active": True,
            "client_id": row.client_id,
            "scope": row.scope,
            "sub": pairwise_subject(session, client.recipient_key, resident),
            "token_type": "refresh_token" if token.is_refresh else "Bearer",
            "iss": issuer(),
            "iat": int(row.issued_at.timestamp()),
            "exp": int(end.timestamp()) if end else None,
        }


class _Introspected:
    def __init__(self, row: OAuthToken, is_refresh: bool) -> None:
        self.row, self.is_refresh = row, is_refresh

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None or (self.is_refresh and self.row.refresh_rotated_at is not None)

    def is_expired(self) -> bool:
        end = self.row.refresh_expires_at if self.is_refresh else self.row.access_expires_at
        return end is None or end <= utcnow()


def find_token(token_string: str) -> OAuthToken | None:
    token_digest = digest(token_string)
    return get_session().exec(select(OAuthToken).where(or_(
        OAuthToken.access_token_digest == token_digest, OAuthToken.refresh_token_digest == token_digest,
    ))).first()


class BankAuthorizationServer(AuthorizationServer):
    def __init__(self) -> None:
        super().__init__()
        self.issuer_parameter = CallableIssuerParameter(issuer)
        self.register_extension(self.issuer_parameter)
        self.register_client_auth_method(client_auth.METHOD, self._authenticate_private_key_jwt)
        self.register_grant(BankAuthorizationCodeGrant, [S256CodeChallenge()])
        self.register_grant(BankRefreshTokenGrant)
        self.register_endpoint(BankRevocationEndpoint)
        self.register_endpoint(BankIntrospectionEndpoint)

    def init_app(self, app: Any, query_client: Any = None, save_token: Any = None) -> None:
        super().init_app(app, query_client, save_token)
        # After authlib's init_app, which installs a generator from app.config: opaque random tokens, 5 minutes.
        self.register_token_generator("default", BearerTokenGenerator(
            access_token_generator=lambda **_: secrets.token_urlsafe(32),
            refresh_token_generator=lambda **_: secrets.token_urlsafe(48),
            expires_generator=lambda _client, _grant_type: int(ACCESS_TOKEN_LIFETIME.total_seconds()),
        ))

    @staticmethod
    def _authenticate_private_key_jwt(query_client: Any, request: OAuth2Request) -> OAuthClient:
        called = endpoint_url(flask_request.path)  # RFC 7523 names the endpoint; FAPI 2 the issuer: both do
        return client_auth.authenticate_private_key_jwt(get_session(), query_client, request, {issuer(), called})

    def query_client(self, client_id: str) -> OAuthClient | None:
        client = get_session().get(OAuthClient, client_id)
        return client if client is not None and client.disabled_at is None else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        session, now = get_session(), utcnow()
        resident: Resident = request.user
        client: OAuthClient = request.client
        if request.authorization_code is not None:
            code: AuthorizationCode = request.authorization_code
            grant_id = code.id
            family_end = code.issued_at + REFRESH_FAMILY_LIFETIME
            # A new authorization replaces the client's earlier ones for this resident: none stays alive unseen.
            session.execute(update(OAuthToken).where(
                OAuthToken.client_id == client.client_id, OAuthToken.resident_id == resident.id,  # type: ignore[arg-type]
                OAuthToken.grant_id != grant_id, OAuthToken.revoked_at.is_(None),  # type: ignore[union-attr,arg-type]
            ).values(revoked_at=now, revoked_reason="superseded"))
        else:
            previous: OAuthToken = request.refresh_token
            grant_id, family_end = previous.grant_id, previous.refresh_expires_at or now
        consent_end = live_consent_end(session, resident, client, token.get("scope", "").split())
        refresh = token.get("refresh_token")
        session.add(OAuthToken(
            grant_id=grant_id, client_id=client.client_id, resident_id=resident.id, scope=token.get("scope", ""),
            access_token_digest=digest(token["access_token"]),
            refresh_token_digest=digest(refresh) if refresh else None, issued_at=now,
            access_expires_at=now + timedelta(seconds=int(token["expires_in"])),
            refresh_expires_at=min(family_end, consent_end) if refresh and consent_end else None))
        session.flush()

    def redirect_with_issuer(self, response: Any) -> Any:
        """Add `iss` to an error redirect built outside `create_authorization_response` (RFC 9207 §2)."""
        self.issuer_parameter.add_issuer_parameter(self, response)
        return response
