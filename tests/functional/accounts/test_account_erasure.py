# ruff: noqa: F811  (the pytest fixtures imported below are the tests' parameters)
"""F6 and A1: closing an account. A resident with a footprint in most of the bank (a household, consents and their
receipts, a recipient's tokens and notice, an Apple Health import with 要配慮 items, an upload still under way, the
pass, sessions) deletes the account; then

- every table of the database (reflected from the live schema, so a table no model knows is searched too) and the
  upload folder are searched for the subject: the account id (as text and as hex), the principal, the e-mail, the
  recipient's pairwise subject and values only this resident entrusted. What may remain is named in `MAY_REMAIN`,
  each with its reason (docs/decisions.md § Closing an account: what remains, and why);
- the recipient's refresh token gets `invalid_grant`, its access token 401 and introspection `active: false`.

A password change, by contrast, leaves recipients' grants alone: they are consents, not sessions (the same section).
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from tests.factories.exports import export_zip
from tests.functional.data_imports.conftest import run_jobs, start, upload_whole  # noqa: F401  (fixture)
from tests.functional.oauth.conftest import (  # noqa: F401  (fixtures)
    allow,
    authorized,
    city,
    city_key,
    hanako,
    hanako_browser,
    loaded_catalogue,
    offers,
    redirect_params,
)
from tests.functional.oauth.test_resource_api import _household

NICKNAME = "消去確認ひなた"
BLOCK = "178-4"
SOURCE_NAME = "花子のiPhone"  # the export's device name: health data of this resident only
PARTIAL_UPLOAD = b"PK\x03\x04 an export still arriving, from resident "


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def find_everywhere(app, db, needles: dict[str, str]) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """{table.column: {needle names found}} over every row of every table in the database."""
    connection = db.connection()
    tables = sa.inspect(connection).get_table_names()
    assert set(SQLModel.metadata.tables) <= set(tables)  # every model's table is searched
    found: dict[str, set[str]] = {}
    for name in tables:
        table = sa.Table(name, sa.MetaData(), autoload_with=connection)
        for row in connection.execute(sa.select(table)).mappings():
            for column, value in row.items():
                text = _text(value)
                hits = {label for label, needle in needles.items() if needle in text}
                if hits:
                    found.setdefault(f"{name}.{column}", set()).update(hits)
    return found


def files_naming(folder: Path, needles: dict[str, str]) -> list[str]:
    if not folder.exists():
        return []
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and any(needle in path.name or needle.encode() in path.read_bytes() for needle in needles.values())
    )


@pytest.fixture
def footprint(app, db, settings, city, hanako, hanako_browser, csrf, run_jobs) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Hanako uses the bank: what she entrusted, what 柏市's system holds, and what is still arriving."""
    _household(db, hanako)
    from app.household.models import Child

    db.add(Child(guardian_id=hanako.id, birth_year=2022, birth_month=7, birth_day=7, nickname=NICKNAME))
    params = redirect_params(allow(hanako_browser, city.authorize_url(), ["children_count", "age_bands", "town_group"]))
    tokens = city.exchange(params["code"]).get_json()
    provision = city.me(tokens["access_token"]).get_json()
    assert city.notice(tokens["access_token"], id="n-1", title="一時預かりのご案内").status_code == 201
    upload_whole(hanako_browser, csrf(hanako_browser, "/my-data/imports/"), export_zip(), keep_sensitive=True)
    run_jobs()
    assert hanako_browser.get("/pass/").status_code == 200
    state = start(hanako_browser, csrf(hanako_browser, "/my-data/imports/"), size=4096).get_json()
    from tests.functional.data_imports.conftest import send

    body = PARTIAL_UPLOAD + hanako.email.encode()
    assert send(hanako_browser, csrf(hanako_browser, "/my-data/imports/"), state["upload_url"], 0, body).status_code == 200
    stranger = app.test_client()  # a reset link asked for the address: a mail and a one-time token
    stranger.post("/password/forgot", data={"csrf_token": csrf(stranger, "/password/forgot"), "email": hanako.email})
    run_jobs()  # the mails go out
    db.flush()
    return {
        "tokens": tokens,
        "sub": provision["sub"],
        "id": hanako.id,
        "email": hanako.email,
        "principal": hanako.principal,
        "open_upload": state["id"],
    }


