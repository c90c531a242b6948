"""The whole round trip against the real `kashiwa-city` peer over HTTP: request (signed mandate, PROVISION record) →
受付 (receipt number, deadline) → 開示決定 → 開示 (records, the 法30条 receipt) → 取込 (わたしのデータ, the export, the
ledger), with every change audited; the 不開示 path; a peer that is down; cancel; and the worker's own jobs."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
import requests
from sqlmodel import select

from app.audit import AuditEvent, EventTag
from app.city_records import mandate
from app.city_records.deadline import deadline_for
from app.city_records.models import CityRecordRequest, ServiceUsage
from app.jobs.models import Job
from app.jobs.registry import registry_for
from app.jobs.runner import run_next
from app.jobs.services import enqueue
from app.ledger.models import RecordKind
from app.ledger.services import history, receipts_for
from tests.conftest import csrf_token
from tests.functional.city_records.conftest import HANAKO, NOBODY, control, drive, received, start, step

pytestmark = pytest.mark.smoke  # the round trip also runs on SQLite


def tags(db, resident):  # type: ignore[no-untyped-def]
    return [e.tag for e in db.exec(select(AuditEvent).where(AuditEvent.subject == resident.principal)
                                   .order_by(AuditEvent.id))]


def test_request_accept_disclose_deliver_and_keep(app, db, settings, client, resident, city) -> None:  # type: ignore[no-untyped-def]
    request = start(app, db, settings, resident, years=5)
    assert request.state == "requested" and request.mandate_jws.count(".") == 2
    with app.app_context():
        payload = mandate.read(request.mandate_jws)
    assert payload["mandator"] == {"name": HANAKO["name"], "birth_date": "1991-06-15", "address": HANAKO["address"]}
    assert payload["aud"] == f"{city}/disclosure" and payload["scope"]["records"] == "子育て関連の行政サービス利用履歴"
    # The provision of the name, birth date and address to 柏市 is on the ledger from the start.
    [provision] = [e for e in history(db, resident.principal, kinds=[RecordKind.PROVISION])]
    assert provision.payload["items"] == ["mandator_name", "mandator_birth_date", "mandator_address"]
    assert provision.payload["mandate_id"] == str(request.id) and "柏市" in provision.payload["recipient_name"]
    assert db.exec(select(Job).where(Job.kind == "city_records.sync")).first() is not None

    # 受付 and, with the peer deciding at once, 開示決定 and 開示 by the next poll.
    assert step(app, db, settings, request.id) == "sent"
    db.refresh(request)
    assert request.state == "accepted" and request.receipt_number.startswith("柏個開第")
    assert request.deadline_on == deadline_for(request.accepted_at) and request.sent_at is not None
    assert request.next_sync_at is not None and request.next_sync_at > request.accepted_at
    [filed] = [r for r in received(city) if r["id"] == str(request.id)]
    assert filed["name"] == HANAKO["name"] and filed["receipt_number"] == request.receipt_number

    request = drive(app, db, settings, request.id, until={"delivered"})
    assert request.delivered_count == len(request.delivered_records) >= 5
    assert {r["service_id"] for r in request.delivered_records} >= {"svc_kenshin_1y6m", "svc_ichiji_azukari_hoikuen"}
    [receipt] = receipts_for(db, resident.principal)
    assert receipt.provider_name.startswith("柏市") and receipt.items == ["service_usage_history"] and not receipt.kept

    page = client.get(f"/city-records/{request.id}").get_data(as_text=True)
    assert "18-month child health check-up (group)" in page and "Keep them in my data" in page  # catalogue names, English
    token = csrf_token(client, f"/city-records/{request.id}")
    answer = client.post(f"/city-records/{request.id}/keep", data={"csrf_token": token})
    assert answer.status_code == 303
    db.refresh(request)
    assert request.state == "imported" and request.delivered_records is None
    kept = db.exec(select(ServiceUsage).where(ServiceUsage.resident_id == resident.id)).all()
    assert len(kept) == request.delivered_count and all(u.source == "kashiwa-city" for u in kept)
    [receipt] = receipts_for(db, resident.principal)
    assert receipt.kept  # the PROCESSING record of the keeping names the receipt
    stored = [e for e in history(db, resident.principal, kinds=[RecordKind.PROCESSING])
              if e.payload.get("action") == "city_records.imported"]
    assert stored and stored[0].payload["rows"] == len(kept)
    assert tags(db, resident) == [EventTag.CITY_RECORDS_REQUEST, EventTag.CITY_RECORDS_SENT,
                                  EventTag.CITY_RECORDS_ACCEPTED, EventTag.CITY_RECORDS_DECIDED,
                                  EventTag.CITY_RECORDS_DELIVERED, EventTag.CITY_RECORDS_IMPORTED]

    # わたしのデータ and the export show them; a kept record can be deleted (a DELETION record).
    my_data = client.get("/my-data").get_data(as_text=True)
    assert "Records from Kashiwa City" in my_data and "Temporary childcare at licensed nurseries" in my_data
    export = zipfile.ZipFile(io.BytesIO(client.get("/my-data/export.zip").data))
    usage = json.loads(export.read("service_usage.json"))
    assert len(usage) == len(kept) and {"service_id", "used_from", "child_birth_date", "source"} <= set(usage[0])
    deleted = kept[0].id
    answer = client.post(f"/city-records/usage/{deleted}/delete", data={"csrf_token": csrf_token(client, "/my-data")})
    assert answer.status_code == 303
    db.expire_all()
    assert db.get(ServiceUsage, deleted) is None
    assert history(db, resident.principal, kinds=[RecordKind.DELETION])[0].payload["items"] == ["service_usage_history"]


def test_no_matching_record_is_not_disclosed(app, db, settings, client, resident, city) -> None:  # type: ignore[no-untyped-def]
    request = start(app, db, settings, resident, NOBODY)
    request = drive(app, db, settings, request.id, until={"decided_not_disclose"})
    assert request.decision_reason == "該当する記録がありません" and request.next_sync_at is None
    assert request.delivered_records is None and receipts_for(db, resident.principal) == []
    page = client.get(f"/city-records/{request.id}").get_data(as_text=True)
    assert "Kashiwa City decided not to disclose" in page and "該当する記録がありません" in page
    assert tags(db, resident)[-1] == EventTag.CITY_RECORDS_DECIDED


def test_a_forced_refusal_and_a_wrong_address(app, db, settings, resident, other_resident, city) -> None:  # type: ignore[no-untyped-def]
    control(city, mode="not_disclose", reason="本人確認書類の確認ができませんでした")
    forced = drive(app, db, settings, start(app, db, settings, resident).id, until={"decided_not_disclose"})
    assert forced.decision_reason == "本人確認書類の確認ができませんでした"
    control(city, mode="auto")
    moved = drive(app, db, settings, start(app, db, settings, other_resident, {**HANAKO, "address": "千葉県柏市若柴1番地"}).id,
                  until={"decided_not_disclose"})
    assert "住所" in moved.decision_reason


def test_decline_deletes_the_delivered_copy(app, db, settings, client, resident, city) -> None:  # type: ignore[no-untyped-def]
    request = drive(app, db, settings, start(app, db, settings, resident).id, until={"delivered"})
    answer = client.post(f"/city-records/{request.id}/decline",
                         data={"csrf_token": csrf_token(client, f"/city-records/{request.id}")})
    assert answer.status_code == 303
    db.refresh(request)
    assert request.state == "discarded" and request.delivered_records is None
    assert db.exec(select(ServiceUsage).where(ServiceUsage.resident_id == resident.id)).all() == []
    deletion = history(db, resident.principal, kinds=[RecordKind.DELETION])[0]
    assert deletion.payload["rows"] == request.delivered_count
    assert tags(db, resident)[-1] == EventTag.CITY_RECORDS_DISCARDED


def test_a_peer_that_is_down_keeps_the_request_and_it_is_retried(app, db, settings, client, resident, city,
                                                                 monkeypatch) -> None:  # type: ignore[no-untyped-def]
    request = start(app, db, settings, resident)
    before = request.next_sync_at

    def refused(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise requests.ConnectionError("connection refused")

    with monkeypatch.context() as patch:  # nothing listens at 柏市's address
        patch.setattr("app.city_records.city_api.requests.request", refused)
        assert step(app, db, settings, request.id) == "failed"
    db.refresh(request)
    assert request.state == "requested" and request.sync_failures == 1 and "unreachable" in request.last_sync_error
    assert request.next_sync_at > before  # backoff
    page = client.get(f"/city-records/{request.id}").get_data(as_text=True)
    assert "Waiting for an answer from Kashiwa City." in page and "tries again by itself" in page
    control(city, unavailable=True)  # up, but answering 503
    assert step(app, db, settings, request.id) == "failed"
    db.refresh(request)
    assert request.sync_failures == 2 and request.last_sync_error == "HTTP 503"
    assert str(request.id) not in {r["id"] for r in received(city)}
    control(city, unavailable=False)
    assert step(app, db, settings, request.id) == "sent"
    db.refresh(request)
    assert request.state == "accepted" and request.sync_failures == 0 and request.last_sync_error is None


def test_cancel_before_delivery_tells_the_city(app, db, settings, client, resident, city) -> None:  # type: ignore[no-untyped-def]
    control(city, mode="hold")
    request = drive(app, db, settings, start(app, db, settings, resident).id, until={"accepted"})
    page = client.get(f"/city-records/{request.id}").get_data(as_text=True)
    assert "Cancel the request" in page and "Decision due by" in page
    answer = client.post(f"/city-records/{request.id}/cancel",
                         data={"csrf_token": csrf_token(client, f"/city-records/{request.id}")})
    assert answer.status_code == 303
    db.refresh(request)
    assert request.state == "canceled" and request.city_told_at is None
    assert step(app, db, settings, request.id) == "told"
    db.refresh(request)
    assert request.city_told_at is not None and request.next_sync_at is None
    assert [r["withdrawn"] for r in received(city) if r["id"] == str(request.id)] == [True]
    assert EventTag.CITY_RECORDS_CANCELED in tags(db, resident) and EventTag.CITY_RECORDS_CITY_TOLD in tags(db, resident)
    # Too late to cancel once delivered, and a second cancel is refused.
    assert client.post(f"/city-records/{request.id}/cancel",
                       data={"csrf_token": csrf_token(client, f"/city-records/{request.id}")}).status_code == 409


def test_the_worker_runs_the_steps_as_jobs_and_the_sweep_takes_a_lost_one(app, db, settings, resident,
                                                                          city) -> None:  # type: ignore[no-untyped-def]
    request = start(app, db, settings, resident)
    db.commit()
    while run_next(app, registry_for(app), worker_id="test"):
        pass
    db.refresh(request)
    assert request.state == "accepted"  # sent by the job queued with the request
    # The first poll is its own job, queued for a few seconds later.
    [poll] = db.exec(select(Job).where(Job.kind == "city_records.sync", Job.status == "queued")).all()
    assert poll.payload == {"request_id": str(request.id)} and poll.run_at == request.next_sync_at
    # That job is lost (a worker died with it, say): the sweep takes the overdue step.
    db.delete(poll)
    request.next_sync_at = request.next_sync_at - timedelta(minutes=5)
    db.add(request)
    enqueue(db, "city_records.sweep", {})
    db.commit()
    while run_next(app, registry_for(app), worker_id="test"):
        pass
    db.refresh(request)
    assert request.state == "delivered"


def test_the_peer_refuses_the_request_without_the_banks_credential(city) -> None:  # type: ignore[no-untyped-def]
    answer = requests.post(f"{city}/disclosure/requests", json={"mandate": "x.y.z"}, timeout=5)
    assert answer.status_code == 401 and "Bearer" in answer.headers["WWW-Authenticate"]


def test_request_page_is_the_residents_own(app, db, settings, client, other_client, resident, other_resident,
                                           city) -> None:  # type: ignore[no-untyped-def]
    request = start(app, db, settings, resident)
    for path in (f"/city-records/{request.id}", f"/city-records/{request.id}/mandate",
                 f"/city-records/{request.id}/mandate.json"):
        assert client.get(path).status_code == 200
        assert other_client.get(path).status_code == 404
    token = csrf_token(other_client, "/city-records/")
    for action in ("cancel", "keep", "decline"):
        assert other_client.post(f"/city-records/{request.id}/{action}", data={"csrf_token": token}).status_code == 404
    db.refresh(request)
    assert request.state == "requested"


def test_deleting_the_account_withdraws_the_mandates_still_open(app, db, settings, client, resident, city) -> None:  # type: ignore[no-untyped-def]
    from app.accounts import services as accounts

    control(city, mode="hold")
    request = drive(app, db, settings, start(app, db, settings, resident).id, until={"accepted"})
    request_id = request.id
    with app.test_request_context():
        accounts.delete_account(db, resident=resident, ip=None)
    db.commit()
    db.expire_all()
    assert db.get(CityRecordRequest, request_id) is None  # gone with the account
    while run_next(app, registry_for(app), worker_id="test"):
        pass
    assert [r["withdrawn"] for r in received(city) if r["id"] == str(request_id)] == [True]
    [job] = db.exec(select(Job).where(Job.kind == "city_records.withdraw")).all()
    assert job.status == "done"
