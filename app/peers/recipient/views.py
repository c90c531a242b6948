"""A recipient's pages: the resident's start page and the callback, the staff screen, the JWKS and test controls.

"Connect with Azukari" is the authorization code flow with PKCE S256: `POST /connect` keeps `state` and the
verifier in this peer's session and sends the browser to the bank; `GET /callback` checks `state`, then that
`iss` is the bank (RFC 9207, before the code goes anywhere), then exchanges the code and pulls at once.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime
from typing import Any

from flask import Flask, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from app.peers.authserver.interaction import csrf_token, csrf_valid
from app.peers.authserver.storage import PeerDatabase
from app.peers.authserver.testing import loopback_only
from app.peers.recipient.bank import BankClient, BankError
from app.peers.recipient.keys import public_jwks
from app.peers.recipient.profile import RecipientProfile
from app.peers.recipient.pull import Puller
from app.peers.recipient.rules import ITEM_LABELS, JST, describe_items
from app.peers.recipient.storage import PULL_ERROR, PULL_OK, all_links, notices_by_subject

PENDING_KEY = "azukari_pending"
PENDING_TTL_SECONDS = 600
MAX_PENDING = 5  # a few tabs may start at once; older ones are dropped
FORM_EXPIRED = "フォームの有効期限が切れました。ページを開き直して、もう一度お試しください。"
UNKNOWN_STATE = "この連携の要求は見つからないか、有効期限が切れています。最初からやり直してください。"
WRONG_ISSUER = ("応答が Azukari からのものであることを確認できなかったため、連携を中止しました。"
                "最初からやり直してください。")
# Authorization errors we name on the page; anything else is shown as a generic refusal (the value is the
# bank's, but it arrives through the browser and is not trusted to be one of these).
KNOWN_ERRORS = {"invalid_request", "unauthorized_client", "invalid_scope", "server_error",
                "temporarily_unavailable", "unsupported_response_type", "login_required", "consent_required"}


def own_base_url() -> str:
    """This peer's URL as the runner bound it (outside the runner, the request's host)."""
    return str(current_app.config.get("PEER_BASE_URL") or request.host_url).rstrip("/")


def register_views(app: Flask, *, profile: RecipientProfile, bank: BankClient, puller: Puller,
                   db: PeerDatabase) -> None:
    templates = profile.template_dir
    app.add_template_global(csrf_token)

    @app.template_filter("jst")
    def _jst(timestamp: int | None) -> str:
        return datetime.fromtimestamp(timestamp, JST).strftime("%Y-%m-%d %H:%M") if timestamp else "—"

    @app.context_processor
    def _recipient_context() -> dict[str, object]:
        return {"profile": profile, "describe_items": describe_items, "item_labels": ITEM_LABELS}

    def result_page(outcome: str, status: int, **context: Any) -> ResponseReturnValue:
        return render_template(f"{templates}/result.html", outcome=outcome, **context), status

    @app.get("/.well-known/jwks.json")
    def jwks() -> ResponseReturnValue:
        return jsonify(public_jwks(bank.key))

    @app.get("/start")
    def start() -> ResponseReturnValue:
        return render_template(f"{templates}/start.html")

    @app.post("/connect")
    def connect() -> ResponseReturnValue:
        if not csrf_valid():
            return result_page("error", 400, message=FORM_EXPIRED)
        state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(64)
        redirect_uri = f"{own_base_url()}/callback"
        try:
            url = bank.authorization_url(redirect_uri=redirect_uri, scope=profile.scope, state=state,
                                         code_verifier=verifier)
        except BankError as error:
            return result_page("error", 503, message=error.message)
        _remember_pending(state, {"verifier": verifier, "redirect_uri": redirect_uri, "at": int(time.time())})
        return redirect(url, 303)

    @app.get("/callback")
    def callback() -> ResponseReturnValue:
        pending = _take_pending(request.args.get("state", ""))
        if pending is None:
            return result_page("error", 400, message=UNKNOWN_STATE)
        if request.args.get("iss") != bank.issuer:  # RFC 9207: a response from anyone else is a mix-up
            return result_page("error", 400, message=WRONG_ISSUER)
        error = request.args.get("error")
        if error == "access_denied":
            return result_page("denied", 200)
        code = request.args.get("code")
        if error or not code:
            named = error if error in KNOWN_ERRORS else "unknown"
            return result_page("error", 400, message=f"Azukari が連携の要求を受け付けませんでした（{named}）。")
        try:
            tokens = bank.exchange_code(code=code, redirect_uri=pending["redirect_uri"],
                                        code_verifier=pending["verifier"])
            result = puller.link(tokens, requested_scope=profile.scope)
        except BankError as failure:
            return result_page("error", 502, message=failure.message)
        notices = notices_by_subject(db.session).get(result.subject, [])
        sent = [notice for notice in notices if notice.notice_key in result.notices_sent]
        return result_page("linked", 200, result=result, sent=sent)

    @app.get("/")
    def staff() -> ResponseReturnValue:
        links = all_links(db.session)
        return render_template(f"{templates}/staff.html", links=links, notices=notices_by_subject(db.session),
                               registration=_registration(profile, bank))

    @app.post("/pull")
    def pull() -> ResponseReturnValue:
        if not csrf_valid():
            flash(FORM_EXPIRED, "error")
            return redirect(url_for("staff"), 303)
        results = puller.pull_all()
        sent = sum(len(result.notices_sent) for result in results)
        ok = sum(result.status == PULL_OK for result in results)
        flash(f"{len(results)}件の連携を処理しました（取得 {ok}件、案内の送信 {sent}件）。", "info")
        failures = {result.message for result in results if result.status == PULL_ERROR and result.message}
        for message in sorted(failures):
            flash(message, "error")
        return redirect(url_for("staff"), 303)

    @app.post("/_test/pull")
    @loopback_only
    def test_pull() -> ResponseReturnValue:
        return jsonify([result.as_json() for result in puller.pull_all()])

    @app.get("/_test/links")
    @loopback_only
    def test_links() -> ResponseReturnValue:
        notices = notices_by_subject(db.session)
        return jsonify([
            {
                "sub": link.subject,
                "state": link.state,
                "scope": link.scope,
                "linked_at": link.linked_at,
                "refused_at": link.refused_at,
                "refused_reason": link.refused_reason,
                "items": link.items,
                "withheld": link.withheld,
                "record": link.record,
                "received_at": link.received_at,
                "pulled_at": link.pulled_at,
                "pull_status": link.pull_status,
                "pull_message": link.pull_message,
                "notices": [{"id": n.notice_key, "title": n.title, "link": n.link, "bank_id": n.bank_notice_id,
                             "sent_at": n.sent_at} for n in notices.get(link.subject, [])],
            }
            for link in all_links(db.session)
        ])


def _registration(profile: RecipientProfile, bank: BankClient) -> dict[str, str]:
    """What the bank's operator registers for this client, shown to staff so they can check it."""
    base = own_base_url()
    return {
        "client_id": bank.client_id,
        "issuer": bank.issuer,
        "redirect_uri": f"{base}/callback",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "scope": profile.scope,
        "recipient": profile.recipient_key,
        "purpose": profile.purpose_key,
    }


def _remember_pending(state: str, entry: dict[str, Any]) -> None:
    """Peers keep Flask's signed (not encrypted) cookie session: the verifier is readable by this browser, which is
    the one that receives the code anyway; PKCE defends against anyone else holding the code."""
    now = int(time.time())
    pending = {key: value for key, value in (session.get(PENDING_KEY) or {}).items()
               if now - int(value.get("at", 0)) < PENDING_TTL_SECONDS}
    while len(pending) >= MAX_PENDING:
        pending.pop(next(iter(pending)))
    pending[state] = entry
    session[PENDING_KEY] = pending


def _take_pending(state: str) -> dict[str, Any] | None:
    """The flow `state` names, if this browser started it within ten minutes; consumed whatever comes next, so
    a replayed response finds nothing."""
    pending = dict(session.get(PENDING_KEY) or {})
    entry = pending.pop(state, None) if state else None
    session[PENDING_KEY] = pending
    if not isinstance(entry, dict) or int(time.time()) - int(entry.get("at", 0)) >= PENDING_TTL_SECONDS:
        return None
    return entry
