"""The bank tells both services how a transfer ended: an RFC 8417 Security Event Token pushed per RFC 8935
(docs/switching.md, "Result events").

`build_event` signs the SET with the bank's key (`app.signing`, `typ` `secevent+jwt`, verifiable with the bank's
`/.well-known/jwks.json`); `post_event` delivers it to `{service}/azukari/events`, with the bank's bearer token at
that service when the bank holds a connection there (so the service can tell whose event it is; without one the
service goes by the job id, `txn`). The event says the job, the role, the state, the reason, the counts per kind
the destination's receipt stated and the deletion certificate's id: nothing personal beyond that.

`jti` is a UUID5 of (job, state, role): a retried delivery is the same event, which the service keeps once.
Answers become the errors the worker already acts on (`remote`): 202 → done; 400 `{"err", "description"}`
(RFC 8935 §2.3) → `ServiceRefused` (final); 429 → `ServiceBusy`; 5xx, a timeout, no connection →
`ServiceUnavailable` (retried). The worker calls it, outside any transaction it would hold across the call.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

import requests
from sqlmodel import Session

from app import signing
from app.accounts.models import Resident
from app.config import Settings
from app.switching import registry, remote
from app.switching.models import TransferJob

log = logging.getLogger(__name__)

EVENT = "urn:azukari:event:transfer-result"
SET_TYPE = "secevent+jwt"
CONTENT_TYPE = "application/secevent+jwt"
EVENTS_PATH = "/azukari/events"
ROLES = ("source", "destination")
# A fixed namespace for the events' ids: the same (job, state, role) is always the same `jti`.
JTI_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, EVENT)
MAX_ERROR_BYTES = 64 * 1024


def bank_issuer(settings: Settings) -> str:
    """The bank's issuer, as its OAuth server names itself (`app.oauth.server.issuer`) and the peers check `iss`."""
    return settings.public_url.rstrip("/")


def audience(service: str) -> str:
    """The service's client id at the bank: who the event is for (`aud`)."""
    spec = registry.SOURCES.get(service) or registry.DESTINATIONS.get(service)
    client_id = spec.bank_client_id if spec is not None else None
    if not client_id:
        raise ValueError(f"{service!r} is not a service the bank can notify")
    return client_id


def notifiable(service: str) -> bool:
    """Whether the service takes result events: a source with an API or a destination (not an uploaded export)."""
    spec = registry.SOURCES.get(service) or registry.DESTINATIONS.get(service)
    return spec is not None and bool(spec.bank_client_id)


def event_id(job: TransferJob, role: str, state: str | None = None) -> str:
    """UUID5 of "<job id>:<state>:<role>" in JTI_NAMESPACE: a retry of the same event has the same `jti`."""
    return str(uuid.uuid5(JTI_NAMESPACE, f"{job.id}:{state or job.state}:{role}"))


def _check(job: TransferJob, service: str, role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    if service != (job.source if role == "source" else job.destination):
        raise ValueError(f"{service!r} is not the {role} of this transfer")


def build_event(settings: Settings, job: TransferJob, *, service: str, role: str, state: str | None = None) -> str:
    """The SET for `service` (the job's `role`) about the job's `state` (by default its current one: a worker
    sending later names the state it was queued for), signed by the bank (compact JWS)."""
    _check(job, service, role)
    state = state or job.state
    receipt_counts = (job.receipt or {}).get("counts")
    payload: dict[str, Any] = {
        "iss": bank_issuer(settings),
        "aud": audience(service),
        "iat": int(time.time()),
        "jti": event_id(job, role, state),
        "txn": str(job.id),
        "events": {EVENT: {
            "job": str(job.id),
            "role": role,
            "state": state,
            "reason": (job.error or None) if state in ("failed", "canceled") else None,  # (not a retry's note)
            "counts": dict(receipt_counts) if isinstance(receipt_counts, dict) else {},
            # (only the end names it: a `verified` event sent late, after the deletion, is still about `verified`)
            "deletion_certificate_id": (job.deletion or {}).get("certificate_id") if state == "complete" else None,
            "occurred_at": job.updated_at.isoformat(),
        }},
    }
    return signing.sign(payload, typ=SET_TYPE)


def _bearer_token(session: Session, settings: Settings, resident: Resident, service: str) -> str | None:
    """The bank's access token at the service for this resident (refreshed if it ran out), or None without a
    connection. A refresh the service refuses leaves no connection to speak of: the event goes without a token."""
    if remote.connection(session, resident, service) is None:
        return None
    client = remote.ServiceClient(session, settings, resident, registry.provider(settings, service))
    try:
        return client.access_token()  # the connection's token, refreshed and committed as every call does
    except remote.NotConnected:
        log.info("no usable connection at %s for the result event; it goes without a token", service)
        return None


def post_event(session: Session, settings: Settings, resident: Resident, job: TransferJob, *, service: str,
               role: str, state: str | None = None) -> None:
    """Push the job's result event (about `state`, by default its current one) to `service` (RFC 8935).

    Returns on 202 (any 2xx); raises `remote.ServiceRefused` (400 with the RFC 8935 `err`, or another 3xx/4xx),
    `remote.ServiceBusy` (429) or `remote.ServiceUnavailable` (5xx, a timeout, no connection). An uploaded
    export's source has no service to tell: nothing is sent. Commits the session before the call."""
    _check(job, service, role)
    if not notifiable(service):
        return
    base = registry.issuer(settings, service)
    if not base:
        raise ValueError(f"no address for {service!r} in the settings")
    token = build_event(settings, job, service=service, role=role, state=state)
    bearer = _bearer_token(session, settings, resident, service)
    session.commit()  # nothing held open while the service is waited on
    headers = {"Content-Type": CONTENT_TYPE, "Accept": "application/json"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    url = base.rstrip("/") + EVENTS_PATH
    try:
        response = requests.post(url, data=token.encode("ascii"), headers=headers, stream=True, allow_redirects=False,
                                 timeout=settings.outbound_timeout_seconds * 2)
    except requests.Timeout as error:
        raise remote.ServiceUnavailable("timeout") from error
    except requests.RequestException as error:
        raise remote.ServiceUnavailable() from error
    _outcome(response, url)


def _outcome(response: requests.Response, url: str) -> None:
    with response:
        status = response.status_code
        retry_after = response.headers.get("Retry-After", "")
        body = bytearray()
        if status >= 300:  # only an error's body is read, and only so much of it
            try:
                for chunk in response.iter_content(16384):
                    body.extend(chunk)
                    if len(body) > MAX_ERROR_BYTES:
                        break
            except requests.RequestException as error:
                raise remote.ServiceUnavailable("timeout") from error
    if 200 <= status < 300:
        return
    if status == 429:
        raise remote.ServiceBusy(_seconds(retry_after))
    if status >= 500:
        log.warning("%s answered %s to a result event", url, status)
        raise remote.ServiceUnavailable(f"http_{status}")
    err = _rfc8935_error(bytes(body)) if status == 400 else None
    log.warning("%s refused a result event: %s %s", url, status, err or "")
    raise remote.ServiceRefused(status, err or f"http_{status}")


def _rfc8935_error(body: bytes) -> str | None:
    """The `err` of an RFC 8935 §2.3 error body, if it is one."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    err = document.get("err") if isinstance(document, dict) else None
    return err[:60] if isinstance(err, str) and err else None


def _seconds(retry_after: str) -> float:
    try:
        return min(max(float(retry_after), 0.0), 300.0)
    except ValueError:
        return 5.0
