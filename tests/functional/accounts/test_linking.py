"""Logging in with and linking Smart Life Pass, against the real peer in its own process (OIDC over HTTP)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import pytest
import requests
from flask.testing import FlaskClient
from sqlmodel import Session, select

from app.accounts.models import LinkedAccount, Resident
from app.db import utcnow
from app.household.models import HealthScore, HomeAddress
from app.jobs.models import Job
from app.ledger.models import RecordKind
from app.ledger.services import history
from tests.conftest import csrf_token
from tests.factories.accounts import ResidentFactory
from tests.peer_services import PeerProcess, ProviderBrowser, bank_path

HOME = {"postal_code": "277-0871", "region": "千葉県", "locality": "柏市", "town": "柏の葉二丁目", "block": "3番地1"}
SLP = "smart-life-pass"


def new_slp_user(peers: PeerProcess, *, email: str | None = None, login_id: str | None = None,
                 address: dict[str, str] | None = None) -> tuple[str, str, str]:
    """A fresh person at Smart Life Pass; (login id, password, subject)."""
    email = email or f"slp-{secrets.token_hex(4)}@example.jp"
    password = secrets.token_urlsafe(12)
    body = {"email": email, "password": password, "name": "柏の葉 テスト", "address": address or HOME}
    if login_id:
        body["login_id"] = login_id
    response = requests.post(f"{peers.urls[SLP]}/_test/users", json=body, timeout=5)
    response.raise_for_status()
    return login_id or email, password, response.json()["sub"]


def start_login(client: FlaskClient) -> str:
    response = client.post(f"/login/{SLP}", data={"csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    return str(response.headers["Location"])


def log_in_with_slp(client: FlaskClient, idp_browser: ProviderBrowser, login_id: str, password: str):  # type: ignore[no-untyped-def]
    location = idp_browser.authorize(start_login(client), login_id=login_id, password=password)
    return client.get(bank_path(location))


def logged_in(client: FlaskClient) -> bool:
    return client.get("/terms").status_code == 200  # the one resident page a new account opens before agreeing


def accept_terms(client: FlaskClient) -> None:
    from app.accounts.terms import current_terms

    response = client.post("/terms", data={"csrf_token": csrf_token(client, "/terms"),
                                           "version": current_terms().version, "agree": "y"})
    assert response.status_code == 303


def links(db: Session) -> list[LinkedAccount]:
    return list(db.exec(select(LinkedAccount)))


def test_authorization_request_carries_state_nonce_and_s256_pkce(client, linked_settings) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import parse_qs, urlsplit

    query = parse_qs(urlsplit(start_login(client)).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43 and len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["redirect_uri"] == ["http://localhost/auth/smart-life-pass/callback"]
    assert "address" in query["scope"][0].split() and "dot2dot.health_score" in query["scope"][0].split()


def test_login_creates_an_account_and_receives_address_and_health_score(client, db, linked_settings, peers,
                                                                       idp_browser) -> None:  # type: ignore[no-untyped-def]
    login_id, password, subject = new_slp_user(peers)
    response = log_in_with_slp(client, idp_browser, login_id, password)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/terms")  # a new account agrees to the terms first
    resident = db.exec(select(Resident).where(Resident.email == login_id)).one()
    assert resident.password_hash is None
    (link,) = links(db)
    assert (link.resident_id, link.issuer, link.subject) == (resident.id, peers.urls[SLP], subject)
    assert link.access_token_sealed and link.refresh_token_sealed
    address = db.get(HomeAddress, resident.id)
    assert address is not None and (address.town, address.block) == ("柏の葉二丁目", "3番地1")
    assert len(db.exec(select(HealthScore).where(HealthScore.resident_id == resident.id)).all()) == 30
    receipts = [e.payload for e in reversed(history(db, resident.principal, kinds=[RecordKind.RECEIPT]))]
    assert [r["items"] for r in receipts] == [["email"], ["address", "health_score"]]
    assert all(r["kept"] and r["source_key"] == SLP and r["how_obtained"] and r["provider_name"]
               and r["provider_address"] for r in receipts)
    assert logged_in(client)


def test_a_second_login_finds_the_link(client, other_client, db, linked_settings, peers) -> None:  # type: ignore[no-untyped-def]
    login_id, password, _ = new_slp_user(peers)
    log_in_with_slp(client, ProviderBrowser(), login_id, password)
    response = log_in_with_slp(other_client, ProviderBrowser(), login_id, password)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert len(db.exec(select(Resident)).all()) == 1
    assert logged_in(other_client)
    # The first login's grant is not left alive at the provider: the worker revokes it.
    revocations = db.exec(select(Job).where(Job.kind == "accounts.revoke_token")).all()
    assert sorted(job.payload["hint"] for job in revocations) == ["access_token", "refresh_token"]


def test_an_existing_password_account_with_the_same_email_is_never_joined(client, db, linked_settings, peers,
                                                                          idp_browser) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login_id, password, _ = new_slp_user(peers, email=resident.email)
    response = log_in_with_slp(client, idp_browser, login_id, password)
    assert response.status_code == 409
    assert "log in to it with your email and password" in response.get_data(as_text=True).lower() or \
        "パスワードでログイン" in response.get_data(as_text=True)
    assert links(db) == [] and not logged_in(client)


def test_the_same_email_under_another_subject_does_not_log_in_to_the_linked_account(
    client, other_client, db, linked_settings, peers
) -> None:  # type: ignore[no-untyped-def]
    email = f"same-{secrets.token_hex(4)}@example.jp"
    login_id, password, _ = new_slp_user(peers, email=email)
    log_in_with_slp(client, ProviderBrowser(), login_id, password)
    other_id, other_password, other_subject = new_slp_user(peers, email=email, login_id=f"alt-{secrets.token_hex(4)}")
    response = log_in_with_slp(other_client, ProviderBrowser(), other_id, other_password)
    assert response.status_code == 409
    assert not logged_in(other_client)
    assert [link.subject for link in links(db)] != [other_subject] and len(links(db)) == 1


MISBEHAVIOURS = ["wrong_iss", "wrong_aud", "wrong_nonce", "expired_id_token", "bad_signature", "garbage", "slow"]


@pytest.mark.parametrize("misbehave", MISBEHAVIOURS)
def test_a_misbehaving_provider_logs_no_one_in_and_links_nothing(client, db, linked_settings, peers, idp_browser,
                                                                misbehave, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(linked_settings, "outbound_timeout_seconds", 1.0)
    login_id, password, _ = new_slp_user(peers)
    location = idp_browser.authorize(start_login(client), login_id=login_id, password=password)
    peers.switch(SLP, misbehave, slow_seconds=3.0)
    response = client.get(bank_path(location))
    assert response.status_code in (400, 502)
    page = response.get_data(as_text=True)
    assert "Nothing was changed" in page or "何も変更" in page
    assert links(db) == [] and db.exec(select(Resident)).all() == []
    assert not logged_in(client)


def test_a_replayed_callback_is_refused(client, db, linked_settings, peers, idp_browser) -> None:  # type: ignore[no-untyped-def]
    login_id, password, _ = new_slp_user(peers)
    location = idp_browser.authorize(start_login(client), login_id=login_id, password=password)
    assert client.get(bank_path(location)).status_code == 303
    client.post("/logout", data={"csrf_token": csrf_token(client, "/settings")})
    replay = client.get(bank_path(location))
    assert replay.status_code == 400
    assert not logged_in(client)


def test_a_callback_delivered_to_another_browser_is_refused(client, other_client, db, linked_settings, peers,
                                                            idp_browser) -> None:  # type: ignore[no-untyped-def]
    login_id, password, _ = new_slp_user(peers)
    location = idp_browser.authorize(start_login(client), login_id=login_id, password=password)
    stolen = other_client.get(bank_path(location))
    assert stolen.status_code == 400
    assert not logged_in(other_client) and links(db) == []


def test_a_response_from_another_issuer_is_refused(client, db, linked_settings, peers, idp_browser) -> None:  # type: ignore[no-untyped-def]
    login_id, password, _ = new_slp_user(peers)
    location = idp_browser.authorize(start_login(client), login_id=login_id, password=password)
    forged = location.replace("iss=", "iss=https%3A%2F%2Fevil.example%2F&was=")
    assert client.get(bank_path(forged)).status_code == 400
    assert links(db) == []


def test_denying_at_the_provider_changes_nothing(client, db, linked_settings, peers, idp_browser) -> None:  # type: ignore[no-untyped-def]
    login_id, password, _ = new_slp_user(peers)
    location = idp_browser.authorize(start_login(client), login_id=login_id, password=password, decision="deny")
    response = client.get(bank_path(location))
    assert response.status_code == 400 and links(db) == [] and not logged_in(client)


def link_from_settings(client: FlaskClient, idp_browser: ProviderBrowser, login_id: str, password: str):  # type: ignore[no-untyped-def]
    start = client.post(f"/settings/connections/{SLP}/link",
                        data={"csrf_token": csrf_token(client, "/settings/connections")})
    assert start.status_code == 303, start.headers.get("Location")
    return client.get(bank_path(idp_browser.authorize(start.headers["Location"], login_id=login_id, password=password)))


def test_linking_from_settings_needs_a_fresh_login(client, db, linked_settings, login) -> None:  # type: ignore[no-untyped-def]
    login(client, ResidentFactory(), authenticated_ago=timedelta(hours=1))
    response = client.post(f"/settings/connections/{SLP}/link",
                           data={"csrf_token": csrf_token(client, "/settings/connections")})
    assert response.status_code == 303 and response.headers["Location"].startswith("/reauth")


def test_link_unlink_revokes_at_the_provider_and_deletes_what_was_received(client, db, linked_settings, peers,
                                                                           idp_browser, login) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login(client, resident)
    login_id, password, subject = new_slp_user(peers)
    response = link_from_settings(client, idp_browser, login_id, password)
    assert response.status_code == 303 and response.headers["Location"] == "/my-data"
    (link,) = links(db)
    assert (link.resident_id, link.subject) == (resident.id, subject)
    assert db.get(HomeAddress, resident.id) is not None
    page = client.get("/my-data").get_data(as_text=True)
    assert "柏の葉二丁目" in page and "Pilot area" in page or "実証エリア" in page

    response = client.post(f"/settings/connections/{SLP}/unlink",
                           data={"csrf_token": csrf_token(client, f"/settings/connections/{SLP}/unlink")})
    assert response.status_code == 303
    assert links(db) == []
    assert db.get(HomeAddress, resident.id) is None
    assert db.exec(select(HealthScore).where(HealthScore.resident_id == resident.id)).all() == []
    issued = [t for t in peers.tokens(SLP) if t["sub"] == subject]
    assert issued and all(t["access_token_revoked"] and t["refresh_token_revoked"] for t in issued)


def test_unlinking_needs_a_fresh_confirmation(client, db, linked_settings, peers, idp_browser, login) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login(client, resident)
    login_id, password, _subject = new_slp_user(peers)
    link_from_settings(client, idp_browser, login_id, password)
    login(client, resident, authenticated_ago=timedelta(hours=1))  # the same resident, an hour after logging in
    token = csrf_token(client, "/settings")
    response = client.post(f"/settings/connections/{SLP}/unlink", data={"csrf_token": token})
    assert response.status_code in (302, 303) and "/reauth" in response.headers["Location"]
    assert len(links(db)) == 1  # nothing was unlinked
    assert "/reauth" in client.get(f"/settings/connections/{SLP}/unlink").headers["Location"]


def test_an_account_linked_elsewhere_is_not_linked_again(client, other_client, db, linked_settings, peers,
                                                         login) -> None:  # type: ignore[no-untyped-def]
    login_id, password, _ = new_slp_user(peers)
    log_in_with_slp(client, ProviderBrowser(), login_id, password)
    login(other_client, ResidentFactory())
    response = link_from_settings(other_client, ProviderBrowser(), login_id, password)
    assert response.status_code == 409
    assert len(links(db)) == 1


def test_unlinking_while_the_provider_is_down_still_unlinks_and_queues_the_revocation(
    client, db, linked_settings, peers, idp_browser, login, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from app.accounts import oauth_client
    from app.accounts.provider_http import ProviderUnavailable

    resident = ResidentFactory()
    login(client, resident)
    link_from_settings(client, idp_browser, *new_slp_user(peers)[:2])

    def unreachable(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise ProviderUnavailable()

    monkeypatch.setattr(oauth_client, "revoke", unreachable)
    client.post(f"/settings/connections/{SLP}/unlink",
                data={"csrf_token": csrf_token(client, f"/settings/connections/{SLP}/unlink")})
    assert links(db) == []
    jobs = db.exec(select(Job).where(Job.kind == "accounts.revoke_token")).all()
    assert {job.payload["hint"] for job in jobs} == {"access_token", "refresh_token"}
    assert all(job.payload["token"] not in ("", None) for job in jobs)


def test_an_expired_access_token_is_refreshed_and_rotated(client, db, linked_settings, peers, idp_browser, login) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login(client, resident)
    link_from_settings(client, idp_browser, *new_slp_user(peers)[:2])
    (link,) = links(db)
    before = (link.access_token_sealed, link.refresh_token_sealed)
    link.access_token_expires_at = utcnow() - timedelta(minutes=1)
    db.add(link)
    db.flush()
    response = client.post("/my-data/refresh", data={"csrf_token": csrf_token(client, "/my-data")})
    assert response.status_code == 303
    db.refresh(link)
    assert link.access_token_sealed != before[0] and link.refresh_token_sealed != before[1]
    assert link.access_token_expires_at > utcnow()


def test_no_copy_keeps_only_the_token_and_fetches_at_each_use(client, db, linked_settings, peers, idp_browser,
                                                              login) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login(client, resident)
    link_from_settings(client, idp_browser, *new_slp_user(peers)[:2])
    response = client.post(f"/settings/connections/{SLP}/copy",
                           data={"csrf_token": csrf_token(client, "/settings/connections"), "keep": "none"})
    assert response.status_code == 303
    assert db.get(HomeAddress, resident.id) is None
    assert db.exec(select(HealthScore).where(HealthScore.resident_id == resident.id)).all() == []
    page = client.get("/my-data").get_data(as_text=True)
    assert "柏の葉二丁目" in page  # fetched for this page, not stored
    assert db.get(HomeAddress, resident.id) is None
    receipts = history(db, resident.principal, kinds=[RecordKind.RECEIPT])
    assert [r.payload["kept"] for r in receipts].count(False) == 1
    peers.switch(SLP, "garbage")
    page = client.get("/my-data")
    assert page.status_code == 200 and ("could not reach" in page.get_data(as_text=True)
                                        or "接続できません" in page.get_data(as_text=True))


def test_an_address_outside_the_two_cities_is_not_taken(client, db, linked_settings, peers, idp_browser) -> None:  # type: ignore[no-untyped-def]
    tokyo = {"postal_code": "100-0001", "region": "東京都", "locality": "千代田区", "town": "千代田", "block": "1番1号"}
    login_id, password, _ = new_slp_user(peers, address=tokyo)
    response = log_in_with_slp(client, idp_browser, login_id, password)
    assert response.status_code == 303
    resident = db.exec(select(Resident).where(Resident.email == login_id)).one()
    assert db.get(HomeAddress, resident.id) is None
    assert len(db.exec(select(HealthScore).where(HealthScore.resident_id == resident.id)).all()) == 30


def test_a_passwordless_account_cannot_unlink_its_only_login(client, db, linked_settings, peers, idp_browser) -> None:  # type: ignore[no-untyped-def]
    login_id, password, _ = new_slp_user(peers)
    log_in_with_slp(client, idp_browser, login_id, password)
    accept_terms(client)
    response = client.post(f"/settings/connections/{SLP}/unlink",
                           data={"csrf_token": csrf_token(client, f"/settings/connections/{SLP}/unlink")})
    assert response.status_code == 409
    assert len(links(db)) == 1


def test_an_account_without_a_password_steps_up_through_smart_life_pass(client, other_client, db, linked_settings,
                                                                        peers, idp_browser, login) -> None:  # type: ignore[no-untyped-def]
    from urllib.parse import parse_qs, urlsplit

    login_id, password, _ = new_slp_user(peers)
    log_in_with_slp(client, idp_browser, login_id, password)
    resident = db.exec(select(Resident).where(Resident.email == login_id)).one()
    login(other_client, resident, authenticated_ago=timedelta(hours=1))
    accept_terms(other_client)
    to_reauth = other_client.get("/settings/password")
    assert to_reauth.status_code == 303 and to_reauth.headers["Location"].startswith("/reauth")
    page = other_client.get(to_reauth.headers["Location"]).get_data(as_text=True)
    assert 'name="password"' not in page  # there is no password to ask for
    start = other_client.post(f"/settings/reauth/{SLP}", data={
        "csrf_token": csrf_token(other_client, "/reauth"), "next": "/settings/password"})
    assert start.status_code == 303
    assert parse_qs(urlsplit(start.headers["Location"]).query)["prompt"] == ["login"]
    # Someone else's Smart Life Pass account does not confirm this resident.
    stranger_id, stranger_password, _ = new_slp_user(peers)
    wrong = other_client.get(bank_path(ProviderBrowser().authorize(start.headers["Location"], login_id=stranger_id,
                                                                   password=stranger_password)))
    assert wrong.status_code == 403
    assert other_client.get("/settings/password").status_code == 303
    start = other_client.post(f"/settings/reauth/{SLP}", data={
        "csrf_token": csrf_token(other_client, "/reauth"), "next": "/settings/password"})
    back = other_client.get(bank_path(idp_browser.authorize(start.headers["Location"], login_id=login_id,
                                                            password=password)))
    assert back.status_code == 303 and back.headers["Location"] == "/settings/password"
    assert other_client.get("/settings/password").status_code == 200


def test_a_provider_that_is_down_gets_a_clear_message_in_the_residents_language(client, linked_settings,
                                                                                monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.2", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(linked_settings, "smart_life_pass_issuer", f"http://127.0.0.2:{port}")
    response = client.post(f"/login/{SLP}", data={"csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 502
    assert "接続できない" in response.get_data(as_text=True)
    client.post("/language", data={"csrf_token": csrf_token(client, "/login"), "locale": "en", "next": "/login"})
    response = client.post(f"/login/{SLP}", data={"csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 502
    assert "could not reach the other service" in response.get_data(as_text=True)


def test_a_token_the_provider_rejects_is_refreshed_once_and_the_read_retried(client, db, linked_settings, peers,
                                                                              idp_browser, login) -> None:  # type: ignore[no-untyped-def]
    from app.accounts.linking import TOKEN_SEAL_LABEL
    from app.crypto import seal

    resident = ResidentFactory()
    login(client, resident)
    link_from_settings(client, idp_browser, *new_slp_user(peers)[:2])
    (link,) = links(db)
    link.access_token_sealed = seal("revoked-or-unknown", secret_key=linked_settings.secret_key, label=TOKEN_SEAL_LABEL)
    db.add(link)
    db.flush()
    response = client.post("/my-data/refresh", data={"csrf_token": csrf_token(client, "/my-data")})
    assert response.status_code == 303
    db.refresh(link)
    assert not link.needs_relink
    assert client.get("/my-data").get_data(as_text=True).count("柏の葉二丁目") >= 1


def test_a_step_up_without_a_fresh_sign_in_is_not_taken(app, db, settings) -> None:  # type: ignore[no-untyped-def]
    # A provider that ignores prompt=login/max_age=0 answers with an old auth_time: not a re-authentication.
    from app.accounts import linking
    from app.accounts.oauth_client import AuthorizationResult, TokenSet
    from app.accounts.providers import configured_providers

    resident = ResidentFactory()
    provider = configured_providers(settings)[SLP]
    db.add(LinkedAccount(resident_id=resident.id, provider=SLP, issuer=provider.issuer, subject="sub-1"))
    db.flush()
    started = utcnow()

    def result(auth_time: datetime) -> AuthorizationResult:
        return AuthorizationResult(provider, "reauth", resident.principal, TokenSet("a", "r", None, ""),
                                   {"sub": "sub-1", "auth_time": int(auth_time.timestamp())}, started_at=started)

    with app.app_context():
        with pytest.raises(linking.ReauthMismatch):
            linking.confirm_reauth(db, settings, result(started - timedelta(hours=2)), resident=resident, ip=None)
        linking.confirm_reauth(db, settings, result(started + timedelta(seconds=1)), resident=resident, ip=None)
    # The step-up's own tokens are revoked either way.
    assert len(db.exec(select(Job).where(Job.kind == "accounts.revoke_token")).all()) == 4
