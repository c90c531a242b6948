"""The destinations' importer API over real HTTP (patterns 2 and 4 of docs/switching.md), driven as the bank
drives it: authorize at the destination, open a job, push items, complete and verify the signed receipt. Every
test switch, the quota, scopes and the account page. blog-a is served as built; health-b with a tiny quota."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import rfc8785
from flask import Flask
from joserfc.errors import JoseError

from app.peers import PeerSpec
from app.peers.bank_link.signing import verify_compact_jws
from app.peers.destination.canonical import item_digest
from app.peers.runner import serve_peers
from tests.peers.oauth_helpers import HTTP_TIMEOUT, Flow, control, hidden_field, new_browser

BLOG_SECRET = "test-blog-a-secret"
HEALTH_SECRET = "test-health-b-secret"
BLOG_REDIRECT = "http://localhost:5999/switching/connect/blog-a/callback"
HEALTH_REDIRECT = "http://localhost:5999/switching/connect/health-b/callback"
HEALTH_QUOTA = 5
NO_PROXY = {"http": "", "https": ""}


def blog_a_app(*, storage_dir: Path) -> Flask:
    from app.peers.blog_a import create_app

    return create_app(storage_dir=storage_dir, client_secret=BLOG_SECRET, redirect_uris=[BLOG_REDIRECT])


def health_b_app(*, storage_dir: Path) -> Flask:
    from app.peers.health_b import create_app

    return create_app(storage_dir=storage_dir, client_secret=HEALTH_SECRET, redirect_uris=[HEALTH_REDIRECT],
                      quota_items=HEALTH_QUOTA)


@dataclass(frozen=True)
class Peers:
    blog: str
    health: str


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Peers]:
    with serve_peers([
        PeerSpec("blog-a", "127.0.0.7", 0, f"{__name__}:blog_a_app", "under test"),
        PeerSpec("health-b", "127.0.0.9", 0, f"{__name__}:health_b_app", "under test"),
    ], tmp_path_factory.mktemp("destinations")) as urls:
        yield Peers(urls["blog-a"], urls["health-b"])


@pytest.fixture(autouse=True)
def _reset_switches(peers: Peers) -> Iterator[None]:
    yield
    for base in (peers.blog, peers.health):
        control("DELETE", f"{base}/_test/switches")


def login(peer: str, first_name: str) -> dict[str, str]:
    return {"login_id": f"{first_name}@example.jp", "password": f"{peer}-{first_name}-2026"}


def tokens_for(base: str, peer: str, first_name: str, scope: str = "import profile") -> dict[str, Any]:
    """Authorize as the bank: the resident signs in at the destination and allows; the code is exchanged."""
    secret, redirect_uri = (BLOG_SECRET, BLOG_REDIRECT) if peer == "blog-a" else (HEALTH_SECRET, HEALTH_REDIRECT)
    flow = Flow(base, secret, redirect_uri, scope)
    params = flow.authorize(login(peer, first_name))
    assert params["iss"] == base
    response = flow.exchange(params["code"])
    assert response.status_code == 200, response.text
    return response.json()


@dataclass
class Bank:
    """The bank's side of the importer API, with one access token."""

    base: str
    token: str

    def call(self, method: str, path: str, body: Any = None, *, raw: bytes | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        if raw is not None:
            headers["Content-Type"] = "application/json"
        return requests.request(method, f"{self.base}{path}", json=body if raw is None else None, data=raw,
                                headers=headers, timeout=HTTP_TIMEOUT, proxies=NO_PROXY)

    def open_job(self, bank_job: str, format_name: str = "blog-a/1", expected: int = 0) -> str:
        response = self.call("POST", "/dtp/v1/jobs", {"job": bank_job, "format": format_name,
                                                      "expected": {"items": expected}})
        assert response.status_code in (200, 201), response.text
        return str(response.json()["id"])

    def push(self, job_id: str, envelopes: list[dict[str, Any]]) -> requests.Response:
        return self.call("POST", f"/dtp/v1/jobs/{job_id}/items", {"items": envelopes})

    def complete(self, job_id: str, manifest: dict[str, Any] | None = None) -> requests.Response:
        return self.call("POST", f"/dtp/v1/jobs/{job_id}/complete", manifest or {"manifest_version": 1})


def bank_for(base: str, peer: str, first_name: str, scope: str = "import profile") -> Bank:
    return Bank(base, tokens_for(base, peer, first_name, scope)["access_token"])


def envelope(item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item["id"], "sha256": item_digest(item), "item": item}


def post(number: int, **changes: Any) -> dict[str, Any]:
    item = {"id": f"post:{number}", "type": "post", "title": f"柏の葉の公園 {number}", "body_html": "<p>散歩</p>",
            "status": "published", "published_at": "2026-05-01T09:00:00+09:00",
            "updated_at": "2026-05-01T09:00:00+09:00", "tags": ["公園"]}
    return {**item, **changes}


def interest(topic: str) -> dict[str, Any]:
    return {"id": f"interest:{topic}", "type": "interest", "topic": topic, "source": "youtube"}


def sample(number: int) -> dict[str, Any]:
    return {"id": f"health_sample:{number}", "type": "sample", "metric": "step_count",
            "start": "2026-05-01T09:00:00+09:00", "end": "2026-05-01T10:00:00+09:00", "value": 1200 + number,
            "unit": "count", "source": "iPhone"}


def jwks(base: str) -> dict[str, Any]:
    return requests.get(f"{base}/.well-known/jwks.json", timeout=HTTP_TIMEOUT, proxies=NO_PROXY).json()


def receipt_of(bank: Bank, job_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    response = bank.complete(job_id)
    assert response.status_code == 200, response.text
    return verify_compact_jws(response.json()["receipt"], jwks(bank.base))


def received(base: str, first_name: str) -> dict[str, Any]:
    return control("GET", f"{base}/_test/received?login_id={first_name}@example.jp")


def job_items(base: str, first_name: str, job_id: str) -> list[dict[str, Any]]:
    return next(job["items"] for job in received(base, first_name)["jobs"] if job["id"] == job_id)


def misbehave(base: str, mode: str | None, **extra: Any) -> None:
    assert control("POST", f"{base}/_test/switches", {"misbehave": mode, **extra})["misbehave"] == mode


# -- authorization --------------------------------------------------------------------------------------------


def test_the_bank_authorizes_with_pkce_and_gets_rotating_refresh_tokens(peers: Peers) -> None:
    metadata = requests.get(f"{peers.blog}/.well-known/oauth-authorization-server", timeout=HTTP_TIMEOUT,
                            proxies=NO_PROXY).json()
    assert metadata["issuer"] == peers.blog and metadata["scopes_supported"] == ["import", "profile"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]

    flow = Flow(peers.blog, BLOG_SECRET, BLOG_REDIRECT, "import profile")
    params = flow.authorize(login("blog-a", "taro"))
    tokens = flow.exchange(params["code"]).json()
    assert tokens["scope"] == "import profile" and tokens["refresh_token"]
    me = Bank(peers.blog, tokens["access_token"]).call("GET", "/dtp/v1/me").json()
    assert me["display_name"] == "若柴 太郎" and me["service"] == "ブログサービスA"

    refreshed = flow.refresh(tokens["refresh_token"]).json()
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    assert flow.refresh(tokens["refresh_token"]).status_code == 400  # the old one was rotated away
    issued = control("GET", f"{peers.blog}/_test/tokens")
    assert {row["client_id"] for row in issued} == {"azukari"}
    assert all(row["sub"] != "taro@example.jp" for row in issued)  # an opaque subject, never the login id


def test_the_demo_passwords_are_per_peer(peers: Peers) -> None:
    flow = Flow(peers.health, HEALTH_SECRET, HEALTH_REDIRECT, "import")
    page = flow.get(flow.authorize_url())
    wrong = flow.submit(page, login_id="hanako@example.jp", password="blog-a-hanako-2026")
    assert "正しくありません" in wrong.text
    assert flow.authorize(login("health-b", "emily"))["code"]


def test_scopes_are_enforced(peers: Peers) -> None:
    profile_only = bank_for(peers.blog, "blog-a", "emily", "profile")
    refused = profile_only.call("POST", "/dtp/v1/jobs", {"job": "j-scope", "format": "blog-a/1"})
    assert refused.status_code == 403 and 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    import_only = bank_for(peers.blog, "blog-a", "emily", "import")
    assert import_only.call("GET", "/dtp/v1/me").status_code == 403
    anonymous = requests.post(f"{peers.blog}/dtp/v1/jobs", json={"job": "x", "format": "blog-a/1"},
                              timeout=HTTP_TIMEOUT, proxies=NO_PROXY)
    assert anonymous.status_code == 401
    assert Bank(peers.blog, "not-a-token").call("GET", "/dtp/v1/jobs/nope").status_code == 401


# -- jobs and items -------------------------------------------------------------------------------------------


def test_opening_a_job_is_idempotent_per_bank_job_and_account(peers: Peers) -> None:
    bank = bank_for(peers.blog, "blog-a", "hanako")
    first = bank.call("POST", "/dtp/v1/jobs", {"job": "bank-job-1", "format": "blog-a/1", "expected": {"items": 3}})
    assert first.status_code == 201 and first.json()["status"] == "open"
    again = bank.call("POST", "/dtp/v1/jobs", {"job": "bank-job-1", "format": "blog-a/1", "expected": {"items": 3}})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    other_account = bank_for(peers.blog, "blog-a", "emily").open_job("bank-job-1")
    assert other_account != first.json()["id"]
    # Another account's job is as good as absent.
    assert bank.call("GET", f"/dtp/v1/jobs/{other_account}").status_code == 404

    wrong_format = bank.call("POST", "/dtp/v1/jobs", {"job": "bank-job-2", "format": "tv-a/1"})
    assert wrong_format.status_code == 400 and wrong_format.json()["error"] == "unsupported_format"
    assert bank.call("POST", "/dtp/v1/jobs", {"format": "blog-a/1"}).json()["error"] == "invalid_request"
    status = bank.call("GET", f"/dtp/v1/jobs/{first.json()['id']}").json()
    assert status == {"id": first.json()["id"], "job": "bank-job-1", "status": "open", "items": 0}


def test_items_are_accepted_duplicates_conflicts_or_rejected(peers: Peers) -> None:
    bank = bank_for(peers.blog, "blog-a", "hanako")
    job = bank.open_job("bank-job-items")
    tampered = envelope(post(3))
    tampered["item"] = {**tampered["item"], "title": "書き換え"}
    no_body = post(4)
    del no_body["body_html"]
    video = {"id": "watch_event:1", "type": "viewing", "title": "x", "channel": "y", "watched_at": "z", "url": "u"}
    answer = bank.push(job, [envelope(post(1)), envelope(post(2)), tampered, envelope(no_body), envelope(video),
                             envelope(post(1)), {"id": "post:5", "sha256": "0" * 64},
                             {"id": "post:6", "sha256": item_digest(post(7)), "item": post(7)}])
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "accepted": ["post:1", "post:2"],
        "duplicates": ["post:1"],
        "rejected": [{"id": "post:3", "error": "digest_mismatch"}, {"id": "post:4", "error": "invalid_item"},
                     {"id": "watch_event:1", "error": "unsupported_type"}, {"id": "post:5", "error": "invalid_item"},
                     {"id": "post:6", "error": "invalid_item"}],
    }
    again = bank.push(job, [envelope(post(1)), envelope(post(2, title="別の題"))]).json()
    assert again == {"accepted": [], "duplicates": ["post:1"], "rejected": [{"id": "post:2", "error": "conflict"}]}
    stored = job_items(peers.blog, "hanako", job)
    assert stored == [{"id": "post:1", "type": "post", "sha256": item_digest(post(1))},
                      {"id": "post:2", "type": "post", "sha256": item_digest(post(2))}]
    assert bank.call("GET", f"/dtp/v1/jobs/{job}").json()["items"] == 2
    too_many = bank.push(job, [envelope(post(n)) for n in range(501)])
    assert too_many.status_code == 400 and too_many.json()["error"] == "invalid_request"
    assert bank.push("no-such-job", [envelope(post(1))]).status_code == 404


def test_an_equal_item_serialised_differently_verifies(peers: Peers) -> None:
    """Key order, whitespace, escapes and number forms differ on the wire; the RFC 8785 digest does not."""
    bank = bank_for(peers.health, "health-b", "taro")
    job = bank.open_job("bank-job-jcs", "health-b/1")
    item = {"id": "health_sample:jcs", "type": "sample", "metric": "body_mass", "start": "2026-05-01T07:00:00+09:00",
            "end": "2026-05-01T07:00:00+09:00", "value": 100, "unit": "kg", "source": "体重計 ☆"}
    digest = item_digest(item)
    assert digest == hashlib.sha256(rfc8785.dumps(item)).hexdigest()
    wire = (
        '{ "items" : [ {"sha256": "DIGEST", "item": {\n  "value": 1.0E2, "unit": "kg", "type": "sample",'
        ' "source": "\\u4f53\\u91cd\\u8a08 \\u2606", "start": "2026-05-01T07:00:00+09:00",'
        ' "metric": "body_mass", "id": "health_sample:jcs",  "end": "2026-05-01T07:00:00+09:00" }, "id":'
        ' "health_sample:jcs"} ] }'
    ).replace("DIGEST", digest)
    first = bank.call("POST", f"/dtp/v1/jobs/{job}/items", raw=wire.encode())
    assert first.json() == {"accepted": ["health_sample:jcs"], "duplicates": [], "rejected": []}, first.text
    other = json.dumps({"items": [{"id": item["id"], "sha256": digest, "item": {**item, "value": 100.000}}]},
                       indent=3, sort_keys=True, ensure_ascii=True)
    assert bank.call("POST", f"/dtp/v1/jobs/{job}/items", raw=other.encode()).json()["duplicates"] == [item["id"]]
    assert job_items(peers.health, "taro", job) == [{"id": item["id"], "type": "sample", "sha256": digest}]


# -- receipts -------------------------------------------------------------------------------------------------


def test_the_receipt_is_signed_and_lists_exactly_what_was_stored(peers: Peers) -> None:
    bank = bank_for(peers.blog, "blog-a", "taro")
    job = bank.open_job("bank-job-receipt", expected=4)
    envelopes = [envelope(post(2)), envelope(post(1)), envelope(interest("子育て")), envelope(post(9, tags=[]))]
    assert len(bank.push(job, envelopes).json()["accepted"]) == 4
    manifest = {"manifest_version": 1, "job": "bank-job-receipt", "source": "google", "destination": "blog-a",
                "format": "blog-a/1", "created_at": "2026-11-27T09:00:00+09:00",
                "items": sorted(({"id": e["id"], "sha256": e["sha256"]} for e in envelopes), key=lambda e: e["id"]),
                "counts": {"post": 3, "interest": 1}}
    response = bank.complete(job, manifest)
    assert response.status_code == 200, response.text
    header, payload = verify_compact_jws(response.json()["receipt"], jwks(peers.blog))
    assert header["alg"] == "ES256" and header["kid"] == jwks(peers.blog)["keys"][0]["kid"]
    assert set(payload) == {"receipt_version", "iss", "job", "received_at", "items", "counts"}
    assert payload["receipt_version"] == 1 and payload["iss"] == peers.blog and payload["job"] == "bank-job-receipt"
    assert payload["items"] == manifest["items"] and payload["counts"] == {"interest": 1, "post": 3}
    assert payload["received_at"].endswith("+09:00")
    assert bank.call("GET", f"/dtp/v1/jobs/{job}").json()["status"] == "completed"
    # Completing twice answers a receipt again; the job stays readable.
    _, again = receipt_of(bank, job)
    assert again["items"] == payload["items"]
    # A manifest for another job is refused rather than signed for.
    assert bank.complete(job, {"manifest_version": 1, "job": "someone-else"}).status_code == 400


def test_a_receipt_does_not_verify_with_another_peers_key(peers: Peers) -> None:
    bank = bank_for(peers.blog, "blog-a", "taro")
    job = bank.open_job("bank-job-other-key")
    bank.push(job, [envelope(post(1))])
    receipt = bank.complete(job).json()["receipt"]
    with pytest.raises(JoseError):
        verify_compact_jws(receipt, jwks(peers.health))


# -- switches -------------------------------------------------------------------------------------------------


def test_drop_item_acknowledges_the_first_item_but_the_receipt_lacks_it(peers: Peers) -> None:
    bank = bank_for(peers.blog, "blog-a", "emily")
    job = bank.open_job("bank-job-drop")
    misbehave(peers.blog, "drop_item")
    assert bank.push(job, [envelope(post(1)), envelope(post(2))]).json()["accepted"] == ["post:1", "post:2"]
    assert bank.push(job, [envelope(post(3)), envelope(post(4))]).json()["accepted"] == ["post:3", "post:4"]
    misbehave(peers.blog, None)
    _, payload = receipt_of(bank, job)
    assert [entry["id"] for entry in payload["items"]] == ["post:2", "post:4"]
    assert [entry["id"] for entry in job_items(peers.blog, "emily", job)] == ["post:2", "post:4"]


def test_wrong_hash_states_a_changed_digest_for_one_item(peers: Peers) -> None:
    bank = bank_for(peers.blog, "blog-a", "emily")
    job = bank.open_job("bank-job-wrong-hash")
    envelopes = [envelope(post(1)), envelope(post(2))]
    bank.push(job, envelopes)
    misbehave(peers.blog, "wrong_hash")
    _, payload = receipt_of(bank, job)
    stated = {entry["id"]: entry["sha256"] for entry in payload["items"]}
    assert stated.keys() == {"post:1", "post:2"}
    assert [e["id"] for e in envelopes if stated[e["id"]] != e["sha256"]] == ["post:1"]
    misbehave(peers.blog, None)
    _, honest = receipt_of(bank, job)
    assert {entry["id"]: entry["sha256"] for entry in honest["items"]} == {e["id"]: e["sha256"] for e in envelopes}


def test_error_500_rate_limited_and_full(peers: Peers) -> None:
    bank = bank_for(peers.blog, "blog-a", "emily")
    job = bank.open_job("bank-job-errors")
    misbehave(peers.blog, "error_500")
    for response in (bank.call("POST", "/dtp/v1/jobs", {"job": "x", "format": "blog-a/1"}), bank.push(job, []),
                     bank.complete(job), bank.call("GET", f"/dtp/v1/jobs/{job}")):
        assert response.status_code == 500 and response.json()["error"] == "server_error"
    misbehave(peers.blog, "rate_limited")
    limited = bank.push(job, [envelope(post(1))])
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert limited.json()["error"] == "rate_limited"
    misbehave(peers.blog, "full")
    full = bank.push(job, [envelope(post(1))])
    assert full.status_code == 507 and full.json()["error"] == "destination_full"
    misbehave(peers.blog, None)
    assert job_items(peers.blog, "emily", job) == []
    assert bank.push(job, [envelope(post(1))]).json()["accepted"] == ["post:1"]


def test_slow_and_garbage(peers: Peers) -> None:
    bank = bank_for(peers.blog, "blog-a", "emily")
    job = bank.open_job("bank-job-slow")
    misbehave(peers.blog, "slow", slow_seconds=0.6)
    started = time.monotonic()
    assert bank.call("GET", f"/dtp/v1/jobs/{job}").status_code == 200
    assert time.monotonic() - started >= 0.6
    misbehave(peers.blog, "garbage")
    garbage = bank.push(job, [envelope(post(1))])
    assert garbage.status_code == 200 and garbage.headers["Content-Type"] == "application/json"
    with pytest.raises(ValueError):
        garbage.json()
    misbehave(peers.blog, None)
    assert job_items(peers.blog, "emily", job) == []


def test_the_quota_answers_507_and_stores_nothing_of_the_call(peers: Peers) -> None:
    bank = bank_for(peers.health, "health-b", "hanako")
    job = bank.open_job("bank-job-quota", "health-b/1")
    assert len(bank.push(job, [envelope(sample(n)) for n in range(4)]).json()["accepted"]) == 4
    full = bank.push(job, [envelope(sample(n)) for n in range(4, 6)])
    assert full.status_code == 507 and full.json()["error"] == "destination_full"
    assert len(job_items(peers.health, "hanako", job)) == 4
    # What is already held is still a duplicate, and one more fits.
    fits = bank.push(job, [envelope(sample(0)), envelope(sample(4))]).json()
    assert fits["duplicates"] == ["health_sample:0"] and fits["accepted"] == ["health_sample:4"]


# -- the resident's page --------------------------------------------------------------------------------------


def test_the_account_page_shows_what_arrived_in_japanese(peers: Peers) -> None:
    bank = bank_for(peers.blog, "blog-a", "hanako")
    job = bank.open_job("bank-job-page")
    bank.push(job, [envelope(post(1, title="こどもの森で虫とり")), envelope(interest("昆虫"))])
    browser = new_browser()
    page = browser.get(f"{peers.blog}/", timeout=HTTP_TIMEOUT)
    assert page.status_code == 200 and "ログイン" in page.text
    wrong = browser.post(f"{peers.blog}/login", data={"csrf_token": hidden_field(page.text, "csrf_token"),
                                                      "login_id": "hanako@example.jp", "password": "nope"},
                         timeout=HTTP_TIMEOUT)
    assert wrong.status_code == 401
    signed_in = browser.post(f"{peers.blog}/login", data={"csrf_token": hidden_field(wrong.text, "csrf_token"),
                                                          "login_id": "hanako@example.jp",
                                                          "password": "blog-a-hanako-2026"}, timeout=HTTP_TIMEOUT)
    assert signed_in.status_code == 200, signed_in.text
    for text in ("受け取ったデータ", "柏の葉 花子", "記事", "興味・関心", "こどもの森で虫とり", "昆虫", "Azukari から受け取る"):
        assert text in signed_in.text
    assert 'name="viewport"' in signed_in.text
