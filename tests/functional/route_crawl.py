"""Every rule of `app.url_map`, filled in: a small world of objects, each made as its owner makes it (factories,
services, and the owners' own forms), and the URLs that name them, visited as the role that owns them.

The header crawl (tests/functional/test_security.py) visits `get_visits(world)`: every parameterless GET rule as
every role, and every GET rule with arguments as its owner (and anonymously). The two-user crawler
(tests/functional/test_object_authorization.py) asks for `RESIDENT_OBJECTS` (alice's) as bob and for
`PARTNER_OBJECTS` (one partner's) as another partner. Rules that cannot be filled in are in `SKIPPED_GET` or
`NOT_AN_OBJECT`, each with its reason: both tests fail on a rule that is in none of these tables.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from werkzeug.routing import Rule

from tests.functional.route_world import CITY_OFFER, MONTH, SURVEY, World

STAFF_ROLES = ("operator", "municipal", "analyst", "partner")
# Who visits every parameterless GET rule (a rule with arguments is visited as its owner, and anonymously).
ROLES = ("anonymous", "alice", "newcomer", *STAFF_ROLES)


# --- the header crawl's visits ------------------------------------------------------------------------------------


def bearer(world: World, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[name]}"}


def parametric_get_visits(w: World) -> dict[str, list[tuple[str, str]]]:
    """Every GET rule with arguments: (role, path) as its owner. A role "token:<name>" is a recipient's system with
    its bearer token."""
    i = w.ids
    survey, listing = f"/analysts/surveys/{SURVEY}", f"/partner/events/{i['event']}"
    return {
        "analysts.report": [("analyst", survey)],
        "analysts.responses_csv": [("analyst", f"{survey}/responses.csv")],
        "analysts.summary_csv": [("analyst", f"{survey}/summary.csv")],
        "switching_api.transfer_items": [("token:blog_a", f"/api/v1/transfers/{i['transfer']}/items")],
        "links.callback": [("anonymous", "/auth/smart-life-pass/callback?state=x&code=y")],
        "checkin.show": [("alice", f"/checkin/{i['poster']}")],
        "city_records.show": [("alice", f"/city-records/{i['city_request']}")],
        "city_records.mandate_page": [("alice", f"/city-records/{i['city_request']}/mandate")],
        "city_records.mandate_json": [("alice", f"/city-records/{i['city_request']}/mandate.json")],
        "consent.receipt": [("alice", f"/consents/receipts/{i['receipt']}")],
        "consent.receipt_jws": [("alice", f"/consents/receipts/{i['receipt']}.jws")],
        "mail.show": [("anonymous", f"/dev/mail/{i['mail']}")],
        "recommend.coupon_detail": [("alice", f"/feed/coupons/{i['feed_coupons']}")],
        "recommend.event_detail": [("alice", f"/feed/events/{i['feed_events']}")],
        "recommend.event_ics": [("alice", f"/feed/events/{i['feed_events']}.ics")],
        "recommend.service_detail": [("alice", f"/feed/services/{i['feed_services']}")],
        "household.edit_child": [("alice", f"/household/children/{i['child']}/edit")],
        "inbox.show": [("alice", f"/inbox/{i['notice']}")],
        "inbox.stop_sender": [("alice", "/inbox/senders/{}/{}/stop".format(*CITY_OFFER))],
        "jobs.show": [("alice", f"/jobs/{i['job']}"), ("operator", f"/jobs/{i['job']}")],
        "media.listing_picture": [("anonymous", f"/media/listings/{i['picture']}.webp")],
        "ebpm.export": [("municipal", f"/municipal/ebpm/{MONTH}.csv")],
        "catalog_console.edit": [("municipal", "/municipal/services/svc_jidoteate")],
        "data_imports.show": [("alice", f"/my-data/imports/{i['import']}")],
        "data_imports.upload": [("alice", f"/my-data/imports/{i['import']}/upload")],
        "partners.edit": [("partner", listing), ("partner", f"/partner/coupons/{i['coupon']}")],
        "partners.new": [("partner", "/partner/events/new"), ("partner", "/partner/coupons/new")],
        "partners.picture": [("partner", f"/partner/pictures/{i['picture']}")],
        "partner_posters.poster": [("partner", f"/partner/posters/{i['event']}")],
        "accounts.reset_password": [("anonymous", f"/password/reset/{i['reset']}")],
        "connections.unlink": [("alice", "/settings/connections/smart-life-pass/unlink")],
        "staff.accept_invitation": [("anonymous", f"/staff/invite/{i['invite']}")],
        "static": [("anonymous", "/static/css/app.css"), ("anonymous", "/static/js/app.js")],
        "surveys.show": [("alice", f"/surveys/{SURVEY}")],
        "surveys.screen": [("alice", f"/surveys/{SURVEY}/1")],
        "surveys.review": [("alice", f"/surveys/{SURVEY}/review")],
        "switching.connected": [("alice", "/switching/connect/google/callback?state=x&code=y")],
        "switching.job": [("alice", f"/switching/jobs/{i['transfer']}")],
    }


# Parameterless GET rules visited with more than a session: the recipients' bearer tokens, the consent screen's query.
EXTRA_GET_VISITS: dict[str, Callable[[World], list[tuple[str, str]]]] = {
    "api.me": lambda w: [("token:city", "/api/v1/me")],
    "switching_api.intake_waiting": lambda w: [("token:google", "/api/v1/intake")],
    "switching_api.transfers_ready": lambda w: [("token:blog_a", "/api/v1/transfers")],
    "oauth.authorize": lambda w: [("alice", w.ids["authorize"])],
    "staff.enroll": lambda w: [("enrolling", "/staff/enroll")],
    "staff.enroll_qr": lambda w: [("enrolling", "/staff/enroll/qr.svg")],
    "staff.code": lambda w: [("signing_in", "/staff/login/code")],
}

# Rules whose owner's visit is a refusal all the same (the headers are checked on it).
OWNER_REFUSED: dict[str, str] = {
    "links.callback": "a provider's callback with no login started is refused (400): the flow needs the live peer",
}

# GET rules the crawl does not visit, and why (none yet: a new rule goes in `parametric_get_visits` or here).
SKIPPED_GET: dict[str, str] = {}

# What may be cached: the same for everyone, no session read, nothing of a resident's. Every other GET answer must say
# `Cache-Control: no-store` (the login pages too: their forms carry the session's CSRF token).
PUBLIC: dict[str, str] = {
    "static": "the stylesheets, scripts and fonts (fingerprinted)",
    "pwa.manifest": "the web app manifest",
    "pwa.service_worker": "the service worker's script (no-cache: revalidated)",
    "pwa.offline": "the offline page the service worker keeps (no personal data)",
    "pwa.favicon": "the icon",
    "signing.jwks": "the bank's public keys",
    "oauth.metadata": "the authorization server's metadata (RFC 8414)",
    "api.openapi": "the resource API's description",
    "media.listing_picture": "a published listing's picture, public like the catalogue (a draft's is not found)",
}


# --- the two-user crawler's routes ---------------------------------------------------------------------------------

# Rules whose argument names a resident's object: (path, which of alice's objects); bob asks for them.
RESIDENT_OBJECTS: dict[str, list[tuple[str, str]]] = {
    "city_records.show": [("/city-records/{}", "city_request")],
    "city_records.mandate_page": [("/city-records/{}/mandate", "city_request")],
    "city_records.mandate_json": [("/city-records/{}/mandate.json", "city_request")],
    "city_records.cancel": [("/city-records/{}/cancel", "city_request")],
    "city_records.decline": [("/city-records/{}/decline", "city_request")],
    "city_records.keep": [("/city-records/{}/keep", "city_request")],
    "city_records.delete_usage": [("/city-records/usage/{}/delete", "usage")],
    "consent.receipt": [("/consents/receipts/{}", "receipt")],
    "consent.receipt_jws": [("/consents/receipts/{}.jws", "receipt")],
    "household.edit_child": [("/household/children/{}/edit", "child")],
    "household.delete_child": [("/household/children/{}/delete", "child")],
    "inbox.show": [("/inbox/{}", "notice")],
    "inbox.read": [("/inbox/{}/read", "notice")],
    "inbox.delete": [("/inbox/{}/delete", "notice")],
    "jobs.show": [("/jobs/{}", "job")],
    "data_imports.show": [("/my-data/imports/{}", "import")],
    "data_imports.upload": [("/my-data/imports/{}/upload", "import")],
    "data_imports.cancel": [("/my-data/imports/{}/cancel", "import")],
    "data_imports.delete": [("/my-data/imports/{}/delete", "import")],
    "participation.remove": [("/participation/{}/delete", "participation")],
    "passkeys.remove": [("/settings/passkeys/{}/delete", "passkey")],
    "switching.job": [("/switching/jobs/{}", "transfer")],
    **{
        f"switching.{name}": [(f"/switching/jobs/{{}}/{name.replace('_', '-')}", "transfer")]
        for name in ("agree", "confirm_deleted", "delete_at_source", "deliver", "keep", "purge", "resume")
    },
}

# The same through the resource API: (path, alice's object, the client whose token bob gave it).
API_OBJECTS: dict[str, list[tuple[str, str, str]]] = {
    "switching_api.transfer_items": [("/api/v1/transfers/{}/items", "transfer", "blog_a")],
    "switching_api.transfer_receipt": [("/api/v1/transfers/{}/receipt", "transfer", "blog_a")],
    "switching_api.intake_records": [("/api/v1/intake/{}/records", "transfer", "google")],
    "switching_api.intake_complete": [("/api/v1/intake/{}/complete", "transfer", "google")],
}

# Rules whose argument names a partner's listing: partner A's, asked for by partner B (at the same venues).
PARTNER_OBJECTS: dict[str, list[tuple[str, str]]] = {
    "partners.edit": [("/partner/events/{}", "event"), ("/partner/coupons/{}", "coupon")],
    "partners.change_status": [("/partner/events/{}/withdraw", "event"), ("/partner/coupons/{}/publish", "coupon")],
    "partners.picture": [("/partner/pictures/{}", "picture")],
    "partner_posters.poster": [("/partner/posters/{}", "event")],
}

_CATALOGUE = "names the shared catalogue, not anyone's object; acts on the requester's own record of it"
_OWN = "names a provider or service; acts on the requester's own link to it"
_CONSOLE = "an operator's console action on shared configuration, by role (tests/functional/test_role_access.py)"
_CAPABILITY = "a signed token in a mail or on a poster: whoever holds it may use it (forged and used ones: their tests)"
# Rules with arguments that name nobody's object, and why.
NOT_AN_OBJECT: dict[str, str] = {
    "analysts.report": "a survey's key: analysts read every survey's aggregate, by role",
    "analysts.responses_csv": "a survey's key: analysts read every survey's aggregate, by role",
    "analysts.summary_csv": "a survey's key: analysts read every survey's aggregate, by role",
    "surveys.show": "a survey's key: " + _CATALOGUE,
    "surveys.screen": "a survey's key: " + _CATALOGUE,
    "surveys.review": "a survey's key: " + _CATALOGUE,
    "surveys.submit": "a survey's key: " + _CATALOGUE,
    "surveys.withdraw": "a survey's key: " + _CATALOGUE,
    "surveys_admin.admin_set_status": _CONSOLE,
    "catalogue.set_offer": _CONSOLE,
    "clients.disable": _CONSOLE,
    "operator.retry_job": _CONSOLE + "; the job list is every job's by design",
    "operator.set_staff_active": _CONSOLE,
    "operator.reinvite_staff": _CONSOLE,
    "catalog_console.edit": "a 柏市 service of the catalogue, edited by any municipal staff",
    "ebpm.export": "a month of the published statistics",
    "consent.grant": "an offer: " + _CATALOGUE,
    "consent.renew": "an offer: " + _CATALOGUE,
    "consent.withdraw": "an offer: " + _CATALOGUE,
    "oauth_connections.disconnect": "a recipient's client id; acts on the requester's own grant "
    "(tests/functional/oauth/test_resource_api.py::test_another_resident_cannot_"
    "disconnect_hanakos_system)",
    "inbox.stop_sender": "a recipient and a purpose; stops the requester's own consent",
    "household.delete_item": "address or health: the requester's own",
    "participation.record": "an event or coupon: " + _CATALOGUE,
    "recommend.service_detail": "a catalogue item; the detail pages show only the requester's own feed",
    "recommend.event_detail": "a catalogue item; the detail pages show only the requester's own feed",
    "recommend.event_ics": "a catalogue item; the detail pages show only the requester's own feed",
    "recommend.coupon_detail": "a catalogue item; the detail pages show only the requester's own feed",
    "media.listing_picture": "a published listing's picture: public (a draft's is not found)",
    "partners.new": "the kind of listing to create",
    "links.callback": _OWN,
    "links.log_in": _OWN,
    "connections.link": _OWN,
    "connections.unlink": _OWN,
    "connections.keep_copy": _OWN,
    "connections.reauth_with": _OWN,
    "switching.connect": _OWN,
    "switching.connected": _OWN,
    "accounts.reset_password": _CAPABILITY,
    "staff.accept_invitation": _CAPABILITY,
    "checkin.show": _CAPABILITY,
    "mail.show": "the development mailbox (outbox backend only, refused in production) shows every mail by design",
    "static": "a file of the app",
}

# Answers other than 404 that are still "not found": an htmx poll of a job that is not there (or not the viewer's) is
# told to stop with 286, or it would show an error toast every 2 seconds.
HX_NOT_FOUND: dict[str, int] = {"jobs.show": 286}


def unknown_id(key: str) -> str:
    """An id of the same kind as `key`'s that names nothing."""
    if key in ("child", "job"):
        return "2147483000"
    if key in ("event", "coupon"):
        return "p0000000000"
    return "00000000-0000-4000-8000-000000000000"


