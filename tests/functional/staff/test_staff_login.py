"""Staff login (password, then TOTP), the invitation and enrollment, and disabling an account."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pyotp
import pytest
from freezegun import freeze_time
from sqlmodel import select

from app.mail.models import MailMessage
from app.sessions import BrowserSession
from app.staff.models import StaffMember
from tests.conftest import comparable_page
from tests.factories.staff import STAFF_PASSWORD, StaffFactory, totp_now, totp_secret_of

COOKIE = "azukari_session"
CONSOLE = {"operator": "/operator/", "municipal": "/municipal/", "partner": "/partner/"}
NEW_STAFF_PASSWORD = "lantern-orchard-velvet-tsukuba-47"


def frozen_now():  # type: ignore[no-untyped-def]
    """Stop the clock for a whole login, so a code computed here is checked in the same 30 s step."""
    return freeze_time(datetime.now(UTC))


def password_step(client, csrf, email, password):  # type: ignore[no-untyped-def]
    token = csrf(client, "/staff/login")
    return client.post("/staff/login", data={"csrf_token": token, "email": email, "password": password})


def code_step(client, csrf, code):  # type: ignore[no-untyped-def]
    token = csrf(client, "/staff/login/code")
    return client.post("/staff/login/code", data={"csrf_token": token, "code": code})


def location_path(response) -> str:  # type: ignore[no-untyped-def]
    return urlsplit(response.headers["Location"]).path


def wrong_code_for(secret: str) -> str:
    """A 6-digit code that is valid in none of the steps the app accepts now (now ±1)."""
    totp = pyotp.TOTP(secret)
    counter = int(datetime.now(UTC).timestamp()) // 30
    valid = {totp.generate_otp(c) for c in (counter - 1, counter, counter + 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def is_code_page(response) -> bool:  # type: ignore[no-untyped-def]
    return 'action="/staff/login/code"' in response.get_data(as_text=True)


# --- password then TOTP ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["operator", "municipal", "partner"])
def test_password_then_code_lands_on_the_console_and_rotates_the_session(client, csrf, role):
    member = StaffFactory(**{role: True})
    with frozen_now():
        first = password_step(client, csrf, member.email, STAFF_PASSWORD)
        assert first.status_code == 303
        assert location_path(first) == "/staff/login/code"
        # The password alone opens nothing.
        assert location_path(client.get(CONSOLE[role])) == "/staff/login"
        before = client.get_cookie(COOKIE).value
        second = code_step(client, csrf, totp_now(member))
    assert second.status_code == 303
    assert location_path(second) == CONSOLE[role]
    assert client.get_cookie(COOKIE).value != before
    assert client.get(CONSOLE[role]).status_code == 200


def test_wrong_password_and_unknown_email_look_the_same(client, other_client, csrf):
    member = StaffFactory(operator=True)
    wrong = password_step(client, csrf, member.email, "not-the-password-123")
    unknown = password_step(other_client, csrf, "nobody@example.jp", "not-the-password-123")
    assert wrong.status_code == unknown.status_code == 422

    assert comparable_page(wrong, member.email) == comparable_page(unknown, "nobody@example.jp")
    assert 'class="notice notice--error"' in wrong.get_data(as_text=True)


def test_an_invited_member_cannot_log_in_with_any_password(client, csrf):
    member = StaffFactory(municipal=True, invited=True)
    for password in (STAFF_PASSWORD, "any-other-password-2026", "\0"):
        response = password_step(client, csrf, member.email, password)
        assert response.status_code == 422
        assert "Location" not in response.headers
    # No half-finished login was left in the session either.
    assert location_path(client.get("/staff/login/code")) == "/staff/login"
    assert location_path(client.get("/staff/enroll")) == "/staff/login"


def test_a_disabled_member_cannot_log_in(client, csrf):
    member = StaffFactory(operator=True, active=False)
    response = password_step(client, csrf, member.email, STAFF_PASSWORD)
    assert response.status_code == 422
    assert "Location" not in response.headers


# --- the code step ---------------------------------------------------------------------------------


def test_a_wrong_code_is_422_and_stays_on_the_code_page(client, csrf):
    member = StaffFactory(operator=True)
    with frozen_now():
        assert password_step(client, csrf, member.email, STAFF_PASSWORD).status_code == 303
        response = code_step(client, csrf, wrong_code_for(totp_secret_of(member)))
        assert response.status_code == 422
        assert "Location" not in response.headers
        assert is_code_page(response)
        assert 'class="field__error"' in response.get_data(as_text=True)
        assert location_path(client.get("/operator/")) == "/staff/login"
        # The pending login survives a typo: the right code still works.
        assert location_path(code_step(client, csrf, totp_now(member))) == "/operator/"


def test_a_code_cannot_be_used_twice(client, csrf, db):
    member = StaffFactory(operator=True)
    with frozen_now() as clock:
        code = totp_now(member)
        password_step(client, csrf, member.email, STAFF_PASSWORD)
        assert location_path(code_step(client, csrf, code)) == "/operator/"
        db.refresh(member)
        assert member.totp_last_counter is not None
        logout = client.post("/logout", data={"csrf_token": csrf(client, "/operator/")})
        assert location_path(logout) == "/staff/login"
        # Same 30 s step, same code: refused.
        assert location_path(password_step(client, csrf, member.email, STAFF_PASSWORD)) == "/staff/login/code"
        replay = code_step(client, csrf, code)
        assert replay.status_code == 422
        assert is_code_page(replay)
        assert location_path(client.get("/operator/")) == "/staff/login"
        # The next step's code is accepted (the refusal above was the replay, nothing else).
        clock.tick(timedelta(seconds=30))
        assert location_path(code_step(client, csrf, totp_now(member))) == "/operator/"


def test_five_wrong_codes_lock_the_code_step_with_retry_after(client, csrf):
    member = StaffFactory(operator=True)
    with frozen_now():
        password_step(client, csrf, member.email, STAFF_PASSWORD)
        wrong = wrong_code_for(totp_secret_of(member))
        for _ in range(5):
            assert code_step(client, csrf, wrong).status_code == 422
        # Even the right code is refused now.
        limited = code_step(client, csrf, totp_now(member))
        assert limited.status_code == 429
        assert 0 < int(limited.headers["Retry-After"]) <= 15 * 60 + 1
        assert location_path(client.get("/operator/")) == "/staff/login"
        # The pending login was dropped: the code page sends the member back to the start.
        assert location_path(client.get("/staff/login/code")) == "/staff/login"


def test_the_password_step_expires_after_five_minutes(client, csrf):
    member = StaffFactory(municipal=True)
    with frozen_now() as clock:
        assert location_path(password_step(client, csrf, member.email, STAFF_PASSWORD)) == "/staff/login/code"
        clock.tick(timedelta(minutes=4, seconds=50))
        assert client.get("/staff/login/code").status_code == 200  # still pending just before the limit
        clock.tick(timedelta(seconds=20))
        code = totp_now(member)
        token = csrf(client, "/staff/login")
        expired = client.post("/staff/login/code", data={"csrf_token": token, "code": code})
        assert expired.status_code == 303
        assert location_path(expired) == "/staff/login"
        assert location_path(client.get("/municipal/")) == "/staff/login"
        # Starting again works.
        assert location_path(password_step(client, csrf, member.email, STAFF_PASSWORD)) == "/staff/login/code"


# --- invitation and enrollment ----------------------------------------------------------------------


def create_staff(client, csrf, *, email, role="municipal", partner_id="", headers=None):  # type: ignore[no-untyped-def]
    return client.post("/operator/staff", headers=headers or {}, data={
        "csrf_token": csrf(client, "/operator/staff"), "display_name": "新しい 職員", "email": email,
        "role": role, "partner_id": partner_id, "locale": "ja",
    })


def invitation_path(db, email: str) -> str:  # type: ignore[no-untyped-def]
    messages = db.exec(select(MailMessage).where(MailMessage.to == email)).all()
    assert len(messages) == 1
    match = re.search(r"https?://[^/\s]+(/staff/invite/[A-Za-z0-9_\-]+)", messages[0].body)
    assert match, messages[0].body
    return match.group(1)


def enrollment_secret(response) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', response.get_data(as_text=True))
    assert match
    return match.group(1).replace(" ", "")


def test_invitation_enrollment_and_first_login(client, other_client, csrf, login, db):
    login(client, StaffFactory(operator=True))
    created = create_staff(client, csrf, email="New.Staff@Example.jp")
    assert created.status_code == 303
    assert location_path(created) == "/operator/staff"
    member = db.exec(select(StaffMember).where(StaffMember.email == "new.staff@example.jp")).one()
    assert member.password_hash is None and member.totp_secret is None
    path = invitation_path(db, "new.staff@example.jp")

    # The invited member, in their own browser.
    page = other_client.get(path)
    assert page.status_code == 200
    assert "new.staff@example.jp" in page.get_data(as_text=True)
    accepted = other_client.post(path, data={"csrf_token": csrf(other_client, path),
                                             "password": NEW_STAFF_PASSWORD})
    assert accepted.status_code == 303
    assert location_path(accepted) == "/staff/enroll"
    # A password alone is no login.
    assert location_path(other_client.get("/municipal/")) == "/staff/login"

    enroll = other_client.get("/staff/enroll")
    assert enroll.status_code == 200
    secret = enrollment_secret(enroll)
    assert len(secret) >= 16
    with frozen_now():
        done = other_client.post("/staff/enroll", data={"csrf_token": csrf(other_client, "/staff/enroll"),
                                                        "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 303
    assert location_path(done) == "/municipal/"
    assert other_client.get("/municipal/").status_code == 200
    db.refresh(member)
    assert member.enrolled and member.totp_pending is None

    # The link worked once.
    again = other_client.get(path)
    assert again.status_code == 400
    assert client.get(path).status_code == 400


def test_a_wrong_enrollment_code_does_not_enroll(client, csrf, db):
    member = StaffFactory(municipal=True, totp_secret=None)  # has a password, no authenticator yet
    assert location_path(password_step(client, csrf, member.email, STAFF_PASSWORD)) == "/staff/enroll"
    secret = enrollment_secret(client.get("/staff/enroll"))
    with frozen_now():
        response = client.post("/staff/enroll", data={"csrf_token": csrf(client, "/staff/enroll"),
                                                      "code": wrong_code_for(secret)})
    assert response.status_code == 422
    assert location_path(client.get("/municipal/")) == "/staff/login"
    db.refresh(member)
    assert member.totp_secret is None


def test_htmx_create_returns_only_the_staff_panel(client, csrf, login, db):
    login(client, StaffFactory(operator=True))
    response = create_staff(client, csrf, email="panel@example.jp", headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert body.lstrip().startswith('<div id="staff-panel"')
    assert "panel@example.jp" in body  # the new account is listed
    assert "HX-Request" in response.headers.get("Vary", "")
    assert db.exec(select(MailMessage).where(MailMessage.to == "panel@example.jp")).one()


def test_htmx_create_with_a_taken_email_returns_the_panel_with_an_error(client, csrf, login):
    taken = StaffFactory(municipal=True)
    login(client, StaffFactory(operator=True))
    response = create_staff(client, csrf, email=taken.email, headers={"HX-Request": "true"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="staff-panel"' in body
    assert 'class="field__error"' in body


def test_enrollment_qr_code(client, other_client, csrf):
    assert client.get("/staff/enroll/qr.svg").status_code == 404  # no pending enrollment
    member = StaffFactory(partner=True, totp_secret=None)
    assert location_path(password_step(client, csrf, member.email, STAFF_PASSWORD)) == "/staff/enroll"
    assert client.get("/staff/enroll").status_code == 200
    response = client.get("/staff/enroll/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == "no-store"
    assert "<svg" in response.get_data(as_text=True)
    # Another browser, without this pending enrollment, gets nothing.
    assert other_client.get("/staff/enroll/qr.svg").status_code == 404


# --- disabling ---------------------------------------------------------------------------------------


def test_disabling_a_member_ends_their_sessions_at_once(client, other_client, csrf, login, db):
    operator = StaffFactory(operator=True)
    target = StaffFactory(municipal=True)
    login(client, operator)
    login(other_client, target)
    assert other_client.get("/municipal/").status_code == 200
    response = client.post(f"/operator/staff/{target.id}/disable",
                           data={"csrf_token": csrf(client, "/operator/staff")})
    assert response.status_code == 303
    assert location_path(response) == "/operator/staff"
    db.refresh(target)
    assert target.active is False
    assert db.exec(select(BrowserSession).where(BrowserSession.principal == target.principal)).all() == []
    after = other_client.get("/municipal/")
    assert after.status_code == 303
    assert location_path(after) == "/staff/login"
    # And the password no longer starts a login.
    assert password_step(other_client, csrf, target.email, STAFF_PASSWORD).status_code == 422


def test_disable_needs_a_csrf_token(client, login, db):
    operator = StaffFactory(operator=True)
    target = StaffFactory(municipal=True)
    login(client, operator)
    assert client.post(f"/operator/staff/{target.id}/disable").status_code == 400
    db.refresh(target)
    assert target.active is True


def test_an_operator_cannot_disable_themselves(client, csrf, login, db):
    operator = StaffFactory(operator=True)
    login(client, operator)
    response = client.post(f"/operator/staff/{operator.id}/disable",
                           data={"csrf_token": csrf(client, "/operator/staff")})
    assert response.status_code == 400
    db.refresh(operator)
    assert operator.active is True
    assert client.get("/operator/").status_code == 200


def test_only_operators_can_disable_staff(client, csrf, login, db):
    target = StaffFactory(partner=True)
    login(client, StaffFactory(municipal=True))
    response = client.post(f"/operator/staff/{target.id}/disable",
                           data={"csrf_token": csrf(client, "/municipal/")})
    assert response.status_code == 403
    db.refresh(target)
    assert target.active is True


def test_a_new_invitation_resets_the_login_and_ends_the_member_sessions(client, other_client, login, csrf, db):
    from sqlmodel import col, select

    from app.mail.models import MailMessage
    from app.sessions import BrowserSession

    operator = StaffFactory(operator=True)
    member = StaffFactory(municipal=True)
    login(client, operator)
    login(other_client, member)
    response = client.post(f"/operator/staff/{member.id}/reinvite", data={"csrf_token": csrf(client, "/operator/staff")})
    assert response.status_code == 303
    db.expire_all()
    refreshed = db.get(type(member), member.id)
    assert refreshed.password_hash is None and refreshed.totp_secret is None
    assert db.exec(select(BrowserSession).where(BrowserSession.principal == member.principal)).first() is None
    assert other_client.get("/municipal/").headers["Location"].startswith("/staff/login")
    mail = db.exec(select(MailMessage).where(MailMessage.to == member.email).order_by(col(MailMessage.id).desc())).first()
    assert mail is not None and "/staff/invite/" in mail.body
    assert client.post(f"/operator/staff/{member.id}/reinvite").status_code == 400  # CSRF still applies


def test_an_htmx_create_returns_an_empty_form_for_the_next_member(client, login, csrf):
    login(client, StaffFactory(operator=True))
    response = client.post(
        "/operator/staff",
        data={"csrf_token": csrf(client, "/operator/staff"), "display_name": "柏 次郎", "email": "next@example.jp",
              "role": "municipal", "partner_id": "", "locale": "ja"},
        headers={"HX-Request": "true", "X-CSRFToken": csrf(client, "/operator/staff")},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "next@example.jp" in body  # in the table
    assert 'value="next@example.jp"' not in body  # but not left in the form


def test_a_member_re_invited_during_the_code_step_is_sent_back_not_crashed(client, other_client, login, csrf, db):
    from freezegun import freeze_time

    member = StaffFactory(municipal=True)
    with freeze_time():
        client.post("/staff/login", data={"csrf_token": csrf(client, "/staff/login"), "email": member.email,
                                           "password": STAFF_PASSWORD})
        login(other_client, StaffFactory(operator=True))
        other_client.post(f"/operator/staff/{member.id}/reinvite",
                          data={"csrf_token": csrf(other_client, "/operator/staff")})
        response = client.post("/staff/login/code", data={"csrf_token": csrf(client, "/staff/login"),
                                                          "code": "123456"})
    assert response.status_code == 303 and response.headers["Location"] == "/staff/login"
