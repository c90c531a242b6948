"""The authorization server toolkit, on a minimal OAuth peer of its own (no OpenID Connect), over real HTTP.

The rules every peer inherits are tested here once: PKCE S256 required, exact redirect URIs, error pages that
never redirect, `iss` on every authorization response, single-use short-lived codes, rotation and reuse
detection of refresh tokens, revocation, client authentication, CSRF, prompt/max_age and the test controls.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from jinja2 import ChoiceLoader, DictLoader

from app.peers import PeerSpec, peer_spec
from app.peers.authserver import AuthorizationPages, ClientConfig, PeerOAuth, client_config_from_environment
from app.peers.authserver.storage import DATABASE_FILE
from app.peers.authserver.testing import Switches, add_test_controls
from app.peers.base import create_peer_app
from app.peers.runner import serve_peers
from app.peers.smart_life_pass.health import JST
from tests.peers.oauth_helpers import HTTP_TIMEOUT, Flow, bearer_get, control, hidden_field, new_browser, query

NAME = "oauth-sample"
HOST = "127.0.0.43"
SECRET = "sample-secret"
REDIRECT_URI = "http://localhost:5999/sample/callback"
LOGIN = {"login_id": "alice", "password": "wonderland"}
ALICE = "subject-of-alice"
PAGES = {
    "login.html": '<form method="post" action="{{ form_action }}"><input type="hidden" name="csrf_token" '
                  'value="{{ csrf_token() }}"><input type="hidden" name="action" value="login">{{ login_error or "" }}</form>',
    "consent.html": '<p>{{ client_name }}: {{ scopes | join(", ") }} ({{ owner_label }})</p><form method="post" '
                    'action="{{ form_action }}"><input type="hidden" name="csrf_token" value="{{ csrf_token() }}">'
                    '<input type="hidden" name="action" value="consent"></form>',
    "error.html": "<p>error: {{ error }}</p>",
}


def create_sample_app(*, storage_dir: Path) -> Flask:
    """The toolkit and nothing else: one user, scopes `things` and `more`, refresh tokens, one resource."""
    app = create_peer_app(NAME, storage_dir=storage_dir, import_name=__name__)
    app.jinja_env.loader = ChoiceLoader([DictLoader(PAGES), app.jinja_env.loader])
    oauth = PeerOAuth(
        app,
        client=ClientConfig("azukari", SECRET, (REDIRECT_URI,), "Sample client"),
        scopes_supported=["things", "more"],
        pages=AuthorizationPages(
            login_template="login.html",
            consent_template="consent.html",
            error_template="error.html",
            authenticate=lambda form: ALICE if (form.get("login_id"), form.get("password")) == tuple(LOGIN.values()) else None,
            describe_scopes=lambda scopes: scopes,
            describe_owner=lambda subject: "Alice" if subject == ALICE else None,
        ),
    )
    app.add_url_rule("/authorize", "authorize", oauth.authorize, methods=["GET", "POST"])
    app.add_url_rule("/token", "token", oauth.token, methods=["POST"])
    app.add_url_rule("/revoke", "revoke", oauth.revoke, methods=["POST"])
    add_test_controls(app, oauth.db, Switches(()), timezone=JST)

    @app.get("/things")
    def things() -> ResponseReturnValue:
        with oauth.protected("things") as token:
            return jsonify(subject=token.subject)

    return app


SPECS = (PeerSpec(NAME, HOST, 0, f"{__name__}:create_sample_app", "OAuth toolkit sample"),)


@dataclass(frozen=True)
class Served:
    url: str
    storage: Path


@pytest.fixture(scope="module")
def peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    storage = tmp_path_factory.mktemp("peers")
    with serve_peers(SPECS, storage) as urls:
        yield Served(urls[NAME], storage / NAME)


@pytest.fixture
def flow(peer: Served) -> Flow:
    return Flow(peer.url, SECRET, REDIRECT_URI, "things more")


def tokens_for(flow: Flow) -> dict[str, Any]:
    params = flow.authorize(LOGIN)
    response = flow.exchange(params["code"])
    assert response.status_code == 200, response.text
    return response.json()


def assert_error_page(response: requests.Response) -> None:
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert response.text.startswith("<p>error:")


# -- the authorization request ---------------------------------------------------------------------------------


@pytest.mark.smoke
def test_code_flow_issues_opaque_ten_minute_tokens_and_rotating_refresh_tokens(flow: Flow) -> None:
    params = flow.authorize(LOGIN)
    assert params["state"] == flow.state
    assert params["iss"] == flow.base_url, "RFC 9207"
    response = flow.exchange(params["code"])
    assert response.headers["Cache-Control"] == "no-store"
    token = response.json()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 600 and token["scope"] == "things more"
    assert "." not in token["access_token"], "opaque, not a JWT"
    assert "id_token" not in token, "no OpenID Connect without an ID token issuer"
    assert bearer_get(f"{flow.base_url}/things", token["access_token"]).json() == {"subject": ALICE}

    refreshed = flow.refresh(token["refresh_token"]).json()
    assert refreshed["refresh_token"] != token["refresh_token"]
    assert refreshed["access_token"] != token["access_token"]
    assert bearer_get(f"{flow.base_url}/things", refreshed["access_token"]).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "description"),
    [
        ({"code_challenge": None, "code_challenge_method": None}, "PKCE is required"),
        ({"code_challenge_method": None}, "must be S256"),
        ({"code_challenge_method": "plain"}, "must be S256"),
        ({"scope": "things unknown"}, None),
        ({"response_type": "token"}, None),
    ],
)
def test_bad_requests_from_a_known_client_redirect_with_an_error_and_iss(
    flow: Flow, overrides: dict[str, str | None], description: str | None
) -> None:
    response = flow.get(flow.authorize_url(**overrides))
    assert response.status_code == 302
    params = query(response.headers["Location"])
    assert response.headers["Location"].startswith(REDIRECT_URI + "?")
    assert params["error"] in {"invalid_request", "invalid_scope", "unsupported_response_type"}
    assert params["state"] == flow.state
    assert params["iss"] == flow.base_url
    if description:
        assert description in params["error_description"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"redirect_uri": REDIRECT_URI + "/"},
        {"redirect_uri": REDIRECT_URI.upper()},
        {"redirect_uri": REDIRECT_URI + "?next=x"},
        {"redirect_uri": "https://attacker.example/callback"},
        {"redirect_uri": None},
        {"client_id": "someone-else"},
        {"client_id": None},
    ],
)
def test_an_unverifiable_client_or_redirect_uri_gets_an_error_page_and_no_redirect(
    flow: Flow, overrides: dict[str, str | None]
) -> None:
    assert_error_page(flow.get(flow.authorize_url(**overrides)))
    # Also after signing in: the check is repeated on every step.
    page = flow.get(flow.authorize_url())
    response = flow.browser.post(flow.authorize_url(**overrides), data={"csrf_token": hidden_field(page.text, "csrf_token"),
                                 "action": "login", **LOGIN}, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert_error_page(response)


def test_deny_redirects_with_access_denied_state_and_iss(flow: Flow) -> None:
    params = flow.authorize(LOGIN, decision="deny")
    assert params == {"error": "access_denied", "error_description": params["error_description"],
                      "state": flow.state, "iss": flow.base_url}


def test_forms_without_the_csrf_token_are_refused(flow: Flow) -> None:
    page = flow.get(flow.authorize_url())
    for token in ("", "forged"):
        response = flow.browser.post(flow.authorize_url(), data={"csrf_token": token, "action": "login", **LOGIN},
                                     allow_redirects=False, timeout=HTTP_TIMEOUT)
        assert_error_page(response)
    consent = flow.submit(page, **LOGIN)
    response = flow.browser.post(flow.authorize_url(), data={"action": "consent", "decision": "allow"},
                                 allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert_error_page(response)
    assert flow.submit(consent, decision="allow").status_code == 302


def test_wrong_credentials_show_the_sign_in_page_again(flow: Flow) -> None:
    page = flow.get(flow.authorize_url())
    again = flow.submit(page, login_id="alice", password="wrong")
    assert again.status_code == 200
    assert hidden_field(again.text, "action") == "login"
    assert "正しくありません" in again.text


def test_the_peer_remembers_the_sign_in_until_prompt_or_max_age_ask_again(flow: Flow) -> None:
    flow.authorize(LOGIN)
    assert hidden_field(flow.get(flow.authorize_url()).text, "action") == "consent"
    assert hidden_field(flow.get(flow.authorize_url(max_age="3600")).text, "action") == "consent"
    for overrides in ({"prompt": "login"}, {"max_age": "0"}):
        page = flow.get(flow.authorize_url(**overrides))
        assert hidden_field(page.text, "action") == "login", overrides
        # Signing in again satisfies this request: consent follows, and a code comes back.
        assert "code" in flow.authorize(LOGIN, **overrides)
    response = flow.get(flow.authorize_url(prompt="none"))
    assert query(response.headers["Location"])["error"] == "consent_required"
    assert query(new_browser().get(flow.authorize_url(prompt="none"), allow_redirects=False).headers["Location"])[
        "error"] == "login_required"
    response = flow.get(flow.authorize_url(max_age="soon"))
    assert query(response.headers["Location"])["error"] == "invalid_request"


# -- the token endpoint ----------------------------------------------------------------------------------------


def test_client_secret_basic_and_post_both_work_and_a_wrong_secret_does_not(flow: Flow) -> None:
    assert flow.exchange(flow.authorize(LOGIN)["code"], auth="post").status_code == 200
    code = flow.authorize(LOGIN)["code"]
    wrong = Flow(flow.base_url, "not-the-secret", REDIRECT_URI, "things", browser=flow.browser)
    response = wrong.exchange(code, verifier=flow.verifier)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    anonymous = requests.post(f"{flow.base_url}/token", data={"grant_type": "authorization_code", "code": code,
                              "redirect_uri": REDIRECT_URI, "client_id": "azukari", "code_verifier": flow.verifier},
                              timeout=HTTP_TIMEOUT)
    assert anonymous.json()["error"] == "invalid_client", "no public clients"
    assert flow.exchange(code).status_code == 200, "failed client authentication does not burn the code"


def test_pkce_verifier_is_required_and_checked(flow: Flow) -> None:
    code = flow.authorize(LOGIN)["code"]
    assert flow.exchange(code, verifier="").json()["error"] == "invalid_request"
    assert flow.exchange(code, verifier="x" * 43).json()["error"] == "invalid_grant"
    assert flow.exchange(code).status_code == 200


def test_the_redirect_uri_must_match_at_the_token_endpoint(flow: Flow) -> None:
    code = flow.authorize(LOGIN)["code"]
    response = flow.token({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI + "/",
                           "code_verifier": flow.verifier})
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.smoke
def test_a_replayed_code_fails_and_revokes_what_it_issued(flow: Flow) -> None:
    code = flow.authorize(LOGIN)["code"]
    token = flow.exchange(code).json()
    replay = flow.exchange(code)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert bearer_get(f"{flow.base_url}/things", token["access_token"]).status_code == 401
    assert flow.refresh(token["refresh_token"]).json()["error"] == "invalid_grant"


def test_codes_expire_after_a_minute(flow: Flow, peer: Served) -> None:
    code = flow.authorize(LOGIN)["code"]
    _age_everything(peer, "oauth_authorization_code", "expires_at", 61)
    assert flow.exchange(code).json()["error"] == "invalid_grant"


def test_access_tokens_expire(flow: Flow, peer: Served) -> None:
    token = tokens_for(flow)
    _age_everything(peer, "oauth_token", "issued_at", 601)
    response = bearer_get(f"{flow.base_url}/things", token["access_token"])
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert flow.refresh(token["refresh_token"]).status_code == 200, "the refresh token outlives the access token"


def test_reusing_a_rotated_refresh_token_revokes_the_family(flow: Flow) -> None:
    first = tokens_for(flow)
    second = flow.refresh(first["refresh_token"]).json()
    reuse = flow.refresh(first["refresh_token"])
    assert reuse.json()["error"] == "invalid_grant"
    assert bearer_get(f"{flow.base_url}/things", second["access_token"]).status_code == 401
    assert flow.refresh(second["refresh_token"]).json()["error"] == "invalid_grant"


def test_refresh_cannot_widen_the_scope(flow: Flow) -> None:
    flow.scope = "things"
    token = tokens_for(flow)
    response = flow.token({"grant_type": "refresh_token", "refresh_token": token["refresh_token"], "scope": "things more"})
    assert response.json()["error"] == "invalid_scope"


# -- resources and revocation ----------------------------------------------------------------------------------


def test_resources_answer_with_rfc6750_challenges(flow: Flow) -> None:
    missing = requests.get(f"{flow.base_url}/things", timeout=HTTP_TIMEOUT)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
    assert bearer_get(f"{flow.base_url}/things", "made-up").status_code == 401
    flow.scope = "more"
    token = tokens_for(flow)
    forbidden = bearer_get(f"{flow.base_url}/things", token["access_token"])
    assert forbidden.status_code == 403
    assert forbidden.headers["WWW-Authenticate"].startswith('Bearer error="insufficient_scope"')
    assert 'scope="things"' in forbidden.headers["WWW-Authenticate"]


def test_revoking_an_access_token(flow: Flow) -> None:
    token = tokens_for(flow)
    assert flow.revoke(token["access_token"], "access_token").status_code == 200
    assert bearer_get(f"{flow.base_url}/things", token["access_token"]).status_code == 401
    assert flow.refresh(token["refresh_token"]).status_code == 200, "the refresh token stays"


@pytest.mark.smoke
def test_revoking_a_refresh_token_revokes_its_access_tokens(flow: Flow) -> None:
    first = tokens_for(flow)
    second = flow.refresh(first["refresh_token"]).json()
    assert flow.revoke(second["refresh_token"]).status_code == 200
    for access_token in (first["access_token"], second["access_token"]):
        assert bearer_get(f"{flow.base_url}/things", access_token).status_code == 401
    assert flow.refresh(second["refresh_token"]).json()["error"] == "invalid_grant"


def test_revocation_needs_client_authentication_and_ignores_unknown_tokens(flow: Flow) -> None:
    token = tokens_for(flow)
    anonymous = requests.post(f"{flow.base_url}/revoke", data={"token": token["access_token"]}, timeout=HTTP_TIMEOUT)
    assert anonymous.status_code == 401
    assert bearer_get(f"{flow.base_url}/things", token["access_token"]).status_code == 200
    assert flow.revoke("never-issued").status_code == 200, "RFC 7009 §2.2"


def test_the_tokens_control_shows_what_was_revoked(flow: Flow) -> None:
    before = len(control("GET", f"{flow.base_url}/_test/tokens"))
    token = tokens_for(flow)
    flow.revoke(token["refresh_token"], "refresh_token")
    rows = control("GET", f"{flow.base_url}/_test/tokens")
    assert len(rows) == before + 1
    assert rows[-1]["sub"] == ALICE and rows[-1]["client_id"] == "azukari" and rows[-1]["scope"] == "things more"
    assert rows[-1]["access_token_revoked"] is True and rows[-1]["refresh_token_revoked"] is True
    assert rows[-1]["issued_at"].endswith("+09:00")


# -- configuration and controls, without a server ----------------------------------------------------------------


@pytest.mark.smoke
def test_client_config_comes_from_arguments_then_environment_then_defaults() -> None:
    common = {"client_id": "azukari", "display_name": "x", "secret_env": "S", "default_secret": "dev",
              "redirect_uris_env": "R", "callback_path": "/cb"}
    config = client_config_from_environment(**common, environ={})
    assert (config.client_secret, config.redirect_uris) == ("dev", ("http://localhost:5000/cb",))
    config = client_config_from_environment(**common, environ={"PUBLIC_URL": "https://bank.example/", "S": "env"})
    assert (config.client_secret, config.redirect_uris) == ("env", ("https://bank.example/cb",))
    config = client_config_from_environment(**common, environ={"R": "http://a/cb  http://b/cb", "S": "env"})
    assert config.redirect_uris == ("http://a/cb", "http://b/cb")
    config = client_config_from_environment(**common, client_secret="arg", redirect_uris=["http://c/cb"],
                                            environ={"R": "http://a/cb", "S": "env"})
    assert (config.client_secret, config.redirect_uris) == ("arg", ("http://c/cb",))


def test_test_controls_answer_loopback_json_only(tmp_path: Path) -> None:
    client = create_sample_app(storage_dir=tmp_path).test_client()
    assert client.get("/_test/tokens", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 404
    assert client.get("/_test/tokens", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    assert client.post("/_test/switches", data="misbehave=slow").status_code == 415
    assert client.post("/_test/switches", json={"misbehave": "wrong_iss"}).status_code == 400, "not this peer's mode"
    assert client.post("/_test/switches", json={"slow_seconds": -1}).status_code == 400
    assert client.post("/_test/switches", json={"misbehave": "slow", "slow_seconds": 1}).get_json()["misbehave"] == "slow"
    assert client.delete("/_test/switches").get_json()["misbehave"] is None


@pytest.mark.timeout(60)
def test_the_runner_serves_both_oauth_peers_and_stops_on_sigint(tmp_path: Path) -> None:
    env = {**os.environ, "AZUKARI_ENV": "test", "PEERS_STORAGE": str(tmp_path), "PEER_PORT": "0"}
    process = subprocess.Popen([sys.executable, "-m", "app.peers.runner", "--only", "smart-life-pass", "mynaportal"],
                               cwd=Path(__file__).resolve().parents[2], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(2)]
        for line, name in zip(lines, ["smart-life-pass", "mynaportal"], strict=True):
            assert line.startswith(f"{name}: {peer_spec(name).base_url.rsplit(':', 1)[0]}:"), line
            url = line.split(": ", 1)[1].strip()
            assert requests.get(f"{url}/healthz", timeout=HTTP_TIMEOUT).json() == {"peer": name, "status": "ok"}
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(HTTP_TIMEOUT)
        if process.stdout is not None:
            process.stdout.close()


def _age_everything(peer: Served, table: str, column: str, seconds: int) -> None:
    """Move a timestamp of every row back, in the served peer's own SQLite file, instead of waiting."""
    with sqlite3.connect(peer.storage / DATABASE_FILE) as connection:
        connection.execute(f"UPDATE {table} SET {column} = {column} - ?", (seconds,))  # noqa: S608 - fixed names
    connection.close()
