"""A stand-in for the bank's side of docs/oauth.md, to test the recipient peers over real HTTP on their own.

It follows the contract where a recipient can tell: RFC 8414 metadata; an authorization endpoint that answers at
once as if a resident had decided (`/_fake/next` says who and what); a token endpoint that accepts only
private_key_jwt (verified with PyJWT against the client's `jwks_uri`: ES256, iss = sub = client, aud = issuer,
a jti used once, at most ten minutes) and PKCE S256, with rotating refresh tokens and reuse detection; the
resource API with pairwise subjects, 401/403 as RFC 6750; notices deduplicated by the sender's id. State is in
memory. The real bank (app/oauth) is tested against the same peers by the integration tests.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
import requests
from flask import Flask, Response, current_app, jsonify, redirect, request

from app.peers import PeerSpec
from app.peers.base import create_peer_app

NAME = "fake-bank"
HOST = "127.0.0.44"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ACCESS_TOKEN_SECONDS = 300
REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "jti"]

RESIDENTS: dict[str, dict[str, Any]] = {
    "hanako": {"children_count": 3, "age_bands": ["0-2", "3-5", "elementary"], "town_group": "kashiwanoha_pilot"},
    "yoko": {"children_count": 1, "age_bands": ["3-5"], "town_group": "nagareyama_ring"},
    "ken": {"children_count": 1, "age_bands": ["junior_high"], "town_group": "kashiwa_other"},
    "emily": {"children_count": 2, "age_bands": ["3-5", "elementary"], "town_group": "kashiwanoha_ring"},
    "sora": {"children_count": 1, "age_bands": ["0-2"], "town_group": "kashiwa_other"},
    "taro": {"children_count": 1, "age_bands": ["elementary"], "town_group": None},
}


class FakeBankState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.clients: dict[str, dict[str, Any]] = {}
        self.next: dict[str, Any] = {"resident": "hanako", "decision": "allow"}
        self.switches: dict[str, Any] = {"down": False, "metadata_issuer": None}
        self.codes: dict[str, dict[str, Any]] = {}
        self.access: dict[str, dict[str, Any]] = {}
        self.refresh: dict[str, dict[str, Any]] = {}
        self.revoked_families: set[str] = set()
        self.withdrawn: set[tuple[str, str]] = set()  # (recipient, resident)
        self.notices: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.jtis: set[str] = set()
        self.assertions: list[dict[str, Any]] = []
        self.events: list[str] = []  # what was called, in order: "me", "refresh", "notice", "revoke", "code" …


def pairwise(recipient: str, resident: str) -> str:
    return hashlib.sha256(f"{recipient}:{resident}".encode()).hexdigest()[:40]


def _oauth_error(error: str, status: int = 400) -> tuple[Response, int]:
    return jsonify(error=error), status


def _bearer_error(error: str, status: int) -> tuple[Response, int, dict[str, str]]:
    return jsonify(error=error), status, {"WWW-Authenticate": f'Bearer error="{error}"'}


def create_app(*, storage_dir: Path) -> Flask:
    app = create_peer_app(NAME, storage_dir=storage_dir, secret_key="fake-bank-" + "x" * 32, import_name=__name__)
    state = FakeBankState()
    app.extensions["fake_bank"] = state

    def issuer() -> str:
        return str(current_app.config["PEER_BASE_URL"])

    @app.before_request
    def _down() -> Any:
        if state.switches["down"] and not request.path.startswith(("/_fake/", "/healthz")):
            return Response("<html>503 Service Unavailable</html>", 503, content_type="text/html")
        return None

    @app.get("/.well-known/oauth-authorization-server")
    def metadata() -> Any:
        base = issuer()
        return jsonify(issuer=state.switches["metadata_issuer"] or base,
                       authorization_endpoint=f"{base}/oauth/authorize", token_endpoint=f"{base}/oauth/token",
                       revocation_endpoint=f"{base}/oauth/revoke",
                       token_endpoint_auth_methods_supported=["private_key_jwt"],
                       token_endpoint_auth_signing_alg_values_supported=["ES256", "PS256"],
                       code_challenge_methods_supported=["S256"], response_types_supported=["code"],
                       authorization_response_iss_parameter_supported=True)

    @app.get("/oauth/authorize")
    def authorize() -> Any:
        args = request.args
        client = state.clients.get(args.get("client_id", ""))
        if client is None or args.get("redirect_uri") not in client["redirect_uris"]:
            return "unknown client or redirect_uri", 400
        back = {"state": args.get("state", ""), "iss": state.next.get("iss") or issuer()}
        if args.get("response_type") != "code" or args.get("code_challenge_method") != "S256" \
                or not args.get("code_challenge"):
            return redirect(f"{args['redirect_uri']}?{urlencode({**back, 'error': 'invalid_request'})}", 303)
        asked = args.get("scope", "").split()
        if not set(asked) <= set(client["scopes"]):
            return redirect(f"{args['redirect_uri']}?{urlencode({**back, 'error': 'invalid_scope'})}", 303)
        if state.next.get("decision") != "allow":
            return redirect(f"{args['redirect_uri']}?{urlencode({**back, 'error': 'access_denied'})}", 303)
        granted = [scope for scope in asked if scope not in state.next.get("untick", [])]
        code = secrets.token_urlsafe(24)
        with state.lock:
            state.codes[code] = {"client_id": args["client_id"], "redirect_uri": args["redirect_uri"],
                                 "challenge": args["code_challenge"], "scope": " ".join(granted),
                                 "resident": state.next["resident"], "expires": time.time() + 60, "used": False}
        return redirect(f"{args['redirect_uri']}?{urlencode({**back, 'code': code})}", 303)

    def authenticate_client() -> dict[str, Any] | None:
        form = request.form
        if form.get("client_assertion_type") != ASSERTION_TYPE or "client_secret" in form:
            return None
        assertion = form.get("client_assertion", "")
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
            client = state.clients[unverified["sub"]]
            jwks = requests.get(client["jwks_uri"], timeout=5).json()
            key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(assertion)["kid"]]
            claims = jwt.decode(assertion, key.key, algorithms=["ES256", "PS256"], audience=issuer(),
                                issuer=client["client_id"], options={"require": REQUIRED_CLAIMS})
        except (jwt.PyJWTError, KeyError, ValueError, requests.RequestException):
            return None
        with state.lock:
            if claims["sub"] != client["client_id"] or claims["jti"] in state.jtis:
                return None
            if claims["exp"] - claims["iat"] > 600 or claims["iat"] > time.time() + 60:
                return None
            state.jtis.add(claims["jti"])
            state.assertions.append({"header": jwt.get_unverified_header(assertion), "claims": claims})
        return client

    def issue(client: dict[str, Any], resident: str, scope: str, family: str) -> dict[str, Any]:
        access, refresh_token = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
        entry = {"client_id": client["client_id"], "resident": resident, "scope": scope, "family": family}
        state.access[access] = {**entry, "expires": time.time() + ACCESS_TOKEN_SECONDS}
        state.refresh[refresh_token] = {**entry, "rotated": False}
        return {"access_token": access, "token_type": "Bearer", "expires_in": ACCESS_TOKEN_SECONDS,
                "refresh_token": refresh_token, "scope": scope}

    @app.post("/oauth/token")
    def token() -> Any:
        client = authenticate_client()
        if client is None:
            return _oauth_error("invalid_client", 401)
        form = request.form
        with state.lock:
            if form.get("grant_type") == "authorization_code":
                state.events.append("code")
                code = state.codes.get(form.get("code", ""))
                if code is None or code["used"] or code["expires"] < time.time() \
                        or code["client_id"] != client["client_id"]:
                    return _oauth_error("invalid_grant")
                code["used"] = True
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if form.get("redirect_uri") != code["redirect_uri"] or challenge != code["challenge"]:
                    return _oauth_error("invalid_grant")
                return jsonify(issue(client, code["resident"], code["scope"], secrets.token_hex(8)))
            if form.get("grant_type") == "refresh_token":
                state.events.append("refresh" + (" with scope" if "scope" in form else ""))
                old = state.refresh.get(form.get("refresh_token", ""))
                if old is None or old["client_id"] != client["client_id"] or old["family"] in state.revoked_families:
                    return _oauth_error("invalid_grant")
                if old["rotated"]:  # reuse: the whole family goes
                    state.revoked_families.add(old["family"])
                    return _oauth_error("invalid_grant")
                if "scope" in form and not set(form["scope"].split()) <= set(old["scope"].split()):
                    return _oauth_error("invalid_scope")
                old["rotated"] = True
                return jsonify(issue(client, old["resident"], old["scope"], old["family"]))
        return _oauth_error("unsupported_grant_type")

    @app.post("/oauth/revoke")
    def revoke() -> Any:
        if authenticate_client() is None:
            return _oauth_error("invalid_client", 401)
        with state.lock:
            state.events.append("revoke")
            entry = state.refresh.get(request.form.get("token", "")) or state.access.get(request.form.get("token", ""))
            if entry is not None:
                state.revoked_families.add(entry["family"])
        return "", 200

    def bearer() -> tuple[dict[str, Any] | None, Any]:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None, (jsonify(error="invalid_request"), 401, {"WWW-Authenticate": "Bearer"})
        entry = state.access.get(header.removeprefix("Bearer "))
        if entry is None or entry["expires"] < time.time() or entry["family"] in state.revoked_families:
            return None, _bearer_error("invalid_token", 401)
        client = state.clients[entry["client_id"]]
        if (client["recipient"], entry["resident"]) in state.withdrawn:
            return None, _bearer_error("consent_required", 403)
        return {**entry, "client": client}, None

    @app.get("/api/v1/me")
    def me() -> Any:
        with state.lock:
            state.events.append("me")
            entry, refusal = bearer()
            if entry is None:
                return refusal
            client = entry["client"]
            items = {key: value for key, value in RESIDENTS[entry["resident"]].items() if key in entry["scope"].split()}
            record = sum(event == "me" for event in state.events)
            return jsonify(sub=pairwise(client["recipient"], entry["resident"]), recipient=client["recipient"],
                           purpose=client["purpose"], items=items, withheld=[], record=record,
                           provided_at=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()))

    @app.post("/api/v1/notices")
    def notices() -> Any:
        with state.lock:
            state.events.append("notice")
            entry, refusal = bearer()
            if entry is None:
                return refusal
            if "notices" not in entry["scope"].split():
                return _bearer_error("insufficient_scope", 403)
            body = request.get_json(silent=True) or {}
            link = body.get("link") or ""
            parts = urlsplit(link)
            loopback = parts.scheme == "http" and (parts.hostname or "").startswith(("127.", "localhost"))
            title, text = body.get("title", ""), body.get("body", "")
            if not body.get("id") or not 0 < len(title) <= 120 or not 0 < len(text) <= 2000 \
                    or (link and parts.scheme != "https" and not loopback):
                return jsonify(error="invalid_request"), 400
            key = (entry["client_id"], entry["resident"], body["id"])
            if key in state.notices:
                return jsonify(id=state.notices[key]["uuid"]), 200
            state.notices[key] = {**body, "uuid": secrets.token_hex(16), "resident": entry["resident"],
                                  "client_id": entry["client_id"]}
            return jsonify(id=state.notices[key]["uuid"]), 201

    # -- controls ----------------------------------------------------------------------------------------------

    @app.post("/_fake/clients")
    def register_client() -> Any:
        body = request.get_json()
        state.clients[body["client_id"]] = body
        return jsonify(ok=True)

    @app.post("/_fake/next")
    def next_authorization() -> Any:
        state.next = request.get_json()
        return jsonify(ok=True)

    @app.post("/_fake/switches")
    def switches() -> Any:
        state.switches.update(request.get_json())
        return jsonify(state.switches)

    @app.post("/_fake/withdraw")
    def withdraw() -> Any:
        """The resident withdraws consent: tokens die with it (as the contract says) unless `keep_tokens`."""
        body = request.get_json()
        with state.lock:
            state.withdrawn.add((body["recipient"], body["resident"]))
            if not body.get("keep_tokens"):
                for entry in state.access.values():
                    if state.clients[entry["client_id"]]["recipient"] == body["recipient"] \
                            and entry["resident"] == body["resident"]:
                        state.revoked_families.add(entry["family"])
        return jsonify(ok=True)

    @app.post("/_fake/expire")
    def expire() -> Any:
        with state.lock:
            for entry in state.access.values():
                entry["expires"] = 0
        return jsonify(ok=True)

    @app.get("/_fake/state")
    def show() -> Any:
        with state.lock:
            return jsonify(events=state.events, assertions=state.assertions,
                           notices=[{**notice, "key": list(key)} for key, notice in state.notices.items()],
                           codes=[{"used": code["used"], "resident": code["resident"]}
                                  for code in state.codes.values()])

    __import__("tests.peers.fake_bank_transfers", fromlist=["_"]).add_transfer_routes(app, state)
    __import__("tests.peers.fake_bank_intake", fromlist=["_"]).add_intake_routes(app)
    return app


SPECS: tuple[PeerSpec, ...] = (PeerSpec(NAME, HOST, 0, f"{__name__}:create_app", "The bank's contract, faked"),)
