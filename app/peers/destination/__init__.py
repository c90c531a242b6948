"""The toolkit for destination peers (blog-a, tv-a, health-b): services a resident moves data *to* through the
bank (docs/switching.md). A destination defines a `DestinationProfile` and calls `create_destination_app`, which
gives it both roles the contract names:

- an authorization server whose client is the bank (`azukari`, scopes `import` and `profile`, rotating refresh
  tokens; `authserver.PeerOAuth`) and the importer API it protects (`importer`: patterns 2 and 4);
- an OAuth client of the bank (`app.peers.bank_link`) that pulls the transfers ready for it and answers each
  with a signed receipt (`pull`: patterns 1 and 3);

and around them: demo accounts (`storage`), the items' digests (`canonical`, RFC 8785), the checks and receipts
shared by both directions (`intake`), the resident's page and test controls (`views`). One EC P-256 key, kept
in the peer's folder and published at `/.well-known/jwks.json`, signs the receipts and the client assertions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue

from app.peers.authserver import PeerOAuth, client_config_from_environment, issuer_url
from app.peers.authserver.testing import Switches, add_test_controls, bad_request, json_body, loopback_only
from app.peers.bank_link import RECEIVE, BankLink, LinkPage
from app.peers.base import create_peer_app
from app.peers.destination.importer import IMPORT_SCOPE, MODES, PROFILE_SCOPE, register_importer
from app.peers.destination.intake import JST
from app.peers.destination.profile import DEFAULT_QUOTA_ITEMS, DestinationProfile
from app.peers.destination.pull import Puller
from app.peers.destination.storage import Base, account_by_login, seed_demo_accounts
from app.peers.destination.views import authorization_pages, register_views

__all__ = ["DEFAULT_QUOTA_ITEMS", "DestinationProfile", "create_destination_app"]

CLIENT_ID = "azukari"
CLIENT_NAME = "Azukari（預かり）情報銀行"
# What the bank's scopes mean, for the "Azukari から受け取る" page.
BANK_SCOPE_LABELS = {
    "blog_posts": "ブログの記事とコメント",
    "profile": "プロフィール（表示名・言語）",
    "interests": "興味・関心",
    "viewing_history": "動画の視聴履歴",
    "calendar_events": "カレンダーの予定",
    "location_history": "訪れた場所と移動の記録",
    "health_records": "健康の記録（歩数・心拍数・運動など）",
}


def create_destination_app(
    profile: DestinationProfile,
    *,
    storage_dir: Path,
    import_name: str,
    client_secret: str | None = None,
    redirect_uris: Sequence[str] | None = None,
    quota_items: int | None = None,
    issuer: str | None = None,
    client_id: str | None = None,
) -> Flask:
    """The peer's app. Arguments win over the environment (tests pin them): `client_secret` and `redirect_uris`
    for the bank's client here, `issuer` and `client_id` for this peer's client at the bank."""
    app = create_peer_app(profile.peer_name, storage_dir=storage_dir, import_name=import_name)
    quota = profile.quota_items if quota_items is None else quota_items
    client = client_config_from_environment(
        client_id=CLIENT_ID,
        display_name=CLIENT_NAME,
        secret_env=profile.secret_env,
        default_secret=profile.default_secret,
        redirect_uris_env=profile.redirect_uris_env,
        callback_path=profile.callback_path,
        client_secret=client_secret,
        redirect_uris=list(redirect_uris) if redirect_uris is not None else None,
    )
    switches = Switches(MODES)
    # The pages run at request time, after `oauth` below exists (the closure sees the variable, not its value now).
    pages = authorization_pages(profile, lambda: oauth.db.session)
    oauth = PeerOAuth(app, client=client, scopes_supported=(IMPORT_SCOPE, PROFILE_SCOPE), pages=pages, models=[Base])
    with oauth.db.transaction() as session:
        seed_demo_accounts(session, profile)

    puller = Puller(profile, oauth.db, switches, quota_items=quota, issuer=issuer_url)
    link = BankLink(
        app,
        db=oauth.db,
        scope=profile.bank_scope,
        client_id_env=profile.client_id_env,
        default_client_id=profile.peer_name,
        page=LinkPage(
            service_name=profile.display_name_ja,
            direction=RECEIVE,
            items=tuple(BANK_SCOPE_LABELS.get(scope, scope) for scope in profile.bank_scope.split()),
            purpose=f"Azukari（情報銀行）に預けたデータを、{profile.display_name_ja} のあなたのアカウントに移すためです。"
                    "受け取ったものは、このサービスの画面でいつでも確認できます。",
            button_label="Azukari から受け取る",
            again_label="もう一度受け取る",
        ),
        authenticate=pages.authenticate,
        describe_account=pages.describe_owner,
        on_connected=puller.pull,
        again_path="pull",
        issuer=issuer,
        client_id=client_id,
    )
    puller.link = link

    app.add_url_rule("/authorize", "authorize", oauth.authorize, methods=["GET", "POST"])
    app.add_url_rule("/token", "token", switches.affected(oauth.token), methods=["POST"])
    app.add_url_rule("/revoke", "revoke", oauth.revoke, methods=["POST"])

    @app.get("/.well-known/oauth-authorization-server")
    def metadata() -> ResponseReturnValue:
        return jsonify(oauth.server_metadata())

    register_importer(app, profile=profile, oauth=oauth, switches=switches, signer=link.sign, quota_items=quota)
    register_views(app, profile=profile, db=oauth.db, link=link)
    add_test_controls(app, oauth.db, switches, timezone=JST)

    @app.post("/_test/pull")
    @loopback_only
    def test_pull() -> ResponseReturnValue:
        account = account_by_login(oauth.db.session, str(json_body().get("login_id", "")))
        if account is None:
            return bad_request("no such account")
        outcome = link.run_on_connected(account.sub)
        return jsonify(ok=outcome.ok, message=outcome.message, lines=list(outcome.lines), **dict(outcome.data))

    app.extensions["destination"] = {"profile": profile, "oauth": oauth, "link": link, "switches": switches}
    return app
