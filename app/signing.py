"""The bank's signing key. Consent receipts and the daily ledger anchor are compact JWS (ES256) under it, and
`/.well-known/jwks.json` publishes its public half, so anyone can check them without trusting the bank's servers.

Development and tests generate the key once into the instance folder; production takes it from `SIGNING_KEY_PEM`
(a PKCS#8 PEM) and refuses to invent one, since a receipt signed by a throwaway key proves nothing.
"""

from __future__ import annotations

import json
import os
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from app.config import InsecureSettings, Settings

ALGORITHM = "ES256"
KEY_FILE = "signing_key.pem"

bp = Blueprint("signing", __name__)


class BadSignature(ValueError):
    """Not a JWS of ours: altered, signed by another key, or not a JWS at all."""


def _load_key(settings: Settings) -> ECKey:
    if settings.signing_key_pem:
        return ECKey.import_key(settings.signing_key_pem.encode())
    if settings.is_production:
        raise InsecureSettings("SIGNING_KEY_PEM is required in production (receipts must be signed by a kept key).")
    path = settings.instance_path / KEY_FILE
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Written whole to a private temporary file, then linked into place: when several processes start at
        # once, exactly one key wins and nobody ever reads half a PEM.
        temporary = path.with_name(f".{KEY_FILE}.{os.getpid()}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(ECKey.generate_key("P-256", private=True).as_pem(private=True))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return ECKey.import_key(path.read_bytes())


def signing_key(app: Flask | None = None) -> ECKey:
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    if "azukari.signing_key" not in app.extensions:
        app.extensions["azukari.signing_key"] = _load_key(app.config["AZUKARI"])
    return app.extensions["azukari.signing_key"]


def key_id(key: ECKey | None = None) -> str:
    return (key or signing_key()).thumbprint()


def canonical_json(payload: Any) -> bytes:
    """The one byte form the bank signs and hashes: sorted keys, no spaces, UTF-8."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sign(payload: dict[str, Any], *, typ: str) -> str:
    """A compact JWS of `payload` (canonical JSON) with the bank's key; `typ` says what it is."""
    key = signing_key()
    return jws.serialize_compact({"alg": ALGORITHM, "kid": key_id(key), "typ": typ}, canonical_json(payload), key)


def verify(token: str, *, typ: str | None = None) -> dict[str, Any]:
    """The payload of a JWS signed by the bank's current key (and of the given `typ`); BadSignature otherwise."""
    key = signing_key()
    try:
        result = jws.deserialize_compact(token.strip(), ECKey.import_key(key.as_dict(private=False)),
                                         algorithms=[ALGORITHM])
        payload = json.loads(result.payload)
    except (JoseError, ValueError, TypeError) as error:
        raise BadSignature(str(error) or "not a valid signature") from error
    if typ is not None and result.headers().get("typ") != typ:
        raise BadSignature(f"not a {typ}")
    if not isinstance(payload, dict):
        raise BadSignature("the payload is not an object")
    return payload


def public_jwks() -> dict[str, Any]:
    key = signing_key()
    public = key.as_dict(private=False)
    return {"keys": [{**public, "kid": key_id(key), "use": "sig", "alg": ALGORITHM}]}


@bp.get("/.well-known/jwks.json")
def jwks():  # type: ignore[no-untyped-def]
    response = jsonify(public_jwks())
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Access-Control-Allow-Origin"] = "*"  # anyone may verify a receipt
    return response
