"""authlib's grants, endpoints and resource protector, bound to a peer's storage and tightened.

What is stricter than authlib's defaults, and why:
- PKCE (S256, every client) and `iss` come from `app.oauth.hardening`, shared with the bank's own server.
- A code is claimed atomically when exchanged; a second exchange is a replay and revokes every token issued from
  the code (RFC 6749 §4.1.2, RFC 9700 §4.5).
- Refresh tokens rotate; presenting a rotated (or revoked) refresh token again revokes the whole family
  (RFC 9700 §4.14.2), since either the client or an attacker holds a copy.
- Revoking a refresh token revokes every token of its grant (RFC 7009 §2.1 allows it; unlinking expects it).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authlib.integrations.flask_oauth2 import ResourceProtector
from authlib.integrations.flask_oauth2.errors import raise_http_exception
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidGrantError, MissingAuthorizationError, OAuth2Request, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator, InsufficientScopeError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from flask import json
from sqlalchemy import or_, select, update

from app.peers.authserver.storage import (
    CLIENT_AUTH_METHODS,
    AuthorizationCode,
    OAuthToken,
    PeerDatabase,
    digest,
    now,
)

if TYPE_CHECKING:
    from app.peers.authserver.server import PeerAuthorizationServer

# RFC 9700 §4.1.1 wants codes short-lived; a minute is plenty for a client that exchanges at once.
AUTHORIZATION_CODE_LIFETIME_SECONDS = 60
ACCESS_TOKEN_LIFETIME_SECONDS = 600


@dataclass(frozen=True, slots=True)
class ResourceOwner:
    """The signed-in user as the grants see them: the peer's opaque subject and when they authenticated."""

    subject: str
    auth_time: int


class _StoredGrantMixin:
    server: PeerAuthorizationServer

    @property
    def db(self) -> PeerDatabase:
        return self.server.db


class PeerAuthorizationCodeGrant(_StoredGrantMixin, grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(CLIENT_AUTH_METHODS)

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        owner: ResourceOwner = request.user
        data = request.payload.data
        issued_at = now()
        self.db.session.add(
            AuthorizationCode(
                id=secrets.token_urlsafe(24),
                code_digest=digest(code),
                client_id=request.client.get_client_id(),
                subject=owner.subject,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope or "",
                nonce=data.get("nonce") or None,
                auth_time=owner.auth_time,
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                issued_at=issued_at,
                expires_at=issued_at + AUTHORIZATION_CODE_LIFETIME_SECONDS,
            )
        )
        self.db.session.commit()

    def query_authorization_code(self, code: str, client: Any) -> AuthorizationCode | None:
        row = self.db.session.scalar(select(AuthorizationCode).where(AuthorizationCode.code_digest == digest(code)))
        if row is None or row.client_id != client.get_client_id():
            return None
        if row.used_at is not None:
            self.server.revoke_grant(row.id)
            return None
        if row.expires_at <= now():
            return None
        return row

    def authenticate_user(self, authorization_code: AuthorizationCode) -> ResourceOwner:
        # Claimed here, after PKCE and redirect_uri passed, so a failed attempt does not burn the code; the
        # conditional UPDATE makes two concurrent exchanges of one code yield one token.
        claimed = self.db.session.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.id == authorization_code.id, AuthorizationCode.used_at.is_(None))
            .values(used_at=now())
        ).rowcount
        self.db.session.commit()
        if claimed != 1:
            self.server.revoke_grant(authorization_code.id)
            raise InvalidGrantError("The code was already used.")
        return ResourceOwner(authorization_code.subject, authorization_code.auth_time)

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Nothing to do: the row was marked used, and stays so a replay is recognised."""


class PeerRefreshTokenGrant(_StoredGrantMixin, grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(CLIENT_AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> OAuthToken | None:
        row = self.db.session.scalar(select(OAuthToken).where(OAuthToken.refresh_token_digest == digest(refresh_token)))
        if row is None:
            return None
        if row.refresh_token_revoked_at is not None:
            self.server.revoke_grant(row.grant_id)
            return None
        return row

    def authenticate_user(self, refresh_token: OAuthToken) -> ResourceOwner:
        claimed = self.db.session.execute(
            update(OAuthToken)
            .where(OAuthToken.id == refresh_token.id, OAuthToken.refresh_token_revoked_at.is_(None))
            .values(refresh_token_revoked_at=now())
        ).rowcount
        self.db.session.commit()
        if claimed != 1:
            self.server.revoke_grant(refresh_token.grant_id)
            raise InvalidGrantError("The refresh token was already used.")
        return ResourceOwner(refresh_token.subject, refresh_token.auth_time)

    def revoke_old_credential(self, refresh_token: OAuthToken) -> None:
        """Nothing to do: `authenticate_user` already revoked it, atomically."""


class PeerRevocationEndpoint(RevocationEndpoint):
    CLIENT_AUTH_METHODS = list(CLIENT_AUTH_METHODS)
    server: PeerAuthorizationServer

    def query_token(self, token_string: str, token_type_hint: str | None) -> OAuthToken | None:
        token_digest = digest(token_string)
        return self.server.db.session.scalar(
            select(OAuthToken).where(
                or_(OAuthToken.access_token_digest == token_digest, OAuthToken.refresh_token_digest == token_digest)
            )
        )

    def revoke_token(self, token: OAuthToken, request: OAuth2Request) -> None:
        if token.refresh_token_digest == digest(request.form["token"]):
            self.server.revoke_grant(token.grant_id)
            return
        if token.access_token_revoked_at is None:
            token.access_token_revoked_at = now()
        self.server.db.session.commit()


class PeerBearerTokenValidator(BearerTokenValidator):
    def __init__(self, db: PeerDatabase) -> None:
        super().__init__()
        self.db = db

    def authenticate_token(self, token_string: str) -> OAuthToken | None:
        return self.db.session.scalar(select(OAuthToken).where(OAuthToken.access_token_digest == digest(token_string)))


class PeerResourceProtector(ResourceProtector):
    """authlib's protector with RFC 6750 §3 challenges: a bare `Bearer` without credentials, `insufficient_scope`
    with the scope needed."""

    def acquire_token(self, scopes: Any = None, **kwargs: Any) -> OAuthToken:
        try:
            return super().acquire_token(scopes, **kwargs)
        except InsufficientScopeError as error:
            error.required_scope = " ".join([scopes] if isinstance(scopes, str) else scopes or [])
            raise

    def raise_error_response(self, error: OAuth2Error) -> None:
        if isinstance(error, MissingAuthorizationError):
            raise_http_exception(401, json.dumps({"error": "invalid_request"}), _json_headers("Bearer"))
        if isinstance(error, InsufficientScopeError):
            scope = getattr(error, "required_scope", "")
            challenge = f'Bearer error="insufficient_scope", scope="{scope}"'
            raise_http_exception(403, json.dumps(dict(error.get_body())), _json_headers(challenge))
        super().raise_error_response(error)


def _json_headers(challenge: str) -> list[tuple[str, str]]:
    return [("Content-Type", "application/json"), ("Cache-Control", "no-store"), ("WWW-Authenticate", challenge)]
