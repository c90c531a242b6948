"""Calls to a switching service with the bank's token there (patterns 2, 3, 4): connections and their refresh.

Tokens are sealed at rest (app.crypto, like a linked account's). A call refreshes an expired access token first,
and once more on a 401; a rotated refresh token is saved before the call goes on. Every answer is read with a
size cap and turned into a typed error the transfer can act on: `ServiceBusy` (429, with Retry-After),
`ServiceUnavailable` (down, timeout, 5xx, not JSON), `ServiceRefused` (another 4xx: permanent), `NotConnected`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import requests
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from app.accounts import oauth_client
from app.accounts.linking import TOKEN_SEAL_LABEL
from app.accounts.models import Resident
from app.accounts.oauth_client import TokenSet
from app.accounts.provider_http import Deadline, ProviderUnavailable, metadata
from app.accounts.providers import OAuthProvider
from app.config import Settings
from app.crypto import SealBroken, seal, unseal
from app.db import utcnow
from app.errors import DomainError
from app.switching.models import ServiceConnection

log = logging.getLogger(__name__)
MAX_ANSWER_BYTES = 20 * 1024 * 1024
EARLY_REFRESH = timedelta(seconds=30)


class NotConnected(DomainError):
    status = 409
    message = _l("Connect the service first: Azukari has no permission to use it for you.")


class ServiceUnavailable(DomainError):
    status = 502
    message = _l("The other service did not answer, or answered something we could not read. Nothing was lost; "
                 "the transfer can go on later.")

    def __init__(self, reason: str = "unavailable") -> None:
        super().__init__()
        self.reason = reason


class ServiceBusy(ServiceUnavailable):
    message = _l("The other service asked us to slow down. The transfer goes on after a short wait.")

    def __init__(self, retry_after: float) -> None:
        super().__init__("rate_limited")
        self.retry_after = retry_after


class ServiceRefused(DomainError):
    status = 409
    message = _l("The other service refused the transfer.")

    def __init__(self, status: int, error: str) -> None:
        super().__init__()
        self.http_status, self.error = status, error


def save(session: Session, settings: Settings, resident: Resident, service: str, tokens: TokenSet) -> ServiceConnection:
    key = settings.resolved_secret_key()
    row = session.exec(select(ServiceConnection).where(ServiceConnection.resident_id == resident.id,
                                                       ServiceConnection.service == service)).first()
    row = row or ServiceConnection(resident_id=resident.id, service=service, access_token_sealed="")
    row.scope = tokens.scope[:255]
    row.access_token_sealed = seal(tokens.access_token, secret_key=key, label=TOKEN_SEAL_LABEL)
    row.refresh_token_sealed = (seal(tokens.refresh_token, secret_key=key, label=TOKEN_SEAL_LABEL)
                                if tokens.refresh_token else None)
    row.access_token_expires_at = tokens.expires_at
    row.connected_at = utcnow()
    session.add(row)
    session.flush()
    return row


def connection(session: Session, resident: Resident, service: str) -> ServiceConnection | None:
    return session.exec(select(ServiceConnection).where(ServiceConnection.resident_id == resident.id,
                                                        ServiceConnection.service == service)).first()


@dataclass
class ServiceClient:
    """The bank at one service for one resident. `session` is committed by the caller; a refresh flushes only."""

    session: Session
    settings: Settings
    resident: Resident
    provider: OAuthProvider

    def _row(self) -> ServiceConnection:
        row = connection(self.session, self.resident, self.provider.key)
        if row is None:
            raise NotConnected()
        return row

    def _unseal(self, sealed: str) -> str:
        try:
            return unseal(sealed, secret_key=self.settings.resolved_secret_key(), label=TOKEN_SEAL_LABEL)
        except SealBroken as error:
            raise NotConnected() from error

    def access_token(self) -> str:
        """The connection's access token, refreshed (and committed) when it has run out: for a caller that sends
        something other than JSON (a Security Event Token, `notify.post_event`)."""
        return self._access_token()

    def _access_token(self, *, force_refresh: bool = False) -> str:
        row = self._row()
        expired = row.access_token_expires_at is not None and row.access_token_expires_at - EARLY_REFRESH <= utcnow()
        if force_refresh or expired:
            # Locked, then committed at once: the service rotates refresh tokens and revokes the whole grant when a
            # used one comes back, so a second worker must not refresh with the same one, and a later failure of this
            # step (its rollback) must not lose the new pair.
            self.session.commit()
            row = self.session.exec(select(ServiceConnection).where(ServiceConnection.id == row.id)
                                    .with_for_update().execution_options(populate_existing=True)).one()
            still_expired = (row.access_token_expires_at is not None
                             and row.access_token_expires_at - EARLY_REFRESH <= utcnow())
            if force_refresh or still_expired:
                if not row.refresh_token_sealed:
                    raise NotConnected()
                try:
                    tokens = oauth_client.refresh(self.provider, self._unseal(row.refresh_token_sealed), self._deadline())
                except oauth_client.RefreshRefused as error:
                    raise NotConnected() from error
                except ProviderUnavailable as error:
                    raise ServiceUnavailable() from error
                row = save(self.session, self.settings, self.resident, self.provider.key, tokens)
            self.session.commit()
        return self._unseal(row.access_token_sealed)

    def _deadline(self) -> Deadline:
        return Deadline(self.settings.outbound_timeout_seconds)

    def endpoint(self, name: str) -> str:
        """An endpoint of the service's RFC 8414 metadata (e.g. `token_endpoint`), or its issuer + a path."""
        try:
            return str(metadata(self.provider, self._deadline())[name])
        except (ProviderUnavailable, KeyError) as error:
            raise ServiceUnavailable() from error

    def call(self, method: str, path: str, *, json_body: Any = None, params: dict[str, Any] | None = None) -> Any:
        """`method` `{issuer}{path}` with the bearer token; the JSON answer of a 2xx, else a typed error.

        Commits the session first: no transaction (and on SQLite no write lock) is held while another service is
        waited on. Callers (the worker's steps, the CLI) commit their work at these points anyway."""
        url = self.provider.issuer + path
        token = self._access_token()
        self.session.commit()
        response = self._send(method, url, token, json_body, params)
        if response.status_code == 401:
            response.close()
            token = self._access_token(force_refresh=True)
            response = self._send(method, url, token, json_body, params)
            if response.status_code == 401:
                response.close()
                raise NotConnected()
        return read_answer(response, url)

    def _send(self, method: str, url: str, token: str, json_body: Any, params: dict[str, Any] | None) -> requests.Response:
        try:
            return requests.request(method, url, json=json_body, params=params, stream=True, allow_redirects=False,
                                    timeout=self.settings.outbound_timeout_seconds * 2,
                                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        except requests.Timeout as error:
            raise ServiceUnavailable("timeout") from error
        except requests.RequestException as error:
            raise ServiceUnavailable() from error


def read_answer(response: requests.Response, url: str) -> Any:
    """The JSON of a 2xx answer (at most MAX_ANSWER_BYTES), else the typed error its status means."""
    with response:
        status = response.status_code
        body = bytearray()
        try:
            for chunk in response.iter_content(65536):
                body.extend(chunk)
                if len(body) > MAX_ANSWER_BYTES:
                    raise ServiceUnavailable("too_large")
        except requests.RequestException as error:
            raise ServiceUnavailable("timeout") from error
        retry_after = response.headers.get("Retry-After", "")
    try:
        document = json.loads(body) if body else {}
    except ValueError:
        document = None
    if status == 429:
        raise ServiceBusy(_seconds(retry_after))
    if status >= 500 and status != 507:
        log.warning("%s answered %s", url, status)
        raise ServiceUnavailable(f"http_{status}")
    if document is None or not isinstance(document, dict | list):
        log.warning("%s answered something that is not JSON", url)
        raise ServiceUnavailable("garbage")
    if status >= 400:
        error = document.get("error") if isinstance(document, dict) else None
        raise ServiceRefused(status, str(error)[:60] if isinstance(error, str) else f"http_{status}")
    return document


def _seconds(retry_after: str) -> float:
    try:
        return min(max(float(retry_after), 0.0), 300.0)
    except ValueError:
        return 5.0
