from __future__ import annotations

import pytest
from sqlmodel import select

from app.accounts.models import Resident, TermsAcceptance
from app.accounts.terms import Terms, current_terms
from tests.factories.accounts import ResidentFactory

pytestmark = pytest.mark.smoke

GOOD_PASSWORD = "kashiwanoha-campus-2026"


def sign_up(client, csrf, email, password):
    return client.post("/signup", data={"csrf_token": csrf(client, "/signup"), "email": email, "password": password})


def test_sign_up_creates_an_argon2id_account_and_asks_for_the_terms(client, csrf, db):
    response = sign_up(client, csrf, "New.Resident@Example.jp", GOOD_PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/terms"
    resident = db.exec(select(Resident).where(Resident.email == "new.resident@example.jp")).one()
    assert resident.password_hash.startswith("$argon2id$")
    assert GOOD_PASSWORD not in resident.password_hash
    # Logged in, but nothing opens before the terms are accepted.
    home = client.get("/")
    assert home.status_code == 303 and home.headers["Location"].startswith("/terms")


@pytest.mark.parametrize(
    "password, message",
    [
        ("short-pw", "12"),
        ("password1234", "よく使われている"),
        ("aaaaaaaaaaaaaaaa", "推測されやすい"),
        ("resident-kashiwa-2026", "メールアドレス"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason_and_no_account(client, csrf, db, password, message):
    response = sign_up(client, csrf, "resident-kashiwa@example.jp", password)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.exec(select(Resident).where(Resident.email == "resident-kashiwa@example.jp")).first() is None


def test_a_registered_email_cannot_sign_up_again(client, csrf):
    resident = ResidentFactory()
    response = sign_up(client, csrf, resident.email.upper(), GOOD_PASSWORD)
    assert response.status_code == 422
    assert "すでに登録されています" in response.get_data(as_text=True)


def test_terms_need_the_box_checked_and_are_recorded(client, csrf, login, db):
    resident = ResidentFactory(new=True)
    login(client, resident)
    version = current_terms().version
    refused = client.post("/terms", data={"csrf_token": csrf(client, "/terms"), "version": version})
    assert refused.status_code == 422
    accepted = client.post("/terms", data={"csrf_token": csrf(client, "/terms"), "version": version, "agree": "y"})
    assert accepted.status_code == 303
    assert db.exec(select(TermsAcceptance).where(TermsAcceptance.resident_id == resident.id)).one().terms_version == version
    assert client.get("/").status_code == 200


def test_a_new_version_of_the_terms_is_asked_again(client, login, monkeypatch):
    resident = ResidentFactory()
    login(client, resident)
    assert client.get("/my-data").status_code == 200
    assert client.get("/my-data").status_code == 200  # the acceptance now kept in the session
    newer = Terms(**{**current_terms().__dict__, "version": "2099-01"})
    monkeypatch.setattr("app.accounts.services.current_terms", lambda: newer)
    monkeypatch.setattr("app.accounts.views.current_terms", lambda: newer)
    response = client.get("/my-data")
    assert response.status_code == 303 and response.headers["Location"].startswith("/terms")
    page = client.get("/terms").get_data(as_text=True)
    assert "2099-01" in page and "あらためて同意" in page


def test_accepting_an_outdated_version_is_refused(client, csrf, login, db):
    resident = ResidentFactory(new=True)
    login(client, resident)
    response = client.post("/terms", data={"csrf_token": csrf(client, "/terms"), "version": "2000-01", "agree": "y"})
    assert response.status_code == 400
    assert db.exec(select(TermsAcceptance).where(TermsAcceptance.resident_id == resident.id)).first() is None
