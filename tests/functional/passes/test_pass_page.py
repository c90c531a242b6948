"""The resident's pass page: the rotating code as a QR code and text, refreshed by htmx, ten offline codes for the
service worker's copy, recent scans, and renewal; each resident sees only their own pass."""

from __future__ import annotations

import re

from app.passes import codes
from app.passes.models import ResidentPass
from tests.factories.accounts import ResidentFactory
from tests.functional.passes.conftest import KEY

CODE = re.compile(r"\bAZ[0-9A-Z]{2}(?: [0-9A-Z]{1,4})+")  # as `codes.grouped` shows them


def shown_codes(body: str) -> list[str]:
    return [codes.normalise(match) for match in CODE.findall(body)]


def test_the_pass_shows_the_current_code_and_ten_offline_codes(client, login, resident, db) -> None:  # type: ignore[no-untyped-def]
    login(client, resident)
    response = client.get("/pass/")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["X-Azukari-Offline"] == "pass"
    assert "no-store" in response.headers["Cache-Control"]
    found = shown_codes(body)
    assert len(found) == 11 and len(set(found)) == 11
    held = db.get(ResidentPass, resident.id)
    reads = [codes.read(KEY, code, codes.next_rotation(codes.datetime.now(codes.UTC)) - codes.ROTATION) for code in found]
    assert {read.pass_id for read in reads} == {held.pass_id}
    assert [read.offline for read in reads] == [False] + [True] * 10
    assert body.count('<svg class="qr"') == 11 and 'aria-label="Your Azukari pass QR code"' in body
    assert 'hx-trigger="load delay:' in body  # refreshed before the minute is over


def test_htmx_gets_the_code_region_only(client, login, resident) -> None:  # type: ignore[no-untyped-def]
    login(client, resident)
    response = client.get("/pass/", headers={"HX-Request": "true", "HX-Target": "pass-code"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="pass-code"') and len(shown_codes(body)) == 1
    assert "X-Azukari-Offline" not in response.headers


def test_each_resident_has_their_own_pass(client, other_client, login, resident, db) -> None:  # type: ignore[no-untyped-def]
    other = ResidentFactory(locale="en")
    login(client, resident)
    login(other_client, other)
    mine = codes.read(KEY, shown_codes(client.get("/pass/").get_data(as_text=True))[0], codes.datetime.now(codes.UTC))
    theirs = codes.read(KEY, shown_codes(other_client.get("/pass/").get_data(as_text=True))[0], codes.datetime.now(codes.UTC))
    assert mine.pass_id != theirs.pass_id
    assert db.get(ResidentPass, resident.id).pass_id == mine.pass_id


def test_renewing_gives_a_new_pass_id(client, login, csrf, resident, db) -> None:  # type: ignore[no-untyped-def]
    login(client, resident)
    before = codes.read(KEY, shown_codes(client.get("/pass/").get_data(as_text=True))[0], codes.datetime.now(codes.UTC))
    response = client.post("/pass/renew", data={"csrf_token": csrf(client, "/pass/")})
    assert response.status_code == 303
    after = codes.read(KEY, shown_codes(client.get("/pass/").get_data(as_text=True))[0], codes.datetime.now(codes.UTC))
    assert after.pass_id != before.pass_id


def test_renewing_needs_the_csrf_token(client, login, resident) -> None:  # type: ignore[no-untyped-def]
    login(client, resident)
    client.get("/pass/")
    assert client.post("/pass/renew", data={}).status_code == 400


def test_staff_and_visitors_have_no_pass(client, other_client, login) -> None:  # type: ignore[no-untyped-def]
    from tests.factories.staff import StaffFactory

    assert client.get("/pass/").status_code in (302, 303)
    login(other_client, StaffFactory(partner=True))
    assert other_client.get("/pass/").status_code == 403
