"""An event's poster: the partner prints it; a resident scans it and checks in, once a day; a forged poster, one
for an event not held today or no longer listed checks nobody in."""

from __future__ import annotations

import re

from sqlmodel import select

from app.catalog.models import CatalogEvent
from app.ledger.models import RecordKind
from app.ledger.services import history
from app.participation.models import Participation
from app.passes import posters
from app.passes.models import PassScan
from tests.factories import TEST_SECRET_KEY
from tests.functional.passes.conftest import EVENT, OTHER_VENUE_EVENT

LINK = re.compile(r"http://localhost(/checkin/[\w.-]+)")


def poster_path(client, event_id: str = EVENT) -> str:  # type: ignore[no-untyped-def]
    page = client.get(f"/partner/posters/{event_id}").get_data(as_text=True)
    return LINK.search(page).group(1)


def test_the_partner_prints_a_poster_with_the_check_in_link(client, clerk) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/partner/posters/{EVENT}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and '<svg class="qr"' in body and "data-print" in body
    assert "スマートフォンのカメラでこの QR コードを読み取り" in body
    assert LINK.search(body)
    assert client.get(f"/partner/posters/{OTHER_VENUE_EVENT}").status_code == 404  # another venue's event


def test_a_resident_checks_in_from_the_poster_once_a_day(
        client, other_client, login, csrf, clerk, partner, resident, db,
) -> None:  # type: ignore[no-untyped-def]
    path = poster_path(client)
    login(other_client, resident)
    page = other_client.get(path)
    assert page.status_code == 200 and "Check in" in page.get_data(as_text=True)
    token = csrf(other_client, path)
    assert other_client.post(path, data={"csrf_token": token}).status_code == 303
    assert "You are checked in" in other_client.get(path).get_data(as_text=True)
    again = other_client.post(path, data={"csrf_token": token})
    assert again.status_code == 303
    (record,) = db.exec(select(Participation).where(Participation.resident_id == resident.id)).all()
    assert (record.item_id, record.source) == (EVENT, "partner:tsite_demo")
    receipts = [e for e in history(db, resident.principal) if e.record.kind == RecordKind.RECEIPT]
    assert len(receipts) == 1 and receipts[0].payload["details"]["by"] == "poster"
    (scan,) = db.exec(select(PassScan).where(PassScan.resident_id == resident.id)).all()  # the partner's record
    assert (scan.partner_id, scan.item_id, scan.action, scan.staff_id) == (partner.id, EVENT, "check_in", None)


def test_forged_foreign_and_past_posters_check_nobody_in(
        app, client, other_client, login, csrf, clerk, partner, resident, db,
) -> None:  # type: ignore[no-untyped-def]
    login(other_client, resident)
    path = poster_path(client)
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    response = other_client.get(forged)
    assert response.status_code == 404 and "not a check-in code" in response.get_data(as_text=True)
    assert other_client.post(forged, data={"csrf_token": csrf(other_client, "/pass/")}).status_code == 404
    another_day = db.get(CatalogEvent, "ev_tsite_zukan_ws")
    with app.app_context():
        token = posters.poster_token(TEST_SECRET_KEY, partner, another_day)
    response = other_client.get(f"/checkin/{token}")
    assert response.status_code == 422 and "not held today" in response.get_data(as_text=True)
    event = db.get(CatalogEvent, EVENT)
    event.status = "withdrawn"
    db.add(event)
    db.flush()
    assert other_client.get(path).status_code == 422
    assert db.exec(select(Participation)).all() == []


def test_a_visitor_is_asked_to_log_in_first(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/checkin/anything")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    assert "next=" in response.headers["Location"]
