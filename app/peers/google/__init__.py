"""Google (a stand-in): the *source* of one-stop switching, in both of its roles (docs/switching.md).

- An authorization server whose client is the bank (`azukari`): sign-in and consent at `/authorize`, `/token`
  with rotating refresh tokens, `/revoke`, RFC 8414 metadata; and the read API it protects (Blogger, Calendar,
  YouTube and the Maps timeline, shaped like Google's) with termination and signed deletion (`api`).
- An OAuth client of the bank (`google-export`, through `app.peers.bank_link`): the signed-in resident's
  `/azukari/start` → "Azukari に送る" → after the callback, everything the bank waits for is pushed to its intake
  API (`push`); again with `POST /azukari/push` or `POST /_test/push`.

Demo accounts (hanako, taro, emily @example.jp, password `google-<name>-2026`) are created on first start; their
content is deterministic Japanese demo data about family life in 柏の葉 (`content`, `places`). Endpoints,
switches and test controls are listed in docs/peers.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from app.peers.authserver import AuthorizationPages, PeerOAuth, client_config_from_environment, signed_in_owner
from app.peers.authserver.interaction import csrf_valid, sign_out
from app.peers.authserver.testing import Switches, add_test_controls, bad_request, json_body, loopback_only
from app.peers.bank_link import SEND, BankLink, LinkPage
from app.peers.base import create_peer_app
from app.peers.google import accounts
from app.peers.google.api import MODES, register_api
from app.peers.google.content import JST
from app.peers.google.push import Pusher

NAME = "google"
CLIENT_ID = "azukari"
CLIENT_NAME = "Azukari（預かり）情報銀行"
SCOPES = ("profile", "blogger.readonly", "calendar.readonly", "youtube.readonly", "timeline.readonly", "account.manage")
SCOPE_LABELS = {
    "profile": "プロフィール（名前・メールアドレス・言語）",
    "blogger.readonly": "Blogger のブログ・記事・コメントの閲覧",
    "calendar.readonly": "Google カレンダーの予定の閲覧",
    "youtube.readonly": "YouTube の登録チャンネルと視聴履歴の閲覧",
    "timeline.readonly": "Google マップのタイムライン（ロケーション履歴）の閲覧",
    "account.manage": "サービスの解約と、データの削除",
}
SECRET_ENV = "GOOGLE_CLIENT_SECRET"
DEV_CLIENT_SECRET = "dev-google-secret-not-for-production"
REDIRECT_URIS_ENV = "GOOGLE_REDIRECT_URIS"
CALLBACK_PATH = "/switching/connect/google/callback"
# As the bank's client: the offer `azukari` / `switching_intake`.
EXPORT_CLIENT_ID_ENV = "GOOGLE_EXPORT_CLIENT_ID"
EXPORT_CLIENT_ID = "google-export"
EXPORT_SCOPE = "blog_posts profile interests location_history calendar_events viewing_history"
EXPORT_PAGE = LinkPage(
    service_name="Google",
    direction=SEND,
    items=("Blogger のブログ記事とコメント", "プロフィール（名前）", "YouTube の登録チャンネル（興味・関心）",
           "Google マップのロケーション履歴（タイムライン）", "Google カレンダーの予定", "YouTube の視聴履歴"),
    purpose=("Azukari（情報銀行）の「のりかえ」で、Google に預けているあなたのデータを Azukari に送ります。"
             "Azukari は、あなたが選んだ移行先のサービスに合わせて形式を変換して届けます。"),
    button_label="Azukari に送る",
    again_label="もう一度送る",
)


def create_app(
    *,
    storage_dir: Path,
    redirect_uris: list[str] | None = None,
    client_secret: str | None = None,
    issuer: str | None = None,
    client_id: str | None = None,
) -> Flask:
    """The Google peer. `redirect_uris`/`client_secret` (the bank as its client) and `issuer`/`client_id` (the
    bank it is a client of) win over the environment; tests pin them."""
    app = create_peer_app(NAME, storage_dir=storage_dir, import_name=__name__)
    client = client_config_from_environment(
        client_id=CLIENT_ID,
        display_name=CLIENT_NAME,
        secret_env=SECRET_ENV,
        default_secret=DEV_CLIENT_SECRET,
        redirect_uris_env=REDIRECT_URIS_ENV,
        callback_path=CALLBACK_PATH,
        client_secret=client_secret,
        redirect_uris=redirect_uris,
    )
    switches = Switches(MODES)

    # Closures over `oauth`, which exists by the time a request calls them.
    def authenticate(form: Any) -> str | None:
        account = accounts.authenticate(oauth.db.session, form.get("login_id", ""), form.get("password", ""))
        return account.sub if account else None

    def describe_account(sub: str) -> str | None:
        account = accounts.by_sub(oauth.db.session, sub)
        return f"{account.name}（{account.email}）" if account else None

    oauth = PeerOAuth(
        app,
        client=client,
        scopes_supported=SCOPES,
        pages=AuthorizationPages(
            login_template="peers/google/login.html",
            consent_template="peers/google/consent.html",
            error_template="peers/google/error.html",
            authenticate=authenticate,
            describe_scopes=lambda scopes: [SCOPE_LABELS[item] for item in scopes if item in SCOPE_LABELS],
            describe_owner=describe_account,
        ),
        models=[accounts.Base],
    )
    with oauth.db.transaction() as session:
        accounts.seed_demo_accounts(session)

    pusher: Pusher | None = None

    def push(sub: str) -> Any:
        assert pusher is not None  # set just below, before any request
        return pusher.push(sub)

    link = BankLink(
        app,
        db=oauth.db,
        scope=EXPORT_SCOPE,
        client_id_env=EXPORT_CLIENT_ID_ENV,
        default_client_id=EXPORT_CLIENT_ID,
        page=EXPORT_PAGE,
        authenticate=authenticate,
        describe_account=describe_account,
        on_connected=push,
        again_path="push",
        issuer=issuer,
        client_id=client_id,
    )
    pusher = Pusher(link, lambda sub: accounts.by_sub(oauth.db.session, sub),
                    lambda sub: accounts.deleted_services(oauth.db.session, sub))

    app.add_url_rule("/authorize", "authorize", oauth.authorize, methods=["GET", "POST"])
    app.add_url_rule("/token", "token", switches.affected(oauth.token), methods=["POST"])
    app.add_url_rule("/revoke", "revoke", oauth.revoke, methods=["POST"])

    @app.get("/.well-known/oauth-authorization-server")
    def metadata() -> ResponseReturnValue:
        return jsonify(oauth.server_metadata())

    register_api(app, oauth, switches, link)

    @app.get("/")
    def index() -> ResponseReturnValue:
        owner = signed_in_owner()
        account = accounts.by_sub(oauth.db.session, owner.subject) if owner else None
        states = accounts.service_states(oauth.db.session, account.sub) if account else {}
        return render_template("peers/google/index.html", account=account, states=states, services=accounts.SERVICES)

    @app.post("/logout")
    def logout() -> ResponseReturnValue:
        if csrf_valid():
            sign_out()
        return redirect(url_for("index"), 303)

    add_test_controls(app, oauth.db, switches, timezone=JST)

    @app.post("/_test/push")
    @loopback_only
    def test_push() -> ResponseReturnValue:
        login_id = json_body().get("login_id")
        account = accounts.by_login_id(oauth.db.session, login_id) if isinstance(login_id, str) else None
        if account is None:
            return bad_request("unknown login_id")
        outcome = link.run_on_connected(account.sub)
        return jsonify(ok=outcome.ok, message=outcome.message, lines=list(outcome.lines), **outcome.data)

    return app
