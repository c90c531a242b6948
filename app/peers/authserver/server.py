"""The authorization server object: authlib's Flask `AuthorizationServer` over a peer's own tables."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from flask import Response
from sqlalchemy import update

from app.oauth.hardening import CallableIssuerParameter
from app.peers.authserver.grants import ACCESS_TOKEN_LIFETIME_SECONDS, ResourceOwner
from app.peers.authserver.storage import AuthorizationCode, OAuthClient, OAuthToken, PeerDatabase, digest, now


class PeerAuthorizationServer(AuthorizationServer):
    def __init__(self, db: PeerDatabase, *, issuer: Callable[[], str], scopes_supported: Sequence[str]) -> None:
        super().__init__()
        self.db = db
        self.scopes_supported = list(scopes_supported)
        self.issuer_parameter = CallableIssuerParameter(issuer)
        self.register_extension(self.issuer_parameter)
        # Opaque random tokens (nothing for a client to parse), ten minutes for every grant.
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **_: secrets.token_urlsafe(32),
                refresh_token_generator=lambda **_: secrets.token_urlsafe(48),
                expires_generator=lambda _client, _grant_type: ACCESS_TOKEN_LIFETIME_SECONDS,
            ),
        )

    def query_client(self, client_id: str) -> OAuthClient | None:
        return self.db.session.get(OAuthClient, client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        owner: ResourceOwner = request.user
        # The grant a token descends from: the code's id, or the id carried along by the refresh token.
        source = request.authorization_code if request.authorization_code is not None else request.refresh_token
        grant_id = source.id if isinstance(source, AuthorizationCode) else source.grant_id
        refresh_token = token.get("refresh_token")
        self.db.session.add(
            OAuthToken(
                grant_id=grant_id,
                client_id=request.client.get_client_id(),
                subject=owner.subject,
                scope=token.get("scope", ""),
                auth_time=owner.auth_time,
                access_token_digest=digest(token["access_token"]),
                refresh_token_digest=digest(refresh_token) if refresh_token else None,
                issued_at=now(),
                expires_in=int(token["expires_in"]),
            )
        )
        self.db.session.commit()

    def revoke_grant(self, grant_id: str) -> None:
        """Revoke every access and refresh token issued from one authorization (replay, reuse, revocation)."""
        revoked_at = now()
        session = self.db.session
        session.execute(
            update(OAuthToken)
            .where(OAuthToken.grant_id == grant_id, OAuthToken.access_token_revoked_at.is_(None))
            .values(access_token_revoked_at=revoked_at)
        )
        session.execute(
            update(OAuthToken)
            .where(
                OAuthToken.grant_id == grant_id,
                OAuthToken.refresh_token_digest.is_not(None),
                OAuthToken.refresh_token_revoked_at.is_(None),
            )
            .values(refresh_token_revoked_at=revoked_at)
        )
        session.commit()
        session.expire_all()

    def redirect_with_issuer(self, response: Response) -> Response:
        """Add `iss` to an error redirect built outside `create_authorization_response` (RFC 9207 §2)."""
        self.issuer_parameter.add_issuer_parameter(self, response)
        return response
