"""OpenID Connect on top of the code grant: the signing key, the JWKS and the ID token.

The key is RSA 2048, generated once into the peer's folder (mode 0600) and reused, so an ID token a client
cached verifies after a restart; its `kid` is the RFC 7638 thumbprint. ID tokens are built here rather than by
authlib's `OpenIDCode.encode_id_token` so a peer can hand a test a deliberately broken one (`IdTokenTamper`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Request, scope_to_list
from authlib.oidc.core import grants as oidc_grants
from authlib.oidc.core.util import create_half_hash
from joserfc import jwt
from joserfc.jwk import RSAKey
from sqlalchemy import select

from app.peers.authserver.grants import ResourceOwner
from app.peers.authserver.storage import AuthorizationCode, PeerDatabase, now

log = logging.getLogger(__name__)

SIGNING_KEY_FILE = "id_token_signing_key.pem"
ID_TOKEN_ALGORITHM = "RS256"
ID_TOKEN_LIFETIME_SECONDS = 300

# (header, claims, key) -> (header, claims, key): a peer's hook to break its own ID tokens for tests.
IdTokenTamper = Callable[[dict[str, Any], dict[str, Any], RSAKey], tuple[dict[str, Any], dict[str, Any], RSAKey]]


def load_or_create_signing_key(folder: Path) -> RSAKey:
    path = folder / SIGNING_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = RSAKey.import_key(path.read_bytes())
    else:
        key = RSAKey.generate_key(2048, private=True)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key.as_pem(private=True))
        log.info("generated an ID token signing key at %s", path)
    return RSAKey.import_key(key.as_pem(private=True), parameters={"kid": key.thumbprint(), "use": "sig", "alg": "RS256"})


def public_jwks(*keys: RSAKey) -> dict[str, list[dict[str, Any]]]:
    return {"keys": [dict(key.as_dict(private=False)) for key in keys]}


@dataclass(frozen=True, slots=True)
class IdTokenIssuer:
    """Everything an ID token needs from the peer: who it is, its key, and its users' claims."""

    issuer: Callable[[], str]
    signing_key: RSAKey
    # (subject, granted scopes) -> the claims beyond the protocol ones, e.g. `email` and `name`.
    user_claims: Callable[[str, Sequence[str]], dict[str, Any]]
    tamper: IdTokenTamper | None = None

    def encode(
        self, *, client_id: str, owner: ResourceOwner, scope: str, access_token: str, nonce: str | None
    ) -> str:
        issued_at = now()
        claims: dict[str, Any] = {
            "iss": self.issuer(),
            "sub": owner.subject,
            "aud": client_id,
            "exp": issued_at + ID_TOKEN_LIFETIME_SECONDS,
            "iat": issued_at,
            "auth_time": owner.auth_time,
        }
        if nonce:
            claims["nonce"] = nonce
        claims["at_hash"] = create_half_hash(access_token, ID_TOKEN_ALGORITHM).decode("ascii")
        claims.update(self.user_claims(owner.subject, scope_to_list(scope) or []))
        header = {"alg": ID_TOKEN_ALGORITHM, "typ": "JWT", "kid": self.signing_key.kid}
        key = self.signing_key
        if self.tamper is not None:
            header, claims, key = self.tamper(header, claims, key)
        return jwt.encode(header, claims, key, algorithms=[ID_TOKEN_ALGORITHM])


def _is_openid(token: dict[str, Any]) -> bool:
    return "openid" in (scope_to_list(token.get("scope")) or [])


class PeerOpenIDCode(oidc_grants.OpenIDCode):
    """authlib's OIDC extension of the code grant: nonce replay and `prompt` checks, and our ID token."""

    def __init__(self, db: PeerDatabase, id_tokens: IdTokenIssuer) -> None:
        super().__init__(require_nonce=False)
        self.db = db
        self.id_tokens = id_tokens

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        # A nonce already bound to a code is a replayed authentication request.
        return (
            self.db.session.scalar(
                select(AuthorizationCode.id).where(
                    AuthorizationCode.client_id == request.payload.client_id, AuthorizationCode.nonce == nonce
                )
            )
            is not None
        )

    def encode_id_token(self, token: dict[str, Any], request: OAuth2Request) -> str:
        return self.id_tokens.encode(
            client_id=request.client.get_client_id(),
            owner=request.user,
            scope=token["scope"],
            access_token=token["access_token"],
            nonce=request.authorization_code.get_nonce(),
        )


class RefreshedIdToken:
    """A fresh ID token on refresh when `openid` is granted (OIDC Core §12.2): same iss, sub, aud and auth_time as
    the original, new iat and exp, and no nonce (there is no authentication request to bind it to)."""

    def __init__(self, id_tokens: IdTokenIssuer) -> None:
        self.id_tokens = id_tokens

    def __call__(self, grant: Any) -> None:
        grant.register_hook("after_create_token_response", self.add_id_token)

    def add_id_token(self, grant: Any, response: tuple[int, dict[str, Any], Any]) -> None:
        _, token, _ = response
        if _is_openid(token):
            token["id_token"] = self.id_tokens.encode(
                client_id=grant.request.client.get_client_id(),
                owner=grant.request.user,
                scope=token["scope"],
                access_token=token["access_token"],
                nonce=None,
            )
