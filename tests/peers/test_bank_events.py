"""The bank's result events at a peer (docs/switching.md "Result events", app/peers/bank_link/events.py), over real
HTTP: RFC 8417 SETs pushed per RFC 8935 to blog-a and Google, signed by a stand-in of the bank's key that the fake
bank (tests/peers/fake_bank.py) publishes at `/.well-known/jwks.json`. Stored once per `jti`; attributed by the
bearer token or by the job id; every refusal; the bank's keys down or rotated; the resident's page."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask, jsonify
from joserfc.jwk import ECKey

from app.peers import PeerSpec
from app.peers.bank_link import EVENT, sign_compact_jws
from app.peers.base import peer_storage
from app.peers.blog_a import PROFILE
from app.peers.google import EXPORT_SCOPE
from app.peers.recipient.keys import CLIENT_KEY_FILE, load_or_create_client_key, public_jwks
from app.peers.runner import serve_peers
from tests.peers import fake_bank
from tests.peers.oauth_helpers import HTTP_TIMEOUT, Flow, control, hidden_field, new_browser

BLOG_SECRET = "test-blog-a-secret"
BLOG_REDIRECT = "http://localhost:5999/switching/connect/blog-a/callback"
NO_PROXY = {"http": "", "https": ""}
SET_CONTENT_TYPE = "application/secevent+jwt"
KEY_FOLDER = "bank-events-key"  # under the fake bank's own folder: the key the fake bank signs events with


def bank_app(*, storage_dir: Path) -> Flask:
    """The fake bank, publishing the key in its folder's `bank-events-key/` as the bank publishes its signing key
    (read at every request, so a test can rotate it)."""
    app = fake_bank.create_app(storage_dir=storage_dir)
    folder = peer_storage(app) / KEY_FOLDER
    folder.mkdir(exist_ok=True)

    @app.get("/.well-known/jwks.json")
    def bank_jwks() -> Any:
        return jsonify(public_jwks(load_or_create_client_key(folder)))

    return app


def blog_a_app(*, storage_dir: Path) -> Flask:
    from app.peers.blog_a import create_app

    return create_app(storage_dir=storage_dir, client_secret=BLOG_SECRET, redirect_uris=[BLOG_REDIRECT])


@dataclass(frozen=True)
class Servers:
    bank: str
    blog: str
    google: str
    key_folder: Path

    def bank_key(self) -> ECKey:
        return load_or_create_client_key(self.key_folder)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    storage = tmp_path_factory.mktemp("bank-events")
    with ExitStack() as stack:
        bank = stack.enter_context(serve_peers([PeerSpec(fake_bank.NAME, fake_bank.HOST, 0, f"{__name__}:bank_app",
                                                         "the bank, faked")], storage))[fake_bank.NAME]
        with pytest.MonkeyPatch.context() as environment:
            environment.setenv("AZUKARI_ISSUER", bank)
            environment.delenv("BLOG_A_CLIENT_ID", raising=False)
            environment.delenv("GOOGLE_EXPORT_CLIENT_ID", raising=False)
            urls = stack.enter_context(serve_peers([
                PeerSpec("blog-a", "127.0.0.7", 0, f"{__name__}:blog_a_app", "under test"),
                PeerSpec("google", "127.0.0.6", 0, "app.peers.google:create_app", "under test"),
            ], storage))
        blog, google = urls["blog-a"], urls["google"]
        control("POST", f"{bank}/_fake/clients", {
            "client_id": "blog-a", "redirect_uris": [f"{blog}/azukari/callback"],
            "jwks_uri": f"{blog}/.well-known/jwks.json", "scopes": PROFILE.bank_scope.split(),
            "recipient": "blog_a", "purpose": "transfer_blog"})
        control("POST", f"{bank}/_fake/clients", {
            "client_id": "google-export", "redirect_uris": [f"{google}/azukari/callback"],
            "jwks_uri": f"{google}/.well-known/jwks.json", "scopes": EXPORT_SCOPE.split(),
            "recipient": "azukari", "purpose": "switching_intake"})
        yield Servers(bank, blog, google, storage / fake_bank.NAME / KEY_FOLDER)


@pytest.fixture(autouse=True)
def _bank_up(servers: Servers) -> Iterator[None]:
    yield
    control("POST", f"{servers.bank}/_fake/switches", {"down": False})


# -- helpers ---------------------------------------------------------------------------------------------------


def claims(servers: Servers, *, job: str | None = None, aud: Any = "blog-a", role: str = "destination",
           state: str = "verified", **event: Any) -> dict[str, Any]:
    """A transfer-result SET's claims as the bank makes them (app/switching/notify.py `build_event`)."""
    job = job or f"job-{uuid.uuid4()}"
    body = {"job": job, "role": role, "state": state, "reason": None, "counts": {"post": 10, "profile": 1, "interest": 1},
            "deletion_certificate_id": None, "occurred_at": "2026-05-01T03:00:00+00:00"}
    body.update(event)
    return {"iss": servers.bank, "aud": aud, "iat": int(time.time()), "jti": str(uuid.uuid4()), "txn": job,
            "events": {EVENT: body}}


