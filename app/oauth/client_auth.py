"""private_key_jwt client authentication (RFC 7523 §2.2, RFC 7521 §4.2), the only method the bank accepts.

Checked, each failure `invalid_client` with 401 (security-anchors C4): the assertion type; a size cap before any
parsing; a signature by one of the client's keys with ES256 or PS256 only (no RS256 as FAPI 2 asks, never HS*
or `none`); `iss` = `sub` = the client; `aud` naming the issuer or the endpoint called; `exp` in the future and
at most ten minutes after `iat`; `iat` at most 60 s ahead (clock skew); a `jti` used once, remembered until the
assertion expires.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import threading
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from authlib.oauth2.rfc6749 import InvalidClientError
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.config import current_settings
from app.db import utcnow
from app.oauth.models import ClientAssertionUse, OAuthClient

log = logging.getLogger(__name__)

METHOD = "private_key_jwt"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("ES256", "PS256")
MAX_ASSERTION_BYTES = 8192
MAX_FUTURE_IAT = timedelta(seconds=60)
MAX_ASSERTION_LIFETIME = timedelta(minutes=10)
MAX_EPOCH = 2**33  # year 2242: anything later is not a time (and would overflow datetime)
JWKS_CACHE_SECONDS = 300
JWKS_REFETCH_AFTER_SECONDS = 30  # a key not found forces a new fetch at most this often
JWKS_TIMEOUT_SECONDS = 4
JWKS_MAX_BYTES = 64 * 1024
JWKS_STALE_SECONDS = 3600


def _refuse(why: str) -> InvalidClientError:
    """One answer for every failure (which check failed is logged, not told: no probing of clients or keys)."""
    log.info("client assertion refused: %s", why)
    return InvalidClientError(status_code=401, description="Client authentication failed.")


class JwksCache:
    """The keys of clients registered with a `jwks_uri`: fetched within one time budget and size cap, kept a
    few minutes, and served stale for at most an hour while the client's server is unreachable (a key the
    client withdrew must not be trusted for ever)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, dict[str, Any]]] = {}

    def fresh(self, uri: str, *, force: bool = False) -> dict[str, Any] | None:
        with self._lock:
            entry = self._entries.get(uri)
        fresh_for = JWKS_REFETCH_AFTER_SECONDS if force else JWKS_CACHE_SECONDS
        return entry[1] if entry is not None and time.monotonic() - entry[0] < fresh_for else None

    def fetch(self, uri: str) -> dict[str, Any]:
        with self._lock:
            entry = self._entries.get(uri)
        try:
            document = _fetch_key_set(uri)
        except _FetchFailed as error:
            if entry is not None and time.monotonic() - entry[0] < JWKS_STALE_SECONDS:
                return entry[1]
            raise _refuse("the client's keys could not be fetched") from error
        with self._lock:
            self._entries[uri] = (time.monotonic(), document)
        return document

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


JWKS_CACHE = JwksCache()


class _FetchFailed(Exception):
    pass


def _public_host(host: str) -> bool:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_global for a in addresses)


def _fetch_key_set(uri: str) -> dict[str, Any]:
    """GET the key set: no redirects, at most JWKS_MAX_BYTES, all within JWKS_TIMEOUT_SECONDS (a server that
    drips bytes is cut off), and in production only from public addresses (no reaching into our network)."""
    host = urlsplit(uri).hostname or ""
    if current_settings().is_production and not _public_host(host):
        raise _FetchFailed("not a public address")
    deadline = time.monotonic() + JWKS_TIMEOUT_SECONDS
    body = bytearray()
    try:
        with requests.get(uri, timeout=JWKS_TIMEOUT_SECONDS, allow_redirects=False, stream=True) as response:
            if response.status_code != 200:
                raise _FetchFailed(f"HTTP {response.status_code}")
            for chunk in response.iter_content(4096):
                body.extend(chunk)
                if len(body) > JWKS_MAX_BYTES or time.monotonic() > deadline:
                    raise _FetchFailed("too large or too slow")
        document = json.loads(bytes(body))
    except (requests.RequestException, ValueError) as error:
        raise _FetchFailed(str(error)) from error
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise _FetchFailed("not a key set")
    return document


def _public_only(document: dict[str, Any]) -> dict[str, Any]:
    # A registered JWKS holds public keys; a private member would mean a leaked key, and is never used to verify.
    return {"keys": [{k: v for k, v in key.items() if k not in ("d", "p", "q", "dp", "dq", "qi", "k")}
                     for key in document.get("keys", []) if isinstance(key, dict)]}


def client_keys(session: Session, client: OAuthClient, *, force: bool = False) -> KeySet:
    if client.jwks:
        document: dict[str, Any] | None = client.jwks
    elif client.jwks_uri:
        document = JWKS_CACHE.fresh(client.jwks_uri, force=force)
        if document is None:
            uri = client.jwks_uri
            _end_read_transaction(session)
            document = JWKS_CACHE.fetch(uri)
    else:
        document = None
    if not document:
        raise _refuse("the client has no registered keys")
    try:
        return KeySet.import_key_set(_public_only(document))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError) as error:
        raise _refuse("the client's keys are not usable") from error


def _end_read_transaction(session: Session) -> None:
    """Nothing is written yet when keys are fetched: end the transaction so that no lock (SQLite's write lock
    is taken at BEGIN) is held while we wait on the client's server. Rows reload on next use."""
    if not (session.new or session.dirty or session.deleted):
        session.commit()


def verify_assertion(session: Session, client: OAuthClient, assertion: str, *, audiences: set[str],
                     now: datetime | None = None) -> None:
    now = now or utcnow()
    if len(assertion.encode("utf-8")) > MAX_ASSERTION_BYTES:
        raise _refuse("the client assertion is too large")
    try:
        try:
            token = jwt.decode(assertion, client_keys(session, client), algorithms=list(ALGORITHMS))
        except JoseError:
            if not client.jwks_uri:
                raise
            # The client may have rotated its key: fetch its set again (at most every 30 s) and retry once.
            token = jwt.decode(assertion, client_keys(session, client, force=True), algorithms=list(ALGORITHMS))
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
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and 0 < v < MAX_EPOCH for v in (exp, iat)):
        raise _refuse("the client assertion needs exp and iat as times")
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