def get_rules(app: Flask) -> dict[str, Rule]:
    return {rule.endpoint: rule for rule in app.url_map.iter_rules() if "GET" in (rule.methods or set())}


def get_visits(app: Flask, world: World) -> list[tuple[str, str, str]]:
    """(endpoint, role, path) for every GET rule but the skipped ones."""
    filled = parametric_get_visits(world)
    visits = []
    for endpoint, rule in sorted(get_rules(app).items()):
        if endpoint in SKIPPED_GET:
            continue
        if endpoint in EXTRA_GET_VISITS:
            visits += [(endpoint, role, path) for role, path in EXTRA_GET_VISITS[endpoint](world)]
        if not rule.arguments:
            visits += [(endpoint, role, rule.rule) for role in ROLES]
        elif endpoint in filled:
            visits += [(endpoint, role, path) for role, path in filled[endpoint]]
            visits += [(endpoint, "anonymous", path) for role, path in filled[endpoint] if role != "anonymous"]
    return visits


def unfilled_get_rules(app: Flask, world: World) -> list[str]:
    """GET rules with arguments the crawl cannot fill in and that are not skipped with a reason."""
    filled = parametric_get_visits(world)
    return sorted(
        endpoint
        for endpoint, rule in get_rules(app).items()
        if rule.arguments and endpoint not in filled and endpoint not in SKIPPED_GET
    )


def fetch(world: World, role: str, path: str, **kwargs: Any) -> Any:
    """`path` as `role` (a browser, or a recipient's system with its token); the answer, read and closed."""
    if role.startswith("token:"):
        browser = world.browsers["machine"]
        kwargs["headers"] = {**kwargs.get("headers", {}), **bearer(world, role.removeprefix("token:"))}
    else:
        browser = world.browsers[role]
    with browser.get(path, **kwargs) as response:  # closed: file responses hold a file open
        response.get_data()
    return response
