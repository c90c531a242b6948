from __future__ import annotations

import re
from datetime import timedelta

from freezegun import freeze_time
from sqlmodel import col, select

from app.mail.models import MailMessage
from tests.conftest import comparable_page
from tests.factories.accounts import ResidentFactory

NEW_PASSWORD = "kashiwa-no-ha-park-walk-9"


def request_reset(client, csrf, email):
    return client.post("/password/forgot", data={"csrf_token": csrf(client, "/password/forgot"), "email": email})


def reset_link(db, email) -> str:
    message = db.exec(select(MailMessage).where(MailMessage.to == email).order_by(col(MailMessage.id).desc())).first()
    assert message is not None, "no reset mail"
    match = re.search(r"http://localhost(/password/reset/[\w-]+)", message.body)
    assert match, message.body
    return match.group(1)


def test_unknown_and_known_emails_get_the_same_page(client, other_client, csrf, db):
    resident = ResidentFactory()
    known = request_reset(client, csrf, resident.email)
    unknown = request_reset(other_client, csrf, "nobody@example.jp")
    assert known.status_code == unknown.status_code == 200
    assert comparable_page(known, resident.email) == comparable_page(unknown, "nobody@example.jp")
    assert db.exec(select(MailMessage).where(MailMessage.to == "nobody@example.jp")).first() is None
    assert db.exec(select(MailMessage).where(MailMessage.to == resident.email)).first() is not None


def test_the_link_sets_a_new_password_once_and_logs_out_everywhere(client, other_client, csrf, login, db):
    resident = ResidentFactory()
    login(other_client, resident)
    request_reset(client, csrf, resident.email)
    link = reset_link(db, resident.email)
    assert client.get(link).status_code == 200
    weak = client.post(link, data={"csrf_token": csrf(client, link), "password": "short"})
    assert weak.status_code == 422  # the link is not used up by a refused password
    done = client.post(link, data={"csrf_token": csrf(client, link), "password": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"] == "/login"
    assert other_client.get("/settings").headers["Location"].startswith("/login")
    again = client.get(link)
    assert again.status_code == 400
    login_page = client.post("/login", data={"csrf_token": csrf(client), "email": resident.email,
                                             "password": NEW_PASSWORD})
    assert login_page.status_code == 303


def test_the_link_expires_after_an_hour(client, csrf, db):
    resident = ResidentFactory()
    request_reset(client, csrf, resident.email)
    link = reset_link(db, resident.email)
    with freeze_time(timedelta(minutes=61)):
        assert client.get(link).status_code == 400


def test_a_newer_link_replaces_the_older_one(client, csrf, db):
    resident = ResidentFactory()
    request_reset(client, csrf, resident.email)
    first = reset_link(db, resident.email)
    request_reset(client, csrf, resident.email)
    second = reset_link(db, resident.email)
    assert first != second
    assert client.get(first).status_code == 400
    assert client.get(second).status_code == 200


def test_a_forged_token_is_refused_with_a_way_forward(client):
    response = client.get("/password/reset/not-a-real-token")
    assert response.status_code == 400
    assert "/password/forgot" in response.get_data(as_text=True)
