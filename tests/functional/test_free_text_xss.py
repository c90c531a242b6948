"""Script in any free text a resident, a recipient or a device can put in is shown as text: a child's nickname,
an export's file name, a recipient's notice, a passkey's name. The page holds the escaped text and no live tag."""

from __future__ import annotations

import pytest

from app.data_imports import services as imports
from app.household import services as household
from app.household.ages import BirthDate
from app.passkeys.models import Passkey
from tests.factories.accounts import ResidentFactory
from tests.factories.inbox import NoticeFactory

PAYLOAD = "<script>alert('xss')</script><img src=x onerror=alert(1)>\"'><svg onload=alert(2)>"
LIVE = ("<script>alert", "<img src=x", "<svg onload", "onerror=alert(1)>")


def assert_inert(html: str) -> None:
    assert not any(tag in html for tag in LIVE), [tag for tag in LIVE if tag in html]
    assert "&lt;script&gt;alert(" in html or "&lt;img src=x" in html  # shown, as text


@pytest.fixture
def resident(app, db):  # type: ignore[no-untyped-def]
    return ResidentFactory()


def test_a_childs_nickname(app, db, client, login, resident) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        household.add_child(db, resident, nickname=PAYLOAD[:40], birth=BirthDate(2022, 4, 1), counted=False)
    login(client, resident)
    assert_inert(client.get("/my-data").get_data(as_text=True))


def test_an_exports_file_name(db, client, login, resident, settings) -> None:  # type: ignore[no-untyped-def]
    """(Kept as its base name: what follows the last "/", the one of "</script>".)"""
    upload = imports.start_upload(db, resident, filename=PAYLOAD, size=10, keep_sensitive=False,
                                  instance_path=settings.instance_path)
    login(client, resident)
    assert_inert(client.get("/my-data/imports/").get_data(as_text=True))
    assert_inert(client.get(f"/my-data/imports/{upload.id}").get_data(as_text=True))


def test_a_recipients_notice(db, client, login, resident) -> None:  # type: ignore[no-untyped-def]
    notice = NoticeFactory(resident=resident, title=PAYLOAD[:100], body=PAYLOAD)
    login(client, resident)
    assert_inert(client.get("/inbox").get_data(as_text=True))
    assert_inert(client.get(f"/inbox/{notice.id}").get_data(as_text=True))


def test_a_passkeys_name(db, client, login, resident) -> None:  # type: ignore[no-untyped-def]
    db.add(Passkey(resident_id=resident.id, credential_id=b"x" * 16, public_key=b"k", name=PAYLOAD[:60]))
    db.flush()
    login(client, resident)
    assert_inert(client.get("/settings/passkeys").get_data(as_text=True))
