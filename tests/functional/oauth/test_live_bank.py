"""The authorization server as real processes (gunicorn on a fresh database): concurrency on PostgreSQL, and an
independent client — the certified npm package openid-client (tests/openid_client/)
runs a recipient's system over real HTTP, with private_key_jwt (ES256), through authorization code + PKCE S256,
the resource API, a rotating refresh, introspection and revocation. The test registers the client with
`flask oauth add-client`, plays the resident (hanako of the demo seed) with `requests`, and reads the client's
summary. What openid-client checks on its own (RFC 8414 metadata and issuer, state, RFC 9207 `iss`, the token
responses) would make it exit non-zero if the bank got it wrong.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
import sqlalchemy as sa
from joserfc import jwt
from joserfc.jwk import ECKey

from app.config import PROJECT_ROOT
from app.demo.seed import DEMO_RESIDENTS
from e2e.server import LiveServer
from tests.openid_client.process import OpenidClientProcess, installed_version, missing_requirement

CLIENT_ID = "openid-client-city"
CITY = ("kashiwa_kosodate", "municipal_recommendation")
SCOPES = ["children_count", "age_bands", "town_group", "notices"]
CHOSEN_ITEMS = ["children_count", "town_group"]
# Loopback and never listened on: the client is handed the redirect by the test, not by a browser.
REDIRECT_URI = "http://127.0.0.1/openid-client/callback"
TIMEOUT = 15

_HIDDEN_INPUT = re.compile(r'<input[^>]*\bname="([^"]+)"[^>]*\btype="hidden"[^>]*\bvalue="([^"]*)"')
_POST_FORM = re.compile(r'<form method="post" action="([^"]+)"')


class ResidentBrowser:
    """A resident's browser at the bank: logs in when sent to /login, then decides on the consent screen."""

    def __init__(self) -> None:
        self.http = requests.Session()

    def close(self) -> None:
        self.http.close()

    def _submit(self, page: requests.Response, **fields: str | list[str]) -> requests.Response:
        action = _POST_FORM.search(page.text)
        assert action, f"no form on {page.url}: {page.text[:300]}"
        hidden = {html.unescape(name): html.unescape(value) for name, value in _HIDDEN_INPUT.findall(page.text)}
        assert "csrf_token" in hidden, f"no CSRF field on {page.url}"
        return self.http.post(urljoin(page.url, html.unescape(action.group(1))), data={**hidden, **fields},
                              allow_redirects=False, timeout=TIMEOUT)

    def allow(self, authorization_url: str, *, email: str, password: str, items: list[str]) -> str:
        """Open the authorization URL, log in, allow `items`; the Location the bank redirects to (a 303)."""
        to_login = self.http.get(authorization_url, allow_redirects=False, timeout=TIMEOUT)
        assert to_login.status_code == 303 and "/login?next=" in to_login.headers["Location"], to_login.status_code
        login_page = self.http.get(urljoin(authorization_url, to_login.headers["Location"]), timeout=TIMEOUT)
        logged_in = self._submit(login_page, email=email, password=password)
        assert logged_in.status_code == 303, f"login answered {logged_in.status_code}: {logged_in.text[:300]}"
        back = urljoin(authorization_url, logged_in.headers["Location"])
        assert urlsplit(back).path == "/oauth/authorize", back
        consent_page = self.http.get(back, allow_redirects=False, timeout=TIMEOUT)
        assert consent_page.status_code == 200, f"{consent_page.status_code}: {consent_page.text[:300]}"
        decided = self._submit(consent_page, decision="allow", items=items)
        assert decided.status_code == 303, f"consent answered {decided.status_code}: {decided.text[:300]}"
        return str(decided.headers["Location"])


@pytest.fixture
def live_bank(fresh_database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """The bank under gunicorn on a fresh database with the demo seed; no peers and no worker (nothing here
    waits for a job)."""
    server = LiveServer(fresh_database_url, tmp_path)
    try:
        server.seed()
        server.start(worker=False)
        yield server
    finally:
        server.stop()


@pytest.fixture
def client_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"use": "sig"}, auto_kid=True)


