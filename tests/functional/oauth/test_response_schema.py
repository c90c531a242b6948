# ruff: noqa: F811  (the pytest fixtures imported below are the tests' parameters)
"""B3: every answer of the resource API is validated against the schema it publishes (`app/oauth/openapi.json`), whose
response objects all say `additionalProperties: false` — so a field outside the documented ones (an item outside the
consented scope, an internal id) fails validation, not only a hand-written key-set comparison.

The answers are real ones: hanako's household served to 柏市's system (`/me`, `/notices`), and a transfer of case i
pushed by Google (`/intake…`) and pulled by blog-a (`/transfers…`), with the error answers on the way. Validation is
jsonschema's Draft 2020-12 (OpenAPI 3.1's dialect) with format checking. Schemathesis applies the same schema with
its `response_schema_conformance` check to drawn cases (`tests/functional/test_schemathesis.py`)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.oauth.api import OPENAPI_FILE
from app.switching import transfers
from tests.functional.oauth.conftest import CITY_SCOPES, allow, redirect_params
from tests.functional.oauth.test_resource_api import _household
from tests.functional.switching.conftest import (  # noqa: F401  (fixtures)
    BLOG_ITEMS,
    CASE_I,
    CASE_I_COUNTS,
    CASE_I_RECORDS,
    GOOGLE_ITEMS,
    bearer,
    blog_a,
    google,
    signed_receipt,
    token_for,
)

DOCUMENT = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))
BASE = "urn:azukari:resource-api"
REGISTRY = Registry().with_resource(BASE, Resource(contents=DOCUMENT, specification=DRAFT202012))
# Objects whose members the schema leaves open on purpose: an item in the destination's own format (documented per
# format in docs/switching.md; its digest is checked by the receipt).
FREE_FORM = {"/components/schemas/DeliveredItem/properties/item"}
# jsonschema checks `date-time` only with an optional package: RFC 3339 with an offset, read by the standard library.
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _rfc3339(value: object) -> bool:
    return not isinstance(value, str) or "T" in value and datetime.fromisoformat(value).tzinfo is not None


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def validator(method: str, path: str, status: int) -> Draft202012Validator:
    responses = DOCUMENT["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} answered {status}, which the schema does not document"
    ref = f"{BASE}#/" + _pointer("paths", path, method.lower(), "responses", str(status), "content", "application/json", "schema")
    return Draft202012Validator({"$ref": ref}, registry=REGISTRY, format_checker=FORMATS)


def conforms(response: Any, method: str, path: str) -> Any:
    """The response's JSON body, after checking it against the schema documented for its status."""
    assert response.mimetype == "application/json", (method, path, response.status_code)
    body = response.get_json()
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(method, path, response.status_code).iter_errors(body)
    ]
    assert not errors, (method, path, response.status_code, errors)
    return body


def _response_schemas() -> list[tuple[str, Any]]:
    return [
        (f"/paths/{_pointer(path)}/{method}/responses/{status}", answer["content"]["application/json"]["schema"])
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
        for status, answer in operation["responses"].items()
        if "content" in answer
    ]


def _objects(node: Any, where: str, seen: set[str]) -> list[tuple[str, dict[str, Any]]]:
    """Every object schema a response can contain, following `$ref`s (each component once)."""
    if isinstance(node, list):
        return [found for i, child in enumerate(node) for found in _objects(child, f"{where}/{i}", seen)]
    if not isinstance(node, dict):
        return []
    if "$ref" in node:
        target = node["$ref"].removeprefix("#")
        if target in seen:
            return []
        seen.add(target)
        resolved: Any = DOCUMENT
        for part in target.strip("/").split("/"):
            resolved = resolved[part]
        return _objects(resolved, target, seen)
    found = [(where, node)] if node.get("type") == "object" or "properties" in node else []
    for key in ("properties", "items", "additionalProperties", "oneOf", "anyOf", "allOf"):
        if key not in node:
            continue
        child = node[key]
        if key == "properties":
            found += [f for name, sub in child.items() for f in _objects(sub, f"{where}/properties/{name}", seen)]
        else:
            found += _objects(child, f"{where}/{key}", seen)
    return found


def test_every_response_object_of_the_schema_is_closed() -> None:
    """The schema itself: no response object lets unknown members through, except the named free-form ones."""
    open_objects = sorted(
        {
            where
            for start, schema in _response_schemas()
            for where, node in _objects(schema, start, set())
            if node.get("additionalProperties") is not False
            and where not in FREE_FORM
            and not isinstance(node.get("additionalProperties"), dict)
        }
    )
    assert open_objects == []


def test_a_member_outside_the_schema_fails_validation() -> None:
    """The validator bites: one extra member, anywhere, is an error (the test would catch a leak)."""
    provision = {
        "sub": "s",
        "recipient": "r",
        "purpose": "p",
        "items": {"children_count": 1},
        "withheld": [],
        "provided_at": "2026-11-27T10:00:00+00:00",
        "record": 1,
        "provided_by": {"name": "n", "address": "a", "representative": "r", "how_obtained": "h",
                        "items": {"children_count": "h"}},
    }
    me = validator("GET", "/me", 200)
    assert me.is_valid(provision)
    assert not me.is_valid({key: value for key, value in provision.items() if key != "provided_by"})  # G1: always sent
    assert not me.is_valid({**provision, "provided_by": {**provision["provided_by"], "resident": "resident:1"}})
    assert not me.is_valid({**provision, "provided_by": {**provision["provided_by"], "items": {"Bad Key": "h"}}})
    assert not me.is_valid({**provision, "birth_dates": ["2024-04-02"]})
    assert not me.is_valid({**provision, "items": {"children_count": 1, "home_address": "若柴178-4"}})
    assert not me.is_valid({**provision, "items": {"children_count": -1}})
    assert not me.is_valid({**provision, "provided_at": "2026-11-27 10:00"})
    assert not validator("GET", "/me", 403).is_valid({"error": "consent_required", "resident": "resident:1"})
    assert not validator("GET", "/transfers", 200).is_valid(
        {"transfers": [{"id": "j", "status": "ready", "format": "blog-a/1", "items": 6, "resident_id": "r"}]}
    )


