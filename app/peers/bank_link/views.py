"""bank_link's routes: the JWKS, the resident's start page and sign-in, connect, callback, the action again, the
bank's result events (pushed in, and the resident's page of them), and test controls listing the links and the
events. See the package docstring and events.py for the contract."""

from __future__ import annotations

import logging
import secrets
import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.peers.authserver.grants import PeerBearerTokenValidator
from app.peers.authserver.interaction import csrf_token, csrf_valid, sign_in, signed_in_owner
from app.peers.authserver.testing import loopback_only
from app.peers.bank_link import events as result_events
from app.peers.recipient.bank import BankError

# The same pending-flow bookkeeping as the recipients' (state → verifier in the peer's own session, single use).
from app.peers.recipient.views import _remember_pending, _take_pending, own_base_url

if TYPE_CHECKING:
    from app.peers.bank_link import BankLink

log = logging.getLogger(__name__)

JST = timezone(timedelta(hours=9), "JST")
FORM_EXPIRED = "フォームの有効期限が切れました。ページを開き直して、もう一度お試しください。"
SIGN_IN_FAILED = "ログインIDまたはパスワードが正しくありません。"
SIGN_IN_FIRST = "続けるには、このサービスにログインしてください。"
UNKNOWN_STATE = "この連携の要求は見つからないか、有効期限が切れています。最初からやり直してください。"
WRONG_ACCOUNT = "連携を始めたときと別のアカウントでログインしています。最初からやり直してください。"
WRONG_ISSUER = ("応答が Azukari からのものであることを確認できなかったため、連携を中止しました。"
                "最初からやり直してください。")
# Authorization errors named on the page; the value arrives through the browser, so anything else is "unknown".
KNOWN_ERRORS = {"invalid_request", "unauthorized_client", "invalid_scope", "server_error",
                "temporarily_unavailable", "unsupported_response_type", "login_required", "consent_required"}


