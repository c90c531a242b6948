"""private_key_jwt client authentication (RFC 7523 §2.2, RFC 7521 §4.2), the only method the bank accepts.

Checked, each failure `invalid_client` with 401 (security-anchors C4): the assertion type; a size cap before any
parsing; a signature by one of the client's keys with ES256 or PS256 only (no RS256 as FAPI 2 asks, never HS*
or `none`); `iss` = `sub` = the client; `aud` naming the issuer or the endpoint called; `exp` in the future and
at most ten minutes after `iat`; `iat` at most 60 s ahead (clock skew); a `jti` used once, remembered until the
assertion expires.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

import requests
import sqlalchemy as sa
from authlib.oauth2.rfc6749 import InvalidClientError
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.db import utcnow
from app.oauth.models import ClientAssertionUse, OAuthClient

log = logging.getLogger(__name__)

METHOD = "private_key_jwt"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("ES256", "PS256")
MAX_ASSERTION_BYTES = 8192
MAX_FUTURE_IAT = timedelta(seconds=60)
MAX_ASSERTION_LIFETIME = timedelta(minutes=10)
JWKS_CACHE_SECONDS = 300
JWKS_REFETCH_AFTER_SECONDS = 30  # a key not found forces a new fetch at most this often
JWKS_TIMEOUT_SECONDS = 4


def _refuse(why: str) -> InvalidClientError:
    log.info("client assertion refused: %s", why)
    return InvalidClientError(status_code=401, description=why)


class JwksCache:
    """The keys of clients registered with a `jwks_uri`, fetched with a timeout and kept a few minutes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, dict[str, Any]]] = {}

    def get(self, uri: str, *, force: bool = False) -> dict[str, Any]:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(uri)
        fresh_for = JWKS_REFETCH_AFTER_SECONDS if force else JWKS_CACHE_SECONDS
        if entry is not None and now - entry[0] < fresh_for:
            return entry[1]
        try:
            response = requests.get(uri, timeout=JWKS_TIMEOUT_SECONDS, allow_redirects=False)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as error:
            if entry is not None:
                return entry[1]
            raise _refuse("the client's keys could not be fetched") from error
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise _refuse("the client's jwks_uri does not hold a key set")
        with self._lock:
            self._entries[uri] = (now, document)
        return document


JWKS_CACHE = JwksCache()


def _public_only(document: dict[str, Any]) -> dict[str, Any]:
    # A registered JWKS holds public keys; a private member would mean a leaked key, and is never used to verify.
    return {"keys": [{k: v for k, v in key.items() if k not in ("d", "p", "q", "dp", "dq", "qi", "k")}
                     for key in document.get("keys", []) if isinstance(key, dict)]}


def client_keys(client: OAuthClient, *, force: bool = False) -> KeySet:
    document = client.jwks if client.jwks else JWKS_CACHE.get(client.jwks_uri, force=force) if client.jwks_uri else None
    if not document:
        raise _refuse("the client has no registered keys")
    try:
        return KeySet.import_key_set(_public_only(document))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError) as error:
        raise _refuse("the client's keys are not usable") from error


def verify_assertion(session: Session, client: OAuthClient, assertion: str, *, audiences: set[str],
                     now: datetime | None = None) -> None:
    now = now or utcnow()
    if len(assertion.encode("utf-8")) > MAX_ASSERTION_BYTES:
        raise _refuse("the client assertion is too large")
    try:
        try:
            token = jwt.decode(assertion, client_keys(client), algorithms=list(ALGORITHMS))
        except JoseError:
            if not client.jwks_uri:
                raise
            # The client may have rotated its key: fetch its set again (at most every 30 s) and retry once.
            token = jwt.decode(assertion, client_keys(client, force=True), algorithms=list(ALGORITHMS))
    except (JoseError, ValueError, TypeError) as error:
        raise _refuse("the client assertion's signature or algorithm is not accepted") from error
    if token.header.get("alg") not in ALGORITHMS:
        raise _refuse("the client assertion's algorithm is not accepted")
    claims = token.claims
    if claims.get("iss") != client.client_id or claims.get("sub") != client.client_id:
        raise _refuse("the client assertion's iss and sub must be the client_id")
    audience = claims.get("aud")
    named = {audience} if isinstance(audience, str) else set(audience) if isinstance(audience, list) else set()
    if not named & audiences:
        raise _refuse("the client assertion's aud must be the issuer")
    exp, iat, jti = claims.get("exp"), claims.get("iat"), claims.get("jti")
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise _refuse("the client assertion needs exp and iat")
    if not isinstance(jti, str) or not jti or len(jti) > 200:
        raise _refuse("the client assertion needs a jti")
    expires, issued = datetime.fromtimestamp(exp, now.tzinfo), datetime.fromtimestamp(iat, now.tzinfo)
    if expires <= now:
        raise _refuse("the client assertion has expired")
    if issued > now + MAX_FUTURE_IAT:
        raise _refuse("the client assertion was issued in the future")
    if expires - min(issued, now) > MAX_ASSERTION_LIFETIME:
        raise _refuse("the client assertion lives too long")
    _use_jti_once(session, client.client_id, jti, expires, now)


def _use_jti_once(session: Session, client_id: str, jti: str, expires: datetime, now: datetime) -> None:
    """Insert the jti in a savepoint: a duplicate key is a replay, whatever process saw it first."""
    session.execute(sa.delete(ClientAssertionUse).where(
        ClientAssertionUse.client_id == client_id, ClientAssertionUse.expires_at <= now))  # type: ignore[arg-type]
    try:
        with session.begin_nested():
            session.add(ClientAssertionUse(client_id=client_id, jti=jti, expires_at=expires))
    except IntegrityError:
        raise _refuse("the client assertion was already used") from None


def authenticate_private_key_jwt(session: Session, query_client: Any, request: Any, audiences: set[str]) -> OAuthClient:
    form = request.form
    if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
        raise _refuse("client authentication with private_key_jwt is required")
    assertion = form["client_assertion"]
    try:
        unverified = jws.extract_compact(assertion.encode()) if len(assertion) <= MAX_ASSERTION_BYTES else None
    except (JoseError, ValueError, TypeError):
        unverified = None
    if unverified is None:
        raise _refuse("the client assertion is not a JWT")
    client_id = form.get("client_id") or _claim(unverified.payload, "sub")
    if not client_id or (form.get("client_id") and form["client_id"] != _claim(unverified.payload, "sub")):
        raise _refuse("the client assertion does not name the client")
    client = query_client(client_id)
    if client is None:
        raise _refuse("unknown client")
    verify_assertion(session, client, assertion, audiences=audiences)
    return client


def _claim(payload: bytes, name: str) -> str | None:
    try:
        value = json.loads(payload).get(name)
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None
