"""What both the bank's authorization server and the peers' take stricter than authlib's defaults
(security-anchors.md §0 and C1, C2, C8).

- PKCE is required of every client, confidential ones too, and only S256 is accepted (RFC 9700 §2.1.1):
  authlib's `CodeChallenge(required=True)` only insists for public clients and still defaults to `plain`.
- `iss` on every authorization response, errors included (RFC 9207), read per request.
- Redirect URIs are compared as exact strings, and a URI with userinfo (`https://client@evil/`) is never
  registered nor matched (authlib's fix for it is only in 1.8).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from authlib.oauth2.rfc9207 import IssuerParameter

from app.security import is_loopback_host


class S256CodeChallenge(CodeChallenge):
    """PKCE, required for every authorization request, S256 only."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": compare_s256_code_challenge}

    def __init__(self) -> None:
        super().__init__(required=True)

    def validate_code_challenge(self, grant: Any, redirect_uri: str | None) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: missing 'code_challenge'")
        # No default to `plain` (RFC 7636 §4.3): a client that forgot the method is told, not downgraded.
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'")
        code = grant.request.authorization_code
        # A code stored with another method (`plain`, from before this check or planted) is not redeemable: authlib
        # would raise a RuntimeError (a 500) for a method missing from CODE_CHALLENGE_METHODS. A code without a
        # challenge is left to authlib, which refuses a verifier for it (RFC 9700 §4.8: invalid_request).
        if self.get_authorization_code_challenge(code) and self.get_authorization_code_challenge_method(code) != "S256":
            raise InvalidGrantError(description="The code was not issued with an S256 challenge.")
        super().validate_code_verifier(grant, result)


class CallableIssuerParameter(IssuerParameter):
    """RFC 9207: `iss` on every authorization response, the issuer read per request."""

    def __init__(self, issuer: Callable[[], str]) -> None:
        self._issuer = issuer

    def get_issuer(self) -> str:
        return self._issuer()


def acceptable_redirect_uri(uri: str) -> bool:
    """A redirect URI that may be registered: absolute http(s), no userinfo, no fragment (RFC 6749 §3.1.2)."""
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.fragment or "#" in uri:
        return False
    if "@" in parts.netloc or parts.username is not None:
        return False
    # Plain http only on loopback (development and the stand-in peers), as RFC 8252 §7.3 allows.
    return parts.scheme == "https" or is_loopback_host(parts.hostname)


def redirect_uri_matches(registered: list[str], presented: str) -> bool:
    """Exact string comparison (RFC 9700 §2.1): no normalisation of case, slash, port or query."""
    return presented in registered and acceptable_redirect_uri(presented)
