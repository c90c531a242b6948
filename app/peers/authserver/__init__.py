"""A reusable OAuth 2.0 authorization server for peers, on authlib, with storage in the peer's own folder.

A peer builds one `PeerOAuth` and routes its URLs to it::

    oauth = PeerOAuth(app, client=config, scopes_supported=[...], pages=AuthorizationPages(...), models=[Base])
    app.add_url_rule("/authorize", view_func=oauth.authorize, methods=["GET", "POST"])
    app.add_url_rule("/token", view_func=oauth.token, methods=["POST"])
    app.add_url_rule("/revoke", view_func=oauth.revoke, methods=["POST"])
    with oauth.protected("some.scope") as token: ...   # in a resource view

What every peer gets: one confidential client from configuration (re-registered at each start), the
authorization code grant with PKCE S256 required, refresh tokens that rotate (optional), RFC 7009 revocation,
RFC 9207 `iss` on authorization responses, exact redirect_uri matching, single-use 60-second codes whose replay
revokes what they issued, opaque 10-minute access tokens, client_secret_basic and client_secret_post. OpenID
Connect (ID tokens, nonce) is added by passing an `IdTokenIssuer`. The modules: `storage` (SQLite and the
OAuth tables), `grants` (authlib's grants, tightened), `server`, `openid`, `interaction` (sign-in and consent
pages) and `testing` (test controls).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2 import OAuth2Error
from flask import Flask, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import DeclarativeBase

from app.oauth.hardening import S256CodeChallenge
from app.peers.authserver.grants import (
    PeerAuthorizationCodeGrant,
    PeerBearerTokenValidator,
    PeerRefreshTokenGrant,
    PeerResourceProtector,
    PeerRevocationEndpoint,
    ResourceOwner,
)
from app.peers.authserver.interaction import AuthorizationEndpoint, AuthorizationPages, csrf_token, signed_in_owner
from app.peers.authserver.openid import IdTokenIssuer, PeerOpenIDCode, RefreshedIdToken
from app.peers.authserver.server import PeerAuthorizationServer
from app.peers.authserver.storage import CLIENT_AUTH_METHODS, OAuthClient, OAuthToken, PeerDatabase, digest
from app.peers.base import peer_storage

__all__ = [
    "AuthorizationPages",
    "ClientConfig",
    "IdTokenIssuer",
    "PeerOAuth",
    "ResourceOwner",
    "client_config_from_environment",
    "issuer_url",
    "signed_in_owner",
]

DEFAULT_PUBLIC_URL = "http://localhost:5000"


@dataclass(frozen=True, slots=True)
class ClientConfig:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    display_name: str
    # The scopes this client may be granted; empty means all the server supports.
    scopes: tuple[str, ...] = ()
    issue_refresh_tokens: bool = True

    @property
    def grant_types(self) -> tuple[str, ...]:
        return ("authorization_code", "refresh_token") if self.issue_refresh_tokens else ("authorization_code",)


def client_config_from_environment(
    *,
    client_id: str,
    display_name: str,
    secret_env: str,
    default_secret: str,
    redirect_uris_env: str,
    callback_path: str,
    client_secret: str | None = None,
    redirect_uris: Sequence[str] | None = None,
    issue_refresh_tokens: bool = True,
    environ: Mapping[str, str] | None = None,
) -> ClientConfig:
    """The client as the factory's arguments, else the environment, else the development defaults say.

    Redirect URIs: `redirect_uris`, else `<redirect_uris_env>` (space-separated), else `PUBLIC_URL` (default
    http://localhost:5000) + `callback_path`.
    """
    environ = os.environ if environ is None else environ
    secret = client_secret or environ.get(secret_env, "").strip() or default_secret
    if redirect_uris is None:
        configured = environ.get(redirect_uris_env, "").split()
        public_url = environ.get("PUBLIC_URL", "").strip().rstrip("/") or DEFAULT_PUBLIC_URL
        redirect_uris = configured or [f"{public_url}{callback_path}"]
    if not redirect_uris:
        raise ValueError(f"client {client_id!r} needs at least one redirect URI")
    return ClientConfig(
        client_id=client_id,
        client_secret=secret,
        redirect_uris=tuple(redirect_uris),
        display_name=display_name,
        issue_refresh_tokens=issue_refresh_tokens,
    )


def issuer_url() -> str:
    """The peer's issuer identifier: its base URL as the runner bound it (outside the runner, the request's host)."""
    return (current_app.config.get("PEER_BASE_URL") or request.host_url).rstrip("/")


@dataclass
class PeerOAuth:
    app: Flask
    client: ClientConfig
    scopes_supported: Sequence[str]
    pages: AuthorizationPages
    id_tokens: IdTokenIssuer | None = None
    models: Sequence[type[DeclarativeBase]] = ()
    db: PeerDatabase = field(init=False)
    server: PeerAuthorizationServer = field(init=False)
    resource: PeerResourceProtector = field(init=False)

    def __post_init__(self) -> None:
        self.db = PeerDatabase(self.app, peer_storage(self.app))
        self.db.create_all(*self.models)
        self._register_client()
        self.server = PeerAuthorizationServer(self.db, issuer=issuer_url, scopes_supported=self.scopes_supported)
        code_extensions: list[Any] = [S256CodeChallenge()]
        if self.id_tokens is not None:
            code_extensions.append(PeerOpenIDCode(self.db, self.id_tokens))
        self.server.register_grant(PeerAuthorizationCodeGrant, code_extensions)
        if self.client.issue_refresh_tokens:
            refresh_extensions = [RefreshedIdToken(self.id_tokens)] if self.id_tokens is not None else []
            self.server.register_grant(PeerRefreshTokenGrant, refresh_extensions)
        self.server.register_endpoint(PeerRevocationEndpoint)
        self.resource = PeerResourceProtector()
        self.resource.register_token_validator(PeerBearerTokenValidator(self.db))
        self._endpoint = AuthorizationEndpoint(self.server, self.pages)
        self.app.add_template_global(csrf_token)

    def _register_client(self) -> None:
        scopes = self.client.scopes or tuple(self.scopes_supported)
        with self.db.transaction() as session:
            row = session.get(OAuthClient, self.client.client_id) or OAuthClient(client_id=self.client.client_id)
            row.client_secret_digest = digest(self.client.client_secret)
            row.display_name = self.client.display_name
            row.redirect_uris = " ".join(self.client.redirect_uris)
            row.scope = " ".join(scopes)
            row.grant_types = " ".join(self.client.grant_types)
            session.add(row)

    # -- views -------------------------------------------------------------------------------------------------

    def authorize(self) -> ResponseReturnValue:
        return self._endpoint.respond()

    def token(self) -> ResponseReturnValue:
        return self.server.create_token_response()

    def revoke(self) -> ResponseReturnValue:
        return self.server.create_endpoint_response(PeerRevocationEndpoint.ENDPOINT_NAME)

    @contextmanager
    def protected(self, scope: str) -> Iterator[OAuthToken]:
        """The valid access token of this request, if it carries `scope`; otherwise an RFC 6750 error response."""
        try:
            token = self.resource.acquire_token([scope])
        except OAuth2Error as error:
            self.resource.raise_error_response(error)
            raise  # unreachable: raise_error_response raises
        yield token

    # -- metadata ----------------------------------------------------------------------------------------------

    def server_metadata(self, **extra: Any) -> dict[str, Any]:
        """RFC 8414 metadata for this server (an OIDC peer adds its own members through `extra`)."""
        issuer = issuer_url()
        metadata: dict[str, Any] = {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "revocation_endpoint": f"{issuer}/revoke",
            "scopes_supported": list(self.scopes_supported),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": list(self.client.grant_types),
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
            "revocation_endpoint_auth_methods_supported": list(CLIENT_AUTH_METHODS),
            "authorization_response_iss_parameter_supported": True,
        }
        metadata.update(extra)
        return metadata
