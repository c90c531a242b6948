"""The recipient peers over real HTTP against a fake of the bank's contract (tests/peers/fake_bank.py): connect,
callback checks, pulls with refresh and rotation, refusals, notices. Each test links its own demo resident."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app.peers import PeerSpec
from app.peers.kashiwa_city import PROFILE as CITY
from app.peers.kashiwa_city import create_app as create_city
from app.peers.partner import PROFILE as PARTNER
from app.peers.recipient.bank import BANK_DOWN, ISSUER_MISMATCH
from app.peers.recipient.rules import fiscal_year, today_in_japan
from app.peers.runner import serve_peers
from tests.peers import fake_bank
from tests.peers.oauth_helpers import HTTP_TIMEOUT, control, hidden_field, new_browser

FY = fiscal_year(today_in_japan())


@dataclass(frozen=True)
class Servers:
    bank: str
    city: str
    partner: str
    storage: Path

    def url(self, peer: str) -> str:
        return self.city if peer == CITY.peer_name else self.partner


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    storage = tmp_path_factory.mktemp("recipients")
    with ExitStack() as stack:
        bank = stack.enter_context(serve_peers(fake_bank.SPECS, storage))[fake_bank.NAME]
        # The peers read the bank's location and their client ids when they are built.
        with pytest.MonkeyPatch.context() as environment:
            environment.setenv("AZUKARI_ISSUER", bank)
            environment.delenv("KASHIWA_CITY_CLIENT_ID", raising=False)
            environment.delenv("PARTNER_CLIENT_ID", raising=False)
            urls = stack.enter_context(serve_peers([
                PeerSpec(CITY.peer_name, "127.0.0.4", 0, "app.peers.kashiwa_city:create_app", "under test"),
                PeerSpec(PARTNER.peer_name, "127.0.0.5", 0, "app.peers.partner:create_app", "under test"),
            ], storage))
        for profile, client_id in ((CITY, "kashiwa-city"), (PARTNER, "kashiwanoha-partner")):
            base = urls[profile.peer_name]
            control("POST", f"{bank}/_fake/clients", {
                "client_id": client_id, "redirect_uris": [f"{base}/callback"],
                "jwks_uri": f"{base}/.well-known/jwks.json", "scopes": list(profile.scopes),
                "recipient": profile.recipient_key, "purpose": profile.purpose_key})
        yield Servers(bank, urls[CITY.peer_name], urls[PARTNER.peer_name], storage)


@dataclass(frozen=True)
class Connected:
    page: requests.Response  # what the peer answered at its callback
    authorization_request: dict[str, str]  # the query the peer sent the browser to the bank with
    callback_url: str
    browser: requests.Session


def connect(servers: Servers, peer: str, resident: str, **decision: Any) -> Connected:
    """A resident's browser: start page, "Azukari と連携する", the bank (which decides as told), the callback."""
    control("POST", f"{servers.bank}/_fake/next", {"resident": resident, "decision": "allow", **decision})
    base, browser = servers.url(peer), new_browser()
    start = browser.get(f"{base}/start", timeout=HTTP_TIMEOUT)
    to_bank = browser.post(f"{base}/connect", data={"csrf_token": hidden_field(start.text, "csrf_token")},
                           allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert to_bank.status_code == 303, to_bank.text
    location = to_bank.headers["Location"]
    assert location.startswith(f"{servers.bank}/oauth/authorize?")
    back = browser.get(location, allow_redirects=False, timeout=HTTP_TIMEOUT)
    assert back.status_code == 303 and back.headers["Location"].startswith(f"{base}/callback?")
    page = browser.get(back.headers["Location"], allow_redirects=False, timeout=HTTP_TIMEOUT)
    query = {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
    return Connected(page, query, back.headers["Location"], browser)


def bank_state(servers: Servers) -> dict[str, Any]:
    return control("GET", f"{servers.bank}/_fake/state")


def pull(servers: Servers, peer: str) -> dict[str, dict[str, Any]]:
    return {result["sub"]: result for result in control("POST", f"{servers.url(peer)}/_test/pull", {})}


def link_of(servers: Servers, peer: str, sub: str) -> dict[str, Any]:
    return next(link for link in control("GET", f"{servers.url(peer)}/_test/links") if link["sub"] == sub)


def notices_of(servers: Servers, resident: str, client_id: str) -> list[dict[str, Any]]:
    return [n for n in bank_state(servers)["notices"] if n["resident"] == resident and n["client_id"] == client_id]


def test_connect_links_the_resident_pulls_and_sends_the_citys_notices(servers: Servers) -> None:
    connected = connect(servers, CITY.peer_name, "hanako")
    page, query = connected.page, connected.authorization_request
    assert query["response_type"] == "code" and query["client_id"] == "kashiwa-city"
    assert query["redirect_uri"] == f"{servers.city}/callback" and query["scope"] == CITY.scope
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43 and query["state"]

    assert page.status_code == 200, page.text
    for text in ("Azukari と連携しました", "柏の葉（実証地区）", "0〜2歳、3〜5歳、小学生",
                 "一時預かりのご案内", "乳幼児健康診査のご案内"):
        assert text in page.text
    sent = notices_of(servers, "hanako", "kashiwa-city")
    assert sorted(notice["id"] for notice in sent) == [f"ichiji-azukari-fy{FY}", f"nyuyoji-kenshin-fy{FY}"]
    assert all(notice["link"].startswith("https://faq2.city.kashiwa.lg.jp/") for notice in sent)

    sub = fake_bank.pairwise("kashiwa_kosodate", "hanako")
    link = link_of(servers, CITY.peer_name, sub)
    assert link["state"] == "active" and link["scope"] == CITY.scope and link["pull_status"] == "ok"
    assert link["items"] == fake_bank.RESIDENTS["hanako"] and link["record"] >= 1
    assert {notice["id"] for notice in link["notices"]} == {notice["id"] for notice in sent}
    assert not {"access_token", "refresh_token"} & set(link)

    jwks = requests.get(f"{servers.city}/.well-known/jwks.json", timeout=HTTP_TIMEOUT).json()
    city_assertions = [a for a in bank_state(servers)["assertions"] if a["claims"]["iss"] == "kashiwa-city"]
    assert city_assertions, "the bank saw the city's private_key_jwt"
    for assertion in city_assertions:
        assert assertion["header"]["alg"] == "ES256" and assertion["header"]["kid"] == jwks["keys"][0]["kid"]
        claims = assertion["claims"]
        assert claims["sub"] == "kashiwa-city" and claims["aud"] == servers.bank and claims["exp"] - claims["iat"] == 60

    # The response is single-use in this browser: replaying it finds no pending request.
    assert connected.browser.get(connected.callback_url, timeout=HTTP_TIMEOUT).status_code == 400
    staff = requests.get(f"{servers.city}/", timeout=HTTP_TIMEOUT).text
    assert f"{sub[:8]}…" in staff and sub not in staff and "一時預かりのご案内" in staff and "連携中" in staff


def test_pulling_again_sends_nothing_twice(servers: Servers) -> None:
    sub = fake_bank.pairwise("kashiwa_kosodate", "hanako")
    connect(servers, CITY.peer_name, "hanako")
    before = len(notices_of(servers, "hanako", "kashiwa-city"))
    result = pull(servers, CITY.peer_name)[sub]
    assert result["status"] == "ok" and result["notices_sent"] == [] and result["items"]["children_count"] == 3
    assert len(notices_of(servers, "hanako", "kashiwa-city")) == before


def test_a_401_refreshes_once_and_the_rotated_refresh_token_is_kept(servers: Servers) -> None:
    sub = fake_bank.pairwise("kashiwa_kosodate", "sora")
    connect(servers, CITY.peer_name, "sora")
    for _ in range(2):  # the second round only works if the first stored the new refresh token
        control("POST", f"{servers.bank}/_fake/expire", {})
        events_before = len(bank_state(servers)["events"])
        assert pull(servers, CITY.peer_name)[sub]["status"] == "ok"
        events = bank_state(servers)["events"][events_before:]
        assert "refresh" in events and "refresh with scope" not in events
    assert link_of(servers, CITY.peer_name, sub)["state"] == "active"


def test_withdrawn_consent_refuses_the_link_and_it_is_not_used_again(servers: Servers) -> None:
    sub = fake_bank.pairwise("kashiwa_kosodate", "emily")
    connect(servers, CITY.peer_name, "emily")
    control("POST", f"{servers.bank}/_fake/withdraw", {"recipient": "kashiwa_kosodate", "resident": "emily"})
    result = pull(servers, CITY.peer_name)[sub]
    assert result["status"] == "refused" and "同意を取り消した" in result["message"]
    link = link_of(servers, CITY.peer_name, sub)
    assert link["state"] == "refused" and link["refused_reason"] == "invalid_grant"
    assert pull(servers, CITY.peer_name)[sub]["status"] == "refused"
    assert link_of(servers, CITY.peer_name, sub)["pulled_at"] == link["pulled_at"], "not contacted again"
    assert "拒否" in requests.get(f"{servers.city}/", timeout=HTTP_TIMEOUT).text


def test_consent_required_refuses_the_link(servers: Servers) -> None:
    sub = fake_bank.pairwise("kashiwanoha_partner", "emily")
    connect(servers, PARTNER.peer_name, "emily")
    control("POST", f"{servers.bank}/_fake/withdraw",
            {"recipient": "kashiwanoha_partner", "resident": "emily", "keep_tokens": True})
    assert pull(servers, PARTNER.peer_name)[sub]["status"] == "refused"
    assert link_of(servers, PARTNER.peer_name, sub)["refused_reason"] == "consent_required"


def test_a_nagareyama_household_gets_no_city_notice(servers: Servers) -> None:
    page = connect(servers, CITY.peer_name, "yoko").page
    assert page.status_code == 200 and "いまお送りするご案内はありません" in page.text
    assert notices_of(servers, "yoko", "kashiwa-city") == []


def test_access_denied_shows_a_japanese_page_and_links_nobody(servers: Servers) -> None:
    page = connect(servers, CITY.peer_name, "ken", decision="deny").page
    assert page.status_code == 200 and "連携しませんでした" in page.text
    assert fake_bank.pairwise("kashiwa_kosodate", "ken") not in {
        link["sub"] for link in control("GET", f"{servers.city}/_test/links")}


def test_a_response_from_another_issuer_is_refused_before_the_code_is_used(servers: Servers) -> None:
    page = connect(servers, CITY.peer_name, "ken", iss="http://127.0.0.254:5000").page
    assert page.status_code == 400 and "Azukari からのものであることを確認できなかった" in page.text
    codes = [code for code in bank_state(servers)["codes"] if code["resident"] == "ken"]
    assert codes and not any(code["used"] for code in codes)


def test_the_partner_invites_with_its_own_pairwise_subject(servers: Servers) -> None:
    page = connect(servers, PARTNER.peer_name, "hanako").page
    assert page.status_code == 200 and "【例】" in page.text
    [invitation] = notices_of(servers, "hanako", "kashiwanoha-partner")
    assert invitation["id"] == "event-ev_ashita_yogurt"
    assert invitation["link"] == f"{servers.partner}/events/ev_ashita_yogurt"
    assert "架空" in requests.get(invitation["link"], timeout=HTTP_TIMEOUT).text
    sub = fake_bank.pairwise("kashiwanoha_partner", "hanako")
    assert sub != fake_bank.pairwise("kashiwa_kosodate", "hanako")
    assert link_of(servers, PARTNER.peer_name, sub)["items"] == {"age_bands": ["0-2", "3-5", "elementary"],
                                                                "town_group": "kashiwanoha_pilot"}


def test_fewer_items_granted_are_kept_and_refresh_asks_for_no_more(servers: Servers) -> None:
    sub = fake_bank.pairwise("kashiwanoha_partner", "taro")
    connect(servers, PARTNER.peer_name, "taro", untick=["town_group"])
    link = link_of(servers, PARTNER.peer_name, sub)
    assert link["scope"] == "age_bands notices" and link["items"] == {"age_bands": ["elementary"]}
    control("POST", f"{servers.bank}/_fake/expire", {})
    assert pull(servers, PARTNER.peer_name)[sub]["status"] == "ok"
    assert link_of(servers, PARTNER.peer_name, sub)["scope"] == "age_bands notices"


def test_a_bank_that_is_down_is_an_error_for_the_pull_not_a_refusal(servers: Servers) -> None:
    sub = fake_bank.pairwise("kashiwa_kosodate", "hanako")
    control("POST", f"{servers.bank}/_fake/expire", {})
    control("POST", f"{servers.bank}/_fake/switches", {"down": True})
    try:
        result = pull(servers, CITY.peer_name)[sub]
        staff = requests.get(f"{servers.city}/", timeout=HTTP_TIMEOUT)
    finally:
        control("POST", f"{servers.bank}/_fake/switches", {"down": False})
    assert result["status"] == "error" and result["message"] == BANK_DOWN
    assert staff.status_code == 200 and BANK_DOWN in staff.text
    assert link_of(servers, CITY.peer_name, sub)["state"] == "active"
    assert pull(servers, CITY.peer_name)[sub]["status"] == "ok", "it recovers once the bank is back"


def test_metadata_naming_another_issuer_stops_the_connect(servers: Servers, tmp_path: Path) -> None:
    fresh = create_city(storage_dir=tmp_path, issuer=servers.bank).test_client()  # nothing cached yet
    control("POST", f"{servers.bank}/_fake/switches", {"metadata_issuer": "http://127.0.0.254:5000"})
    try:
        token = hidden_field(fresh.get("/start").text, "csrf_token")
        page = fresh.post("/connect", data={"csrf_token": token})
    finally:
        control("POST", f"{servers.bank}/_fake/switches", {"metadata_issuer": None})
    assert page.status_code == 503 and ISSUER_MISMATCH in page.text
