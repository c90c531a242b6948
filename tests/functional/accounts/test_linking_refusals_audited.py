"""D1: a refused OIDC callback creates no login and no link *and* is logged: an `OAUTH_CALLBACK_REFUSED` security
event (in `audit_event`, insert-only, and as a JSON line on the security log) naming who received it, the provider,
the reason and the flow, never the code or the state. Against the real Smart Life Pass peer in its own process."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import select

from app.audit import AuditEvent, EventTag
from tests.conftest import csrf_token
from tests.factories.accounts import ResidentFactory
from tests.functional.accounts.test_linking import SLP, links, logged_in, new_slp_user, start_login
from tests.peer_services import ProviderBrowser, bank_path


def refusals(db):  # type: ignore[no-untyped-def]
    return db.exec(
        select(AuditEvent).where(AuditEvent.tag == EventTag.OAUTH_CALLBACK_REFUSED.value).order_by(AuditEvent.id)
    ).all()


def _secrets_of(location: str) -> list[str]:
    query = parse_qs(urlsplit(location).query)
    return [query["code"][0], query["state"][0]]


def _logged_refusals(caplog: pytest.LogCaptureFixture) -> list[dict]:  # type: ignore[type-arg]
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "azukari.security"]
    return [line for line in lines if line["event"] == EventTag.OAUTH_CALLBACK_REFUSED.value]


def test_an_attackers_link_callback_in_the_victims_session_links_nothing_and_is_logged(
    app, db, linked_settings, peers, login, caplog
) -> None:
    """The attacker starts linking *their* Smart Life Pass account and gets the victim's browser to open the
    callback (code and state of the attacker's flow): login CSRF into the victim's account."""
    caplog.set_level("INFO", logger="azukari.security")
    attacker, victim = ResidentFactory(), ResidentFactory()
    attacker_browser, victim_browser = app.test_client(), app.test_client()
    login(attacker_browser, attacker)
    login(victim_browser, victim)
    login_id, password, _sub = new_slp_user(peers)
    start = attacker_browser.post(
        f"/settings/connections/{SLP}/link", data={"csrf_token": csrf_token(attacker_browser, "/settings/connections")}
    )
    assert start.status_code == 303
    location = ProviderBrowser().authorize(start.headers["Location"], login_id=login_id, password=password)
    answer = victim_browser.get(bank_path(location))
    assert answer.status_code == 400 and links(db) == []
    [event] = refusals(db)
    assert event.actor == victim.principal and event.ip == "127.0.0.1"
    assert event.details["provider"] == SLP and event.details["reason"] and event.details["intent"] is None
    stored, logged = json.dumps(event.details), json.dumps(_logged_refusals(caplog))
    for secret in _secrets_of(location):
        assert secret not in stored and secret not in logged
    assert [line["actor"] for line in _logged_refusals(caplog)] == [victim.principal]


def test_a_login_callback_in_another_browser_and_a_replay_are_each_logged(
    client,
    other_client,
    db,
    linked_settings,
    peers,
    idp_browser,
) -> None:
    login_id, password, _sub = new_slp_user(peers)
    location = idp_browser.authorize(start_login(client), login_id=login_id, password=password)
    assert other_client.get(bank_path(location)).status_code == 400
    assert not logged_in(other_client)
    assert client.get(bank_path(location)).status_code == 303  # the browser that started it logs in
    client.post("/logout", data={"csrf_token": csrf_token(client, "/settings")})
    assert client.get(bank_path(location)).status_code == 400  # replayed after logout
    events = refusals(db)
    assert len(events) == 2 and all(e.actor is None and e.details["provider"] == SLP for e in events)
    assert events[1].details["intent"] is None and "InvalidCallback" in {e.details["reason"] for e in events}
