"""Cross-cutting security behaviour: CSRF, methods, headers, the session cookie and the server-side store."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlmodel import select

from app import create_app
from app.db import get_database
from app.sessions import BrowserSession, hash_token
from tests.conftest import make_test_settings
from tests.factories.accounts import DEFAULT_PASSWORD, ResidentFactory
from tests.factories.staff import StaffFactory

COOKIE = "azukari_session"


def set_cookie_headers(response) -> list[str]:  # type: ignore[no-untyped-def]
    return response.headers.getlist("Set-Cookie")


def cookie_attributes(header: str) -> tuple[str, str, dict[str, str]]:
    """(name, value, {attribute-lowercased: value}) of one Set-Cookie header."""
    first, *rest = [part.strip() for part in header.split(";")]
    name, _, value = first.partition("=")
    attributes = {}
    for part in rest:
        key, _, val = part.partition("=")
        attributes[key.lower()] = val
    return name, value, attributes


def stored_session(db, token_hash: str) -> BrowserSession | None:  # type: ignore[no-untyped-def]
    """The row as the database has it now (a query, not the test session's identity map)."""
    return db.exec(select(BrowserSession).where(BrowserSession.token_hash == token_hash)
                   .execution_options(populate_existing=True)).first()


# --- CSRF --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/logout", "/language"])
def test_post_without_a_csrf_token_is_refused(client, login, path):
    login(client, ResidentFactory())
    response = client.post(path, data={"locale": "en"})
    assert response.status_code == 400
    assert "<html" in response.get_data(as_text=True)  # a full error page for a plain request
    # Still logged in: the refused logout did nothing.
    assert client.get("/settings").status_code == 200


@pytest.mark.parametrize("path", ["/logout", "/language"])
def test_a_token_from_another_browser_session_is_refused(client, other_client, csrf, login, path):
    login(client, ResidentFactory())
    own_token = csrf(client, "/settings")
    foreign_token = csrf(other_client, "/login")
    assert foreign_token != own_token
    refused = client.post(path, data={"csrf_token": foreign_token, "locale": "en"})
    assert refused.status_code == 400
    # The same request with the client's own token goes through (so the 400 above was the token).
    accepted = client.post(path, data={"csrf_token": own_token, "locale": "en"})
    assert accepted.status_code == 303


def test_htmx_post_without_the_csrf_header_gets_a_toast(client, csrf, login):
    login(client, ResidentFactory())
    token = csrf(client, "/settings")
    response = client.post("/logout", headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#toasts"
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert 'class="toast toast--error"' in body
    assert client.get("/settings").status_code == 200
    # With the header, the same htmx request logs out.
    ok = client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert ok.status_code == 204
    assert ok.headers["HX-Redirect"] == "/login"


# --- methods -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/logout", "/language"])
def test_get_on_public_state_changing_routes_is_405(client, login, path):
    login(client, ResidentFactory())
    response = client.get(path)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize(
    "path",
    [
        f"/operator/staff/{uuid.UUID(int=1)}/disable",
        f"/operator/staff/{uuid.UUID(int=1)}/enable",
        "/operator/jobs/1/retry",
        "/operator/jobs/maintenance",
    ],
)
def test_get_on_operator_state_changing_routes_is_405(client, login, path):
    login(client, StaffFactory(operator=True))
    response = client.get(path)
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_get_on_the_staff_disable_route_of_a_real_member_changes_nothing(client, login, db):
    operator = StaffFactory(operator=True)
    target = StaffFactory(municipal=True)
    login(client, operator)
    assert client.get(f"/operator/staff/{target.id}/disable").status_code == 405
    db.refresh(target)
    assert target.active is True


# --- headers --------------------------------------------------------------------------------------------


def assert_strict_csp(response) -> None:  # type: ignore[no-untyped-def]
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert re.fullmatch(r"script-src 'self'( 'nonce-[A-Za-z0-9_-]{20,}' 'strict-dynamic')?", directives.get("script-src", ""))
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'"
    assert directives.get("object-src") == "object-src 'none'"
    assert directives.get("base-uri") == "base-uri 'none'"
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp


@pytest.mark.parametrize("path", ["/", "/settings", "/my-data", "/consents"])
def test_resident_pages_send_security_headers(client, login, path):
    login(client, ResidentFactory())
    response = client.get(path)
    assert response.status_code == 200
    assert_strict_csp(response)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"  # personal pages are never cached
    assert "HX-Request" in response.headers.get("Vary", "")
    assert "Strict-Transport-Security" not in response.headers  # plain http on localhost


@pytest.mark.parametrize("path", ["/login", "/staff/login", "/"])
def test_public_pages_send_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_strict_csp(response)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"  # a form with a CSRF token
    assert "HX-Request" in response.headers.get("Vary", "")


def test_error_pages_send_the_csp_too(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert_strict_csp(response)
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- the session cookie ------------------------------------------------------------------------------


def test_local_session_cookie_is_httponly_lax_and_not_secure(client):
    response = client.get("/login")
    headers = [h for h in set_cookie_headers(response) if h.startswith(f"{COOKIE}=")]
    assert len(headers) == 1, set_cookie_headers(response)
    _name, value, attributes = cookie_attributes(headers[0])
    assert value
    assert "httponly" in attributes
    assert attributes.get("samesite") == "Lax"
    assert "secure" not in attributes
    assert attributes.get("path") == "/"


@pytest.fixture
def https_app(database_url, tmp_path, app, db) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    """A second app configured for https; its sessions join the test's savepointed transaction."""
    settings = make_test_settings(database_url, tmp_path, public_url="https://azukari.example.jp")
    second = create_app(settings)
    database = get_database(second)
    original = database.session_factory
    database.session_factory = get_database(app).session_factory  # the `db` fixture's joined factory
    try:
        yield second
    finally:
        database.session_factory = original
        database.dispose()


def test_https_deployment_uses_a_host_prefixed_secure_cookie_and_hsts(https_app, db):
    client = https_app.test_client()
    response = client.get("/login")
    assert response.status_code == 200
    headers = set_cookie_headers(response)
    assert len(headers) == 1, headers
    name, value, attributes = cookie_attributes(headers[0])
    assert name == "__Host-azukari"
    assert "secure" in attributes
    assert "httponly" in attributes
    assert attributes.get("samesite") == "Lax"
    # The __Host- prefix requires Path=/ and no Domain, or browsers drop the cookie.
    assert attributes.get("path") == "/"
    assert "domain" not in attributes
    hsts = response.headers["Strict-Transport-Security"]
    assert "max-age=" in hsts and int(hsts.split("max-age=")[1].split(";")[0]) >= 31536000
    # The session it announced exists server-side (under the token's hash).
    assert stored_session(db, hash_token(value)) is not None


# --- a crawl of every parameterless GET route -------------------------------------------------------


def parameterless_get_paths(app: Flask) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.arguments or "GET" not in (rule.methods or set()):
            continue
        paths.append(rule.rule)
    return sorted(paths)


def crawl(client) -> list[str]:  # type: ignore[no-untyped-def]
    problems = []
    for path in parameterless_get_paths(client.application):
        with client.get(path) as response:  # closed: file responses (the favicon) hold a file open
            response.get_data()
        if response.status_code >= 500:
            problems.append(f"{path}: {response.status_code}")
        if response.mimetype == "text/html" and "Content-Security-Policy" not in response.headers:
            problems.append(f"{path}: HTML without a CSP")
        if response.mimetype == "text/html" and response.headers.get("X-Content-Type-Options") != "nosniff":
            problems.append(f"{path}: HTML without nosniff")
    return problems


def test_the_crawl_covers_the_main_pages(app):
    paths = parameterless_get_paths(app)
    for expected in ["/", "/login", "/settings", "/staff/login", "/operator/", "/municipal/", "/partner/"]:
        assert expected in paths
    assert "/logout" not in paths  # POST only


def test_anonymous_crawl_has_no_server_errors(client):
    assert crawl(client) == []


def test_resident_crawl_has_no_server_errors(client, login):
    login(client, ResidentFactory())
    assert crawl(client) == []


def test_new_resident_crawl_has_no_server_errors(client, login):
    login(client, ResidentFactory(new=True))
    assert crawl(client) == []


@pytest.mark.parametrize("role", ["operator", "municipal", "partner"])
def test_staff_crawl_has_no_server_errors(client, login, role):
    login(client, StaffFactory(**{role: True}))
    assert crawl(client) == []


# --- the server-side session store ------------------------------------------------------------------


def test_login_rotates_the_cookie_and_stores_only_the_token_hash(client, csrf, db):
    resident = ResidentFactory()
    token = csrf(client, "/login")
    before = client.get_cookie(COOKIE).value
    assert stored_session(db, hash_token(before)) is not None  # the anonymous session (CSRF token)
    response = client.post("/login", data={"csrf_token": token, "email": resident.email,
                                           "password": DEFAULT_PASSWORD})
    assert response.status_code == 303
    after = client.get_cookie(COOKIE).value
    assert after != before
    # The anonymous session is gone; the logged-in one is keyed by the SHA-256 of the cookie.
    assert stored_session(db, hash_token(before)) is None
    row = stored_session(db, hash_token(after))
    assert row is not None
    assert row.principal == resident.principal
    assert len(row.token_hash) == 64
    # The raw token appears nowhere in the store.
    db.expire_all()
    for stored in db.exec(select(BrowserSession)).all():
        assert stored.token_hash != after
        assert after not in repr(stored.data)
    assert client.get("/settings").status_code == 200


def test_forms_may_lead_only_to_this_site_and_the_configured_providers(client, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # "Log in with", "connect" and "import" post a form answered by a redirect to the provider: form-action
    # must allow exactly those origins, and nothing else.
    monkeypatch.setattr(settings, "smart_life_pass_issuer", "https://slp.example.jp/oidc")
    monkeypatch.setattr(settings, "mynaportal_issuer", "")
    for prefix in ("google", "blog_a", "tv_a", "health_b"):
        monkeypatch.setattr(settings, f"{prefix}_issuer", "")
    monkeypatch.setattr(settings, "blog_a_issuer", "https://blog-a.example.jp")  # のりかえ's "connect" is such a form
    csp = client.get("/login").headers["Content-Security-Policy"]
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert directives["form-action"] == "form-action 'self' https://blog-a.example.jp https://slp.example.jp"


# --- script nonces --------------------------------------------------------------------------------------------------

SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
NONCE_IN_CSP = re.compile(r"script-src 'self' 'nonce-([A-Za-z0-9_-]{20,})' 'strict-dynamic'")


def test_every_script_of_every_page_carries_that_responses_nonce(client, login):
    login(client, ResidentFactory())
    seen_nonces, pages = set(), 0
    for path in parameterless_get_paths(client.application):
        with client.get(path) as response:
            raw = response.get_data()
        if response.mimetype != "text/html":
            continue
        body = raw.decode()
        tags = SCRIPT_TAG.findall(body)
        if not tags:
            continue
        pages += 1
        match = NONCE_IN_CSP.search(response.headers["Content-Security-Policy"])
        assert match, f"{path}: scripts without a nonce in the CSP"
        assert all(f'nonce="{match.group(1)}"' in tag for tag in tags), f"{path}: a script without the nonce"
        assert "<script>" not in body.lower(), f"{path}: an inline script"
        seen_nonces.add(match.group(1))
    assert pages >= 5 and len(seen_nonces) == pages  # a new nonce for every response


def test_a_response_without_script_gets_no_nonce(client):
    with client.get("/static/css/app.css") as response:
        response.get_data()
    assert "nonce-" not in response.headers["Content-Security-Policy"]
