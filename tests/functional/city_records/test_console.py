"""The municipal console: 柏市's staff see the requests addressed to the city (state, deadline, late ones marked) and
answer them with a CSV file — all of it, or nothing of it when any line has a problem (reported by line and column in
the staff member's language). Residents and partners cannot reach it."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlmodel import select

from app.audit import AuditEvent, EventTag
from app.city_records.models import CityRecordRequest
from app.db import utcnow
from app.ledger.models import RecordKind
from app.ledger.services import history
from tests.conftest import csrf_token
from tests.factories.accounts import ResidentFactory
from tests.factories.staff import StaffFactory
from tests.functional.city_records.conftest import HANAKO, NOBODY, start

HEADER = "request_id,decision,reason,service_id,used_from,used_to,child_birth_date,note\r\n"


@pytest.fixture
def officer(client, login, loaded_catalog):  # type: ignore[no-untyped-def]  # noqa: F811
    member = StaffFactory(municipal=True, locale="en")
    login(client, member)
    return member


@pytest.fixture
def two_requests(app, db, settings, loaded_catalog):  # type: ignore[no-untyped-def]
    first, second = ResidentFactory(locale="en"), ResidentFactory(locale="en")
    one = start(app, db, settings, first)
    two = start(app, db, settings, second, NOBODY)
    # The first was received by 柏市's system 40 days ago and is still undecided: late.
    one.state, one.receipt_number = "accepted", "柏個開第2026-00001号"
    one.accepted_at = utcnow() - timedelta(days=40)
    one.deadline_on = (one.accepted_at + timedelta(days=30)).date()
    db.add(one)
    db.flush()
    return one, two


def upload(client, content: bytes):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/municipal/city-records/")
    return client.post("/municipal/city-records/answers", data={"csrf_token": token,
                                                                "file": (io.BytesIO(content), "answers.csv")},
                       content_type="multipart/form-data")


def good_file(one, two) -> str:  # type: ignore[no-untyped-def]
    return HEADER + (f"{one.id},disclose,,svc_kenshin_1y6m,2025-10-14,,2024-04-01,1歳6か月児健診\r\n"
                     f"{one.id},disclose,,svc_ichiji_azukari_hoikuen,2026/10/08,2026-10-09,,2日間\r\n"
                     f"{two.id},not_disclose,該当する記録がありません,,,,,\r\n")


def test_staff_see_the_requests_with_their_deadlines(client, officer, two_requests) -> None:  # type: ignore[no-untyped-def]
    one, two = two_requests
    page = client.get("/municipal/city-records/").get_data(as_text=True)
    assert str(one.id) in page and str(two.id) in page and HANAKO["name"] in page and NOBODY["address"] in page
    assert "柏個開第2026-00001号" in page and "Past the deadline" in page
    overdue = client.get("/municipal/city-records/?show=overdue").get_data(as_text=True)
    assert str(one.id) in overdue and str(two.id) not in overdue
    template = client.get("/municipal/city-records/template.csv")
    text = template.data.decode("utf-8-sig")
    assert text.startswith("request_id,decision") and str(one.id) in text and str(two.id) in text


def test_a_good_file_answers_every_request_in_it(app, db, client, officer, two_requests) -> None:  # type: ignore[no-untyped-def]
    one, two = two_requests
    answer = upload(client, ("\ufeff" + good_file(one, two)).encode("utf-8"))  # Excel's BOM is fine
    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
    db.refresh(one)
    db.refresh(two)
    assert one.state == "delivered" and one.answered_by == "console" and one.delivered_count == 2
    assert [r["service_id"] for r in one.delivered_records] == ["svc_kenshin_1y6m", "svc_ichiji_azukari_hoikuen"]
    assert one.delivered_records[1]["used_to"] == "2026-10-09"
    assert two.state == "decided_not_disclose" and two.decision_reason == "該当する記録がありません"
    assert two.accepted_at is not None and two.deadline_on is not None  # received and decided at once
    assert one.next_sync_at is None and two.next_sync_at is None
    [receipt] = [e for e in history(db, f"resident:{one.resident_id}", kinds=[RecordKind.RECEIPT])]
    assert receipt.payload["source_key"] == "kashiwa-city" and receipt.payload["kept"] is False
    [event] = db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.CITY_RECORDS_UPLOAD)).all()
    assert event.actor == officer.principal and event.details == {"accepted": True, "answered": 2, "records": 2}
    decided = db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.CITY_RECORDS_DECIDED)).all()
    assert {e.details["by"] for e in decided} == {"console"} and len(decided) == 2
    # A request answered once cannot be answered again.
    again = upload(client, good_file(one, two).encode())
    assert again.status_code == 422 and "already answered or canceled" in again.get_data(as_text=True)


def test_one_bad_line_imports_nothing(db, client, officer, two_requests) -> None:  # type: ignore[no-untyped-def]
    one, two = two_requests
    bad = good_file(one, two) + f"{one.id},disclose,,svc_no_such_service,2025-13-01,,,\r\n"
    answer = upload(client, bad.encode())
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "Nothing was imported" in page and "Line 5, column service_id" in page
    assert "This is not a service id of the catalogue" in page
    db.refresh(one)
    db.refresh(two)
    assert (one.state, two.state) == ("accepted", "requested") and one.delivered_records is None
    assert history(db, f"resident:{one.resident_id}", kinds=[RecordKind.RECEIPT]) == []
    [event] = db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.CITY_RECORDS_UPLOAD)).all()
    assert event.details == {"accepted": False, "problems": 1}


@pytest.mark.parametrize(("content", "expected"), [
    (b"request_id,decision\r\n", "column reason: This column is missing from the header."),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe\xfa", "not UTF-8 or Shift_JIS"),
    (b"", "The file is empty."),
    (b"x" * 2001, "larger than 1 MB"),
])
def test_files_that_are_not_answers_are_refused(client, officer, two_requests, content, expected,
                                                monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The limit made small: the test client spools a large upload to a file it never closes.
    monkeypatch.setattr("app.city_records.answers_csv.MAX_BYTES", 2000)
    monkeypatch.setattr("app.city_records.console.MAX_BYTES", 2000)
    answer = upload(client, content)
    assert answer.status_code == 422 and expected in answer.get_data(as_text=True)


def test_a_record_outside_the_period_or_an_unknown_request(db, client, officer, two_requests) -> None:  # type: ignore[no-untyped-def]
    one, _two = two_requests
    content = HEADER + (f"{one.id},disclose,,svc_kenshin_3y,2001-01-01,,,\r\n"
                        "00000000-0000-4000-8000-000000000000,not_disclose,理由,,,,,\r\n")
    page = upload(client, content.encode()).get_data(as_text=True)
    assert "Line 2, column used_from: This day is outside the period the resident asked for." in page
    assert "Line 3, column request_id: There is no request with this id." in page
    db.refresh(one)
    assert one.state == "accepted"


def test_shift_jis_from_excel_is_read(db, client, officer, two_requests) -> None:  # type: ignore[no-untyped-def]
    one, two = two_requests
    answer = upload(client, good_file(one, two).encode("cp932"))
    assert answer.status_code == 303
    db.refresh(two)
    assert two.decision_reason == "該当する記録がありません"


@pytest.mark.parametrize("who", ["resident", "partner", "operator"])
def test_only_municipal_staff_reach_the_page(client, login, db, two_requests, who) -> None:  # type: ignore[no-untyped-def]
    user = {"resident": lambda: ResidentFactory(), "partner": lambda: StaffFactory(partner=True),
            "operator": lambda: StaffFactory(operator=True)}[who]()
    login(client, user)
    for path in ("/municipal/city-records/", "/municipal/city-records/template.csv"):
        assert client.get(path).status_code == 403
    assert client.post("/municipal/city-records/answers", data={}).status_code in (400, 403)
    one, _ = two_requests
    assert db.get(CityRecordRequest, one.id).state == "accepted"
