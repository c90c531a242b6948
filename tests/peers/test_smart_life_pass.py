"""Smart Life Pass over real HTTP: discovery, sign-in and consent pages, ID tokens, userinfo, Dot to Dot, the
demo users and every misbehaviour switch. The OAuth rules it shares with every peer are in test_authserver.py."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from joserfc.errors import BadSignatureError

from app.peers.authserver.storage import DATABASE_FILE
from app.peers.smart_life_pass import create_app
from app.peers.smart_life_pass.health import JST
from app.peers.smart_life_pass.users import DEMO_USERS
from tests.peers.oauth_helpers import (
    HTTP_TIMEOUT,
    SLP_REDIRECT_URI,
    SLP_SECRET,
    Flow,
    bearer_get,
    control,
    decode_id_token,
    hidden_field,
    serve,
)

ALL_SCOPES = "openid profile email address dot2dot.health_score"
HANAKO = {"login_id": "hanako@example.jp", "password": "slp-hanako-2026"}
HANAKO_ADDRESS = {
    "postal_code": "277-0882",
    "region": "千葉県",
    "locality": "柏市",
    "town": "柏の葉二丁目",
    "block": "3番地1",
    "street_address": "柏の葉二丁目3番地1",
    "country": "JP",
    "formatted": "〒277-0882 千葉県柏市柏の葉二丁目3番地1",
}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    factory = "tests.peers.oauth_helpers:smart_life_pass_app"
    with serve("smart-life-pass", "127.0.0.2", factory, tmp_path_factory.mktemp("peers")) as url:
        yield url


@pytest.fixture(autouse=True)
def _reset_switches(base_url: str) -> Iterator[None]:
    yield
    control("DELETE", f"{base_url}/_test/switches")


@pytest.fixture(scope="module")
def jwks(base_url: str) -> dict[str, Any]:
    return requests.get(f"{base_url}/jwks.json", timeout=HTTP_TIMEOUT).json()


def new_flow(base_url: str, scope: str = ALL_SCOPES) -> Flow:
    return Flow(base_url, SLP_SECRET, SLP_REDIRECT_URI, scope)


def sign_in_and_get_tokens(flow: Flow, login: dict[str, str] = HANAKO) -> dict[str, Any]:
    params = flow.authorize(login)
    response = flow.exchange(params["code"])
    assert response.status_code == 200, response.text
    return response.json()


def misbehave(base_url: str, mode: str, **extra: Any) -> None:
    state = control("POST", f"{base_url}/_test/switches", {"misbehave": mode, **extra})
    assert state["misbehave"] == mode


@pytest.mark.smoke
def test_discovery_document(base_url: str) -> None:
    config = requests.get(f"{base_url}/.well-known/openid-configuration", timeout=HTTP_TIMEOUT).json()
    assert config["issuer"] == base_url
    for name, path in [("authorization_endpoint", "/authorize"), ("token_endpoint", "/token"),
                       ("userinfo_endpoint", "/userinfo"), ("jwks_uri", "/jwks.json"), ("revocation_endpoint", "/revoke")]:
        assert config[name] == base_url + path
    assert config["scopes_supported"] == ["openid", "profile", "email", "address", "dot2dot.health_score"]
    assert config["response_types_supported"] == ["code"]
    assert config["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert config["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post"]
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert config["subject_types_supported"] == ["public"]
    assert config["authorization_response_iss_parameter_supported"] is True
    assert {"sub", "email", "name", "address", "nonce"} <= set(config["claims_supported"])


@pytest.mark.smoke
def test_jwks_publishes_the_public_signing_key_only(jwks: dict[str, Any]) -> None:
    [key] = jwks["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
    assert len(_b64decode(key["n"])) == 256, "RSA 2048"


def test_sign_in_and_consent_pages_are_japanese_and_name_the_client_and_scopes(base_url: str) -> None:
    flow = new_flow(base_url)
    page = flow.get(flow.authorize_url())
    assert "ログインID" in page.text and "パスワード" in page.text
    assert '<html lang="ja">' in page.text and "<script" not in page.text and "style=" not in page.text
    consent = flow.submit(page, **HANAKO)
    assert hidden_field(consent.text, "action") == "consent"
    for text in ("Azukari（預かり）情報銀行", "氏名・メールアドレス", "住所", "カロママプラスの健康スコア（Dot to Dot）",
                 "許可する", "許可しない", "柏の葉 花子"):
        assert text in consent.text
    only_address = new_flow(base_url, "openid address")
    only_address.browser = flow.browser
    page = only_address.get(only_address.authorize_url()).text
    assert "住所" in page and "氏名" not in page and "カロママプラス" not in page


@pytest.mark.smoke
def test_the_id_token_verifies_and_carries_what_was_granted(base_url: str, jwks: dict[str, Any]) -> None:
    flow = new_flow(base_url)
    tokens = sign_in_and_get_tokens(flow)
    assert tokens["refresh_token"]
    claims = decode_id_token(tokens["id_token"], jwks)
    assert claims["iss"] == base_url and claims["aud"] == "azukari" and claims["nonce"] == flow.nonce
    assert claims["sub"] and "@" not in claims["sub"], "an opaque subject, not the email"
    assert claims["exp"] - claims["iat"] == 300 and abs(claims["iat"] - time.time()) < 30
    assert claims["auth_time"] <= claims["iat"]
    digest = hashlib.sha256(tokens["access_token"].encode()).digest()
    assert claims["at_hash"] == urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert claims["email"] == "hanako@example.jp" and claims["name"] == "柏の葉 花子"

    bare = decode_id_token(sign_in_and_get_tokens(new_flow(base_url, "openid address"))["id_token"], jwks)
    assert "email" not in bare and "name" not in bare
    assert bare["sub"] == claims["sub"], "the same person, the same subject"


def test_userinfo_releases_claims_per_scope(base_url: str) -> None:
    tokens = sign_in_and_get_tokens(new_flow(base_url))
    info = bearer_get(f"{base_url}/userinfo", tokens["access_token"]).json()
    assert info == {"sub": info["sub"], "name": "柏の葉 花子", "family_name": "柏の葉", "given_name": "花子",
                    "email": "hanako@example.jp", "email_verified": True, "address": HANAKO_ADDRESS}
    response = requests.post(f"{base_url}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"},
                             timeout=HTTP_TIMEOUT)
    assert response.json() == info
    for scope, keys in [("openid", {"sub"}), ("openid email", {"sub", "email", "email_verified"}),
                        ("openid address", {"sub", "address"})]:
        narrow = sign_in_and_get_tokens(new_flow(base_url, scope))
        assert set(bearer_get(f"{base_url}/userinfo", narrow["access_token"]).json()) == keys
    without_openid = sign_in_and_get_tokens(new_flow(base_url, "dot2dot.health_score"))
    assert "id_token" not in without_openid
    assert bearer_get(f"{base_url}/userinfo", without_openid["access_token"]).status_code == 403


def test_health_scores_need_their_scope_and_are_deterministic(base_url: str) -> None:
    openid_only = sign_in_and_get_tokens(new_flow(base_url, "openid"))
    denied = bearer_get(f"{base_url}/dot2dot/v1/health-scores", openid_only["access_token"])
    assert denied.status_code == 403
    assert denied.headers["WWW-Authenticate"].startswith('Bearer error="insufficient_scope"')

    tokens = sign_in_and_get_tokens(new_flow(base_url))
    body = bearer_get(f"{base_url}/dot2dot/v1/health-scores", tokens["access_token"]).json()
    sub = bearer_get(f"{base_url}/userinfo", tokens["access_token"]).json()["sub"]
    assert (body["subject"], body["service"], body["unit"]) == (sub, "カロママプラス", "score")
    scores = body["scores"]
    assert len(scores) == 30
    yesterday = datetime.now(JST).date() - timedelta(days=1)
    assert [entry["date"] for entry in scores] == [(yesterday - timedelta(days=n)).isoformat() for n in range(30)]
    for entry in scores:
        assert set(entry) == {"date", "score", "meal", "exercise"}
        assert all(0 <= entry[key] <= 100 for key in ("score", "meal", "exercise"))
    assert len({entry["score"] for entry in scores}) > 5, "they vary from day to day"

    again = sign_in_and_get_tokens(new_flow(base_url))
    week = bearer_get(f"{base_url}/dot2dot/v1/health-scores", again["access_token"], days=7).json()["scores"]
    assert week == scores[:7], "the same day always gives the same numbers"
    assert len(bearer_get(f"{base_url}/dot2dot/v1/health-scores", again["access_token"], days=365).json()["scores"]) == 365
    for days in ("0", "366", "-1", "many"):
        assert bearer_get(f"{base_url}/dot2dot/v1/health-scores", again["access_token"], days=days).status_code == 400


def test_another_persons_scores_differ(base_url: str) -> None:
    hanako = sign_in_and_get_tokens(new_flow(base_url))
    taro = sign_in_and_get_tokens(new_flow(base_url), {"login_id": "taro@example.jp", "password": "slp-taro-2026"})
    first = bearer_get(f"{base_url}/dot2dot/v1/health-scores", hanako["access_token"]).json()["scores"]
    second = bearer_get(f"{base_url}/dot2dot/v1/health-scores", taro["access_token"]).json()["scores"]
    assert first != second


@pytest.mark.parametrize(
    ("login_id", "password", "name", "postal_code", "formatted"),
    [
        ("hanako@example.jp", "slp-hanako-2026", "柏の葉 花子", "277-0882", "〒277-0882 千葉県柏市柏の葉二丁目3番地1"),
        ("taro@example.jp", "slp-taro-2026", "若柴 太郎", "277-0871", "〒277-0871 千葉県柏市若柴178番地4"),
        ("emily@example.jp", "slp-emily-2026", "Emily Clark", "277-0882", "〒277-0882 千葉県柏市柏の葉六丁目1番地"),
        ("nagareyama@example.jp", "slp-nagareyama-2026", "駒木 陽子", "270-0113", "〒270-0113 千葉県流山市駒木台100番地"),
        ("tokyo@example.jp", "slp-tokyo-2026", "千代田 一郎", "100-0001", "〒100-0001 東京都千代田区千代田1番1号"),
    ],
)
def test_demo_users(base_url: str, login_id: str, password: str, name: str, postal_code: str, formatted: str) -> None:
    flow = new_flow(base_url, "openid profile email address")
    tokens = sign_in_and_get_tokens(flow, {"login_id": login_id, "password": password})
    info = bearer_get(f"{base_url}/userinfo", tokens["access_token"]).json()
    assert (info["email"], info["name"]) == (login_id, name)
    assert (info["address"]["postal_code"], info["address"]["formatted"]) == (postal_code, formatted)


def test_deny_returns_access_denied(base_url: str) -> None:
    flow = new_flow(base_url)
    params = flow.authorize(HANAKO, decision="deny")
    assert (params["error"], params["state"], params["iss"]) == ("access_denied", flow.state, base_url)


def test_refresh_rotates_and_revocation_ends_access(base_url: str, jwks: dict[str, Any]) -> None:
    flow = new_flow(base_url)
    tokens = sign_in_and_get_tokens(flow)
    refreshed = flow.refresh(tokens["refresh_token"]).json()
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    claims = decode_id_token(refreshed["id_token"], jwks)
    original = decode_id_token(tokens["id_token"], jwks)
    assert (claims["iss"], claims["sub"], claims["aud"], claims["auth_time"]) == (
        original["iss"], original["sub"], original["aud"], original["auth_time"])
    assert "nonce" not in claims
    assert flow.revoke(refreshed["refresh_token"]).status_code == 200
    assert bearer_get(f"{base_url}/userinfo", refreshed["access_token"]).status_code == 401
    sub = original["sub"]
    rows = [row for row in control("GET", f"{base_url}/_test/tokens") if row["sub"] == sub]
    assert rows[-1]["access_token_revoked"] and rows[-1]["refresh_token_revoked"]
    assert rows[-1]["scope"] == ALL_SCOPES and rows[-1]["client_id"] == "azukari"


def test_code_replay_and_missing_pkce_are_refused(base_url: str) -> None:
    flow = new_flow(base_url)
    code = flow.authorize(HANAKO)["code"]
    tokens = flow.exchange(code).json()
    assert flow.exchange(code).json()["error"] == "invalid_grant"
    assert bearer_get(f"{base_url}/userinfo", tokens["access_token"]).status_code == 401
    replayed_nonce = flow.get(flow.authorize_url())
    assert "error=invalid_request" in replayed_nonce.headers["Location"], "a nonce is good for one authentication"
    flow.renew()
    for overrides in ({"code_challenge": None}, {"code_challenge_method": "plain"}):
        response = flow.get(flow.authorize_url(**overrides))
        assert response.status_code == 302 and "error=invalid_request" in response.headers["Location"]
    wrong = flow.get(flow.authorize_url(redirect_uri="http://localhost:5999/auth/smart-life-pass/callback/evil"))
    assert wrong.status_code == 400 and "Location" not in wrong.headers and "このリクエストは処理できません" in wrong.text


# -- misbehaviour switches ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mode", ["wrong_iss", "wrong_aud", "wrong_nonce", "expired_id_token"],
)
def test_id_token_misbehaviours_break_exactly_one_claim(base_url: str, jwks: dict[str, Any], mode: str) -> None:
    misbehave(base_url, mode)
    flow = new_flow(base_url)
    claims = decode_id_token(sign_in_and_get_tokens(flow)["id_token"], jwks)  # still signed with the real key
    broken = {
        "wrong_iss": claims["iss"] != base_url,
        "wrong_aud": claims["aud"] != "azukari",
        "wrong_nonce": claims["nonce"] != flow.nonce,
        "expired_id_token": claims["exp"] < time.time() - 3000 and claims["iat"] < time.time() - 3000,
    }
    assert [name for name, is_broken in broken.items() if is_broken] == [mode]


def test_bad_signature_uses_a_key_not_in_the_jwks_under_the_same_kid(base_url: str, jwks: dict[str, Any]) -> None:
    misbehave(base_url, "bad_signature")
    id_token = sign_in_and_get_tokens(new_flow(base_url))["id_token"]
    header = json.loads(_b64decode(id_token.split(".")[0]))
    assert header["kid"] == jwks["keys"][0]["kid"]
    with pytest.raises(BadSignatureError):
        decode_id_token(id_token, jwks)


def test_garbage_answers_non_json_with_a_json_content_type(base_url: str) -> None:
    flow = new_flow(base_url)
    tokens = sign_in_and_get_tokens(flow)
    code = flow.authorize(HANAKO)["code"]
    misbehave(base_url, "garbage")
    for response in (flow.exchange(code), bearer_get(f"{base_url}/userinfo", tokens["access_token"]),
                     bearer_get(f"{base_url}/dot2dot/v1/health-scores", tokens["access_token"])):
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json"
        with pytest.raises(ValueError):
            json.loads(response.text)


def test_slow_delays_but_still_answers(base_url: str) -> None:
    flow = new_flow(base_url)
    code = flow.authorize(HANAKO)["code"]
    misbehave(base_url, "slow", slow_seconds=1)
    tokens = flow.exchange(code).json()
    assert bearer_get(f"{base_url}/userinfo", tokens["access_token"]).status_code == 200
    assert bearer_get(f"{base_url}/dot2dot/v1/health-scores", tokens["access_token"]).status_code == 200


def test_switches_can_be_read_and_reset(base_url: str) -> None:
    misbehave(base_url, "wrong_aud")
    assert control("GET", f"{base_url}/_test/switches")["misbehave"] == "wrong_aud"
    assert control("POST", f"{base_url}/_test/switches", {"misbehave": None})["misbehave"] is None
    response = requests.post(f"{base_url}/_test/switches", json={"misbehave": "explode"}, timeout=HTTP_TIMEOUT)
    assert response.status_code == 400
    assert control("DELETE", f"{base_url}/_test/switches") == {"misbehave": None, "slow_seconds": 8.0, "modes": [
        "bad_signature", "expired_id_token", "garbage", "slow", "wrong_aud", "wrong_iss", "wrong_nonce"]}


def test_a_second_account_may_share_an_email_but_not_the_subject(base_url: str, jwks: dict[str, Any]) -> None:
    created = control("POST", f"{base_url}/_test/users", {
        "login_id": "hanako-second", "email": "hanako@example.jp", "password": "second-2026", "name": "柏の葉 花子",
        "address": {"postal_code": "277-0882", "region": "千葉県", "locality": "柏市", "town": "柏の葉一丁目", "block": "1番"},
    })
    original = decode_id_token(sign_in_and_get_tokens(new_flow(base_url))["id_token"], jwks)
    second = decode_id_token(
        sign_in_and_get_tokens(new_flow(base_url), {"login_id": "hanako-second", "password": "second-2026"})["id_token"], jwks)
    assert second["sub"] == created["sub"] != original["sub"]
    assert second["email"] == original["email"]
    duplicate = requests.post(f"{base_url}/_test/users", json={"login_id": "hanako-second", "email": "x@example.jp",
                              "password": "p", "name": "x y", "address": HANAKO_ADDRESS}, timeout=HTTP_TIMEOUT)
    assert duplicate.status_code == 400
    incomplete = requests.post(f"{base_url}/_test/users", json={"email": "y@example.jp"}, timeout=HTTP_TIMEOUT)
    assert incomplete.status_code == 400


# -- restarts and configuration, without a server ---------------------------------------------------------------


@pytest.mark.smoke
def test_restart_keeps_subjects_and_key_and_reloads_the_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SMART_LIFE_PASS_CLIENT_SECRET", "SMART_LIFE_PASS_REDIRECT_URIS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PUBLIC_URL", "http://bank.test:5000/")
    first = create_app(storage_dir=tmp_path).test_client()
    jwks = first.get("/jwks.json").get_json()
    subjects = _subjects(tmp_path)
    assert len(subjects) == len(DEMO_USERS)
    authorize = "/authorize?response_type=code&client_id=azukari&scope=openid&code_challenge=" + "a" * 43
    authorize += "&code_challenge_method=S256&redirect_uri="
    assert first.get(authorize + "http://bank.test:5000/auth/smart-life-pass/callback").status_code == 200

    second = create_app(storage_dir=tmp_path, redirect_uris=["http://other.test/cb"]).test_client()
    assert second.get("/jwks.json").get_json() == jwks
    assert _subjects(tmp_path) == subjects
    assert second.get(authorize + "http://bank.test:5000/auth/smart-life-pass/callback").status_code == 400
    assert second.get(authorize + "http://other.test/cb").status_code == 200


def _subjects(storage: Path) -> dict[str, str]:
    with sqlite3.connect(storage / "smart-life-pass" / DATABASE_FILE) as connection:
        rows = dict(connection.execute("SELECT login_id, sub FROM slp_user").fetchall())
    connection.close()
    return rows


def _b64decode(segment: str) -> bytes:
    return urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
