"""HTTP with the outside parties: one time budget per request, JSON answers read against it, discovery documents
and key sets cached per process. Every failure of transport or format is one typed error for the resident."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import requests
from flask import current_app, g, has_request_context
from flask_babel import lazy_gettext as _l
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.accounts.providers import OAuthProvider
from app.config import current_settings
from app.errors import DomainError

log = logging.getLogger(__name__)

METADATA_TTL_SECONDS = 600
MAX_ANSWER_BYTES = 2 * 1024 * 1024


class ProviderUnavailable(DomainError):
    """The provider is down, too slow, or answered something that is not a valid protocol message."""

    status = 502
    message = _l("We could not reach the other service, or it answered something we could not read. "
                 "Nothing was changed. Please try again in a few minutes.")


class Deadline:
    """One budget for all the calls a request makes to providers, so the page answers in time."""

    def __init__(self, seconds: float | None = None) -> None:
        self.ends = time.monotonic() + (seconds if seconds is not None else current_settings().outbound_timeout_seconds)

    def timeout(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0.05:
            raise ProviderUnavailable()
        return left


def request_deadline() -> Deadline:
    """The budget of this request (created by its first call to a provider), or a fresh one outside a request."""
    if not has_request_context():
        return Deadline()
    if "provider_deadline" not in g:
        g.provider_deadline = Deadline()
    return g.provider_deadline


# --- metadata and keys ---------------------------------------------------------------------------------


def _cache() -> dict[str, tuple[float, Any]]:
    return current_app.extensions.setdefault("azukari.oauth_cache", {})


def _get_json(url: str, deadline: Deadline, **kwargs: Any) -> Any:
    return _json_body(_get(url, deadline, **kwargs), url, deadline)


def _get(url: str, deadline: Deadline, **kwargs: Any) -> requests.Response:
    try:
        return requests.get(url, timeout=deadline.timeout(), allow_redirects=False, stream=True, **kwargs)
    except requests.RequestException as error:
        log.warning("GET %s failed: %s", url, type(error).__name__)
        raise ProviderUnavailable() from error


def _json_body(response: requests.Response, url: str, deadline: Deadline) -> Any:
    """The JSON of a 200 answer, read against the deadline (a per-read timeout alone lets a server that drips its
    answer byte by byte hold the page) and a size cap."""
    with response:
        if response.status_code != 200:
            log.warning("GET %s answered %s", url, response.status_code)
            raise ProviderUnavailable()
        body = bytearray()
        try:
            for chunk in response.iter_content(16384):
                body.extend(chunk)
                if len(body) > MAX_ANSWER_BYTES:
                    raise ProviderUnavailable()
                deadline.timeout()  # raises once the budget is spent
        except requests.RequestException as error:
            raise ProviderUnavailable() from error
    try:
        return json.loads(body)
    except ValueError as error:
        log.warning("GET %s answered something that is not JSON", url)
        raise ProviderUnavailable() from error


def metadata(provider: OAuthProvider, deadline: Deadline) -> dict[str, Any]:
    """The provider's discovery document (cached); its `issuer` must be exactly the configured one."""
    cache = _cache()
    key = f"metadata:{provider.metadata_url}"
    cached = cache.get(key)
    if cached and time.monotonic() - cached[0] < METADATA_TTL_SECONDS:
        return dict(cached[1])
    document = _get_json(provider.metadata_url, deadline)
    if not isinstance(document, dict) or document.get("issuer") != provider.issuer:
        log.warning("metadata of %s names another issuer", provider.key)
        raise ProviderUnavailable()
    for endpoint in ("authorization_endpoint", "token_endpoint"):
        if not isinstance(document.get(endpoint), str):
            raise ProviderUnavailable()
    cache[key] = (time.monotonic(), document)
    return dict(document)


def key_set(provider: OAuthProvider, document: dict[str, Any], deadline: Deadline, *, force: bool) -> KeySet:
    cache = _cache()
    key = f"jwks:{provider.issuer}"
    cached = cache.get(key)
    if cached and not force and time.monotonic() - cached[0] < METADATA_TTL_SECONDS:
        return cached[1]
    raw = _get_json(str(document.get("jwks_uri")), deadline)
    try:
        key_set = KeySet.import_key_set(raw)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise ProviderUnavailable() from error
    cache[key] = (time.monotonic(), key_set)
    return key_set


class TokenRejected(DomainError):
    """A resource answered 401: the access token is no longer good (the caller refreshes once and retries)."""

    status = 409
    message = _l("The connection has expired. Please connect again.")


def get_resource(url: str, access_token: str, deadline: Deadline, **params: Any) -> Any:
    """A protected resource as JSON; 401 means the token is no longer good (caller refreshes or relinks)."""
    response = _get(url, deadline, params=params or None,
                    headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"})
    if response.status_code == 401:
        response.close()
        raise TokenRejected()
    return _json_body(response, url, deadline)
