"""Smart Life Pass: the OpenID Connect provider residents sign in with, and Dot to Dot's health score API.

Endpoints, demo users and test controls are documented in docs/peers.md.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from joserfc.jwk import RSAKey

from app.peers.authserver import (
    AuthorizationPages,
    IdTokenIssuer,
    PeerOAuth,
    client_config_from_environment,
    issuer_url,
    signed_in_owner,
)
from app.peers.authserver.interaction import csrf_valid, sign_out
from app.peers.authserver.openid import load_or_create_signing_key, public_jwks
from app.peers.authserver.testing import Switches, add_test_controls, bad_request, json_body, loopback_only
from app.peers.base import create_peer_app, peer_storage
from app.peers.smart_life_pass import health, users

NAME = "smart-life-pass"
CLIENT_ID = "azukari"
CLIENT_NAME = "Azukari（預かり）情報銀行"
HEALTH_SCORE_SCOPE = "dot2dot.health_score"
SCOPES = ("openid", "profile", "email", "address", HEALTH_SCORE_SCOPE)
CLAIMS = ("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
          "name", "family_name", "given_name", "email", "email_verified", "address")
SCOPE_LABELS = {
    "openid": "Smart Life Pass の利用者であること（利用者ID）",
    "profile": "氏名",
    "email": "メールアドレス",
    "address": "住所",
    HEALTH_SCORE_SCOPE: "カロママプラスの健康スコア（Dot to Dot）",
}
# ID token misbehaviours, on top of the shared `slow` and `garbage`.
ID_TOKEN_MODES = ("wrong_iss", "wrong_aud", "wrong_nonce", "expired_id_token", "bad_signature")
SECRET_ENV = "SMART_LIFE_PASS_CLIENT_SECRET"
DEV_CLIENT_SECRET = "dev-smart-life-pass-secret-not-for-production"
REDIRECT_URIS_ENV = "SMART_LIFE_PASS_REDIRECT_URIS"
CALLBACK_PATH = "/auth/smart-life-pass/callback"
WRONG_ISSUER = "http://127.0.0.254:5100"
WRONG_AUDIENCE = "someone-else"


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
    )
    switches = Switches(ID_TOKEN_MODES)
    signing_key = load_or_create_signing_key(peer_storage(app))
    tamper = _IdTokenTamper(switches, signing_key)

    # These run at request time, after `oauth` below exists (closures see the variable, not its value now).
    def claims_for(subject: str, scopes: Any) -> dict[str, Any]:
        return users.id_token_claims(users.user_by_sub(oauth.db.session, subject), scopes)

    def authenticate(form: Any) -> str | None:
        user = users.authenticate(oauth.db.session, form.get("login_id", ""), form.get("password", ""))
        return user.sub if user else None

    def describe_owner(subject: str) -> str | None:
        user = users.user_by_sub(oauth.db.session, subject)
        return f"{user.name}（{user.email}）" if user else None

    oauth = PeerOAuth(
        app,
        client=client,
        scopes_supported=SCOPES,
        pages=AuthorizationPages(
            login_template="peers/smart_life_pass/login.html",
            consent_template="peers/smart_life_pass/consent.html",
            error_template="peers/smart_life_pass/error.html",
            authenticate=authenticate,
            describe_scopes=_describe_scopes,
            describe_owner=describe_owner,
        ),
        id_tokens=IdTokenIssuer(issuer=issuer_url, signing_key=signing_key, user_claims=claims_for, tamper=tamper),
        models=[users.Base],
    )
    with oauth.db.transaction() as session:
        users.seed_demo_users(session)

    app.add_url_rule("/authorize", "authorize", oauth.authorize, methods=["GET", "POST"])
    app.add_url_rule("/token", "token", switches.affected(oauth.token), methods=["POST"])
    app.add_url_rule("/revoke", "revoke", oauth.revoke, methods=["POST"])

    @app.get("/.well-known/openid-configuration")
    def openid_configuration() -> ResponseReturnValue:
        issuer = issuer_url()
        return jsonify(
            oauth.server_metadata(
                userinfo_endpoint=f"{issuer}/userinfo",
                jwks_uri=f"{issuer}/jwks.json",
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                claims_supported=list(CLAIMS),
                prompt_values_supported=["none", "login", "consent"],
                claims_parameter_supported=False,
                request_parameter_supported=False,
            )
        )

    @app.get("/jwks.json")
    def jwks() -> ResponseReturnValue:
        return jsonify(public_jwks(signing_key))

    @app.route("/userinfo", methods=["GET", "POST"])
    @switches.affected
    def userinfo() -> ResponseReturnValue:
        with oauth.protected("openid") as token:
            user = users.user_by_sub(oauth.db.session, token.subject)
            if user is None:
                return jsonify(error="invalid_token"), 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            return jsonify(users.userinfo_claims(user, token.scope.split()))

    @app.get("/dot2dot/v1/health-scores")
    @switches.affected
    def health_scores() -> ResponseReturnValue:
        with oauth.protected(HEALTH_SCORE_SCOPE) as token:
            days = request.args.get("days", str(health.DEFAULT_DAYS))
            if not days.isdigit() or not 1 <= int(days) <= health.MAX_DAYS:
                return jsonify(error="invalid_request", error_description=f"days must be 1 to {health.MAX_DAYS}"), 400
            return jsonify(health.health_scores(token.subject, int(days)))

    @app.get("/")
    def index() -> ResponseReturnValue:
        owner = signed_in_owner()
        user = users.user_by_sub(oauth.db.session, owner.subject) if owner else None
        return render_template("peers/smart_life_pass/index.html", user=user)

    @app.post("/logout")
    def logout() -> ResponseReturnValue:
        if csrf_valid():
            sign_out()
        return redirect(url_for("index"))

    add_test_controls(app, oauth.db, switches, timezone=health.JST)

    @app.post("/_test/users")
    @loopback_only
    def test_create_user() -> ResponseReturnValue:
        try:
            new = _new_user_from(json_body())
        except (KeyError, TypeError, ValueError) as exc:
            return bad_request(f"bad user: {exc}")
        if users.login_id_taken(oauth.db.session, new.login_id or new.email):
            return bad_request("login_id already taken")
        user = users.create_user(oauth.db.session, new)
        oauth.db.session.commit()
        return jsonify(sub=user.sub, login_id=user.login_id), 201

    return app


def _describe_scopes(scopes: list[str]) -> list[str]:
    # 「氏名・メールアドレス」 as one line when both are asked for, as the provider's page has always shown them.
    lines = [SCOPE_LABELS[item] for item in scopes if item in SCOPE_LABELS]
    if "profile" in scopes and "email" in scopes:
        lines[lines.index(SCOPE_LABELS["profile"])] = "氏名・メールアドレス"
        lines.remove(SCOPE_LABELS["email"])
    return lines


def _new_user_from(body: dict[str, Any]) -> users.NewUser:
    email, password, name = (str(body[key]).strip() for key in ("email", "password", "name"))
    if not email or not password or not name:
        raise ValueError("email, password and name must not be empty")
    family_name, _, given_name = name.partition(" ")
    address = body["address"]
    if not isinstance(address, dict):
        raise TypeError("address must be an object")
    return users.NewUser(
        email=email,
        password=password,
        family_name=str(body.get("family_name") or family_name),
        given_name=str(body.get("given_name") or given_name),
        name=name,
        address={field: str(address[field]) for field in users.ADDRESS_FIELDS},
        login_id=str(body["login_id"]).strip() if body.get("login_id") else None,
    )


class _IdTokenTamper:
    """Breaks ID tokens the way the switch says: each mode is one check a careful client must make."""

    def __init__(self, switches: Switches, signing_key: RSAKey) -> None:
        self.switches = switches
        self.signing_key = signing_key
        self._impostor: RSAKey | None = None
        self._lock = threading.Lock()

    def __call__(
        self, header: dict[str, Any], claims: dict[str, Any], key: RSAKey
    ) -> tuple[dict[str, Any], dict[str, Any], RSAKey]:
        mode = self.switches.mode
        if mode == "wrong_iss":
            claims["iss"] = WRONG_ISSUER
        elif mode == "wrong_aud":
            claims["aud"] = WRONG_AUDIENCE
        elif mode == "wrong_nonce":
            claims["nonce"] = secrets.token_urlsafe(16)
        elif mode == "expired_id_token":
            claims["iat"] -= 3600
            claims["exp"] -= 3600
        elif mode == "bad_signature":
            # Same kid as the real key, so only checking the signature itself catches it.
            key = self._impostor_key()
        return header, claims, key

    def _impostor_key(self) -> RSAKey:
        with self._lock:
            if self._impostor is None:
                self._impostor = RSAKey.generate_key(2048, parameters={"kid": self.signing_key.kid}, private=True)
            return self._impostor
