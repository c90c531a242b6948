"""The bank's client of 柏市's disclosure API (docs/peers.md, "Delegated disclosure"): send a mandate, read a
request's state, withdraw it.

Every call carries a fresh client assertion (a JWT under the bank's signing key: `mandate.client_assertion`) as its
bearer credential, has the outbound timeout, follows no redirect, and reads at most 2 MB. It ends in an answer or one
of two errors: `CityUnavailable` (down, slow, 5xx or nonsense: try again later) and `CityRefused` (a 4xx with the
city's error code). Nothing here touches the database.
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import requests

from app.city_records.mandate import api_base, client_assertion
from app.config import Settings
from app.db import utcnow

log = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 2 * 1024 * 1024
STATUSES = ("received", "decided", "disclosed", "withdrawn")
DECISIONS = ("disclose", "not_disclose")


class CityError(Exception):
    pass


class CityUnavailable(CityError):
    """Down, slow, a server error or an answer that is not the API's: the request stays and is tried again."""


class CityRefused(CityError):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(f"HTTP {status} {code}")
        self.status = status
        self.code = code


@dataclass(frozen=True)
class CityAnswer:
    """What 柏市's system says of one request."""

    status: str
    receipt_number: str | None = None
    received_at: datetime | None = None
    decision: str | None = None
    reason: str | None = None
    decided_at: datetime | None = None
    records: list[dict[str, Any]] | None = None


class CityApi:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base = api_base(settings)
        self.timeout = settings.outbound_timeout_seconds

    def send(self, request_id: uuid.UUID, mandate_jws: str) -> CityAnswer:
        """POST the mandate; 201 (new) or 200 (the same mandate again) with the receipt."""
        return _answer(self._call("POST", "/requests", json={"mandate": mandate_jws}), expected_id=request_id)

    def status(self, request_id: uuid.UUID) -> CityAnswer:
        return _answer(self._call("GET", f"/requests/{request_id}"), expected_id=request_id)

    def withdraw(self, request_id: uuid.UUID) -> None:
        """Tell 柏市 the mandate is withdrawn; a request it never received (404) needs nothing more."""
        try:
            self._call("DELETE", f"/requests/{request_id}")
        except CityRefused as refusal:
            if refusal.status != 404:
                raise

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        token = client_assertion(self.settings, now=utcnow(), jti=secrets.token_urlsafe(24))
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        try:
            with requests.request(method, self.base + path, headers=headers, timeout=self.timeout,
                                  allow_redirects=False, stream=True, **kwargs) as response:
                body = _read_json(response)
        except requests.RequestException as error:
            log.warning("kashiwa-city %s %s unreachable: %s", method, path.split("/")[1], type(error).__name__)
            raise CityUnavailable(f"unreachable ({type(error).__name__})") from error
        if 200 <= response.status_code < 300 and isinstance(body, dict):
            return body
        if 400 <= response.status_code < 500:
            code = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), str) else "error"
            log.info("kashiwa-city refused %s: %s %s", method, response.status_code, code)
            raise CityRefused(response.status_code, code[:64])
        raise CityUnavailable(f"HTTP {response.status_code}")


def _read_json(response: requests.Response) -> Any:
    content = bytearray()
    for chunk in response.iter_content(65536):
        content.extend(chunk)
        if len(content) > MAX_ANSWER_BYTES:
            raise CityUnavailable("the answer is too large")
    try:
        return json.loads(content) if content else None
    except ValueError:
        return None


def _answer(body: dict[str, Any], *, expected_id: uuid.UUID) -> CityAnswer:
    """The answer's fields, checked; anything off is CityUnavailable (never half an answer)."""
    if body.get("id") != str(expected_id) or body.get("status") not in STATUSES:
        raise CityUnavailable("not an answer about this request")
    decision = body.get("decision")
    if decision is not None and decision not in DECISIONS:
        raise CityUnavailable("an unknown decision")
    records = body.get("records")
    if records is not None and not (isinstance(records, list) and all(isinstance(r, dict) for r in records)):
        raise CityUnavailable("records that are not a list of objects")
    return CityAnswer(status=body["status"], receipt_number=_text(body.get("receipt_number"), 64),
                      received_at=_moment(body.get("received_at")), decision=decision,
                      reason=_text(body.get("reason"), 300), decided_at=_moment(body.get("decided_at")),
                      records=records)


def _text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise CityUnavailable("a text field that is not text")
    return value.strip()[:limit] or None


def _moment(value: Any) -> datetime | None:
    """An ISO 8601 moment with its offset (a date alone is read as midnight in Japan)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        raise CityUnavailable("a time that is not ISO 8601")
    if moment.tzinfo is None:
        raise CityUnavailable("a time without its offset")
    return moment


def parse_day(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError("not a date")
    return date.fromisoformat(value)