def register_views(app: Flask, link: BankLink) -> None:
    templates = link.templates
    app.add_template_global(csrf_token)

    @app.template_filter("bank_link_time")
    def _jst(timestamp: int | None) -> str:
        return datetime.fromtimestamp(timestamp, JST).strftime("%Y-%m-%d %H:%M") if timestamp else "—"

    def page(name: str, status: int = 200, **context: Any) -> ResponseReturnValue:
        context.setdefault("account_label", None)
        return render_template(f"{templates}/{name}.html", page=link.page, again_path=link.again_path,
                               **context), status

    def result(outcome: str, status: int, **context: Any) -> ResponseReturnValue:
        return page("result", status, outcome=outcome, **context)

    def signed_in_account() -> tuple[str, str] | None:
        """(account, how pages name it) for the resident signed in at this peer, or None."""
        owner = signed_in_owner()
        label = link.describe_account(owner.subject) if owner is not None else None
        return (owner.subject, label) if owner is not None and label is not None else None

    def start_page(status: int = 200, **context: Any) -> ResponseReturnValue:
        who = signed_in_account()
        if who is None:
            return page("start", status, account_label=None, **context)
        info = link.link_of(who[0])
        return page("start", status, account_label=who[1], link=info, **context)

    @app.get("/.well-known/jwks.json")
    def bank_link_jwks() -> ResponseReturnValue:
        return jsonify(link.jwks())

    @app.get("/azukari/start")
    def bank_link_start() -> ResponseReturnValue:
        return start_page()

    @app.post("/azukari/signin")
    def bank_link_signin() -> ResponseReturnValue:
        if not csrf_valid():
            return start_page(400, error=FORM_EXPIRED)
        subject = link.authenticate(request.form)
        if subject is None:
            return start_page(401, error=SIGN_IN_FAILED, login_id=request.form.get("login_id", ""))
        sign_in(subject)
        return redirect(url_for("bank_link_start"), 303)

    @app.post("/azukari/connect")
    def bank_link_connect() -> ResponseReturnValue:
        if not csrf_valid():
            return start_page(400, error=FORM_EXPIRED)
        who = signed_in_account()
        if who is None:
            return start_page(401, error=SIGN_IN_FIRST)
        state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(64)
        redirect_uri = f"{own_base_url()}/azukari/callback"
        try:
            url = link.bank.authorization_url(redirect_uri=redirect_uri, scope=link.scope, state=state,
                                              code_verifier=verifier)
        except BankError as error:
            return result("error", 503, message=error.message)
        _remember_pending(state, {"verifier": verifier, "redirect_uri": redirect_uri, "account": who[0],
                                  "at": int(time.time())})
        return redirect(url, 303)

    @app.get("/azukari/callback")
    def bank_link_callback() -> ResponseReturnValue:
        pending = _take_pending(request.args.get("state", ""))
        if pending is None:
            return result("error", 400, message=UNKNOWN_STATE)
        if request.args.get("iss") != link.issuer:  # RFC 9207: a response from anyone else is a mix-up
            return result("error", 400, message=WRONG_ISSUER)
        who = signed_in_account()
        if who is None or who[0] != pending.get("account"):
            return result("error", 400, message=WRONG_ACCOUNT)
        error = request.args.get("error")
        if error == "access_denied":
            return result("denied", 200, account_label=who[1])
        code = request.args.get("code")
        if error or not code:
            named = error if error in KNOWN_ERRORS else "unknown"
            return result("error", 400, message=f"Azukari が連携の要求を受け付けませんでした（{named}）。")
        try:
            tokens = link.bank.exchange_code(code=code, redirect_uri=pending["redirect_uri"],
                                             code_verifier=pending["verifier"])
            link.store_authorization(who[0], tokens)
        except BankError as failure:
            return result("error", 502, message=failure.message)
        outcome = link.run_on_connected(who[0])
        return result("done", 200, account_label=who[1], result=outcome)

    if link.again_path:

        @app.post(f"/azukari/{link.again_path}", endpoint="bank_link_again")
        def bank_link_again() -> ResponseReturnValue:
            if not csrf_valid():
                return start_page(400, error=FORM_EXPIRED)
            who = signed_in_account()
            if who is None:
                return start_page(401, error=SIGN_IN_FIRST)
            info = link.link_of(who[0])
            if info is None or not info.active:
                return start_page(409, error="Azukari とまだ連携していないか、連携が終わっています。もう一度連携してください。")
            outcome = link.run_on_connected(who[0])
            return result("done", 200, account_label=who[1], result=outcome)

    @app.get("/_test/azukari/links")
    @loopback_only
    def bank_link_test_links() -> ResponseReturnValue:
        return jsonify([info.as_json() for info in link.links()])

    # -- the bank's result events (events.py) -------------------------------------------------------------------

    tokens = PeerBearerTokenValidator(link.db)

    def bearer_account() -> str | None:
        """The account of a live access token this peer issued, if the request carries one. Any other token is
        ignored, not refused: the event is the bank's signed statement, the token only says whose it is."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        row = tokens.authenticate_token(token.strip())
        if row is None or row.is_expired() or row.is_revoked():
            log.info("a result event came with a token this peer does not honour; attributing it otherwise")
            return None
        return row.subject

    def refused(status: int, err: str, description: str) -> ResponseReturnValue:
        headers = {"Retry-After": str(result_events.RETRY_AFTER_SECONDS)} if status == 503 else {}
        return jsonify(err=err, description=description), status, headers

    @app.post("/azukari/events")
    def bank_link_receive_event() -> ResponseReturnValue:
        if request.mimetype != result_events.CONTENT_TYPE:
            return refused(415, "invalid_request", f"The body must be {result_events.CONTENT_TYPE}.")
        if (request.content_length or 0) > result_events.MAX_SET_BYTES:
            return refused(400, "invalid_request", "The SET is too large.")
        body = request.get_data(cache=False)
        if len(body) > result_events.MAX_SET_BYTES:
            return refused(400, "invalid_request", "The SET is too large.")
        try:
            token = body.decode("ascii").strip()
            result = result_events.verify_set(token, link.bank_keys, issuer=link.issuer, audience=link.client_id)
        except UnicodeDecodeError:
            return refused(400, "invalid_request", "The body is not a compact JWS.")
        except result_events.EventRejected as rejected:
            log.info("refused a result event: %s", rejected.err)
            return refused(rejected.status, rejected.err, rejected.description)
        account, attributed_by = bearer_account(), "bearer"
        if account is None:
            account, attributed_by = link.account_of_job(result.job), "job"
        link.store_event(result, account=account, attributed_by=attributed_by if account else None)
        return Response(status=202)

    @app.get("/azukari/events")
    def bank_link_events() -> ResponseReturnValue:
        who = signed_in_account()
        if who is None:
            return page("events", 200, account_label=None, events=[])
        shown = [{
            "headline": result_events.headline(state=event.state, role=event.role, reason=event.reason,
                                               counts=event.counts,
                                               deletion_certificate_id=event.deletion_certificate_id),
            "counts": result_events.counts_line(event.counts),
            "role": "移行元" if event.role == "source" else "移行先",
            "occurred": result_events.occurred_label(event.occurred_at),
            "received_at": event.received_at,
            "state": event.state,
        } for event in link.events(who[0])]
        return page("events", 200, account_label=who[1], events=shown)

    @app.get("/_test/azukari/events")
    @loopback_only
    def bank_link_test_events() -> ResponseReturnValue:
        return jsonify([event.as_test_json() for event in link.events()])

