"""Compact JWS (ES256, `kid`) signed with the peer's one EC P-256 key: receipts and deletion certificates.

The payload is RFC 8785 canonical JSON, so the same statement always has the same bytes (a reader comparing two
certificates, or a digest over one, sees no difference from key order or spacing).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import rfc8785
from joserfc import jws
from joserfc.jwk import ECKey, KeySet

ALGORITHM = "ES256"


def sign_compact_jws(key: ECKey, payload: Mapping[str, Any], *, typ: str | None = None) -> str:
    """`payload` signed with `key`: header `{"alg": "ES256", "kid": <the key's thumbprint>[, "typ"]}`."""
    header: dict[str, Any] = {"alg": ALGORITHM, "kid": key.kid}
    if typ:
        header["typ"] = typ
    return jws.serialize_compact(header, rfc8785.dumps(dict(payload)), key, algorithms=[ALGORITHM])


def verify_compact_jws(token: str, jwks: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, payload) of a compact JWS whose signature verifies with the key its `kid` names in `jwks`.

    Raises `joserfc.errors.JoseError` (bad signature, unknown kid, other algorithm) or ValueError (the payload is
    not a JSON object). For tests and for readers of the peer's statements; the bank has its own verifier.
    """
    keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
    obj = jws.deserialize_compact(token, keys, algorithms=[ALGORITHM])
    payload = json.loads(obj.payload)
    if not isinstance(payload, dict):
        raise ValueError("the JWS payload is not a JSON object")
    return dict(obj.headers()), payload