def signed(payload: dict[str, Any], key: ECKey, *, typ: str | None = "secevent+jwt") -> str:
    return sign_compact_jws(key, payload, typ=typ)


def push_event(base: str, token: str | bytes, *, content_type: str = SET_CONTENT_TYPE,
               bearer: str | None = None) -> requests.Response:
    headers = {"Content-Type": content_type, "Accept": "application/json"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    return requests.post(f"{base}/azukari/events", data=token, headers=headers, timeout=HTTP_TIMEOUT,
                         proxies=NO_PROXY)


def stored(base: str) -> list[dict[str, Any]]:
    return list(control("GET", f"{base}/_test/azukari/events"))


def stored_one(base: str, jti: str) -> list[dict[str, Any]]:
    return [event for event in stored(base) if event["jti"] == jti]


def refused(response: requests.Response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"err", "description"} and body["description"]
    return str(body["err"])


def bank_token_at_blog(servers: Servers, first_name: str) -> tuple[str, str]:
    """(access token, account) of the bank's client `azukari` at blog-a, as the bank connects in patterns 2 and 4."""
    flow = Flow(servers.blog, BLOG_SECRET, BLOG_REDIRECT, "import profile")
    params = flow.authorize({"login_id": f"{first_name}@example.jp", "password": f"blog-a-{first_name}-2026"})
    answer = flow.exchange(params["code"])
    assert answer.status_code == 200, answer.text
    tokens = control("GET", f"{servers.blog}/_test/tokens")
    return str(answer.json()["access_token"]), str(tokens[-1]["sub"])


def signed_in(base: str, login_id: str, password: str) -> tuple[requests.Session, str]:
    browser = new_browser()
    start = browser.get(f"{base}/azukari/start", timeout=HTTP_TIMEOUT)
    page = browser.post(f"{base}/azukari/signin", timeout=HTTP_TIMEOUT, data={
        "csrf_token": hidden_field(start.text, "csrf_token"), "login_id": login_id, "password": password})
    assert page.status_code == 200, page.text
    return browser, page.text


def connect(servers: Servers, base: str, first_name: str, password: str, resident: str) -> requests.Response:
    """Sign in at the peer, connect to the (fake) bank, which allows at once; the callback runs the peer's action."""
    control("POST", f"{servers.bank}/_fake/next", {"resident": resident, "decision": "allow"})
    browser, page = signed_in(base, f"{first_name}@example.jp", password)
    to_bank = browser.post(f"{base}/azukari/connect", data={"csrf_token": hidden_field(page, "csrf_token")},
                           allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert to_bank.status_code == 303, to_bank.text
    back = browser.get(to_bank.headers["Location"], allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert back.headers["Location"].startswith(f"{base}/azukari/callback?")
    assert parse_qs(urlsplit(back.headers["Location"]).query).get("code")
    return browser.get(back.headers["Location"], allow_redirects=False, timeout=HTTP_TIMEOUT)


def account_linked(base: str) -> str:
    """The account of the newest link at the peer."""
    links = control("GET", f"{base}/_test/azukari/links")
    return str(max(links, key=lambda link: link["linked_at"])["account"])


# -- storing and attributing -----------------------------------------------------------------------------------


def test_a_valid_set_is_stored_once(servers: Servers) -> None:
    payload = claims(servers)
    token = signed(payload, servers.bank_key())
    first = push_event(servers.blog, token)
    assert first.status_code == 202 and first.content == b""
    again = push_event(servers.blog, token)
    assert again.status_code == 202 and again.content == b""
    # A retry of the same event is signed anew (another iat): the same jti still counts once.
    retried = push_event(servers.blog, signed({**payload, "iat": payload["iat"] + 5}, servers.bank_key()))
    assert retried.status_code == 202
    [row] = stored_one(servers.blog, payload["jti"])
    job = payload["txn"]
    assert row == {"jti": payload["jti"], "account": None, "job": job, "state": "verified", "role": "destination",
                   "received_at": row["received_at"]}
    assert isinstance(row["received_at"], int)


def test_an_audience_list_and_an_application_typ_are_accepted(servers: Servers) -> None:
    payload = claims(servers, aud=["someone-else", "blog-a"])
    answer = push_event(servers.blog, signed(payload, servers.bank_key(), typ="application/secevent+jwt"),
                        content_type="application/secevent+jwt; charset=us-ascii")
    assert answer.status_code == 202, answer.text
    assert len(stored_one(servers.blog, payload["jti"])) == 1


def test_the_bearer_token_names_the_account(servers: Servers) -> None:
    access_token, account = bank_token_at_blog(servers, "hanako")
    payload = claims(servers)
    assert push_event(servers.blog, signed(payload, servers.bank_key()), bearer=access_token).status_code == 202
    [row] = stored_one(servers.blog, payload["jti"])
    assert row["account"] == account

    # A token this peer did not issue (or no longer honours) is ignored, not refused: the event is unattributed.
    payload = claims(servers)
    assert push_event(servers.blog, signed(payload, servers.bank_key()), bearer="not-a-token").status_code == 202
    [row] = stored_one(servers.blog, payload["jti"])
    assert row["account"] is None


def test_the_job_id_names_the_account_a_destination_pulled_for(servers: Servers) -> None:
    transfer_id = f"tr-{uuid.uuid4()}"
    control("POST", f"{servers.bank}/_fake/transfers", {
        "id": transfer_id, "client_id": "blog-a", "resident": "emily", "format": "blog-a/1",
        "items": [{"id": "profile:emily", "type": "profile", "display_name": "Emily Clark", "locale": "ja-JP"}]})
    page = connect(servers, servers.blog, "emily", "blog-a-emily-2026", "emily")
    assert page.status_code == 200 and "1件を受け取りました" in page.text, page.text
    account = account_linked(servers.blog)

    payload = claims(servers, job=transfer_id)
    assert push_event(servers.blog, signed(payload, servers.bank_key())).status_code == 202
    [row] = stored_one(servers.blog, payload["jti"])
    assert row["account"] == account and row["job"] == transfer_id


def test_the_job_id_names_the_account_google_pushed_for(servers: Servers) -> None:
    job = str(control("POST", f"{servers.bank}/_fake/intake/jobs",
                      {"resident": "taro", "kinds": ["blogger#post"]})["id"])
    page = connect(servers, servers.google, "taro", "google-taro-2026", "taro")
    assert page.status_code == 200 and "Azukari にデータを送りました" in page.text, page.text
    account = account_linked(servers.google)

    payload = claims(servers, job=job, aud="google-export", role="source", state="complete",
                     deletion_certificate_id="cert-123")
    assert push_event(servers.google, signed(payload, servers.bank_key())).status_code == 202
    [row] = stored_one(servers.google, payload["jti"])
    assert row["account"] == account and row["role"] == "source" and row["state"] == "complete"
    # Addressed to blog-a, Google refuses it: each peer checks its own client id.
    other = claims(servers, job=job)
    assert refused(push_event(servers.google, signed(other, servers.bank_key()))) == "invalid_audience"


# -- refusals --------------------------------------------------------------------------------------------------


def test_a_forged_signature_is_invalid_key(servers: Servers, tmp_path: Path) -> None:
    payload = claims(servers)
    other = load_or_create_client_key(tmp_path)
    assert refused(push_event(servers.blog, signed(payload, other))) == "invalid_key"  # a kid the bank never had
    # The bank's kid on another key's signature.
    impostor = ECKey.import_key(other.as_pem(private=True), parameters={"kid": str(servers.bank_key().kid)})
    assert refused(push_event(servers.blog, signed(payload, impostor))) == "invalid_key"
    # The bank's signature over other claims.
    header, _, signature = signed(payload, servers.bank_key()).split(".")
    _, body, _ = signed(claims(servers), servers.bank_key()).split(".")
    assert refused(push_event(servers.blog, f"{header}.{body}.{signature}")) == "invalid_key"
    assert stored_one(servers.blog, payload["jti"]) == []


def test_the_wrong_issuer_or_audience_is_refused(servers: Servers) -> None:
    key = servers.bank_key()
    assert refused(push_event(servers.blog, signed({**claims(servers), "iss": "http://127.0.0.99"}, key))) \
        == "invalid_issuer"
    assert refused(push_event(servers.blog, signed(claims(servers, aud="tv-a"), key))) == "invalid_audience"
    assert refused(push_event(servers.blog, signed(claims(servers, aud=["tv-a"]), key))) == "invalid_audience"


def test_malformed_sets_are_invalid_requests(servers: Servers) -> None:
    key = servers.bank_key()
    assert refused(push_event(servers.blog, "not a jws")) == "invalid_request"
    assert refused(push_event(servers.blog, signed(claims(servers), key, typ="JWT"))) == "invalid_request"
    assert refused(push_event(servers.blog, signed(claims(servers), key, typ=None))) == "invalid_request"
    no_event = claims(servers)
    no_event["events"] = {"urn:example:other": {}}
    assert refused(push_event(servers.blog, signed(no_event, key))) == "invalid_request"
    assert refused(push_event(servers.blog, signed({**claims(servers), "txn": "another-job"}, key))) == "invalid_request"
    assert refused(push_event(servers.blog, signed(claims(servers, role="bystander"), key))) == "invalid_request"
    assert refused(push_event(servers.blog, signed(claims(servers, counts={"post": -1}), key))) == "invalid_request"
    no_jti = claims(servers)
    del no_jti["jti"]
    assert refused(push_event(servers.blog, signed(no_jti, key))) == "invalid_request"
    assert refused(push_event(servers.blog, "é".encode() * 10)) == "invalid_request"
    assert refused(push_event(servers.blog, "a" * 70_000)) == "invalid_request"


def test_a_wrong_content_type_is_415(servers: Servers) -> None:
    token = signed(claims(servers), servers.bank_key())
    for content_type in ("application/json", "application/jwt", "text/plain"):
        answer = push_event(servers.blog, token, content_type=content_type)
        assert answer.status_code == 415, answer.text
        assert answer.json()["err"] == "invalid_request"
    no_type = requests.post(f"{servers.blog}/azukari/events", data=token.encode(), timeout=HTTP_TIMEOUT, proxies=NO_PROXY)
    assert no_type.status_code == 415


def test_the_events_endpoint_needs_no_csrf_token_nor_session(servers: Servers) -> None:
    """A server-to-server API: a cookie-less POST is taken (the other POSTs of the peer need csrf_token)."""
    browser = new_browser()
    payload = claims(servers)
    answer = browser.post(f"{servers.blog}/azukari/events", data=signed(payload, servers.bank_key()),
                          headers={"Content-Type": SET_CONTENT_TYPE}, timeout=HTTP_TIMEOUT)
    assert answer.status_code == 202 and not answer.cookies


# -- the bank's keys -------------------------------------------------------------------------------------------


def test_a_rotated_bank_key_is_fetched_again_and_an_unreachable_bank_is_503(servers: Servers) -> None:
    warm = claims(servers)
    assert push_event(servers.blog, signed(warm, servers.bank_key())).status_code == 202  # the JWKS is cached

    control("POST", f"{servers.bank}/_fake/switches", {"down": True})
    cached = claims(servers)
    assert push_event(servers.blog, signed(cached, servers.bank_key())).status_code == 202, "the cache serves"

    (servers.key_folder / CLIENT_KEY_FILE).unlink()  # the bank rotates its key
    rotated = claims(servers)
    token = signed(rotated, servers.bank_key())
    down = push_event(servers.blog, token)
    assert refused(down, 503) == "temporarily_unavailable" and down.headers["Retry-After"] == "30"
    assert stored_one(servers.blog, rotated["jti"]) == []

    control("POST", f"{servers.bank}/_fake/switches", {"down": False})
    assert push_event(servers.blog, token).status_code == 202, "the unknown kid makes the peer fetch the keys again"
    assert len(stored_one(servers.blog, rotated["jti"])) == 1
    # The old key is gone from the bank's JWKS: what it signs now is refused.
    (servers.key_folder / CLIENT_KEY_FILE).unlink()
    newest = servers.bank_key()
    old_kid_forgery = ECKey.generate_key("P-256", parameters={"kid": "gone"}, private=True)
    assert refused(push_event(servers.blog, signed(claims(servers), old_kid_forgery))) == "invalid_key"
    assert push_event(servers.blog, signed(claims(servers), newest)).status_code == 202


def test_a_peer_that_never_reached_the_bank_answers_503(servers: Servers, tmp_path: Path) -> None:
    from app.peers.blog_a import create_app

    # Nothing listens on port 9 of this address: connecting fails at once.
    client = create_app(storage_dir=tmp_path, issuer="http://127.0.0.45:9").test_client()
    payload = {**claims(servers), "iss": "http://127.0.0.45:9"}
    answer = client.post("/azukari/events", data=signed(payload, servers.bank_key()),
                         headers={"Content-Type": SET_CONTENT_TYPE})
    assert answer.status_code == 503 and answer.get_json()["err"] == "temporarily_unavailable"
    assert answer.headers["Retry-After"] == "30"
    assert client.get("/_test/azukari/events").get_json() == []


# -- the resident's page ---------------------------------------------------------------------------------------


def test_the_events_page_lists_the_signed_in_accounts_events_in_japanese(servers: Servers) -> None:
    access_token, account = bank_token_at_blog(servers, "taro")
    key = servers.bank_key()
    job = f"job-{uuid.uuid4()}"
    for payload in (
        claims(servers, job=job, counts={"post": 9, "comment": 2, "profile": 1}),
        claims(servers, job=job, state="complete", deletion_certificate_id="cert-2026-0001"),
        claims(servers, state="canceled", reason="consent_withdrawn", counts={}),
        claims(servers, state="failed", reason="something_new", counts={}),
    ):
        assert push_event(servers.blog, signed(payload, key), bearer=access_token).status_code == 202
    others = claims(servers, state="canceled", reason="rejected")
    assert push_event(servers.blog, signed(others, key)).status_code == 202  # nobody's

    anonymous = new_browser().get(f"{servers.blog}/azukari/events", timeout=HTTP_TIMEOUT)
    assert anonymous.status_code == 200 and "ログインしてください" in anonymous.text
    assert "Azukari から:" not in anonymous.text

    browser, start = signed_in(servers.blog, "taro@example.jp", "blog-a-taro-2026")
    assert 'href="/azukari/events"' in start
    page = browser.get(f"{servers.blog}/azukari/events", timeout=HTTP_TIMEOUT)
    assert page.status_code == 200 and '<html lang="ja">' in page.text
    text = page.text
    for line in ("Azukari から: のりかえが完了しました（受け取り 12 件を確認済み）",
                 "Azukari から: 移行元がデータを削除しました（証明書番号 cert-2026-0001）",
                 "Azukari から: のりかえは中止されました（同意が取り消されました）",
                 "のりかえを完了できませんでした（something_new）",
                 "記事 9 件", "コメント 2 件", "移行先", "2026-05-01 12:00"):
        assert line in text, line
    assert "サービスが受け付けませんでした" not in text, "another account's (or nobody's) events are not shown"
    mine = [row for row in stored(servers.blog) if row["account"] == account]
    assert len(mine) == 4


def test_the_test_control_is_loopback_json(servers: Servers) -> None:
    rows = stored(servers.blog)
    assert rows and all(set(row) == {"jti", "account", "job", "state", "role", "received_at"} for row in rows)
    assert [row["received_at"] for row in rows] == sorted((row["received_at"] for row in rows), reverse=True)
