"""MyNa Portal: an OAuth-protected API shaped like マイナポータル's 自己情報取得API, for a household's children.

Plain OAuth 2.0 (no OpenID Connect); sign-in stands in for reading the マイナンバーカード. No refresh tokens:
the bank fetches the children once when the resident links. Endpoints, demo logins and test controls are in
docs/peers.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from app.peers.authserver import AuthorizationPages, PeerOAuth, client_config_from_environment, signed_in_owner
from app.peers.authserver.interaction import csrf_valid, sign_out
from app.peers.authserver.testing import Switches, add_test_controls, bad_request, json_body, loopback_only
from app.peers.base import create_peer_app
from app.peers.mynaportal import households

NAME = "mynaportal"
CLIENT_ID = "azukari"
CLIENT_NAME = "Azukari（預かり）情報銀行"
CHILDREN_SCOPE = "children"
SCOPE_LABELS = {CHILDREN_SCOPE: "世帯のうち子どもの氏名・生年月日（他の世帯員の情報と個人番号は提供されません）"}
SECRET_ENV = "MYNAPORTAL_CLIENT_SECRET"
DEV_CLIENT_SECRET = "dev-mynaportal-secret-not-for-production"
REDIRECT_URIS_ENV = "MYNAPORTAL_REDIRECT_URIS"
CALLBACK_PATH = "/household/mynaportal/callback"
API_NAME = "自己情報取得API"
DATA_SOURCE = "住民基本台帳（世帯情報）"
# Japan has no daylight saving time, so a fixed offset is Asia/Tokyo (and needs no tz database).
JST = timezone(timedelta(hours=9), "Asia/Tokyo")


def create_app(*, storage_dir: Path, redirect_uris: list[str] | None = None, client_secret: str | None = None) -> Flask:
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
        issue_refresh_tokens=False,
    )
    switches = Switches(())

    # These run at request time, after `oauth` below exists (closures see the variable, not its value now).
    def authenticate(form: Any) -> str | None:
        pin = form.get("pin", "")
        if not households.valid_pin(pin):
            return None
        household = households.authenticate(oauth.db.session, form.get("login_id", ""), pin)
        return household.sub if household else None

    def describe_owner(subject: str) -> str | None:
        household = households.household_by_sub(oauth.db.session, subject)
        return household.login_id if household else None

    oauth = PeerOAuth(
        app,
        client=client,
        scopes_supported=[CHILDREN_SCOPE],
        pages=AuthorizationPages(
            login_template="peers/mynaportal/login.html",
            consent_template="peers/mynaportal/consent.html",
            error_template="peers/mynaportal/error.html",
            authenticate=authenticate,
            describe_scopes=lambda scopes: [SCOPE_LABELS[item] for item in scopes if item in SCOPE_LABELS],
            describe_owner=describe_owner,
        ),
        models=[households.Base],
    )
    with oauth.db.transaction() as session:
        households.seed_demo_households(session)

    app.add_url_rule("/authorize", "authorize", oauth.authorize, methods=["GET", "POST"])
    app.add_url_rule("/token", "token", switches.affected(oauth.token), methods=["POST"])
    app.add_url_rule("/revoke", "revoke", oauth.revoke, methods=["POST"])

    @app.get("/.well-known/oauth-authorization-server")
    def authorization_server_metadata() -> ResponseReturnValue:
        return jsonify(oauth.server_metadata())

    @app.get("/api/v1/self-info/children")
    @switches.affected
    def children() -> ResponseReturnValue:
        with oauth.protected(CHILDREN_SCOPE) as token:
            household = households.household_by_sub(oauth.db.session, token.subject)
            if household is None:
                return jsonify(error="invalid_token"), 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            return jsonify(
                api=API_NAME,
                data_source=DATA_SOURCE,
                retrieved_at=datetime.now(JST).isoformat(timespec="seconds"),
                children=households.children_payload(household.children()),
            )

    @app.get("/")
    def index() -> ResponseReturnValue:
        owner = signed_in_owner()
        household = households.household_by_sub(oauth.db.session, owner.subject) if owner else None
        return render_template("peers/mynaportal/index.html", household=household)

    @app.post("/logout")
    def logout() -> ResponseReturnValue:
        if csrf_valid():
            sign_out()
        return redirect(url_for("index"))

    add_test_controls(app, oauth.db, switches, timezone=JST)

    @app.post("/_test/households")
    @loopback_only
    def test_create_household() -> ResponseReturnValue:
        try:
            new = _new_household_from(json_body())
        except (KeyError, TypeError, ValueError) as exc:
            return bad_request(f"bad household: {exc}")
        if households.login_id_taken(oauth.db.session, new.login_id):
            return bad_request("login_id already taken")
        household = households.create_household(oauth.db.session, new)
        oauth.db.session.commit()
        return jsonify(sub=household.sub, login_id=household.login_id), 201

    return app


def _new_household_from(body: dict[str, Any]) -> households.NewHousehold:
    """`{"login_id", "pin", "children": [{"name", "name_kana", "birth_date"}], "adults": [... "relationship"]}`."""
    login_id, pin = str(body["login_id"]).strip(), str(body["pin"])
    if not login_id or not households.valid_pin(pin):
        raise ValueError("login_id must not be empty and pin must be 4 digits")
    adults = body.get("adults") or [{"name": "試験 世帯主", "name_kana": "シケン セタイヌシ", "birth_date": "1985-01-01",
                                      "relationship": "世帯主"}]
    members = [_person(adult, adult["relationship"]) for adult in adults]
    members += [_person(child, households.CHILD) for child in body["children"]]
    if any(person.relationship == households.CHILD for person in members[: len(adults)]):
        raise ValueError("adults must not have the relationship 子")
    return households.NewHousehold(login_id=login_id, pin=pin, members=tuple(members))


def _person(entry: dict[str, Any], relationship: str) -> households.Person:
    birth_date = str(entry["birth_date"])
    datetime.strptime(birth_date, "%Y-%m-%d")  # ValueError if not an ISO date
    return households.Person(str(entry["name"]), str(entry.get("name_kana", "")), birth_date, str(relationship))