def add_client(server: LiveServer, key: ECKey, workdir: Path) -> None:
    """`flask oauth add-client` with the live bank's environment, as an operator would from a shell."""
    jwks_file = workdir / "openid-client.jwks.json"
    jwks_file.write_text(json.dumps({"keys": [key.as_dict(private=False)]}), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "oauth", "add-client", "--client-id", CLIENT_ID,
         "--name", "柏市 子育て支援システム (openid-client)", "--recipient", CITY[0], "--purpose", CITY[1],
         "--redirect-uri", REDIRECT_URI, *[arg for scope in SCOPES for arg in ("--scope", scope)],
         "--jwks-file", str(jwks_file)],
        cwd=PROJECT_ROOT, env=server.env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"client {CLIENT_ID} registered" in result.stdout


def test_openid_client_runs_code_pkce_refresh_and_revocation_against_a_live_bank(live_bank: LiveServer,
                                                                                 client_key: ECKey,
                                                                                 tmp_path: Path) -> None:
    if (missing := missing_requirement()) is not None:
        pytest.fail(missing, pytrace=False)
    add_client(live_bank, client_key, tmp_path)
    hanako = DEMO_RESIDENTS[0]
    recipient_system = OpenidClientProcess(tmp_path / "openid-client.log", issuer=live_bank.url, client_id=CLIENT_ID,
                                           key=client_key, redirect_uri=REDIRECT_URI, scope=" ".join(SCOPES))
    browser = ResidentBrowser()
    try:
        authorization_url = recipient_system.authorization_url()
        assert authorization_url.startswith(f"{live_bank.url}/oauth/authorize?")
        callback = browser.allow(authorization_url, email=hanako.email, password=hanako.password, items=CHOSEN_ITEMS)
        assert callback.startswith(REDIRECT_URI + "?"), callback
        summary = recipient_system.finish(callback)
    except BaseException:
        print(f"openid-client {installed_version()} stderr:\n{recipient_system.stderr()}")
        print(f"bank log:\n{live_bank.log()[-4000:]}")
        raise
    finally:
        browser.close()
        recipient_system.stop()
    print(f"openid-client {installed_version()} summary:", json.dumps(summary, indent=2))  # shown if an assert fails

    granted = "children_count town_group notices"
    assert summary["discovery"]["issuer"] == live_bank.url
    assert summary["discovery"]["authorization_response_iss_parameter_supported"] is True
    assert summary["authorization_response"] == {"iss": live_bank.url, "state_matched": True}

    assert summary["token"]["token_type"].lower() == "bearer"
    assert summary["token"]["scope"] == granted  # the resident ticked two of the three items asked for
    assert summary["token"]["expires_in"] == 300 and summary["token"]["has_refresh_token"] is True
    for me in (summary["me"], summary["me_after_refresh"]):
        assert me == {"status": 200, "recipient": CITY[0], "purpose": CITY[1], "items": CHOSEN_ITEMS, "withheld": []}
    assert summary["introspection"] == {"active": True, "scope": granted, "client_id": CLIENT_ID}

    assert summary["refresh"]["scope"] == granted
    assert summary["refresh"]["new_refresh_token"] is True and summary["refresh"]["new_access_token"] is True

    assert summary["revocation"] == {"method": "POST", "path": "/oauth/revoke", "status": 200}
    after = summary["after_revocation"]
    # Revoking the refresh token ends the whole family (RFC 7009 §2.1): both access tokens are refused.
    for refused in (after["me_with_refreshed_access_token"], after["me_with_first_access_token"]):
        assert refused == {"status": 401, "challenge": {"scheme": "bearer", "error": "invalid_token"}}
    assert after["refresh"] == {"status": 400, "error": "invalid_grant"}
    assert after["introspection_active"] is False


def _assertion(key: ECKey, issuer: str) -> dict[str, str]:


    now = int(time.time())
    claims = {"iss": CLIENT_ID, "sub": CLIENT_ID, "aud": issuer, "jti": secrets.token_urlsafe(16), "iat": now,
              "exp": now + 60}
    return {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)}


def _race(calls: list) -> list[requests.Response]:  # type: ignore[type-arg]
    """Run the calls at the same moment, each on its own connection (so each is its own request and transaction)."""

    barrier = threading.Barrier(len(calls))
    results: list[requests.Response | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT * 2)
    assert all(result is not None for result in results)
    return results  # type: ignore[return-value]


