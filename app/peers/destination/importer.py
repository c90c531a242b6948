"""The importer API (patterns 2 and 4): the bank pushes items with a token this destination issued.

`POST /dtp/v1/jobs`, `POST /dtp/v1/jobs/{id}/items`, `POST /dtp/v1/jobs/{id}/complete` (the signed receipt) and
`GET /dtp/v1/jobs/{id}`, all with scope `import`; `GET /dtp/v1/me` with scope `profile` says which account the
token is for. The test switches act here before anything else, as a front proxy or an overloaded service would.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue

from app.peers.authserver import PeerOAuth, issuer_url
from app.peers.authserver.testing import Switches
from app.peers.destination import intake
from app.peers.destination.profile import DestinationProfile
from app.peers.destination.storage import (
    VIA_PUSH,
    Account,
    account_by_sub,
    job_by_bank_id,
    job_for,
    job_item_count,
    new_job,
)

log = logging.getLogger(__name__)

IMPORT_SCOPE = "import"
PROFILE_SCOPE = "profile"
MAX_JOB_ID_LENGTH = 200

# The switches the importer knows besides the shared `slow` and `garbage` (docs/switching.md).
ERROR_500 = "error_500"
RATE_LIMITED = "rate_limited"
FULL = "full"
DROP_ITEM = "drop_item"
WRONG_HASH = "wrong_hash"
MODES = (ERROR_500, RATE_LIMITED, FULL, DROP_ITEM, WRONG_HASH)
RETRY_AFTER_SECONDS = 1


def error(status: int, code: str, description: str, headers: dict[str, str] | None = None) -> ResponseReturnValue:
    return jsonify(error=code, error_description=description), status, headers or {}


def destination_full() -> ResponseReturnValue:
    return error(507, "destination_full", "保存容量の上限に達したため、これ以上受け取れません。")


def misbehaving(switches: Switches) -> Callable[[Callable[..., ResponseReturnValue]], Callable[..., ResponseReturnValue]]:
    """Decorate an importer endpoint with the switches that answer for it: `slow`, `garbage` (shared), `error_500`
    and `rate_limited`. `full`, `drop_item` and `wrong_hash` concern particular endpoints and are read there."""

    def decorate(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
        @switches.affected
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> ResponseReturnValue:
            mode = switches.mode
            if mode == ERROR_500:
                return error(500, "server_error", "内部エラーが発生しました（テスト用の切り替え）。")
            if mode == RATE_LIMITED:
                return error(429, "rate_limited", "リクエストが多すぎます。しばらくしてから再試行してください。",
                             {"Retry-After": str(RETRY_AFTER_SECONDS)})
            return view(*args, **kwargs)

        return wrapper

    return decorate


def register_importer(app: Flask, *, profile: DestinationProfile, oauth: PeerOAuth, switches: Switches,
                      signer: intake.Signer, quota_items: int) -> None:
    session = lambda: oauth.db.session  # noqa: E731 - the request's session, looked up at call time

    def token_account(scope: str) -> Account | Response:
        with oauth.protected(scope) as token:
            account = account_by_sub(session(), token.subject)
        if account is None:  # the account went away after the token was issued
            body = jsonify(error="invalid_token", error_description="このアカウントは存在しません。")
            body.status_code = 401
            body.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return body
        return account

    def json_object() -> dict[str, Any] | None:
        body = request.get_json(silent=True)
        return body if isinstance(body, dict) else None

    @app.post("/dtp/v1/jobs")
    @misbehaving(switches)
    def create_job() -> ResponseReturnValue:
        account = token_account(IMPORT_SCOPE)
        if isinstance(account, Response):
            return account
        body = json_object()
        if body is None:
            return error(400, "invalid_request", "本文は JSON オブジェクトにしてください。")
        bank_job, format_name, expected = body.get("job"), body.get("format"), body.get("expected", {})
        if not isinstance(bank_job, str) or not 0 < len(bank_job) <= MAX_JOB_ID_LENGTH:
            return error(400, "invalid_request", "job（依頼元のジョブID）が必要です。")
        if format_name != profile.format:
            return error(400, "unsupported_format", f"受け取れる形式は {profile.format} だけです。")
        expected_items = expected.get("items") if isinstance(expected, dict) else None
        if expected_items is not None and (isinstance(expected_items, bool) or not isinstance(expected_items, int)
                                           or expected_items < 0):
            return error(400, "invalid_request", "expected.items は0以上の整数にしてください。")
        existing = job_by_bank_id(session(), account, bank_job)
        if existing is not None:
            return jsonify(id=existing.id, status=existing.status), 200
        job = new_job(session(), account, bank_job=bank_job, format_name=profile.format, via=VIA_PUSH,
                      expected_items=expected_items, now=int(time.time()))
        session().commit()
        log.info("%s: job %s opened for the bank's job", profile.peer_name, job.id)
        return jsonify(id=job.id, status=job.status), 201

    @app.post("/dtp/v1/jobs/<job_id>/items")
    @misbehaving(switches)
    def add_items(job_id: str) -> ResponseReturnValue:
        account = token_account(IMPORT_SCOPE)
        if isinstance(account, Response):
            return account
        job = job_for(session(), account, job_id)
        if job is None:
            return error(404, "not_found", "このジョブはありません。")
        body = json_object()
        envelopes = body.get("items") if body is not None else None
        if not isinstance(envelopes, list) or len(envelopes) > intake.MAX_ITEMS_PER_CALL:
            return error(400, "invalid_request", f"items は{intake.MAX_ITEMS_PER_CALL}件以下の配列にしてください。")
        if switches.mode == FULL:
            return destination_full()
        try:
            outcome = intake.receive(session(), profile, account, job, envelopes, quota=quota_items,
                                     drop_first=switches.mode == DROP_ITEM, now=int(time.time()))
        except intake.DestinationFull:
            session().rollback()
            return destination_full()
        session().commit()
        return jsonify(outcome.as_json())

    @app.post("/dtp/v1/jobs/<job_id>/complete")
    @misbehaving(switches)
    def complete(job_id: str) -> ResponseReturnValue:
        account = token_account(IMPORT_SCOPE)
        if isinstance(account, Response):
            return account
        job = job_for(session(), account, job_id)
        if job is None:
            return error(404, "not_found", "このジョブはありません。")
        manifest = json_object()
        if manifest is None:
            return error(400, "invalid_request", "本文はマニフェスト（JSON オブジェクト）にしてください。")
        # The manifest is the bank's word; the receipt is ours. Only a manifest for another job is refused.
        if manifest.get("job", job.bank_job) != job.bank_job or manifest.get("format", job.format) != job.format:
            return error(400, "invalid_request", "マニフェストのジョブまたは形式が、このジョブと一致しません。")
        intake.mark_completed(job, int(time.time()))
        session().commit()
        payload = intake.receipt_payload(session(), job, issuer=issuer_url(), wrong_hash=switches.mode == WRONG_HASH)
        return jsonify(receipt=signer(payload))

    @app.get("/dtp/v1/jobs/<job_id>")
    @misbehaving(switches)
    def job_status(job_id: str) -> ResponseReturnValue:
        account = token_account(IMPORT_SCOPE)
        if isinstance(account, Response):
            return account
        job = job_for(session(), account, job_id)
        if job is None:
            return error(404, "not_found", "このジョブはありません。")
        return jsonify(id=job.id, job=job.bank_job, status=job.status, items=job_item_count(session(), job))

    @app.get("/dtp/v1/me")
    def me() -> ResponseReturnValue:
        account = token_account(PROFILE_SCOPE)
        if isinstance(account, Response):
            return account
        return jsonify(sub=account.sub, display_name=account.display_name, service=profile.display_name_ja)
