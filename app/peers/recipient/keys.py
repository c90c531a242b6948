"""The recipient's client key: an EC P-256 key it signs its private_key_jwt assertions with (RFC 7523).

The key is generated once into the peer's folder (mode 0600) and kept, so the bank's cached copy of the JWKS
stays valid across restarts; its `kid` is the RFC 7638 thumbprint. Only the public half is ever published.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from pathlib import Path
from typing import Any

from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import sign_jwt_bearer_assertion
from joserfc.jwk import ECKey

log = logging.getLogger(__name__)

CLIENT_KEY_FILE = "client_signing_key.pem"
ASSERTION_ALGORITHM = "ES256"
CURVE = "P-256"
# The bank accepts at most ten minutes; a minute is plenty for one call and limits what a stolen one is worth.
ASSERTION_LIFETIME_SECONDS = 60


def load_or_create_client_key(folder: Path) -> ECKey:
    """The peer's signing key, created on first use. Written to a private temporary file and then linked into
    place, so a second process starting at the same moment reads either nothing or the whole key, never half."""
    path = folder / CLIENT_KEY_FILE
    if not path.exists():
        temporary = folder / f".{CLIENT_KEY_FILE}.{secrets.token_hex(8)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(ECKey.generate_key(CURVE, private=True).as_pem(private=True))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
            log.info("generated a client signing key at %s", path)
        except FileExistsError:
            pass  # another process won the race: use its key
        finally:
            temporary.unlink()
    key = ECKey.import_key(path.read_bytes())
    if not key.is_private or key.as_dict(private=False).get("crv") != CURVE:
        raise ValueError(f"{path} is not a private {CURVE} key; delete it to generate a new one")
    return ECKey.import_key(
        key.as_pem(private=True), parameters={"kid": key.thumbprint(), "use": "sig", "alg": ASSERTION_ALGORITHM}
    )


def public_jwks(key: ECKey) -> dict[str, list[dict[str, Any]]]:
    """The JWKS the bank fetches from the client's `jwks_uri`: the public key, its kid, use and alg."""
    return {"keys": [dict(key.as_dict(private=False))]}


def client_assertion(key: ECKey, *, client_id: str, audience: str) -> str:
    """A fresh private_key_jwt assertion: iss = sub = client_id, aud = the bank's issuer, a random jti, 60 s."""
    issued_at = int(time.time())
    return str(
        sign_jwt_bearer_assertion(
            key,
            issuer=client_id,
            audience=audience,
            subject=client_id,
            issued_at=issued_at,
            expires_at=issued_at + ASSERTION_LIFETIME_SECONDS,
            claims={"jti": secrets.token_urlsafe(32)},
            header={"alg": ASSERTION_ALGORITHM, "kid": key.kid},
        )
    )


class IssuerAudiencePrivateKeyJWT(PrivateKeyJWT):
    """authlib's private_key_jwt for requests' OAuth2Session, with the bank's rules: ES256, `aud` = the issuer
    (authlib's default is the token endpoint) and 60 seconds (its default is an hour, which the bank refuses).

    Register it on the session and name it as the auth method::

        session = OAuth2Session(client_id, key, token_endpoint_auth_method=IssuerAudiencePrivateKeyJWT.name)
        session.register_client_auth_method(IssuerAudiencePrivateKeyJWT(audience=issuer))
    """

    alg = ASSERTION_ALGORITHM

    def __init__(self, *, audience: str) -> None:
        super().__init__(alg=ASSERTION_ALGORITHM)
        self.audience = audience

    def sign(self, auth: Any, token_endpoint: str) -> str:
        key = auth.client_secret
        if not isinstance(key, ECKey):
            raise TypeError("private_key_jwt needs the client's EC key as the session's client_secret")
        return client_assertion(key, client_id=auth.client_id, audience=self.audience)