def _delete_account(browser, csrf) -> None:  # type: ignore[no-untyped-def]
    answer = browser.post("/settings/delete", data={"csrf_token": csrf(browser, "/settings/delete"), "confirm": "y"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/login"


def _needles(footprint: dict[str, Any]) -> dict[str, str]:
    subject: uuid.UUID = footprint["id"]
    return {
        "id": str(subject),
        "id_hex": subject.hex,
        "email": footprint["email"],
        "sub": footprint["sub"],
        "nickname": NICKNAME,
        "health": SOURCE_NAME,
    }


# What names the subject after the account is closed, and why it may (each row of docs/decisions.md § Closing an
# account: what remains, and why).
FOR_EVER = {
    # The chain of 第三者提供記録 (APPI 法29条: ≥ 3 years); payloads erased but the provision and receipt records',
    # which name recipients, items and dates (no needle), kept three years (tests/functional/ledger/test_retention.py).
    "ledger_chain.subject": {"id"},
    "audit_event.actor": {"id"},  # the insert-only, anchored security log: principals, never names or addresses
    "audit_event.subject": {"id"},
}
FOR_30_DAYS = {
    "job.started_by": {"id"},  # finished jobs are purged after 30 days (app/jobs/maintenance.py)
    "mail_message.to": {"email"},  # the goodbye mail, still to be sent; sent mail is purged after 30 days
}


def test_closing_the_account_leaves_of_the_subject_only_what_is_justified(
    app,
    db,
    settings,
    hanako_browser,
    csrf,
    footprint,
) -> None:
    needles, uploads = _needles(footprint), settings.instance_path / "imports"
    before = find_everywhere(app, db, needles)
    assert {
        "child.nickname",
        "health_record.source_name",
        "oauth_pairwise_subject.subject",
        "resident.email",
        "mail_message.to",
        "action_token.principal",
    } <= set(before)  # the search finds what is there
    assert files_naming(uploads, needles) == [f"{footprint['open_upload']}.upload"]
    _delete_account(hanako_browser, csrf)
    db.expire_all()
    after = find_everywhere(app, db, needles)
    assert after == {**FOR_EVER, **FOR_30_DAYS}
    from app.mail.models import MailMessage

    waiting = db.exec(sa.select(MailMessage).where(MailMessage.to == footprint["email"])).scalars().all()
    assert [(m.sent_at, "削除" in m.subject) for m in waiting] == [(None, True)]  # only the goodbye, not yet sent
    assert files_naming(uploads, needles) == []
    assert not (uploads / f"{footprint['open_upload']}.upload").exists()


def test_thirty_days_on_only_the_ledger_chain_and_the_security_log_name_the_subject(
    app,
    db,
    hanako_browser,
    csrf,
    footprint,
    run_jobs,
) -> None:
    from freezegun import freeze_time

    from app.jobs import services as jobs
    from app.jobs.maintenance import KIND

    _delete_account(hanako_browser, csrf)
    run_jobs()  # the goodbye mail is sent
    with freeze_time(timedelta(days=31)):
        jobs.enqueue(db, KIND, {})
        db.flush()
        run_jobs()
    db.expire_all()
    assert find_everywhere(app, db, _needles(footprint)) == FOR_EVER


def test_a_closed_accounts_recipients_get_invalid_grant_and_are_refused(city, hanako_browser, csrf, authorized) -> None:  # type: ignore[no-untyped-def]
    """A1 and F6: the recipient's tokens die with the account (withdrawal revokes them, then the rows go)."""
    assert city.me(authorized["access_token"]).status_code == 200
    _delete_account(hanako_browser, csrf)
    refreshed = city.refresh(authorized["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.get_json()["error"] == "invalid_grant"
    refused = city.me(authorized["access_token"])
    assert refused.status_code == 401 and refused.get_json()["error"] == "invalid_token"
    assert city.introspect(authorized["access_token"]).get_json() == {"active": False}
    assert city.introspect(authorized["refresh_token"]).get_json() == {"active": False}


def test_a_password_change_ends_sessions_but_not_recipients_grants(
    app,
    db,
    city,
    hanako,
    hanako_browser,
    csrf,
    login,
    authorized,
) -> None:
    """A1, as decided: a recipient's grant is the resident's consent, not a session of hers; a new password ends her
    other sessions and leaves the consents (and their tokens) as they are. She withdraws a consent to end a grant."""
    phone = app.test_client()
    login(phone, hanako)
    changed = hanako_browser.post(
        "/settings/password", data={"csrf_token": csrf(hanako_browser, "/settings"), "password": "nagareyama-otaka-forest-7"}
    )
    assert changed.status_code == 303
    assert phone.get("/settings").headers["Location"].startswith("/login")
    assert city.me(authorized["access_token"]).status_code == 200
    again = city.refresh(authorized["refresh_token"])
    assert again.status_code == 200 and city.me(again.get_json()["access_token"]).status_code == 200


def test_an_upload_file_left_behind_by_a_crash_is_swept_after_two_days(db, settings, hanako, run_jobs) -> None:  # type: ignore[no-untyped-def]
    """The safety net behind `erase_uploads_of`: the hourly sweep deletes a file whose import no longer exists once it
    is older than an abandoned upload would be; a file of a live import, or a young one, stays."""
    import os
    import time

    from app.data_imports import services
    from app.jobs import services as jobs

    folder = services.upload_dir(settings.instance_path)
    live = services.start_upload(
        db, hanako, filename="export.zip", size=10, keep_sensitive=False, instance_path=settings.instance_path
    )
    live_file = services.upload_path(settings.instance_path, live.id)
    orphan, young = folder / f"{uuid.uuid4()}.upload", folder / f"{uuid.uuid4()}.upload"
    try:
        orphan.write_bytes(PARTIAL_UPLOAD)
        young.write_bytes(PARTIAL_UPLOAD)
        three_days_ago = time.time() - 3 * 24 * 3600
        for path in (orphan, live_file):
            os.utime(path, (three_days_ago, three_days_ago))
        jobs.enqueue(db, services.SWEEP_KIND, {})
        db.flush()
        run_jobs()
        assert not orphan.exists() and young.exists()
        assert live_file.exists()  # its row decides (2 days without a chunk: `updated_at`)
    finally:
        for path in (orphan, young, live_file):  # the instance folder outlives this test's rolled-back rows
            path.unlink(missing_ok=True)
