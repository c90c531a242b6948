"""The resource API recipients call with the bank's access tokens (documented in `openapi.json`).

Every read goes through the consent door (`consent.enforce.use_recorded`): it checks live consent per item at
that moment, returns only the consented items and writes the 第三者提供記録 in this request's transaction, which
commits before the response leaves. Nothing outside the token's scope and the live consent is ever serialised.
Errors follow RFC 6750, as JSON with only an `error` (and a description). Every answer that provides data carries
`provided_by` (app/consent/provenance.py): what the recipient needs for its APPI 法30条 確認.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn

from flask import Blueprint, Response, abort, current_app, jsonify, make_response, request
from sqlmodel import Session, col, func, select

from app import throttle
from app.accounts.models import Resident
from app.config import current_settings
from app.consent import enforce, provenance
from app.db import get_session, utcnow
from app.errors import RateLimited
from app.extensions import csrf
from app.inbox import services as inbox
from app.inbox.models import Notice
from app.ledger.models import RecordKind
from app.ledger.services import history
from app.oauth.models import OAuthClient, OAuthToken
from app.oauth.scopes import NOTICES, client_items
from app.oauth.server import find_token, issuer
from app.oauth.subjects import pairwise_subject
from app.sessions import hash_token

bp = Blueprint("api", __name__, url_prefix="/api/v1")
OPENAPI_FILE = Path(__file__).parent / "openapi.json"
REALM = "azukari"
RECENT_RECORDS = 50  # how far back a notice looks for the provision it follows
ITEM_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
NOTICES_PER_SENDER_PER_DAY = 20  # a recipient cannot flood a resident's inbox


def init_app() -> None:
    csrf.exempt(bp)  # bearer tokens, never cookies: nothing for a cross-site form to ride on


def fail(status: int, error: str, description: str, *, scope: list[str] | None = None) -> NoReturn:
    """An RFC 6750 error. Only our own constant strings and known item keys go into the header (never the
    request's text: a quote or line break there would forge parameters or break the response)."""
    challenge = f'Bearer realm="{REALM}", error="{error}", error_description="{description}"'
    known = [key for key in scope or [] if ITEM_KEY.fullmatch(key)]
    if known:
        challenge += f', scope="{" ".join(known)}"'
    response = make_response(jsonify(error=error, error_description=description), status)
    response.headers["WWW-Authenticate"] = challenge
    abort(response)


def bearer() -> tuple[OAuthToken, OAuthClient, Resident]:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        response = make_response(jsonify(error="invalid_request", error_description="A bearer token is required."), 401)
        response.headers["WWW-Authenticate"] = f'Bearer realm="{REALM}"'
        abort(response)
    refusals = _refusals()
    digest = hash_token(value.strip())
    waiting = refusals.retry_after(digest)
    if waiting is not None:  # refused a moment ago and still within its Retry-After: no database work at all
        _too_many(waiting)
    session = get_session()
    token = find_token(value.strip())
    if token is None or token.access_token_digest != digest:
        fail(401, "invalid_token", "The access token is unknown, expired or revoked.")
    if token.revoked_reason == "consent_withdrawn":
        # Said plainly, so the client stops (a refresh would not help) instead of retrying.
        fail(403, "consent_required", "The resident withdrew the consent this token was issued under.")
    if token.revoked_at is not None or token.access_expires_at <= utcnow():
        fail(401, "invalid_token", "The access token is unknown, expired or revoked.")
    client = session.get(OAuthClient, token.client_id)
    resident = session.get(Resident, token.resident_id)
    if client is None or client.disabled_at is not None or resident is None:
        fail(401, "invalid_token", "The access token is unknown, expired or revoked.")
    _limit(session, client.client_id, str(resident.id), digest)
    return token, client, resident


def _refusals() -> throttle.RefusalMemo:
    return current_app.extensions.setdefault("api_refusals", throttle.RefusalMemo())  # type: ignore[no-any-return]


def _too_many(retry_after: int) -> NoReturn:
    response = make_response(jsonify(error="rate_limited", error_description="Too many requests: slow down and "
                                                                              "retry after the given seconds."), 429)
    response.headers["Retry-After"] = str(retry_after)
    abort(response)


def _limit(session: Session, client_id: str, resident_id: str, digest: str) -> None:
    """429 with Retry-After past the client's requests a minute, or its requests a minute about one resident."""
    settings, minute = current_settings(), timedelta(minutes=1)
    try:
        throttle.take(session,
                      throttle.Limit(throttle.bucket("api:client", client_id), settings.api_requests_per_client, minute),
                      throttle.Limit(throttle.bucket("api:account", f"{client_id}:{resident_id}"),
                                     settings.api_requests_per_account, minute))
    except RateLimited as error:
        _refusals().refuse(digest, error.retry_after)
        _too_many(error.retry_after)
    session.commit()  # counted even when the request then fails (a scope or consent error rolls its work back)


@bp.route("/me")
def me() -> Response:
    token, client, resident = bearer()
    session = get_session()
    granted = client_items(session, token.scope_list())
    asked = request.args.get("items")
    requested = [key for key in (asked.split(",") if asked else granted) if key]
    outside = [key for key in requested if key not in granted]
    if outside or not requested:
        fail(403, "insufficient_scope", "An item asked for is not in the token's scope.", scope=outside)
    try:
        values, record = enforce.use_recorded(
            session, resident=resident, recipient=client.recipient_key, purpose=client.purpose_key, items=requested,
            via={"client": client.client_id, "method": "resource_api", "endpoint": "/api/v1/me"})
    except enforce.ConsentRequired:
        fail(403, "consent_required", "There is no live consent for these items.")
    response = jsonify({
        "sub": pairwise_subject(session, client.recipient_key, resident),
        "recipient": client.recipient_key,
        "purpose": client.purpose_key,
        "items": values,
        "withheld": [key for key in requested if key not in values],
        "provided_at": record.at.isoformat(),
        "record": record.seq,
        # For the recipient's own 法30条 確認: who provides (the bank) and how the bank obtained each item (G1).
        "provided_by": provenance.for_items(current_settings(), values),
    })
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/notices", methods=["POST"])
def send_notice() -> Response:
    token, client, resident = bearer()
    if NOTICES not in token.scope_list():
        fail(403, "insufficient_scope", "Sending notices needs the notices scope.", scope=[NOTICES])
    body = json_body()
    if not isinstance(body, dict) or not all(isinstance(body.get(k, ""), str) and _utf8(body.get(k, ""))
                                             for k in ("id", "title", "body", "link")):
        return _invalid("The body must be a JSON object with string id, title, body and link.")
    session = get_session()
    if _over_quota(session, resident, client):
        response = jsonify(error="too_many_requests",
                           error_description=f"At most {NOTICES_PER_SENDER_PER_DAY} notices a day per resident.")
        response.status_code, response.headers["Retry-After"] = 429, "3600"
        return response
    try:
        notice, created = inbox.deliver(
            session, resident_id=resident.id, client_id=client.client_id, recipient_key=client.recipient_key,
            purpose_key=client.purpose_key, external_id=body.get("id", ""), title=body.get("title", ""),
            body=body.get("body", ""), link_url=body.get("link") or None,
            consent_receipt_id=_consent_receipt(session, resident, client),
            ledger_seq=_latest_provision(session, resident, client))
    except inbox.NoLiveConsent:
        fail(403, "consent_required", "The resident has no live consent for notices from this recipient.")
    except inbox.InvalidNotice:
        return _invalid("id and title are required; title ≤ 120, body ≤ 2000 characters; link must be https.")
    response = jsonify(id=str(notice.id))
    response.status_code = 201 if created else 200
    return response


def json_body() -> Any:
    """The request's JSON, or None when it is not JSON, or nested too deep to parse (a RecursionError, which
    `silent` does not catch, would be a 500)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None


def _utf8(text: str) -> bool:
    """False for a lone surrogate (`"\\ud800"` is valid JSON, but no UTF-8 text the database could store)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _invalid(description: str) -> Response:
    response = jsonify(error="invalid_request", error_description=description)
    response.status_code = 400
    return response


def _consent_receipt(session: Session, resident: Resident, client: OAuthClient) -> Any:
    """The receipt of the most recent live consent that let this recipient in."""
    live = [g for g in enforce.live_consents(session, resident, client.recipient_key, client.purpose_key).values()
            if g.receipt_id is not None]
    return max(live, key=lambda g: g.decided_at).receipt_id if live else None


def _over_quota(session: Session, resident: Resident, client: OAuthClient) -> bool:
    since = utcnow() - timedelta(days=1)
    sent = session.exec(select(func.count()).select_from(Notice).where(
        Notice.resident_id == resident.id, Notice.recipient_key == client.recipient_key,
        col(Notice.received_at) >= since)).one()
    return int(sent) >= NOTICES_PER_SENDER_PER_DAY


def _latest_provision(session: Session, resident: Resident, client: OAuthClient) -> int | None:
    """The sequence number of the last provision to this recipient and purpose (what the notice is based on)."""
    for entry in history(session, resident.principal, kinds=[RecordKind.PROVISION], limit=RECENT_RECORDS):
        payload = entry.payload or {}
        if payload.get("recipient") == client.recipient_key and payload.get("purpose") == client.purpose_key:
            return entry.record.seq
    return None


@bp.route("/openapi.json")
def openapi() -> Response:
    document = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
    document["servers"] = [{"url": issuer() + "/api/v1"}]
    response = jsonify(document)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response

