"""Object-level authorization (B1), by a crawler with two residents: every rule of the app whose argument names one of
resident A's objects (tests/functional/route_crawl.py: a child, an import and its job, a consent receipt and its
signed file, a notice, a city records request and a record it brought, a passkey, a participation, a transfer) is
asked for by resident B — pages and htmx fragments, and the forms' POSTs with B's valid CSRF token — and B gets 404,
the same answer as for an id that names nothing, never A's data, and nothing of A's changes. The same for partners'
listings between two partners, and for staff asking for a resident's objects. A crawl of A's own pages checks that
every URL naming A's objects that A can reach is one of those rules."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask.testing import FlaskClient
from sqlmodel import Session
from werkzeug.exceptions import MethodNotAllowed, NotFound

from app.jobs.models import Job
from app.ledger.services import history
from tests.conftest import comparable_page, csrf_token
from tests.functional.route_crawl import (
    API_OBJECTS,
    HX_NOT_FOUND,
    NOT_AN_OBJECT,
    PARTNER_OBJECTS,
    RESIDENT_OBJECTS,
    unknown_id,
)
from tests.functional.route_world import (  # noqa: F401  (fixtures)
    MARKERS,
    World,
    loaded_catalog,
    loaded_catalogue,
    offers,
    world,
)

START = [
    "/",
    "/my-data",
    "/my-data/history",
    "/my-data/imports/",
    "/consents",
    "/inbox",
    "/settings",
    "/settings/passkeys",
    "/switching",
    "/feed",
    "/city-records/",
]
# alice's objects (route_world.py), each of which her own pages must lead to.
OBJECTS = ("child", "import", "job", "receipt", "notice", "city_request", "usage", "passkey", "participation", "transfer")
LIMIT = 400
METHODS = ("GET", "POST", "PATCH")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "hx-get", "hx-post", "action", "src") and value and not value.startswith(("http", "mailto", "#")):
                self.found.append(value)


def names_one_of(url: str, ids: set[str]) -> bool:
    """Whether `url` names one of `ids`: a UUID as a whole path segment or query value; a number only where the
    route puts that object's number (the patterns in `ids`, e.g. "/jobs/7")."""
    segments = set(re.split(r"[/?&=.]", url))
    return any(i in segments if not i.startswith("/") else re.search(re.escape(i) + r"(/|$|\?)", url) for i in ids)


def crawl(client: FlaskClient, ids: set[str], also: list[str]) -> set[str]:
    """The URLs naming one of `ids` that A reaches from A's pages (and `also`, pages not linked from a page)."""
    seen: set[str] = set()
    naming: set[str] = set()
    queue = [*START, *also]
    while queue and len(seen) < LIMIT:
        url = queue.pop(0)
        if url in seen or urlsplit(url).path.startswith(("/static", "/logout", "/media")):
            continue
        seen.add(url)
        if names_one_of(url, ids):
            naming.add(url)
        with client.get(url) as response:
            raw = response.get_data()
        if response.mimetype != "text/html" or response.status_code != 200:
            continue
        parser = Links()
        parser.feed(raw.decode())
        for link in parser.found:
            parts = urlsplit(urljoin(url, link))
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return naming


def snapshot(db: Session, world: World) -> dict[str, Any]:  # noqa: F811
    """A's rows and partner A's listings as the database has them now, and how long A's ledger is."""
    from app.catalog.models import CatalogCoupon, CatalogEvent
    from app.partners.models import ListingImage

    rows = {
        **world.objects,
        "job": db.get(Job, world.ids["job"]),
        "event": db.get(CatalogEvent, world.ids["event"]),
        "coupon": db.get(CatalogCoupon, world.ids["coupon"]),
        "picture": db.get(ListingImage, world.ids["picture"]),
    }
    state: dict[str, Any] = {}
    for name, row in rows.items():
        fresh = db.get(type(row), row.id, populate_existing=True)
        state[name] = fresh.model_dump() if fresh is not None else None
    state["ledger"] = len(history(db, world.users["alice"].principal))
    return state


