"""After a full run (Smart Life Pass login with a token refresh, MyNa Portal import, unlink), neither the bank's
database nor its logs hold a token in the clear or anything shaped like a 個人番号."""

from __future__ import annotations

import logging
import re
import sqlite3
from datetime import timedelta

import pytest
from sqlmodel import SQLModel, select

from app.accounts import oauth_client
from app.accounts.models import LinkedAccount
from app.db import utcnow
from tests.conftest import csrf_token
from tests.functional.accounts.test_linking import accept_terms, log_in_with_slp, new_slp_user
from tests.functional.household.test_mynaportal_import import import_from_portal, new_household

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
# Hashes, sealed values and other long opaque strings: digits inside them are not numbers anyone wrote.
OPAQUE = re.compile(r"[A-Za-z0-9_\-+/=]{24,}")
TWELVE_DIGITS = re.compile(r"(?<!\d)(?:\d[\s-]?){11}\d(?!\d)")


def database_text(db) -> str:  # type: ignore[no-untyped-def]
    rows = []
    for table in SQLModel.metadata.sorted_tables:
        rows.extend(repr(tuple(row)) for row in db.execute(select(table)).all())
    return "\n".join(rows)


def without_opaque(text: str) -> str:
    return OPAQUE.sub(" ", UUID.sub(" ", text))


def test_no_token_or_individual_number_at_rest_or_in_the_logs(client, db, linked_settings, peers, idp_browser,
                                                             caplog: pytest.LogCaptureFixture, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    original = oauth_client.TokenSet.from_response.__func__  # type: ignore[attr-defined]

    def spy(cls, token, *, requested_scope):  # type: ignore[no-untyped-def]
        tokens = original(cls, token, requested_scope=requested_scope)
        seen.extend(t for t in (tokens.access_token, tokens.refresh_token) if t)
        return tokens

    monkeypatch.setattr(oauth_client.TokenSet, "from_response", classmethod(spy))

    login_id, password, _ = new_slp_user(peers)
    assert log_in_with_slp(client, idp_browser, login_id, password).status_code == 303
    accept_terms(client)
    (link,) = db.exec(select(LinkedAccount)).all()
    link.access_token_expires_at = utcnow() - timedelta(minutes=1)  # the next use refreshes (and rotates)
    db.add(link)
    db.flush()
    assert client.post("/my-data/refresh", data={"csrf_token": csrf_token(client, "/my-data")}).status_code == 303

    mnp_login, pin = new_household(peers, [("若葉 ひなた", "2021-05-12")])
    assert import_from_portal(client, idp_browser, mnp_login, pin).status_code == 303
    token = csrf_token(client, "/household/mynaportal/review")
    assert client.post("/household/mynaportal/review", data={"csrf_token": token, "p0": "add"}).status_code == 303

    at_rest_during_link = database_text(db)
    assert len(seen) >= 4, "the run should have seen the login, refresh and import tokens"

    numbers = _individual_numbers(peers)
    assert numbers, "the MyNa Portal peer should hold made-up 個人番号 for the households"
    logs = "\n".join(record.getMessage() for record in caplog.records)
    for where, text in (("database", at_rest_during_link), ("logs", logs)):
        for secret in seen:
            assert secret not in text, f"a token in the clear in the {where}"
        for number in numbers:
            assert number not in text, f"a 個人番号 in the {where}"
        assert not TWELVE_DIGITS.search(without_opaque(text)), f"something shaped like a 個人番号 in the {where}"


def _individual_numbers(peers) -> list[str]:  # type: ignore[no-untyped-def]
    path = peers.storage / "mynaportal" / "peer.sqlite3"
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("select individual_number from myna_member")]
