"""The bank's side of patterns 1, 3 and 4 (docs/switching.md): a source pushes in, a destination pulls out.

Both are OAuth 2.0 clients of the bank (`app/oauth`), with the bearer checks of the resource API. A source's client
reads for the bank's own purpose `switching_intake`; a destination's for its transfer offer. Every page a
destination pulls passes the consent door and is a 第三者提供 record; a withdrawal stops the next page.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, request
from sqlmodel import Session

from app.accounts.models import Resident
from app.config import current_settings
from app.consent import provenance
from app.consent import transfers as door
from app.consent.enforce import ConsentRequired
from app.consent.items import KIND_ITEMS
from app.db import get_session
from app.extensions import csrf
from app.oauth.api import bearer, fail, json_body
from app.oauth.client_auth import client_keys
from app.oauth.models import OAuthClient
from app.oauth.scopes import client_items, items_of
from app.oauth.server import issuer
from app.switching import manifest as manifests
from app.switching import registry, transfers
from app.switching.models import JobState, TransferJob

bp = Blueprint("switching_api", __name__, url_prefix="/api/v1")
MAX_RECORDS = 500
MAX_PAGE = 500
NUMBER = re.compile(r"[0-9]{1,18}")  # ASCII digits only, and within a BIGINT
INTAKE_PURPOSE = "switching_intake"


def init_app() -> None:
    csrf.exempt(bp)  # bearer tokens, never cookies


def _client_service(client: OAuthClient, *, sources: bool) -> str:
    """The switching service this client is, if it is one of the wanted kind and registered for that service's offer
    (the bank's intake, or the destination's transfer purpose); otherwise a 403."""
    service = registry.service_of_client(client.client_id)
    if service is not None and (service in registry.SOURCES) == sources:
        offer = (("azukari", INTAKE_PURPOSE) if sources else
                 (registry.DESTINATIONS[service].recipient, registry.DESTINATIONS[service].purpose))
        if (client.recipient_key, client.purpose_key) == offer:
            return service
    fail(403, "insufficient_scope", "This client is not a switching " + ("source." if sources else "destination."))


def _job(session: Session, resident: Resident, job_id: str, service: str, *, as_source: bool) -> TransferJob:
    try:
        job = transfers.job_of(session, resident, job_id)
    except Exception:  # NotFound, a malformed id: the same answer, never whose job it is
        job = None
    if job is None or (job.source if as_source else job.destination) != service:
        fail(404, "not_found", "No such transfer for this client and resident.")
    return job


def _json_object() -> dict[str, Any]:
    body = json_body()
    if not isinstance(body, dict):
        fail(400, "invalid_request", "The body must be a JSON object.")
    return body


# --- a source pushes (patterns 1 and 4) ---------------------------------------------------------------------


def _intake_kinds(session: Session, resident: Resident, client: OAuthClient, scope: list[str],
                  job: TransferJob) -> list[str]:
    """The job's kinds the resident let this source send: in the token's scope (what they ticked on the bank's
    consent screen for it) and still consented."""
    granted = set(items_of(scope))
    return [kind for kind in door.live_kinds(session, resident, client.recipient_key, client.purpose_key, job.kinds)
            if KIND_ITEMS.get(kind) in granted]


@bp.get("/intake")
def intake_waiting() -> Response:
    token, client, resident = bearer()
    service, session = _client_service(client, sources=True), get_session()
    waiting = [{"id": str(job.id),
                "kinds": registry.resource_kinds_for(_intake_kinds(session, resident, client, token.scope_list(), job))}
               for job in transfers.waiting_for(session, resident, service)]
    return jsonify(waiting=waiting)


@bp.post("/intake/<job_id>/records")
def intake_records(job_id: str) -> Response:
    token, client, resident = bearer()
    service, session = _client_service(client, sources=True), get_session()
    job = _job(session, resident, job_id, service, as_source=True)
    records = _json_object().get("records")
    if not isinstance(records, list) or not records or len(records) > MAX_RECORDS:
        fail(400, "invalid_request", f"records must be a list of 1 to {MAX_RECORDS} objects.")
    if not all(isinstance(record, dict) for record in records):
        fail(400, "invalid_request", "Every record must be a JSON object.")
    if not all(isinstance(record[key], str) for record in records for key in ("kind", "id") if key in record):
        fail(400, "invalid_request", "A record's kind and id are strings.")  # (a kind we cannot read is skipped)
    if _has_nul(records):
        fail(400, "invalid_request", "Records cannot contain NUL characters.")
    allowed = _intake_kinds(session, resident, client, token.scope_list(), job)
    if not allowed:
        fail(403, "consent_required", "The resident has not let this source send these items.")
    try:
        new, repeated = transfers.receive_push(session, resident, job, records, kinds=allowed)
    except transfers.WrongState:
        fail(409, "not_waiting", "This transfer is not waiting for records.")
    return jsonify(received=new, duplicates=repeated)


@bp.post("/intake/<job_id>/complete")
def intake_complete(job_id: str) -> Response:
    _token, client, resident = bearer()
    service, session = _client_service(client, sources=True), get_session()
    job = _job(session, resident, job_id, service, as_source=True)
    stated = _json_object().get("counts")
    if not isinstance(stated, dict) or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                                               for v in stated.values()):
        fail(400, "invalid_request", "counts must map each kind to a number.")
    try:
        transfers.finish_push(session, resident, job, {str(k): int(v) for k, v in stated.items()})
    except transfers.CountMismatch as mismatch:
        response = jsonify(error="count_mismatch", expected=mismatch.expected, received=mismatch.received)
        response.status_code = 409
        return response
    except transfers.WrongState:
        fail(409, "not_waiting", "This transfer is not waiting for records.")
    # Nothing is delivered yet: the resident reads the pre-transfer report at the bank and sends it from there.
    return jsonify(status="received")


def _has_nul(value: Any) -> bool:
    """Whether any key or string in the JSON has a NUL, which a PostgreSQL text column (an item's id) cannot hold.
    Iterative: the JSON may be as deep as the parser allowed."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            if "\x00" in current:
                return True
        elif isinstance(current, dict):
            stack.extend(current.keys())
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return False


# --- a destination pulls (patterns 1 and 3) -----------------------------------------------------------------


@bp.get("/transfers")
def transfers_ready() -> Response:
    _token, client, resident = bearer()
    service, session = _client_service(client, sources=False), get_session()
    ready = [{"id": str(job.id), "status": "ready", "format": job.format,
              "items": len((job.manifest or {}).get("items", []))}
             for job in transfers.ready_for(session, resident, service)]
    return jsonify(transfers=ready)


@bp.get("/transfers/<job_id>/items")
def transfer_items(job_id: str) -> Response:
    token, client, resident = bearer()
    service, session = _client_service(client, sources=False), get_session()
    job = _job(session, resident, job_id, service, as_source=False)
    cursor = request.args.get("cursor", "0") or "0"
    limit = request.args.get("limit", str(MAX_PAGE))
    if not NUMBER.fullmatch(cursor) or not NUMBER.fullmatch(limit) or not 1 <= int(limit) <= MAX_PAGE:
        fail(400, "invalid_request", f"cursor is a number from a previous page; limit is 1 to {MAX_PAGE}.")
    try:
        page = transfers.release_page(session, resident, job, after=int(cursor), limit=int(limit),
                                      client_id=client.client_id, scope=client_items(session, token.scope_list()))
    except ConsentRequired:
        fail(403, "consent_required", "The resident withdrew the consent for this transfer.")
    except transfers.WrongState:
        fail(409, "not_ready", "This transfer is not ready to be read.")
    response = jsonify(items=[{"id": item.item_id, "sha256": item.sha256, "item": json.loads(item.body)}
                              for item in page],
                       next_cursor=str(page[-1].seq) if len(page) == int(limit) else None,
                       provided_by=_provided_by(job, page))
    response.headers["Cache-Control"] = "no-store"
    return response


def _provided_by(job: TransferJob, page: list[door.ReleasedItem]) -> dict[str, Any]:
    """The page's `provided_by` (G1: the destination's 法30条 確認): the bank, and how it obtained the page's items —
    from the transfer's source, which the bank's own RECEIPT record of them names too."""
    src = registry.source(job.source)
    if src.data_source is not None:  # sent by the source, or fetched from it, at the resident's request
        how = (f"本人の求めにより {src.data_source.legal_name}から受け取ったもの"
               f"（{src.data_source.legal_name}による取得の経緯: {src.data_source.how_obtained}）")
    else:  # an export the resident uploaded
        how = f"本人が持ち込んだ {src.label_ja}のファイルから取得したもの"
    return provenance.provided_by(current_settings(), {key: how for key in door.items_of_kinds(
        sorted({item.kind for item in page}))})


@bp.post("/transfers/<job_id>/receipt")
def transfer_receipt(job_id: str) -> Response:
    _token, client, resident = bearer()
    service, session = _client_service(client, sources=False), get_session()
    job = _job(session, resident, job_id, service, as_source=False)
    receipt = _json_object().get("receipt")
    if not isinstance(receipt, str) or len(receipt) > 2_000_000:
        fail(400, "invalid_request", "receipt must be a compact JWS.")
    if job.state != JobState.READY:
        fail(409, "not_ready", "This transfer is not waiting for a receipt.")
    keys = client_keys(session, client)
    jwks = {"keys": [key.as_dict(private=False) for key in keys.keys]}
    try:
        transfers.check_receipt(session, job, receipt, jwks, issuer=_peer_issuer(client))
    except ConsentRequired:
        fail(403, "consent_required", "The resident withdrew the consent for this transfer.")
    except manifests.ReceiptInvalid as invalid:
        fail(400, "invalid_receipt", f"The receipt could not be verified ({invalid.reason}).")
    except transfers.ReceiptMismatch as mismatch:
        found = mismatch.comparison
        response = jsonify(error="receipt_mismatch", missing=found.missing, changed=found.changed,
                           unexpected=found.unexpected)
        response.status_code = 409
        return response
    return jsonify(status="verified")


def _peer_issuer(client: OAuthClient) -> str:
    """The receipt's `iss`: the destination's base URL, which its registered redirect URI starts with."""
    parts = urlsplit(client.redirect_uris[0]) if client.redirect_uris else None
    return f"{parts.scheme}://{parts.netloc}" if parts else issuer()