def _authorized_code(live_bank: LiveServer, state: str) -> tuple[str, str]:
    """Hanako allows CHOSEN_ITEMS to the registered client: (the code, its PKCE verifier)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    url = f"{live_bank.url}/oauth/authorize?" + urlencode({
        "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "scope": " ".join(SCOPES),
        "state": state, "code_challenge": challenge, "code_challenge_method": "S256"})
    browser = ResidentBrowser()
    hanako = DEMO_RESIDENTS[0]
    try:
        callback = browser.allow(url, email=hanako.email, password=hanako.password, items=CHOSEN_ITEMS)
    finally:
        browser.close()
    return parse_qs(urlsplit(callback).query)["code"][0], verifier


def _exchange(live_bank: LiveServer, key: ECKey, code: str, verifier: str) -> requests.Response:
    return requests.post(f"{live_bank.url}/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier,
        **_assertion(key, live_bank.url)}, timeout=TIMEOUT)


def test_concurrent_exchanges_of_one_code_and_one_refresh_token_yield_one_token(live_bank: LiveServer,
                                                                                   client_key: ECKey,
                                                                                   tmp_path: Path) -> None:
    """C3/C5 on real processes (gunicorn, 2 workers × 4 threads): the conditional UPDATE lets exactly one win."""
    add_client(live_bank, client_key, tmp_path)
    code, verifier = _authorized_code(live_bank, "race")
    token_url = f"{live_bank.url}/oauth/token"
    exchanges = _race([lambda: _exchange(live_bank, client_key, code, verifier)] * 2)
    assert sorted(r.status_code for r in exchanges) == [200, 400], [r.text for r in exchanges]
    # The loser's attempt was a replay: everything the code issued is revoked.
    token = next(r.json() for r in exchanges if r.status_code == 200)
    me = requests.get(f"{live_bank.url}/api/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"},
                      timeout=TIMEOUT)
    assert me.status_code == 401

    fresh = _exchange(live_bank, client_key, *_authorized_code(live_bank, "race-2")).json()

    def refresh() -> requests.Response:
        return requests.post(token_url, data={"grant_type": "refresh_token", "refresh_token": fresh["refresh_token"],
                                              **_assertion(client_key, live_bank.url)}, timeout=TIMEOUT)

    refreshes = _race([refresh, refresh, refresh])
    assert sorted(r.status_code for r in refreshes) == [200, 400, 400], [r.text for r in refreshes]
    winner = next(r.json() for r in refreshes if r.status_code == 200)
    # Within the grace the losers only failed: the winner's family lives.
    me = requests.get(f"{live_bank.url}/api/v1/me", headers={"Authorization": f"Bearer {winner['access_token']}"},
                      timeout=TIMEOUT)
    assert me.status_code == 200


def test_a_refresh_waits_for_a_withdrawal_in_progress_and_then_is_refused(live_bank: LiveServer, client_key: ECKey,
                                                                            tmp_path: Path) -> None:
    """C5 + withdrawal, deterministically: while a withdrawal holds the resident's chain lock (here, a transaction
    of the test's own), a refresh waits; once the withdrawal commits, the refresh sees it and issues nothing."""


    if not live_bank.database_url.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's; SQLite serialises every write at BEGIN")
    add_client(live_bank, client_key, tmp_path)
    tokens = _exchange(live_bank, client_key, *_authorized_code(live_bank, "lock")).json()
    token_url = f"{live_bank.url}/oauth/token"
    hanako = DEMO_RESIDENTS[0]
    engine = sa.create_engine(live_bank.database_url)
    results: list[requests.Response] = []
    try:
        with engine.connect() as connection:
            transaction = connection.begin()
            resident_id = connection.execute(sa.text("SELECT id FROM resident WHERE email = :e"),
                                             {"e": hanako.email}).scalar_one()
            connection.execute(sa.text("SELECT id FROM ledger_chain WHERE subject = :s FOR UPDATE"),
                               {"s": f"resident:{resident_id}"})
            refresh = threading.Thread(target=lambda: results.append(requests.post(token_url, data={
                "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                **_assertion(client_key, live_bank.url)}, timeout=TIMEOUT * 2)))
            refresh.start()
            time.sleep(1.5)
            assert refresh.is_alive(), "the refresh did not wait for the resident's chain lock"
            # What a withdrawal does under the lock: the grants end (then it commits).
            connection.execute(sa.text(
                "UPDATE consent_grant SET granted = false, expires_at = NULL WHERE resident_id = :r "
                "AND recipient_key = :rk AND purpose_key = :pk"), {"r": resident_id, "rk": CITY[0], "pk": CITY[1]})
            transaction.commit()
            refresh.join(TIMEOUT * 2)
    finally:
        engine.dispose()
    assert results and results[0].status_code == 400 and results[0].json()["error"] == "invalid_grant"
