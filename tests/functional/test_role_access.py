"""Who may open what: every principal against every resident page and console, one test id per cell."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.factories.accounts import ResidentFactory
from tests.factories.staff import StaffFactory

pytestmark = pytest.mark.smoke

RESIDENT_PAGES = ["/", "/my-data", "/consents", "/consents/connections", "/inbox", "/switching", "/settings", "/terms",
                 "/surveys/", "/city-records/"]
CONSOLES = {
    "operator": ["/operator/", "/operator/staff", "/operator/jobs", "/operator/clients/", "/operator/surveys/"],
    "municipal": ["/municipal/", "/municipal/services/", "/municipal/city-records/", "/municipal/ebpm/"],
    "partner": ["/partner/"],
    "analyst": ["/analysts/"],
}
CONSOLE_PAGES = [path for paths in CONSOLES.values() for path in paths]
PRINCIPALS = ["anonymous", "resident", "operator", "municipal", "partner", "analyst"]
STAFF_HOME = {"operator": "/operator/", "municipal": "/municipal/", "partner": "/partner/", "analyst": "/analysts/"}


def console_of(path: str) -> str:
    return next(role for role, paths in CONSOLES.items() if path in paths)


def expected(principal: str, path: str) -> tuple[int, str | None]:
    """(status, redirect path or None) for `principal` opening `path`."""
    if path in RESIDENT_PAGES:
        if principal == "anonymous":
            return (200, None) if path == "/" else (303, "/login")
        if principal == "resident":
            return 200, None
        return (303, STAFF_HOME[principal]) if path == "/" else (403, None)
    if principal == "anonymous":
        return 303, "/staff/login"
    if principal == "resident":
        return 403, None
    return (200, None) if console_of(path) == principal else (403, None)


def log_in_as(principal: str, client, login) -> None:  # type: ignore[no-untyped-def]
    if principal == "anonymous":
        return
    user = ResidentFactory() if principal == "resident" else StaffFactory(**{principal: True})
    login(client, user)


CELLS = [pytest.param(principal, path, id=f"{principal}-{path}") for principal in PRINCIPALS
         for path in RESIDENT_PAGES + CONSOLE_PAGES]


@pytest.mark.parametrize("principal, path", CELLS)
def test_access_matrix(client, login, principal, path):
    log_in_as(principal, client, login)
    status, location = expected(principal, path)
    response = client.get(path)
    assert response.status_code == status, (principal, path, response.headers.get("Location"))
    if location is None:
        assert "Location" not in response.headers
    else:
        target = urlsplit(response.headers["Location"])
        assert target.path == location
        if location in ("/login", "/staff/login"):
            # After logging in, the user comes back to the page asked for.
            assert parse_qs(target.query).get("next") == [path]
    if status == 403:
        assert "<html" in response.get_data(as_text=True)  # the error page, not the content


@pytest.mark.parametrize("path", [p for p in RESIDENT_PAGES if p != "/"])
def test_anonymous_htmx_request_to_a_resident_page_is_401_with_hx_redirect(client, path):
    response = client.get(path, headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert "Location" not in response.headers
    target = urlsplit(response.headers["HX-Redirect"])
    assert target.path == "/login"
    assert parse_qs(target.query).get("next") == [path]


@pytest.mark.parametrize("path", CONSOLE_PAGES)
def test_anonymous_htmx_request_to_a_console_is_401_with_hx_redirect_to_staff_login(client, path):
    response = client.get(path, headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert urlsplit(response.headers["HX-Redirect"]).path == "/staff/login"


def test_a_disabled_staff_member_is_treated_as_logged_out(client, login):
    login(client, StaffFactory(municipal=True, active=False))
    response = client.get("/municipal/")
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/staff/login"


def test_a_refused_access_is_audited_although_the_request_is_rolled_back(client, login, db):
    from sqlmodel import select

    from app.audit import AuditEvent

    resident = ResidentFactory()
    login(client, resident)
    assert client.get("/operator/").status_code == 403
    events = db.exec(select(AuditEvent).where(AuditEvent.tag == "auth:access:denied")).all()
    assert [(e.actor, e.details["path"]) for e in events] == [(resident.principal, "/operator/")]