class Sweep:
    """`requester` asks for each path by each method its rule allows, plainly and as htmx, and for the same path with
    an id that names nothing; what is wrong is collected in `problems`."""

    def __init__(self, world: World, requester: str, token: str | None = None) -> None:  # noqa: F811
        self.world, self.requester, self.token = world, requester, token
        self.browser = world.browsers["machine" if token else requester]
        self.csrf = None if token else csrf_token(self.browser, "/")  # (staff: "/" leads to their console)
        self.problems: list[str] = []

    def answer(self, method: str, path: str, hx: bool) -> tuple[int, str]:
        headers = {"HX-Request": "true"} if hx else {}
        kwargs: dict[str, Any] = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
            kwargs["json"] = {} if method != "GET" else None
        elif method == "PATCH":  # a chunk of an upload, as the page's script sends it
            headers |= {"X-CSRFToken": self.csrf, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
            kwargs["data"] = b"0123"
        elif method != "GET":
            headers["X-CSRFToken"] = self.csrf
            kwargs["data"] = {"csrf_token": self.csrf}
        with self.browser.open(path, method=method, headers=headers, **kwargs) as response:
            body = comparable_page(response)
        return response.status_code, body

    def check(self, endpoint: str, methods: set[str], template: str, key: str, refusals: set[int]) -> None:
        """Each answer is one of `refusals` (404 may be htmx's stop for a poll), the same as for an id that names
        nothing, and without A's data."""
        path, nothing = template.format(self.world.ids[key]), template.format(unknown_id(key))
        for method in sorted(methods & set(METHODS)):
            for hx in (False, True):
                status, body = self.answer(method, path, hx)
                alike = self.answer(method, nothing, hx)
                wanted = {HX_NOT_FOUND.get(endpoint, 404) if hx and code == 404 else code for code in refusals}
                what = f"{self.requester} {method} {path}{' (htmx)' if hx else ''}: {status}"
                if status not in wanted:
                    self.problems.append(f"{what}, not {sorted(wanted)}")
                if (status, body.replace(path, "PATH")) != (alike[0], alike[1].replace(nothing, "PATH")):
                    self.problems.append(f"{what}, and {alike[0]} (or another page) for an id that names nothing")
                if any(marker in body for marker in MARKERS):
                    self.problems.append(f"{what}, showing A's data")


def methods_of(app, endpoint: str) -> set[str]:  # type: ignore[no-untyped-def]
    return {method for rule in app.url_map.iter_rules() if rule.endpoint == endpoint for method in rule.methods}


def test_every_rule_naming_an_object_is_swept_or_says_why_not(app) -> None:  # type: ignore[no-untyped-def]
    with_arguments = {rule.endpoint for rule in app.url_map.iter_rules() if rule.arguments}
    tables = [set(RESIDENT_OBJECTS), set(API_OBJECTS), set(PARTNER_OBJECTS), set(NOT_AN_OBJECT)]
    assert set().union(*tables) == with_arguments, "classify the new rule in tests/functional/route_crawl.py"
    assert sum(map(len, tables)) == len(with_arguments)  # in one table only


def test_another_resident_reaches_none_of_a_residents_objects(app, db, world: World) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    numbered = {"child": "/household/children/{}", "job": "/jobs/{}"}  # (a number names an object only there)
    ids = {numbered.get(key, "{}").format(world.ids[key]) for key in OBJECTS}
    naming = crawl(world.browsers["alice"], ids, also=[f"/jobs/{world.ids['job']}"])  # (an import's page polls its job)
    # What A can reach naming A's objects is all swept below: every such URL is one of the rules of the table...
    adapter = app.url_map.bind("localhost")
    for url in naming:
        endpoint = next((e for e in (match(adapter, urlsplit(url).path, m) for m in METHODS) if e), None)
        assert endpoint in RESIDENT_OBJECTS, (url, endpoint)
    # ... and A's pages lead to each of A's objects.
    assert {key for key in OBJECTS if any(str(world.ids[key]) in url for url in naming)} == set(OBJECTS), sorted(naming)

    before = snapshot(db, world)
    bob = Sweep(world, "bob")
    for endpoint, paths in RESIDENT_OBJECTS.items():
        for template, key in paths:
            bob.check(endpoint, methods_of(app, endpoint), template, key, {404})
    for url in sorted(naming):  # as A's pages name them (query strings too)
        for hx in (False, True):
            status, body = bob.answer("GET", url, hx)
            if status == 405:  # a form's target
                status, body = bob.answer("POST", url, hx)
            if status not in {404, *HX_NOT_FOUND.values()} or any(marker in body for marker in MARKERS):
                bob.problems.append(f"bob {url} {'(htmx)' if hx else ''}: {status}")
    problems = bob.problems
    for endpoint, paths in API_OBJECTS.items():
        for template, key, client in paths:
            api = Sweep(world, f"bob's {client} token", world.tokens[f"bob_{client}"])
            api.check(endpoint, methods_of(app, endpoint), template, key, {404})
            problems += api.problems
    assert not problems, "\n".join(problems)
    assert snapshot(db, world) == before


def match(adapter, path: str, method: str) -> str | None:  # type: ignore[no-untyped-def]
    try:
        return adapter.match(path, method=method)[0]
    except (MethodNotAllowed, NotFound):
        return None


def test_staff_reach_no_residents_object_and_no_other_partners_listing(app, db, world: World) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Staff of each role ask for A's objects (refused by role, or not found: never told apart from an id that names
    nothing); partner B asks for partner A's listings, picture and poster (404), and so do a resident and 柏市."""
    before = snapshot(db, world)
    problems: list[str] = []
    for role in ("operator", "municipal", "analyst", "partner"):
        staff = Sweep(world, role)
        for endpoint, paths in RESIDENT_OBJECTS.items():
            if role == "operator" and endpoint == "jobs.show":
                continue  # the operator watches every job, by design (jobs/test_views.py)
            for template, key in paths:
                staff.check(endpoint, methods_of(app, endpoint), template, key, {403, 404})
        problems += staff.problems
    for role, refusals in (("other_partner", {404}), ("bob", {403}), ("municipal", {403})):
        sweep = Sweep(world, role)
        for endpoint, paths in PARTNER_OBJECTS.items():
            for template, key in paths:
                sweep.check(endpoint, methods_of(app, endpoint), template, key, refusals)
        problems += sweep.problems
    assert not problems, "\n".join(problems)
    assert snapshot(db, world) == before
