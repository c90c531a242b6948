from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.accounts.models import Resident, TermsAcceptance
from app.mail.models import MailMessage
from app.sessions import BrowserSession, hash_token
from tests.factories.accounts import DEFAULT_PASSWORD, ResidentFactory

NEW_PASSWORD = "nagareyama-otaka-forest-7"


def test_sensitive_settings_ask_for_the_password_again_after_five_minutes(client, csrf, login):
    resident = ResidentFactory()
    login(client, resident, authenticated_ago=timedelta(minutes=10))
    for path in ("/settings/email", "/settings/password", "/settings/delete"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/reauth?next=" + path)
    token = csrf(client, "/settings")
    wrong = client.post("/reauth", data={"csrf_token": token, "password": "not-it-at-all-1", "next": "/settings/password"})
    assert wrong.status_code == 422
    cookie_before = client.get_cookie("azukari_session").value
    right = client.post("/reauth", data={"csrf_token": token, "password": DEFAULT_PASSWORD, "next": "/settings/password"})
    assert right.status_code == 303 and right.headers["Location"] == "/settings/password"
    assert client.get_cookie("azukari_session").value != cookie_before  # a new session id at re-authentication
    assert client.get("/settings/password").status_code == 200


def test_a_post_with_stale_authentication_does_not_change_anything(client, csrf, login, db):
    resident = ResidentFactory()
    login(client, resident, authenticated_ago=timedelta(minutes=10))
    token = csrf(client, "/settings")
    response = client.post("/settings/password", data={"csrf_token": token, "password": NEW_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"].startswith("/reauth")
    db.refresh(resident)
    from app.accounts.passwords import verify_password

    with client.application.app_context():
        assert verify_password(resident.password_hash, DEFAULT_PASSWORD)


def test_a_stale_email_change_post_changes_nothing_and_tells_no_one(client, csrf, login, db):
    """A5: the email change is a step-up action: a POST with a sign-in older than 5 minutes is sent to /reauth."""
    resident = ResidentFactory()
    old = resident.email
    login(client, resident, authenticated_ago=timedelta(minutes=5, seconds=30))
    token = csrf(client, "/settings")
    response = client.post("/settings/email", data={"csrf_token": token, "email": "thief@example.jp"})
    assert response.status_code == 303 and response.headers["Location"].startswith("/reauth?next=")
    db.refresh(resident)
    assert resident.email == old
    assert db.exec(select(MailMessage).where(MailMessage.to == old)).first() is None
    # Within the 5 minutes the same POST does change it (so the refusal above is the step-up, not the form).
    login(client, resident, authenticated_ago=timedelta(minutes=4))
    done = client.post("/settings/email", data={"csrf_token": csrf(client, "/settings"), "email": "moved@example.jp"})
    assert done.status_code == 303 and done.headers["Location"] == "/settings"
    db.refresh(resident)
    assert resident.email == "moved@example.jp"


def test_changing_the_password_ends_the_other_sessions_but_not_this_one(client, other_client, csrf, login, db):
    resident = ResidentFactory()
    login(client, resident)
    other_token = login(other_client, resident)
    response = client.post("/settings/password", data={"csrf_token": csrf(client, "/settings"), "password": NEW_PASSWORD})
    assert response.status_code == 303
    assert client.get("/settings").status_code == 200
    assert other_client.get("/settings").headers["Location"].startswith("/login")
    assert db.get(BrowserSession, hash_token(other_token)) is None
    notice = db.exec(select(MailMessage).where(MailMessage.to == resident.email)).all()
    assert any("パスワード" in m.subject for m in notice)


def test_changing_the_email_tells_the_old_address(client, csrf, login, db):
    resident = ResidentFactory()
    old = resident.email
    taken = ResidentFactory()
    login(client, resident)
    duplicate = client.post("/settings/email", data={"csrf_token": csrf(client, "/settings"), "email": taken.email})
    assert duplicate.status_code == 422
    response = client.post("/settings/email", data={"csrf_token": csrf(client, "/settings"), "email": "moved@example.jp"})
    assert response.status_code == 303
    db.refresh(resident)
    assert resident.email == "moved@example.jp"
    mails = db.exec(select(MailMessage).where(MailMessage.to == old)).all()
    assert len(mails) == 1 and "moved@example.jp" in mails[0].body


def test_deleting_the_account_erases_it_and_ends_every_session(client, other_client, csrf, login, db):
    resident = ResidentFactory()
    resident_id, email = resident.id, resident.email
    login(client, resident)
    login(other_client, resident)
    unchecked = client.post("/settings/delete", data={"csrf_token": csrf(client, "/settings")})
    assert unchecked.status_code == 422
    response = client.post("/settings/delete", data={"csrf_token": csrf(client, "/settings"), "confirm": "y"})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    db.expire_all()
    assert db.get(Resident, resident_id) is None
    assert db.exec(select(TermsAcceptance).where(TermsAcceptance.resident_id == resident_id)).first() is None
    assert db.exec(select(BrowserSession).where(BrowserSession.principal == f"resident:{resident_id}")).first() is None
    assert other_client.get("/settings").headers["Location"].startswith("/login")
    assert "アカウントを削除しました" in client.get("/login").get_data(as_text=True)
    assert db.exec(select(MailMessage).where(MailMessage.to == email)).first() is not None


def test_language_follows_the_account_then_the_browser(client, other_client, csrf, login, db):
    assert 'lang="ja"' in other_client.get("/login").get_data(as_text=True)
    english = other_client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert 'lang="en"' in english and "Log in" in english

    resident = ResidentFactory()
    login(client, resident)
    response = client.post("/language", data={"csrf_token": csrf(client, "/settings"), "locale": "en",
                                              "next": "/settings"})
    assert response.status_code == 303 and response.headers["Location"] == "/settings"
    db.refresh(resident)
    assert resident.locale == "en"
    # The account's choice wins over the browser's languages.
    page = client.get("/settings", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert 'lang="en"' in page and "Settings" in page


def test_an_unknown_language_is_ignored(client, csrf):
    response = client.post("/language", data={"csrf_token": csrf(client), "locale": "xx", "next": "/login"})
    assert response.status_code == 303
    assert 'lang="ja"' in client.get("/login").get_data(as_text=True)


def test_language_redirect_stays_on_this_site(client, csrf):
    response = client.post("/language", data={"csrf_token": csrf(client), "locale": "en",
                                              "next": "https://evil.example/phish"})
    assert response.headers["Location"] == "/"


def test_re_authentication_is_rate_limited_like_login(client, csrf, login, settings):
    resident = ResidentFactory()
    login(client, resident, authenticated_ago=timedelta(minutes=10))
    token = csrf(client, "/settings")
    for _ in range(settings.login_failures_per_account):
        wrong = client.post("/reauth", data={"csrf_token": token, "password": "guess-guess-guess", "next": "/settings"})
        assert wrong.status_code == 422
    limited = client.post("/reauth", data={"csrf_token": token, "password": DEFAULT_PASSWORD, "next": "/settings"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
