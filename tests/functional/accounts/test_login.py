from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import select

from app.audit import AuditEvent
from app.sessions import BrowserSession, hash_token
from tests.conftest import comparable_page
from tests.factories.accounts import DEFAULT_PASSWORD, ResidentFactory

pytestmark = pytest.mark.smoke


def post_login(client, csrf, email, password, **extra):
    token = csrf(client)
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password, **extra})


def test_login_rotates_the_session_id_and_lands_on_home(client, csrf):
    resident = ResidentFactory()
    token_before = csrf(client)  # an anonymous session exists now
    cookie_before = client.get_cookie("azukari_session").value
    response = client.post("/login", data={"csrf_token": token_before, "email": resident.email,
                                           "password": DEFAULT_PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    cookie_after = client.get_cookie("azukari_session").value
    assert cookie_after != cookie_before
    assert client.get("/").status_code == 200


def test_unknown_email_and_wrong_password_get_the_same_answer(client, other_client, csrf):
    resident = ResidentFactory()
    wrong = post_login(client, csrf, resident.email, "not-the-password-123")
    unknown = post_login(other_client, csrf, "nobody@example.jp", "not-the-password-123")
    assert wrong.status_code == unknown.status_code == 422

    assert comparable_page(wrong, resident.email) == comparable_page(unknown, "nobody@example.jp")
    assert "メールアドレスまたはパスワードが正しくありません" in wrong.get_data(as_text=True)


def test_login_is_rate_limited_per_account_with_retry_after(client, csrf, settings):
    resident = ResidentFactory()
    for _ in range(settings.login_failures_per_account):
        assert post_login(client, csrf, resident.email, "wrong-password-xyz").status_code == 422
    limited = post_login(client, csrf, resident.email, DEFAULT_PASSWORD)
    assert limited.status_code == 429
    assert 0 < int(limited.headers["Retry-After"]) <= settings.login_window_minutes * 60 + 1


def test_logout_is_post_only_and_kills_the_server_session(client, csrf, login, db):
    resident = ResidentFactory()
    login(client, resident)
    assert client.get("/logout").status_code == 405
    cookie = client.get_cookie("azukari_session").value
    response = client.post("/logout", data={"csrf_token": csrf(client, "/settings")})
    assert response.status_code == 303
    assert db.get(BrowserSession, hash_token(cookie)) is None
    # The cookie captured before logout, replayed, is worth nothing.
    client.set_cookie("azukari_session", cookie, domain="localhost")
    replay = client.get("/settings")
    assert replay.status_code == 303
    assert replay.headers["Location"].startswith("/login")


def test_a_logged_out_cookie_replayed_by_htmx_gets_401_with_hx_redirect(client, csrf, login):
    """A1: the cookie captured before logout, replayed on the htmx fragments the pages poll or swap in."""
    resident = ResidentFactory()
    login(client, resident)
    fragments = ["/my-data/history?kind=provision", "/pass/"]
    for path in fragments:
        assert client.get(path, headers={"HX-Request": "true"}).status_code == 200
    cookie = client.get_cookie("azukari_session").value
    assert client.post("/logout", data={"csrf_token": csrf(client, "/settings")}).status_code == 303
    client.set_cookie("azukari_session", cookie, domain="localhost")
    for path in fragments:
        replay = client.get(path, headers={"HX-Request": "true"})
        assert replay.status_code == 401, path
        assert "Location" not in replay.headers
        assert replay.headers["HX-Redirect"].startswith("/login")
        assert resident.email not in replay.get_data(as_text=True)


def test_expired_session_sends_htmx_requests_to_login_with_401(client, login):
    resident = ResidentFactory()
    login(client, resident)
    with freeze_time(timedelta(minutes=31)):
        response = client.get("/settings", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_idle_and_absolute_timeouts(client, login):
    resident = ResidentFactory()
    login(client, resident)
    with freeze_time(timedelta(minutes=29)) as frozen:
        assert client.get("/settings").status_code == 200
        frozen.tick(timedelta(minutes=29))
        assert client.get("/settings").status_code == 200  # active, so still fine
        frozen.tick(timedelta(minutes=31))
        assert client.get("/settings").headers["Location"].startswith("/login")


def test_an_active_session_still_ends_after_12_hours(client, login, db):
    """The absolute limit (ASVS 7.3.2): a resident active every 20 minutes is signed out at 12 hours all the same, and
    the row is gone for the purge too."""
    from app.sessions import purge_expired_sessions

    resident = ResidentFactory()
    login(client, resident)
    cookie = client.get_cookie("azukari_session").value
    with freeze_time(timedelta(minutes=20)) as frozen:
        for _ in range(34):  # 20 min + 34 × 20 min = 11 h 40 min: active all along, still signed in
            assert client.get("/settings").status_code == 200
            frozen.tick(timedelta(minutes=20))
        assert client.get("/settings").status_code == 200  # 11 h 40 min
        frozen.tick(timedelta(minutes=21))  # 12 h 1 min since login, one minute after the last request
        answer = client.get("/settings")
        assert answer.status_code == 303 and answer.headers["Location"].startswith("/login")
        settings = client.application.config["AZUKARI"]
        purge_expired_sessions(db, idle=settings.session_idle, absolute=settings.session_absolute)
    assert db.get(BrowserSession, hash_token(cookie)) is None


def test_failed_logins_are_audited_without_the_password(client, csrf, db):
    resident = ResidentFactory()
    post_login(client, csrf, resident.email, "wrong-password-xyz")
    events = db.exec(select(AuditEvent).where(AuditEvent.tag == "accounts:resident:login_failed")).all()
    assert events and all("wrong-password" not in str(e.details) for e in events)