def test_what_a_recipient_reads_and_sends_conforms(app, db, city, hanako, hanako_browser) -> None:  # type: ignore[no-untyped-def]
    _household(db, hanako)
    params = redirect_params(allow(hanako_browser, city.authorize_url(), ["children_count", "age_bands", "town_group"]))
    token = city.exchange(params["code"]).get_json()
    assert token["scope"].split() == CITY_SCOPES
    access = token["access_token"]
    body = conforms(city.me(access), "GET", "/me")
    assert set(body["items"]) == {"children_count", "age_bands", "town_group"}
    assert set(body["provided_by"]["items"]) == set(body["items"])  # G1: how each served item was obtained
    conforms(city.me(access, items="children_count"), "GET", "/me")
    assert city.me(access, items="home_address").status_code == 403
    conforms(city.me(access, items="home_address"), "GET", "/me")
    conforms(city.me("not-a-token"), "GET", "/me")
    notice = {
        "id": "n-1",
        "title": "一時預かりのご案内",
        "body": "ご利用いただけます。",
        "link": "https://www.city.kashiwa.lg.jp/",
    }
    created = city.notice(access, **notice)
    assert created.status_code == 201
    conforms(created, "POST", "/notices")
    conforms(city.notice(access, **notice), "POST", "/notices")  # the same id again: 200
    conforms(city.notice(access, id="n-2", title="t", link="javascript:alert(1)"), "POST", "/notices")  # 400


def test_what_a_switching_source_and_destination_exchange_conforms(
    app,
    db,
    settings,
    google,
    blog_a,
    hanako,
    hanako_browser,
) -> None:
    job = transfers.start(db, hanako, source=CASE_I.source, destination=CASE_I.destination, pattern=1, kinds=CASE_I.kinds)
    db.flush()
    source = bearer(token_for(google, hanako_browser, GOOGLE_ITEMS))
    waiting = conforms(google.http.get("/api/v1/intake", headers=source), "GET", "/intake")
    assert [entry["id"] for entry in waiting["waiting"]] == [str(job.id)]
    records = f"/api/v1/intake/{job.id}/records"
    conforms(google.http.post(records, json={"records": CASE_I_RECORDS}, headers=source), "POST", "/intake/{id}/records")
    conforms(google.http.post(records, json={"records": "no"}, headers=source), "POST", "/intake/{id}/records")
    complete = f"/api/v1/intake/{job.id}/complete"
    wrong = google.http.post(complete, json={"counts": {**CASE_I_COUNTS, "blogger#post": 3}}, headers=source)
    assert wrong.status_code == 409
    conforms(wrong, "POST", "/intake/{id}/complete")
    conforms(google.http.post(complete, json={"counts": CASE_I_COUNTS}, headers=source), "POST", "/intake/{id}/complete")
    late = google.http.post(complete, json={"counts": CASE_I_COUNTS}, headers=source)
    assert late.status_code == 409 and late.get_json()["error"] == "not_waiting"
    conforms(late, "POST", "/intake/{id}/complete")
    db.refresh(job)
    transfers.send(db, hanako, job)
    transfers.deliver(db, settings, hanako, job)
    db.flush()

    destination = bearer(token_for(blog_a, hanako_browser, BLOG_ITEMS))
    listed = conforms(blog_a.http.get("/api/v1/transfers", headers=destination), "GET", "/transfers")
    assert [entry["id"] for entry in listed["transfers"]] == [str(job.id)]
    first = conforms(
        blog_a.http.get(f"/api/v1/transfers/{job.id}/items?limit=4", headers=destination), "GET", "/transfers/{id}/items"
    )
    assert first["provided_by"]["items"] and set(first["provided_by"]["items"]) <= set(BLOG_ITEMS)  # G1
    rest = conforms(
        blog_a.http.get(f"/api/v1/transfers/{job.id}/items?cursor={first['next_cursor']}", headers=destination),
        "GET",
        "/transfers/{id}/items",
    )
    conforms(
        blog_a.http.get("/api/v1/transfers/00000000-0000-0000-0000-000000000000/items", headers=destination),
        "GET",
        "/transfers/{id}/items",
    )  # 404
    entries = sorted(({"id": e["id"], "sha256": e["sha256"]} for e in first["items"] + rest["items"]), key=lambda e: e["id"])
    receipt = {
        "receipt_version": 1,
        "iss": "https://blog-a.example.jp",
        "job": str(job.id),
        "received_at": "2026-11-27T10:00:00+09:00",
        "items": entries,
        "counts": dict(Counter(e["id"].split(":", 1)[0] for e in entries)),
    }
    path = f"/api/v1/transfers/{job.id}/receipt"
    forged = blog_a.http.post(path, json={"receipt": signed_receipt(google, receipt)}, headers=destination)
    assert forged.status_code == 400
    conforms(forged, "POST", "/transfers/{id}/receipt")
    verified = blog_a.http.post(path, json={"receipt": signed_receipt(blog_a, receipt)}, headers=destination)
    assert conforms(verified, "POST", "/transfers/{id}/receipt") == {"status": "verified"}
    again = blog_a.http.post(path, json={"receipt": signed_receipt(blog_a, receipt)}, headers=destination)
    assert again.status_code == 409
    conforms(again, "POST", "/transfers/{id}/receipt")  # not_ready: an error with a description
