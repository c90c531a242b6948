"""MyNa Portal over real HTTP: metadata, the demo sign-in, consent, and a children API that releases children
only — never another member, never a 個人番号. The OAuth rules it shares with every peer are in
test_authserver.py."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from app.peers.authserver.storage import DATABASE_FILE
from app.peers.mynaportal.households import individual_number
from tests.peers.oauth_helpers import MYNA_REDIRECT_URI, MYNA_SECRET, Flow, bearer_get, control, hidden_field, query, serve

HANAKO = {"login_id": "hanako@example.jp", "pin": "1234"}
TWELVE_DIGITS = re.compile(r"\d{12}")
CONSENT_TEXT = ("Azukari（預かり）情報銀行 に次の情報を提供します："
                "世帯のうち子どもの氏名・生年月日（他の世帯員の情報と個人番号は提供されません）")


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("peers")


@pytest.fixture(scope="module")
def base_url(storage: Path) -> Iterator[str]:
    with serve("mynaportal", "127.0.0.3", "tests.peers.oauth_helpers:mynaportal_app", storage) as url:
        yield url


@pytest.fixture(autouse=True)
def _reset_switches(base_url: str) -> Iterator[None]:
    yield
    control("DELETE", f"{base_url}/_test/switches")


def new_flow(base_url: str, scope: str = "children") -> Flow:
    return Flow(base_url, MYNA_SECRET, MYNA_REDIRECT_URI, scope)


def access_token(base_url: str, login: dict[str, str] = HANAKO, scope: str = "children") -> str:
    flow = new_flow(base_url, scope)
    response = flow.exchange(flow.authorize(login, nonce=None)["code"])
    assert response.status_code == 200, response.text
    token = response.json()
    assert "refresh_token" not in token and "id_token" not in token
    return token["access_token"]


def children_of(base_url: str, token: str) -> requests.Response:
    return bearer_get(f"{base_url}/api/v1/self-info/children", token)


@pytest.mark.smoke
def test_authorization_server_metadata(base_url: str) -> None:
    metadata = requests.get(f"{base_url}/.well-known/oauth-authorization-server", timeout=10).json()
    assert metadata["issuer"] == base_url
    assert metadata["authorization_endpoint"] == f"{base_url}/authorize"
    assert metadata["token_endpoint"] == f"{base_url}/token"
    assert metadata["revocation_endpoint"] == f"{base_url}/revoke"
    assert metadata["scopes_supported"] == ["children"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert metadata["grant_types_supported"] == ["authorization_code"]
    assert requests.get(f"{base_url}/.well-known/openid-configuration", timeout=10).status_code == 404


def test_sign_in_is_a_labelled_demo_of_the_card_pin_and_consent_says_what_is_released(base_url: str) -> None:
    flow = new_flow(base_url)
    page = flow.get(flow.authorize_url(nonce=None))
    for text in ("デモ", "ログインID", "利用者証明用電子証明書の暗証番号"):
        assert text in page.text
    for wrong in ("9999", "12345", "abcd", ""):
        again = flow.submit(page, login_id="hanako@example.jp", pin=wrong)
        assert hidden_field(again.text, "action") == "login" and "正しくありません" in again.text
    consent = flow.submit(page, **HANAKO)
    assert CONSENT_TEXT in consent.text
    assert "許可する" in consent.text and "許可しない" in consent.text


@pytest.mark.smoke
def test_only_the_children_come_back_and_no_individual_number(base_url: str, storage: Path) -> None:
    response = children_of(base_url, access_token(base_url))
    assert response.status_code == 200
    body = response.json()
    assert body["api"] == "自己情報取得API"
    assert body["data_source"] == "住民基本台帳（世帯情報）"
    assert datetime.fromisoformat(body["retrieved_at"]).utcoffset().total_seconds() == 9 * 3600
    assert body["retrieved_at"].endswith("+09:00")
    assert body["children"] == [
        {"name": "柏の葉 ゆい", "name_kana": "カシワノハ ユイ", "birth_date": "2019-11-03", "relationship": "子"},
        {"name": "柏の葉 さくら", "name_kana": "カシワノハ サクラ", "birth_date": "2021-05-12", "relationship": "子"},
        {"name": "柏の葉 はると", "name_kana": "カシワノハ ハルト", "birth_date": "2024-04-01", "relationship": "子"},
    ]
    assert not TWELVE_DIGITS.search(response.text)
    assert not TWELVE_DIGITS.search(json.dumps(body, ensure_ascii=False))

    # The register does hold the adults and everyone's 個人番号: the API filtered them out.
    with sqlite3.connect(storage / "mynaportal" / DATABASE_FILE) as connection:
        members = connection.execute(
            "SELECT m.name, m.relationship_to_head, m.individual_number FROM myna_member m "
            "JOIN myna_household h ON h.id = m.household_id WHERE h.login_id = 'hanako@example.jp'"
        ).fetchall()
    connection.close()
    adults = [name for name, relationship, _ in members if relationship != "子"]
    assert {"柏の葉 花子", "柏の葉 健一", "柏の葉 和子"} <= set(adults)
    assert all(TWELVE_DIGITS.fullmatch(number) for _, _, number in members)
    for name in adults:
        assert name not in response.text
    for _, _, number in members:
        assert number not in response.text


@pytest.mark.parametrize(
    ("login", "birth_dates"),
    [
        ({"login_id": "taro@example.jp", "pin": "2345"}, ["2023-08-20"]),
        ({"login_id": "emily@example.jp", "pin": "3456"}, ["2020-04-02", "2025-01-15"]),
        ({"login_id": "nagareyama@example.jp", "pin": "4567"}, ["2022-06-30"]),
    ],
)
def test_demo_households(base_url: str, login: dict[str, str], birth_dates: list[str]) -> None:
    response = children_of(base_url, access_token(base_url, login))
    assert [child["birth_date"] for child in response.json()["children"]] == birth_dates
    assert not TWELVE_DIGITS.search(response.text)


def test_the_api_needs_the_children_scope_and_a_live_token(base_url: str) -> None:
    assert children_of(base_url, "made-up").status_code == 401
    no_scope = children_of(base_url, access_token(base_url, scope=""))
    assert no_scope.status_code == 403
    assert no_scope.headers["WWW-Authenticate"].startswith('Bearer error="insufficient_scope"')

    token = access_token(base_url)
    flow = new_flow(base_url)
    assert flow.revoke(token).status_code == 200
    assert children_of(base_url, token).status_code == 401
    [row] = [row for row in control("GET", f"{base_url}/_test/tokens") if row["access_token_revoked"]][-1:]
    assert row["scope"] == "children" and row["client_id"] == "azukari"


def test_pkce_iss_and_deny(base_url: str) -> None:
    flow = new_flow(base_url)
    for overrides in ({"code_challenge": None}, {"code_challenge_method": "plain"}):
        response = flow.get(flow.authorize_url(nonce=None, **overrides))
        assert response.status_code == 302
        params = query(response.headers["Location"])
        assert (params["error"], params["iss"]) == ("invalid_request", base_url)
    params = flow.authorize(HANAKO, decision="deny", nonce=None)
    assert (params["error"], params["state"], params["iss"]) == ("access_denied", flow.state, base_url)
    wrong = flow.get(flow.authorize_url(redirect_uri="http://localhost:5999/household/mynaportal/callbackx"))
    assert wrong.status_code == 400 and "Location" not in wrong.headers


def test_a_test_household_gets_its_own_children(base_url: str) -> None:
    created = control("POST", f"{base_url}/_test/households", {
        "login_id": "test-household", "pin": "0042",
        "children": [{"name": "試験 一郎", "name_kana": "シケン イチロウ", "birth_date": "2018-02-28"}],
    })
    assert created["sub"]
    body = children_of(base_url, access_token(base_url, {"login_id": "test-household", "pin": "0042"})).json()
    assert body["children"] == [
        {"name": "試験 一郎", "name_kana": "シケン イチロウ", "birth_date": "2018-02-28", "relationship": "子"}
    ]
    for bad in ({"login_id": "test-household", "pin": "0042", "children": []},
                {"login_id": "x", "pin": "12", "children": []},
                {"login_id": "y", "pin": "1234", "children": [{"name": "z", "birth_date": "yesterday"}]}):
        assert requests.post(f"{base_url}/_test/households", json=bad, timeout=10).status_code == 400


def test_garbage_and_slow(base_url: str) -> None:
    flow = new_flow(base_url)
    code = flow.authorize(HANAKO, nonce=None)["code"]
    token = access_token(base_url)
    control("POST", f"{base_url}/_test/switches", {"misbehave": "garbage"})
    for response in (flow.exchange(code), children_of(base_url, token)):
        assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
        with pytest.raises(ValueError):
            json.loads(response.text)
    control("POST", f"{base_url}/_test/switches", {"misbehave": "slow", "slow_seconds": 1})
    assert flow.exchange(code).status_code == 200, "garbage did not consume the code"
    assert children_of(base_url, token).status_code == 200
    refused: dict[str, Any] = requests.post(f"{base_url}/_test/switches", json={"misbehave": "wrong_iss"}, timeout=10).json()
    assert "unknown misbehaviour" in refused["error"]


@pytest.mark.smoke
def test_individual_numbers_have_a_valid_check_digit() -> None:
    # The commonly cited example 123456789018: the check digit of 12345678901 is 8.
    weights = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
    body = "12345678901"
    remainder = sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
    assert (0 if remainder <= 1 else 11 - remainder) == 8
    number = individual_number("seed")
    assert TWELVE_DIGITS.fullmatch(number) and number == individual_number("seed")
    remainder = sum(int(d) * w for d, w in zip(number[:11], weights, strict=True)) % 11
    assert int(number[11]) == (0 if remainder <= 1 else 11 - remainder)
