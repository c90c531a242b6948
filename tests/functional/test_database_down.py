"""The database not answering when a request starts (PostgreSQL restarting, bench/faults.py's drill): the session
cannot be read before the request is dispatched, where no error handler would see the failure. The resident gets the
503 page in her language, her cookie is left alone, and the same cookie works once the database is back."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from app import sessions
from tests.factories.accounts import ResidentFactory


class _Unreachable:
    """What get_session() gives while PostgreSQL restarts: every read fails to connect."""

    def get(self, *_: Any, **__: Any) -> Any:
        raise OperationalError("SELECT browser_session …", {}, Exception("the database system is shutting down"))

    def rollback(self) -> None:
        pass


@pytest.fixture
def database_down(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def down() -> None:
        monkeypatch.setattr(sessions, "get_session", _Unreachable)

    return down


def test_a_page_is_the_503_page_and_the_resident_is_still_logged_in_after(client, login, database_down):
    login(client, ResidentFactory())
    assert client.get("/feed").status_code == 200
    database_down()
    for headers in ({}, {"HX-Request": "true"}):
        page = client.get("/feed", headers=headers)
        assert page.status_code == 503
        assert page.headers["Retry-After"]
        assert "Set-Cookie" not in page.headers  # the cookie is neither replaced nor deleted
    text = client.get("/feed").get_data(as_text=True)
    assert "メンテナンス中" in text and "Traceback" not in text
    english = client.get("/feed", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "under maintenance" in english


def test_the_same_cookie_works_once_the_database_is_back(client, login, database_down, monkeypatch):
    login(client, ResidentFactory())
    database_down()
    assert client.get("/feed").status_code == 503
    monkeypatch.undo()
    assert client.get("/feed").status_code == 200  # not sent to the login page


def test_a_form_post_changes_nothing_and_gets_the_503_page(client, login, csrf, database_down):
    login(client, ResidentFactory())
    token = csrf(client, "/settings")
    database_down()
    answer = client.post("/consents/1/withdraw", data={"csrf_token": token})
    assert answer.status_code == 503


def test_the_database_failing_after_the_view_is_the_503_page_too(client, login, monkeypatch):
    """PostgreSQL stopping between the view's commit and the session's save (bench/faults.py saw one such 500 before):
    Flask hands that failure to its 500 handler, not to the OperationalError one."""
    login(client, ResidentFactory())

    def save_fails(*_: Any, **__: Any) -> None:
        raise OperationalError("UPDATE browser_session …", {}, Exception("terminating connection"))

    monkeypatch.setattr(sessions.DatabaseSessionInterface, "save_session", save_fails)
    monkeypatch.setitem(client.application.config, "PROPAGATE_EXCEPTIONS", False)  # (as in production)
    page = client.get("/feed")
    assert page.status_code == 503 and "メンテナンス中" in page.get_data(as_text=True)
