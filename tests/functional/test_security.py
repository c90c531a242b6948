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
from tests.conftest import PER_RESPONSE, make_test_settings
from tests.factories.accounts import DEFAULT_PASSWORD, ResidentFactory
from tests.factories.staff import StaffFactory
from tests.functional.route_crawl import (
    OWNER_REFUSED,
    PUBLIC,
    SKIPPED_GET,
    fetch,
    get_rules,
    get_visits,
    parametric_get_visits,
    unfilled_get_rules,
)
from tests.functional.route_world import (  # noqa: F401  (fixtures)
    World,
    loaded_catalog,
    loaded_catalogue,
    offers,
    world,
)

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
    return db.exec(
        select(BrowserSession).where(BrowserSession.token_hash == token_hash).execution_options(populate_existing=True)
    ).first()


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


# --- a crawl of every GET route, as its owner ---------------------------------------------------------------------


def parameterless_get_paths(app: Flask) -> list[str]:
    return sorted(rule.rule for endpoint, rule in get_rules(app).items() if not rule.arguments)


SCRIPT_SRC = re.compile(r"script-src 'self'( 'nonce-([A-Za-z0-9_-]{20,})' 'strict-dynamic')?")


def header_problems(endpoint: str, response, body: str) -> list[str]:  # type: ignore[no-untyped-def]
    """What is wrong with one answer's headers (E5): the strict CSP (a nonce on every page, on each of its scripts),
    nosniff, no framing, COOP, and `no-store` unless the route is one of the public ones."""
    problems = []
    if response.status_code >= 500:
        problems.append(f"{response.status_code}")
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
    script_src = SCRIPT_SRC.fullmatch(directives.get("script-src", ""))
    if not script_src or "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"CSP {csp!r}")
    if directives.get("frame-ancestors") != "frame-ancestors 'none'":
        problems.append("no frame-ancestors 'none'")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if response.headers.get("Cross-Origin-Opener-Policy") != "same-origin":
        problems.append("no COOP same-origin")
    if endpoint not in PUBLIC and response.headers.get("Cache-Control") != "no-store":
        problems.append(f"Cache-Control {response.headers.get('Cache-Control')!r}")
    if endpoint in PUBLIC and "Set-Cookie" in response.headers:
        problems.append("a public (cacheable) answer sets a cookie")
    # A page (not a redirect's stub) has a nonce, and each of its scripts carries it.
    nonce, tags = script_src.group(2) if script_src else None, SCRIPT_TAG.findall(body)
    if response.mimetype == "text/html" and "<html" in body and not 300 <= response.status_code < 400 and not nonce:
        problems.append("a page without a nonce in its CSP")
    if tags and not all(nonce and f'nonce="{nonce}"' in tag for tag in tags):
        problems.append("a script without the response's nonce")
    return problems


def test_every_get_route_is_visited_or_skipped_with_a_reason(app, world: World) -> None:  # noqa: F811
    assert unfilled_get_rules(app, world) == [], "fill the new rule in route_crawl.parametric_get_visits"
    visited = {endpoint for endpoint, _role, _path in get_visits(app, world)}
    assert visited | set(SKIPPED_GET) == set(get_rules(app))
    assert set(PUBLIC) <= visited and not set(SKIPPED_GET) & visited
    for expected in ["/", "/login", "/settings", "/staff/login", "/operator/", "/municipal/", "/partner/"]:
        assert expected in parameterless_get_paths(app)
    assert "/logout" not in parameterless_get_paths(app)  # POST only


def test_every_get_route_sends_the_security_headers_to_every_role(app, world: World) -> None:  # noqa: F811
    """Every parameterless GET rule as every role; every rule with arguments filled in with its owner's objects (as
    the owner, and anonymously): no 5xx, and the headers of `header_problems` on every answer."""
    problems, statuses, public = [], {}, {}  # type: ignore[var-annotated]
    for endpoint, role, path in get_visits(app, world):
        for hx in (False, True) if role in world.users else (False,):  # (htmx: the fragment of the same URL)
            response = fetch(world, role, path, headers={"HX-Request": "true"} if hx else {})
            body = response.get_data().decode(errors="replace")
            problems += [
                f"{role} {path}{' (htmx)' if hx else ''}: {problem}" for problem in header_problems(endpoint, response, body)
            ]
            statuses.setdefault((role, path), response.status_code)
            if endpoint in PUBLIC:
                public.setdefault(path, {}).setdefault(PER_RESPONSE.sub("", body), []).append(role)
    assert not problems, "\n".join(problems)
    # What may be cached is the same for everyone (no name, no token: only the nonce differs).
    assert {path: answers for path, answers in public.items() if len(answers) > 1} == {}
    # The objects were really there: their owners got the page (or its redirect), not a 404 that has headers too.
    refused = [
        f"{role} {path}: {statuses[role, path]}"
        for endpoint, visits in parametric_get_visits(world).items()
        for role, path in visits
        if statuses[role, path] >= 400 and endpoint not in OWNER_REFUSED
    ]
    assert refused == []


# --- the server-side session store ------------------------------------------------------------------


def test_login_rotates_the_cookie_and_stores_only_the_token_hash(client, csrf, db):
    resident = ResidentFactory()
    token = csrf(client, "/login")
    before = client.get_cookie(COOKIE).value
    assert stored_session(db, hash_token(before)) is not None  # the anonymous session (CSRF token)
    response = client.post("/login", data={"csrf_token": token, "email": resident.email, "password": DEFAULT_PASSWORD})
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
