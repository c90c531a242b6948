"""bank_link (a peer as an OAuth client of the bank) and Google's push to the intake API, over real HTTP against
the fake bank (tests/peers/fake_bank.py with tests/peers/fake_bank_intake.py): sign-in at the peer, connect,
callback checks, private_key_jwt, token rotation and refusal, and how the push meets a bank that says no."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc.errors import JoseError

from app.peers import PeerSpec
from app.peers.bank_link import sign_compact_jws, verify_compact_jws
from app.peers.google import EXPORT_SCOPE
from app.peers.google import push as google_push
from app.peers.recipient.bank import BANK_DOWN
from app.peers.recipient.keys import load_or_create_client_key, public_jwks
from app.peers.runner import serve_peers
from tests.peers import fake_bank
from tests.peers.oauth_helpers import HTTP_TIMEOUT, control, hidden_field, new_browser

ALL_KINDS = ["blogger#user", "blogger#post", "blogger#comment", "calendar#event", "youtube#subscription",
             "youtube#watchHistoryEntry", "maps#timelineObject"]
HANAKO_COUNTS = {"blogger#user": 1, "blogger#post": 12, "blogger#comment": 20, "calendar#event": 25,
                 "youtube#subscription": 8, "youtube#watchHistoryEntry": 40, "maps#timelineObject": 30}
PASSWORDS = {"hanako": "google-hanako-2026", "taro": "google-taro-2026", "emily": "google-emily-2026"}


@dataclass(frozen=True)
class Servers:
    bank: str
    google: str


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    storage = tmp_path_factory.mktemp("bank-link")
    with ExitStack() as stack:
        bank = stack.enter_context(serve_peers(fake_bank.SPECS, storage))[fake_bank.NAME]
        with pytest.MonkeyPatch.context() as environment:
            environment.setenv("AZUKARI_ISSUER", bank)
            environment.delenv("GOOGLE_EXPORT_CLIENT_ID", raising=False)
            google = stack.enter_context(serve_peers(
                [PeerSpec("google", "127.0.0.6", 0, "app.peers.google:create_app", "under test")], storage))["google"]
        control("POST", f"{bank}/_fake/clients", {
            "client_id": "google-export", "redirect_uris": [f"{google}/azukari/callback"],
            "jwks_uri": f"{google}/.well-known/jwks.json", "scopes": EXPORT_SCOPE.split(),
            "recipient": "azukari", "purpose": "switching_intake"})
        yield Servers(bank, google)


@pytest.fixture(autouse=True)
def _reset(servers: Servers) -> Iterator[None]:
    yield
    control("POST", f"{servers.bank}/_fake/intake/switches", {"reset": True})
    control("POST", f"{servers.bank}/_fake/switches", {"down": False})


def signed_in(servers: Servers, name: str) -> requests.Session:
    browser = new_browser()
    start = browser.get(f"{servers.google}/azukari/start", timeout=HTTP_TIMEOUT)
    assert start.status_code == 200 and "ログイン" in start.text and "Azukari に送る" not in start.text
    answer = browser.post(f"{servers.google}/azukari/signin", allow_redirects=False, timeout=HTTP_TIMEOUT, data={
        "csrf_token": hidden_field(start.text, "csrf_token"), "login_id": f"{name}@example.jp",
        "password": PASSWORDS[name]})
    assert answer.status_code == 303, answer.text
    return browser


@dataclass(frozen=True)
class Connected:
    page: requests.Response
    authorization_request: dict[str, str]
    callback_url: str
    browser: requests.Session


def connect(servers: Servers, name: str, browser: requests.Session | None = None, **decision: Any) -> Connected:
    """The resident at Google: sign in, "Azukari に送る", the bank (deciding as told), back to the callback."""
    control("POST", f"{servers.bank}/_fake/next", {"resident": name, "decision": "allow", **decision})
    browser = browser or signed_in(servers, name)
    start = browser.get(f"{servers.google}/azukari/start", timeout=HTTP_TIMEOUT)
    assert "Azukari に送る" in start.text and "Blogger のブログ記事とコメント" in start.text
    to_bank = browser.post(f"{servers.google}/azukari/connect", data={"csrf_token": hidden_field(start.text, "csrf_token")},
                           allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert to_bank.status_code == 303, to_bank.text
    location = to_bank.headers["Location"]
    assert location.startswith(f"{servers.bank}/oauth/authorize?")
    back = browser.get(location, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert back.status_code == 303 and back.headers["Location"].startswith(f"{servers.google}/azukari/callback?")
    page = browser.get(back.headers["Location"], allow_redirects=False, timeout=HTTP_TIMEOUT)
    query = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    return Connected(page, query, back.headers["Location"], browser)


def new_job(servers: Servers, resident: str, kinds: list[str] | None = None) -> str:
    return str(control("POST", f"{servers.bank}/_fake/intake/jobs",
                       {"resident": resident, "kinds": kinds or ALL_KINDS})["id"])


def intake(servers: Servers) -> dict[str, Any]:
    return control("GET", f"{servers.bank}/_fake/intake/state")


def counts_of(job: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in job["records"]:
        counts[record["kind"]] = counts.get(record["kind"], 0) + 1
    return counts


def push(servers: Servers, name: str) -> dict[str, Any]:
    return control("POST", f"{servers.google}/_test/push", {"login_id": f"{name}@example.jp"})


def events(servers: Servers) -> list[str]:
    return list(control("GET", f"{servers.bank}/_fake/state")["events"])


def link_of(servers: Servers) -> list[dict[str, Any]]:
    return control("GET", f"{servers.google}/_test/azukari/links")


def test_signing_helpers_round_trip(tmp_path: Path) -> None:
    key = load_or_create_client_key(tmp_path)
    token = sign_compact_jws(key, {"b": 1, "a": "柏の葉"}, typ="deletion-certificate+jws")
    header, payload = verify_compact_jws(token, public_jwks(key))
    assert header == {"alg": "ES256", "kid": key.kid, "typ": "deletion-certificate+jws"}
    assert payload == {"a": "柏の葉", "b": 1}
    (tmp_path / "other").mkdir()
    other = load_or_create_client_key(tmp_path / "other")
    with pytest.raises(JoseError):
        verify_compact_jws(token, public_jwks(other))


def test_start_needs_a_signed_in_resident(servers: Servers) -> None:
    browser = new_browser()
    start = browser.get(f"{servers.google}/azukari/start", timeout=HTTP_TIMEOUT)
    assert start.status_code == 200 and "ログインしてください" in start.text and '<html lang="ja">' in start.text
    token = hidden_field(start.text, "csrf_token")
    refused = browser.post(f"{servers.google}/azukari/connect", data={"csrf_token": token}, timeout=HTTP_TIMEOUT)
    assert refused.status_code == 401 and "ログインしてください" in refused.text
    wrong = browser.post(f"{servers.google}/azukari/signin", timeout=HTTP_TIMEOUT,
                         data={"csrf_token": token, "login_id": "hanako@example.jp", "password": "nope"})
    assert wrong.status_code == 401 and "正しくありません" in wrong.text
    forged = browser.post(f"{servers.google}/azukari/signin", timeout=HTTP_TIMEOUT,
                          data={"csrf_token": "forged", "login_id": "hanako@example.jp", "password": PASSWORDS["hanako"]})
    assert forged.status_code == 400 and "有効期限" in forged.text


def test_connect_pushes_everything_the_bank_waits_for(servers: Servers) -> None:
    job = new_job(servers, "hanako")
    connected = connect(servers, "hanako")
    query = connected.authorization_request
    assert query["client_id"] == "google-export" and query["scope"] == EXPORT_SCOPE
    assert query["redirect_uri"] == f"{servers.google}/azukari/callback" and query["code_challenge_method"] == "S256"
    page = connected.page
    assert page.status_code == 200, page.text
    for text in ("Azukari にデータを送りました", "ブログの記事：12件", "ロケーション履歴（タイムライン）：30件", "柏の葉 花子"):
        assert text in page.text
    received = intake(servers)[job]
    assert received["status"] == "received" and counts_of(received) == HANAKO_COUNTS
    assert received["claimed"] == HANAKO_COUNTS and max(received["batches"]) <= 500
    post = next(record for record in received["records"] if record["kind"] == "blogger#post")
    assert {"id", "blog", "title", "content", "status"} <= set(post)

    jwks = requests.get(f"{servers.google}/.well-known/jwks.json", timeout=HTTP_TIMEOUT).json()
    assertions = [a for a in control("GET", f"{servers.bank}/_fake/state")["assertions"]
                  if a["claims"]["iss"] == "google-export"]
    assert assertions and all(a["header"]["alg"] == "ES256" and a["header"]["kid"] == jwks["keys"][0]["kid"]
                              for a in assertions)
    # The response is single-use: replaying it finds no pending request.
    replay = connected.browser.get(connected.callback_url, timeout=HTTP_TIMEOUT)
    assert replay.status_code == 400 and "見つからない" in replay.text

    [link] = [entry for entry in link_of(servers) if entry["action_ok"]]
    assert link["state"] == "active" and link["scope"] == EXPORT_SCOPE
    assert not {"access_token", "refresh_token"} & set(link)
    again = connected.browser.get(f"{servers.google}/azukari/start", timeout=HTTP_TIMEOUT).text
    assert "連携中" in again and "もう一度送る" in again


def test_pushing_again_with_nothing_waiting_says_so(servers: Servers) -> None:
    connect(servers, "hanako")
    result = push(servers, "hanako")
    assert result["ok"] is False and result["message"] == google_push.NOTHING_WAITING and result["jobs"] == []


def test_batches_hold_at_most_the_batch_size(servers: Servers, monkeypatch: pytest.MonkeyPatch) -> None:
    connect(servers, "hanako")
    job = new_job(servers, "hanako", ["youtube#watchHistoryEntry", "maps#timelineObject"])
    monkeypatch.setattr(google_push, "BATCH_SIZE", 25)  # the peer runs in this process
    result = push(servers, "hanako")
    assert result["ok"] is True, result
    assert intake(servers)[job]["batches"] == [25, 25, 20]


def test_a_count_mismatch_is_reported_not_raised(servers: Servers) -> None:
    job = new_job(servers, "taro", ["blogger#post"])
    control("POST", f"{servers.bank}/_fake/intake/switches", {"force_mismatch": True})
    page = connect(servers, "taro").page
    assert page.status_code == 200 and google_push.COUNT_MISMATCH in page.text
    [entry] = [j for j in push(servers, "taro")["jobs"] if j["id"] == job]
    assert entry["status"] == "count_mismatch" and entry["expected"] == {"blogger#post": 3}


def test_a_closed_job_and_a_failing_bank_are_japanese_messages(servers: Servers) -> None:
    connect(servers, "taro")
    new_job(servers, "taro", ["calendar#event"])
    control("POST", f"{servers.bank}/_fake/intake/switches", {"records_status": 409})
    assert push(servers, "taro")["message"] == google_push.JOB_CLOSED
    control("POST", f"{servers.bank}/_fake/intake/switches", {"records_status": 500})
    assert push(servers, "taro")["message"] == google_push.BANK_BUSY.format(status=500)
    control("POST", f"{servers.bank}/_fake/intake/switches", {"records_status": None})
    control("POST", f"{servers.bank}/_fake/switches", {"down": True})
    down = push(servers, "taro")  # the fake bank's 503, waited out twice, then reported
    assert down["ok"] is False and down["message"] == google_push.BANK_BUSY.format(status=503)
    control("POST", f"{servers.bank}/_fake/switches", {"down": False})
    assert push(servers, "taro")["ok"] is True, "it recovers once the bank is back"


def test_a_429_is_waited_out_and_retried(servers: Servers) -> None:
    connect(servers, "emily")
    job = new_job(servers, "emily", ["youtube#subscription"])
    control("POST", f"{servers.bank}/_fake/intake/switches", {"records_429_once": True})
    assert push(servers, "emily")["ok"] is True
    assert intake(servers)[job]["status"] == "received"


def test_expired_tokens_refresh_and_the_rotated_refresh_token_is_kept(servers: Servers) -> None:
    connect(servers, "emily")
    for _ in range(2):  # the second round only works if the first stored the new refresh token
        new_job(servers, "emily", ["calendar#event"])
        control("POST", f"{servers.bank}/_fake/expire", {})
        before = len(events(servers))
        assert push(servers, "emily")["ok"] is True
        assert "refresh" in events(servers)[before:]


def test_withdrawn_consent_ends_the_link(servers: Servers) -> None:
    connect(servers, "taro")
    new_job(servers, "taro", ["calendar#event"])
    control("POST", f"{servers.bank}/_fake/withdraw", {"recipient": "azukari", "resident": "taro", "keep_tokens": True})
    try:
        refused = push(servers, "taro")
        assert refused["ok"] is False and refused["error"] == "consent_required"
        again = push(servers, "taro")
        assert again["error"] == "not_linked" and "連携が終わっています" in again["message"]
        assert any(link["state"] == "refused" and link["refused_reason"] == "consent_required"
                   for link in link_of(servers))
    finally:
        control("POST", f"{servers.bank}/_fake/next", {"resident": "taro", "decision": "allow"})


def test_access_denied_and_a_foreign_issuer(servers: Servers) -> None:
    denied = connect(servers, "emily", decision="deny").page
    assert denied.status_code == 200 and "連携しませんでした" in denied.text and "何も送っていません" in denied.text
    mixed = connect(servers, "emily", iss="http://127.0.0.254:5000").page
    assert mixed.status_code == 400 and "Azukari からのものであることを確認できなかった" in mixed.text
    codes = control("GET", f"{servers.bank}/_fake/state")["codes"]
    assert not codes[-1]["used"], "the code of a mixed-up response is never sent anywhere"


def test_a_bank_that_cannot_be_reached_is_a_japanese_message(servers: Servers, tmp_path: Path) -> None:
    from app.peers.google import create_app

    # Nothing listens on port 9 of this address: connecting fails at once.
    unreachable = create_app(storage_dir=tmp_path, issuer="http://127.0.0.45:9").test_client()
    start = unreachable.get("/azukari/start")
    unreachable.post("/azukari/signin", data={"csrf_token": hidden_field(start.text, "csrf_token"),
                                              "login_id": "hanako@example.jp", "password": PASSWORDS["hanako"]})
    page = unreachable.get("/azukari/start")
    answer = unreachable.post("/azukari/connect", data={"csrf_token": hidden_field(page.text, "csrf_token")})
    assert answer.status_code == 503 and BANK_DOWN in answer.text


def test_an_unlinked_account_cannot_push(servers: Servers, tmp_path: Path) -> None:
    from app.peers.google import create_app

    fresh = create_app(storage_dir=tmp_path, issuer=servers.bank).test_client()
    result = fresh.post("/_test/push", json={"login_id": "hanako@example.jp"}).get_json()
    assert result["ok"] is False and result["error"] == "not_linked"
