"""The recipient peers against the real bank: gunicorn on a fresh database with the demo seed (which registers
both peers as OAuth clients at their URLs, with their `jwks_uri`), the peers from the runner. hanako connects
柏市's system and the partner from their start pages, the notices reach her inbox, and disconnecting at the bank
makes the next pull "refused"."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from app.demo.seed import DEMO_RESIDENTS
from app.peers.recipient.rules import fiscal_year, today_in_japan
from e2e.server import LiveServer

TIMEOUT = 15
HANAKO = DEMO_RESIDENTS[0]
_INPUT = re.compile(r"<input\b[^>]*>")
_ATTRIBUTE = re.compile(r'\b(name|type|value)="([^"]*)"')
_FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.DOTALL)


@pytest.fixture
def live(fresh_database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(fresh_database_url, tmp_path)
    try:
        server.start_peers(("kashiwa-city", "partner"))
        server.seed()  # after the peers: it registers their URLs
        server.start(worker=False)
        yield server
    finally:
        server.stop()


class Resident:
    """hanako's browser: one cookie jar for the bank and the peers, which are different sites."""

    def __init__(self, bank: str) -> None:
        self.bank = bank
        self.http = requests.Session()
        self.http.trust_env = False

    def submit(self, page: requests.Response, form_index: int = 0, **fields: Any) -> requests.Response:
        """Post one form of the page with its own hidden fields (the bank and the peers order attributes
        differently, and a page may hold several forms)."""
        action, body = _FORM.findall(page.text)[form_index]
        hidden = {}
        for tag in _INPUT.findall(body):
            attributes = dict(_ATTRIBUTE.findall(tag))
            if attributes.get("type") == "hidden" and "name" in attributes:
                hidden[html.unescape(attributes["name"])] = html.unescape(attributes.get("value", ""))
        return self.http.post(urljoin(page.url, html.unescape(action)), data={**hidden, **fields},
                              allow_redirects=False, timeout=TIMEOUT)

    def connect(self, peer: str, items: list[str]) -> requests.Response:
        """Start page → "Azukari と連携する" → log in at the bank → consent to `items` → back at the peer."""
        start = self.http.get(f"{peer}/start", timeout=TIMEOUT)
        to_bank = self.submit(start)
        assert to_bank.status_code == 303 and to_bank.headers["Location"].startswith(f"{self.bank}/oauth/authorize?")
        authorization_url = to_bank.headers["Location"]
        answer = self.http.get(authorization_url, allow_redirects=False, timeout=TIMEOUT)
        if answer.status_code == 303 and "/login" in answer.headers["Location"]:
            login = self.http.get(urljoin(authorization_url, answer.headers["Location"]), timeout=TIMEOUT)
            logged_in = self.submit(login, email=HANAKO.email, password=HANAKO.password)
            assert logged_in.status_code == 303, logged_in.text[:300]
            answer = self.http.get(urljoin(authorization_url, logged_in.headers["Location"]), allow_redirects=False,
                                   timeout=TIMEOUT)
        assert answer.status_code == 200, f"{answer.status_code}: {answer.text[:300]}"
        decided = self.submit(answer, decision="allow", items=items)
        assert decided.status_code == 303, f"{decided.status_code}: {decided.text[:300]}"
        assert decided.headers["Location"].startswith(f"{peer}/callback?")
        return self.http.get(decided.headers["Location"], allow_redirects=False, timeout=TIMEOUT)


def control(method: str, url: str) -> Any:
    response = requests.request(method, url, json={} if method == "POST" else None, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.timeout(240)
def test_recipients_link_pull_and_notify_through_the_real_bank(live: LiveServer) -> None:
    city, partner = live.peer_urls["kashiwa-city"], live.peer_urls["partner"]
    hanako = Resident(live.url)
    try:
        page = hanako.connect(city, ["children_count", "age_bands", "town_group"])
        assert page.status_code == 200, f"{page.text[:600]}\n{live.log()[-3000:]}"
        assert "Azukari と連携しました" in page.text and "一時預かりのご案内" in page.text
        [link] = control("GET", f"{city}/_test/links")
        assert link["state"] == "active" and link["scope"] == "children_count age_bands town_group notices"
        # The demo household: two children (elementary and 3-5), no home address yet.
        assert link["items"] == {"children_count": 2, "age_bands": ["3-5", "elementary"], "town_group": None}
        assert [notice["id"] for notice in link["notices"]] == [f"ichiji-azukari-fy{fiscal_year(today_in_japan())}"]
        assert link["notices"][0]["bank_id"]

        [again] = control("POST", f"{city}/_test/pull")
        assert again["status"] == "ok" and again["notices_sent"] == []
        assert control("GET", f"{city}/_test/links")[0]["record"] > link["record"], "each answer is a new record"

        page = hanako.connect(partner, ["age_bands"])
        assert page.status_code == 200 and "【例】" in page.text
        [partner_link] = control("GET", f"{partner}/_test/links")
        assert partner_link["sub"] != link["sub"], "pairwise subjects"
        assert partner_link["items"] == {"age_bands": ["3-5", "elementary"]}

        inbox = hanako.http.get(f"{live.url}/inbox", timeout=TIMEOUT).text
        assert "一時預かりのご案内" in inbox and "親子食育講座" in inbox

        connections = hanako.http.get(f"{live.url}/consents/connections", timeout=TIMEOUT)
        forms = _FORM.findall(connections.text)
        index = next(i for i, (action, _) in enumerate(forms) if "/kashiwa-city/disconnect" in html.unescape(action))
        assert hanako.submit(connections, index).status_code == 303
        [refused] = control("POST", f"{city}/_test/pull")
        assert refused["status"] == "refused", refused
        assert control("GET", f"{city}/_test/links")[0]["state"] == "refused"
        assert control("POST", f"{partner}/_test/pull")[0]["status"] == "ok", "the partner's link is untouched"
    finally:
        hanako.http.close()
    assert urlsplit(city).hostname == "127.0.0.4"
