"""Passkeys: added after a fresh re-authentication, then a whole login and a re-authentication; a replayed answer,
a wrong origin, an unverified user, a cloned counter and another resident's passkey are refused; a resident cannot
remove another's passkey."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from app.audit import AuditEvent, EventTag
from app.passkeys.models import Passkey
from tests.factories.accounts import ResidentFactory
from tests.factories.authenticator import SoftAuthenticator

ORIGIN = "http://localhost"


@pytest.fixture
def phone() -> SoftAuthenticator:
    return SoftAuthenticator(rp_id="localhost", origin=ORIGIN)


def post(client, url: str, token: str, body: dict | None = None):  # type: ignore[no-untyped-def]
    return client.post(url, data=json.dumps(body or {}), content_type="application/json",
                       headers={"X-CSRFToken": token, "Accept": "application/json"})


def add_passkey(client, token: str, phone: SoftAuthenticator, name: str = "iPhone"):  # type: ignore[no-untyped-def]
    options = post(client, "/settings/passkeys/options", token).get_json()
    return post(client, "/settings/passkeys", token, {"credential": phone.create(options), "name": name})


@pytest.fixture
def hanako_with_passkey(client, db, login, csrf, phone):  # type: ignore[no-untyped-def]
    hanako = ResidentFactory()
    login(client, hanako)
    token = csrf(client, "/settings")
    assert add_passkey(client, token, phone).status_code == 201
    client.post("/logout", headers={"X-CSRFToken": token})
    return hanako


def test_a_passkey_is_added_after_a_fresh_confirmation_only(client, db, login, csrf, phone) -> None:  # type: ignore[no-untyped-def]
    hanako = ResidentFactory()
    login(client, hanako, authenticated_ago=timedelta(hours=1))
    token = csrf(client, "/settings")
    assert client.get("/settings/passkeys").status_code in (302, 303)  # to the re-authentication first
    assert post(client, "/settings/passkeys/options", token).status_code == 403
    login(client, hanako)
    token = csrf(client, "/settings")
    options = post(client, "/settings/passkeys/options", token).get_json()
    assert options["rp"]["id"] == "localhost" and options["authenticatorSelection"]["userVerification"] == "required"
    added = post(client, "/settings/passkeys", token, {"credential": phone.create(options), "name": "iPhone 15"})
    assert added.status_code == 201 and added.get_json()["redirect"] == "/settings/passkeys"
    (kept,) = db.exec(select(Passkey).where(Passkey.resident_id == hanako.id)).all()
    assert kept.name == "iPhone 15" and kept.credential_id == phone.credential_id and kept.transports == ["internal"]
    assert "iPhone 15" in client.get("/settings/passkeys").get_data(as_text=True)
    assert db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.PASSKEY_ADDED.value)).one()


def test_a_registration_is_refused_without_its_challenge_user_verification_or_right_origin(client, db, login, csrf,  # type: ignore[no-untyped-def]
                                                                                           phone) -> None:
    login(client, ResidentFactory())
    token = csrf(client, "/settings")
    options = post(client, "/settings/passkeys/options", token).get_json()
    assert post(client, "/settings/passkeys", token, {"credential": phone.create(options, verified=False)}).status_code == 400
    # The challenge was taken by that attempt: the same answer again finds none.
    assert post(client, "/settings/passkeys", token, {"credential": phone.create(options)}).status_code == 400
    options = post(client, "/settings/passkeys/options", token).get_json()
    evil = phone.create(options, origin="https://evil.example")
    assert post(client, "/settings/passkeys", token, {"credential": evil}).status_code == 400
    assert post(client, "/settings/passkeys", token, {"credential": "not a credential"}).status_code == 400
    assert db.exec(select(Passkey)).all() == []


def test_logging_in_with_a_passkey_and_a_replay_refused(client, db, csrf, phone, hanako_with_passkey) -> None:  # type: ignore[no-untyped-def]
    token = csrf(client, "/login")
    options = post(client, "/login/passkey/options", token).get_json()
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"
    answer = phone.get(options)
    done = post(client, "/login/passkey", token, {"credential": answer, "next": "/settings"})
    assert done.status_code == 200 and done.get_json()["redirect"] == "/settings"
    assert client.get("/settings").status_code == 200  # logged in
    assert db.get(Passkey, db.exec(select(Passkey.id)).one()).last_used_at is not None
    # The same answer again (a replay): its challenge is gone.
    client.post("/logout", headers={"X-CSRFToken": csrf(client, "/settings")})
    token = csrf(client, "/login")
    post(client, "/login/passkey/options", token)
    assert post(client, "/login/passkey", token, {"credential": answer}).status_code == 400
    assert client.get("/settings").status_code in (302, 303)


def test_a_cloned_authenticator_and_a_wrong_origin_are_refused(client, db, csrf, phone, hanako_with_passkey) -> None:  # type: ignore[no-untyped-def]
    token = csrf(client, "/login")
    options = post(client, "/login/passkey/options", token).get_json()
    assert post(client, "/login/passkey", token, {"credential": phone.get(options, count=5)}).status_code == 200
    client.post("/logout", headers={"X-CSRFToken": csrf(client, "/settings")})
    token = csrf(client, "/login")
    options = post(client, "/login/passkey/options", token).get_json()
    assert post(client, "/login/passkey", token, {"credential": phone.get(options, count=3)}).status_code == 400
    options = post(client, "/login/passkey/options", token).get_json()
    assert post(client, "/login/passkey", token, {"credential": phone.get(options, origin="https://evil.example")}
                ).status_code == 400
    failed = db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.PASSKEY_FAILED.value)).all()
    assert len(failed) == 2


def test_reauthentication_takes_only_the_residents_own_passkey(app, client, other_client, db, login, csrf, phone,  # type: ignore[no-untyped-def]
                                                             hanako_with_passkey) -> None:
    jiro = ResidentFactory()
    login(other_client, jiro, authenticated_ago=timedelta(hours=1))
    token = csrf(other_client, "/settings")
    assert post(other_client, "/reauth/passkey/options", token).status_code == 409  # jiro has none
    login(client, hanako_with_passkey, authenticated_ago=timedelta(hours=1))
    token = csrf(client, "/settings")
    page = client.get("/reauth").get_data(as_text=True)
    assert 'data-passkey="reauth"' in page and "/reauth/passkey/options" in page
    options = post(client, "/reauth/passkey/options", token).get_json()
    assert [c["id"] for c in options["allowCredentials"]] and options["userVerification"] == "required"
    done = post(client, "/reauth/passkey", token, {"credential": phone.get(options), "next": "/settings/passkeys"})
    assert done.status_code == 200 and done.get_json()["redirect"] == "/settings/passkeys"
    assert client.get("/settings/passkeys").status_code == 200  # fresh now


def test_another_residents_passkey_cannot_confirm_or_be_removed(client, other_client, db, login, csrf, phone,  # type: ignore[no-untyped-def]
                                                               hanako_with_passkey) -> None:
    jiro = ResidentFactory()
    jiro_phone = SoftAuthenticator(rp_id="localhost", origin=ORIGIN)
    login(other_client, jiro)
    token = csrf(other_client, "/settings")
    assert add_passkey(other_client, token, jiro_phone, "Pixel").status_code == 201
    options = post(other_client, "/reauth/passkey/options", token).get_json()
    # Hanako's phone answers jiro's challenge: the credential is not jiro's.
    assert post(other_client, "/reauth/passkey", token, {"credential": phone.get(options)}).status_code == 400
    hanakos = db.exec(select(Passkey).where(Passkey.resident_id == hanako_with_passkey.id)).one()
    removed = other_client.post(f"/settings/passkeys/{hanakos.id}/delete", data={"csrf_token": token})
    assert removed.status_code == 404 and db.exec(select(Passkey.id).where(Passkey.id == hanakos.id)).first()
    mine = db.exec(select(Passkey).where(Passkey.resident_id == jiro.id)).one()
    assert other_client.post(f"/settings/passkeys/{mine.id}/delete", data={"csrf_token": token}).status_code == 303
    assert db.exec(select(Passkey.id).where(Passkey.id == mine.id)).first() is None


def test_json_steps_need_the_csrf_header(client, db, login, phone) -> None:  # type: ignore[no-untyped-def]
    login(client, ResidentFactory())
    assert client.post("/settings/passkeys/options", data="{}", content_type="application/json").status_code == 400
    assert client.post("/login/passkey/options", data="{}", content_type="application/json").status_code == 400
