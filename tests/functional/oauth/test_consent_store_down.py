"""I3: the consent store is down during a provision → denied with 503, never allowed.

The consent store is the main database: the consent door reads the live grants there (`enforce.live_consents_many`)
under the resident's chain lock before anything is served. Here that read fails as PostgreSQL does when it goes
away (`OperationalError`); `app/errors.py` answers 503 with Retry-After, rolls the request back and serves nothing.
The same call answers once the store is back. (The database failing earlier, while the browser session is read, is
`tests/functional/test_database_down.py`; the ledger write failing is
`test_resource_api.py::test_a_ledger_that_cannot_record_the_provision_means_a_503_and_no_data`.)"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from app.consent import enforce
from app.ledger.models import RecordKind
from app.ledger.services import history
from app.oauth.models import OAuthToken
from tests.functional.oauth.test_resource_api import _household


@pytest.fixture
def consent_store_down(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    def down() -> None:
        def unreachable(*_args: Any, **_kwargs: Any) -> Any:
            raise OperationalError("SELECT consent_grant …", {}, Exception("terminating connection"))

        monkeypatch.setattr(enforce, "live_consents_many", unreachable)

    return down


def _provisions(db, resident) -> list[Any]:  # type: ignore[no-untyped-def]
    return list(history(db, resident.principal, kinds=[RecordKind.PROVISION]))


def test_the_resource_api_is_503_and_serves_nothing(
    city,
    hanako,
    db,
    authorized,
    consent_store_down,
    monkeypatch,
) -> None:
    _household(db, hanako)
    consent_store_down()
    refused = city.me(authorized["access_token"])
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert refused.get_json() == {
        "error": "temporarily_unavailable",
        "error_description": refused.get_json()["error_description"],
    }
    assert "kashiwanoha" not in refused.get_data(as_text=True) and _provisions(db, hanako) == []
    assert city.notice(authorized["access_token"], id="n-1", title="t").status_code == 503  # no live consent read
    monkeypatch.undo()
    assert city.me(authorized["access_token"]).status_code == 200 and len(_provisions(db, hanako)) == 1


def test_a_refresh_is_503_issues_nothing_and_the_refresh_token_still_works_after(
    city,
    db,
    authorized,
    consent_store_down,
    monkeypatch,
) -> None:
    issued = len(db.exec(select(OAuthToken)).all())
    consent_store_down()
    refused = city.refresh(authorized["refresh_token"])
    assert refused.status_code == 503 and refused.headers["Retry-After"]
    assert "access_token" not in refused.get_data(as_text=True)
    assert refused.get_json()["error"] == "temporarily_unavailable"  # JSON, as the client reads every token answer
    db.expire_all()
    assert len(db.exec(select(OAuthToken)).all()) == issued
    assert all(token.refresh_rotated_at is None for token in db.exec(select(OAuthToken)))  # the claim rolled back
    monkeypatch.undo()
    assert city.refresh(authorized["refresh_token"]).status_code == 200


def test_a_resident_page_that_reads_consents_is_the_503_page(hanako_browser, offers, consent_store_down) -> None:  # type: ignore[no-untyped-def]
    """The day's first view of the feed reads her data through the door (the bank's own processing; the feed is then
    kept for the day, and a withdrawal drops it)."""
    consent_store_down()
    for headers in ({}, {"HX-Request": "true"}):
        page = hanako_browser.get("/feed", headers=headers)
        assert page.status_code == 503 and page.headers["Retry-After"], headers
        text = page.get_data(as_text=True)
        assert "メンテナンス中です" in text and "Traceback" not in text
