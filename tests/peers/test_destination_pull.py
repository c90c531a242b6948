"""A destination as a client of the bank (patterns 1 and 3 of docs/switching.md), over real HTTP against the fake
bank and its transfer API (tests/peers/fake_bank_transfers.py): connect, pull at once through every page, check
each item's digest, store, and answer with a signed receipt the bank verifies; pull again; the bank's trouble
as a Japanese message, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app.peers import PeerSpec
from app.peers.blog_a import PROFILE
from app.peers.recipient.bank import BANK_DOWN
from app.peers.runner import serve_peers
from tests.peers import fake_bank
from tests.peers.oauth_helpers import HTTP_TIMEOUT, control, hidden_field, new_browser

CLIENT_ID = "blog-a"


@dataclass(frozen=True)
class Servers:
    bank: str
    blog: str


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    storage = tmp_path_factory.mktemp("destination-pull")
    with ExitStack() as stack:
        bank = stack.enter_context(serve_peers(fake_bank.SPECS, storage))[fake_bank.NAME]
        # The peer reads the bank's location and its client id when it is built.
        with pytest.MonkeyPatch.context() as environment:
            environment.setenv("AZUKARI_ISSUER", bank)
            environment.delenv("BLOG_A_CLIENT_ID", raising=False)
            blog = stack.enter_context(serve_peers(
                [PeerSpec("blog-a", "127.0.0.7", 0, "app.peers.blog_a:create_app", "under test")], storage))["blog-a"]
        control("POST", f"{bank}/_fake/clients", {
            "client_id": CLIENT_ID, "redirect_uris": [f"{blog}/azukari/callback"],
            "jwks_uri": f"{blog}/.well-known/jwks.json", "scopes": PROFILE.bank_scope.split(),
            "recipient": "blog_a", "purpose": "transfer_blog"})
        yield Servers(bank, blog)


@pytest.fixture(autouse=True)
def _reset(servers: Servers) -> Iterator[None]:
    yield
    control("DELETE", f"{servers.blog}/_test/switches")
    control("POST", f"{servers.bank}/_fake/switches", {"down": False})
    control("POST", f"{servers.bank}/_fake/transfer_switches", {"items_status": None})


def items(prefix: str, count: int) -> list[dict[str, Any]]:
    """Blog posts, with a profile and an interest among them, in blog-a/1."""
    made: list[dict[str, Any]] = [
        {"id": f"profile:{prefix}", "type": "profile", "display_name": "柏の葉 花子", "locale": "ja-JP"},
        {"id": f"interest:{prefix}-kosodate", "type": "interest", "topic": "子育て", "source": "youtube"},
    ]
    made += [{"id": f"post:{prefix}-{n:05d}", "type": "post", "title": f"柏の葉日記 {n}", "body_html": f"<p>{n}</p>",
              "status": "published", "published_at": "2026-04-01T08:00:00+09:00", "score": 1.5,
              "updated_at": "2026-04-01T08:00:00+09:00", "tags": ["日記"]} for n in range(count - 2)]
    return made


def add_transfer(servers: Servers, transfer_id: str, resident: str, made: list[dict[str, Any]], **extra: Any) -> None:
    control("POST", f"{servers.bank}/_fake/transfers", {"id": transfer_id, "client_id": CLIENT_ID,
                                                        "resident": resident, "format": "blog-a/1", "items": made,
                                                        **extra})


def transfer(servers: Servers, transfer_id: str) -> dict[str, Any]:
    return next(t for t in control("GET", f"{servers.bank}/_fake/transfers") if t["id"] == transfer_id)


def received_job(servers: Servers, first_name: str, transfer_id: str) -> dict[str, Any]:
    jobs = control("GET", f"{servers.blog}/_test/received?login_id={first_name}@example.jp")["jobs"]
    return next(job for job in jobs if job["job"] == transfer_id)


def pull(servers: Servers, first_name: str) -> dict[str, Any]:
    return control("POST", f"{servers.blog}/_test/pull", {"login_id": f"{first_name}@example.jp"})


def connect(servers: Servers, first_name: str, resident: str) -> tuple[requests.Response, dict[str, str],
                                                                          requests.Session]:
    """The resident signs in at blog-a, presses "Azukari から受け取る", the bank allows, and the callback pulls."""
    control("POST", f"{servers.bank}/_fake/next", {"resident": resident, "decision": "allow"})
    browser = new_browser()
    start = browser.get(f"{servers.blog}/azukari/start", timeout=HTTP_TIMEOUT)
    signed_in = browser.post(f"{servers.blog}/azukari/signin", timeout=HTTP_TIMEOUT, data={
        "csrf_token": hidden_field(start.text, "csrf_token"), "login_id": f"{first_name}@example.jp",
        "password": f"blog-a-{first_name}-2026"})
    assert "Azukari から受け取る" in signed_in.text, signed_in.text
    to_bank = browser.post(f"{servers.blog}/azukari/connect", data={"csrf_token": hidden_field(signed_in.text, "csrf_token")},
                           allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert to_bank.status_code == 303, to_bank.text
    request = {name: values[0] for name, values in parse_qs(urlsplit(to_bank.headers["Location"]).query).items()}
    back = browser.get(to_bank.headers["Location"], allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert back.headers["Location"].startswith(f"{servers.blog}/azukari/callback?")
    return browser.get(back.headers["Location"], allow_redirects=False, timeout=HTTP_TIMEOUT), request, browser


def test_an_account_that_never_connected_is_told_so(servers: Servers) -> None:
    result = pull(servers, "taro")
    assert result["ok"] is False and "まだ連携していません" in result["message"]
    unknown = requests.post(f"{servers.blog}/_test/pull", json={"login_id": "nobody@example.jp"},
                            timeout=HTTP_TIMEOUT, proxies={"http": "", "https": ""})
    assert unknown.status_code == 400


def test_connecting_pulls_every_page_at_once_and_the_bank_verifies_the_receipt(servers: Servers) -> None:
    made = items("hanako", 1203)
    add_transfer(servers, "tr-hanako-1", "hanako", made)
    page, request, browser = connect(servers, "hanako", "hanako")
    assert request["client_id"] == CLIENT_ID and request["scope"] == "blog_posts profile interests"
    assert request["code_challenge_method"] == "S256"
    assert page.status_code == 200, page.text
    assert "Azukari から 1203件を受け取りました" in page.text

    seen = transfer(servers, "tr-hanako-1")
    assert seen["status"] == "verified"
    assert seen["pages"] == [{"cursor": None, "limit": 500}, {"cursor": "500", "limit": 500},
                             {"cursor": "1000", "limit": 500}]
    assert seen["receipts"][0]["payload"]["iss"] == servers.blog
    assert seen["receipts"][0]["payload"]["counts"] == {"interest": 1, "post": 1201, "profile": 1}
    job = received_job(servers, "hanako", "tr-hanako-1")
    assert job["via"] == "pull" and job["status"] == "completed" and len(job["items"]) == 1203

    # The resident's page and "もう一度受け取る": nothing more is waiting.
    home = browser.get(f"{servers.blog}/", timeout=HTTP_TIMEOUT)
    assert "1201件" in home.text and "連携しています" in home.text
    again = browser.post(f"{servers.blog}/azukari/pull", data={"csrf_token": hidden_field(home.text, "csrf_token")},
                         timeout=HTTP_TIMEOUT)
    assert again.status_code == 200 and "受け取り待ちのデータはありませんでした" in again.text


def test_an_item_whose_digest_does_not_verify_is_not_stored_and_the_receipt_says_so(servers: Servers) -> None:
    connect(servers, "emily", "emily")
    made = items("emily", 4)
    add_transfer(servers, "tr-emily-digest", "emily", made, wrong_digest=[made[3]["id"]])
    result = pull(servers, "emily")
    assert result["ok"] is False and "一致しません" in result["message"]
    [entry] = result["transfers"]
    assert entry["status"] == "mismatch" and entry["mismatch"]["missing"] == [made[3]["id"]]
    assert entry["rejected"] == [{"id": made[3]["id"], "error": "digest_mismatch"}]
    assert [item["id"] for item in received_job(servers, "emily", "tr-emily-digest")["items"]] == sorted(
        item["id"] for item in made[:3])
    assert transfer(servers, "tr-emily-digest")["status"] == "ready"


def test_drop_item_and_wrong_hash_show_in_the_pulled_receipt(servers: Servers) -> None:
    connect(servers, "taro", "taro")
    dropped = items("taro-drop", 3)
    add_transfer(servers, "tr-taro-drop", "taro", dropped)
    control("POST", f"{servers.blog}/_test/switches", {"misbehave": "drop_item"})
    [entry] = pull(servers, "taro")["transfers"]
    assert entry["status"] == "mismatch" and entry["mismatch"]["missing"] == [dropped[0]["id"]]

    control("POST", f"{servers.blog}/_test/switches", {"misbehave": "wrong_hash"})
    entries = pull(servers, "taro")["transfers"]  # the first transfer is still ready, so it comes again
    assert all(e["status"] == "mismatch" and len(e["mismatch"]["changed"]) == 1 for e in entries)

    control("DELETE", f"{servers.blog}/_test/switches")
    result = pull(servers, "taro")
    assert result["ok"] is True and [e["status"] for e in result["transfers"]] == ["verified"]


def test_the_banks_trouble_is_a_japanese_message_never_a_500(servers: Servers) -> None:
    page, _, browser = connect(servers, "hanako", "hanako")
    assert page.status_code == 200
    add_transfer(servers, "tr-hanako-trouble", "hanako", items("trouble", 3))
    control("POST", f"{servers.bank}/_fake/transfer_switches", {"items_status": 500})
    result = pull(servers, "hanako")
    assert result["ok"] is False and "Azukari がエラーを返しました（500）" in result["message"]

    control("POST", f"{servers.bank}/_fake/switches", {"down": True})
    assert pull(servers, "hanako") == {"ok": False, "message": BANK_DOWN, "lines": []}
    home = browser.get(f"{servers.blog}/", timeout=HTTP_TIMEOUT)
    again = browser.post(f"{servers.blog}/azukari/pull", data={"csrf_token": hidden_field(home.text, "csrf_token")},
                         timeout=HTTP_TIMEOUT)
    assert again.status_code == 200 and BANK_DOWN in again.text

    control("POST", f"{servers.bank}/_fake/switches", {"down": False})
    control("POST", f"{servers.bank}/_fake/transfer_switches", {"items_status": None})
    assert pull(servers, "hanako")["ok"] is True
    assert transfer(servers, "tr-hanako-trouble")["status"] == "verified"


def test_a_withdrawn_consent_ends_the_link(servers: Servers) -> None:
    connect(servers, "emily", "emily")
    control("POST", f"{servers.bank}/_fake/withdraw", {"recipient": "blog_a", "resident": "emily", "keep_tokens": True})
    result = pull(servers, "emily")
    assert result["ok"] is False and "同意" in result["message"]
    links = control("GET", f"{servers.blog}/_test/azukari/links")
    assert any(link["state"] == "refused" and link["refused_reason"] == "consent_required" for link in links)
