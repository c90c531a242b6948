"""What a resident does with delegated disclosure requests: start one (the signed mandate), cancel it, keep or
decline what 柏市 delivered, delete a kept record; and the reads their pages need.

Every function takes the session and the acting resident: another resident's request or record is "not found"
(object-level authorization, never a hint that it exists). A request's row is locked (`FOR UPDATE`) before a move,
so a resident's action and the worker's answer never interleave. Nothing here commits (one unit of work per
request); the worker's sending happens after the commit (`sync`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from app import audit
from app.accounts.models import Resident
from app.audit import EventTag
from app.catalog.models import CatalogService
from app.city_records import mandate, usage
from app.city_records.answers import CITY_SOURCE, ITEM_KEY, ITEM_NAME_JA
from app.city_records.models import CityRecordRequest, ServiceUsage
from app.city_records.states import CANCELABLE, OPEN, WAITING_FOR_CITY, RequestState, check_move
from app.city_records.sync import WITHDRAW_KIND, schedule
from app.config import Settings
from app.db import utcnow
from app.errors import Conflict, DomainError, NotFound
from app.household.ages import japan_today
from app.household.events import announce_change
from app.i18n import bilingual
from app.jobs.services import enqueue
from app.ledger.models import RecordKind
from app.ledger.services import append

S = RequestState
PERIOD_YEARS = (1, 3, 5)
PROVISION_RECIPIENT = "柏市（保有個人情報の開示請求先：柏市長）"
PROVISION_ITEMS = {"mandator_name": "氏名", "mandator_birth_date": "生年月日", "mandator_address": "住所"}
NAME_LIMIT = 100
ADDRESS_LIMIT = 200


class UnknownRequest(NotFound):
    message = _l("We could not find this request.")


class UnknownUsage(NotFound):
    message = _l("We could not find this record. It may have been removed already.")


class AlreadyOpen(Conflict):
    message = _l("You already have a request in progress. You can make a new one once it is finished or canceled.")


class CityNotConfigured(DomainError):
    status = 503
    message = _l("Requests to Kashiwa City are not available at the moment.")


class MyNumberRefused(DomainError):
    status = 422
    message = _l("Please do not enter your My Number (個人番号). Kashiwa City finds your records by your name, date of "
                 "birth and address; Azukari never uses the My Number.")


# --- reading ---------------------------------------------------------------------------------------------------


def requests_of(session: Session, resident: Resident) -> list[CityRecordRequest]:
    return list(session.exec(select(CityRecordRequest).where(CityRecordRequest.resident_id == resident.id)
                             .order_by(col(CityRecordRequest.created_at).desc())))


def open_request_of(session: Session, resident: Resident) -> CityRecordRequest | None:
    return next((r for r in requests_of(session, resident) if r.state in OPEN), None)


def request_of(session: Session, resident: Resident, request_id: uuid.UUID, *, lock: bool = False) -> CityRecordRequest:
    """The resident's own request (locked until the transaction ends with `lock`); another's is not found."""
    statement = select(CityRecordRequest).where(CityRecordRequest.id == request_id,
                                                CityRecordRequest.resident_id == resident.id)
    if lock:
        statement = statement.with_for_update()
    found = session.exec(statement.execution_options(populate_existing=True)).first()
    if found is None:
        raise UnknownRequest()
    return found


def service_names(session: Session, ids: set[str], language: str) -> dict[str, str]:
    """The catalogue's names in the resident's language; an id the catalogue no longer has is its own name."""
    if not ids:
        return {}
    rows = session.execute(select(CatalogService.id, CatalogService.name_ja, CatalogService.name_en)
                           .where(col(CatalogService.id).in_(sorted(ids))))
    names = {row.id: bilingual(row.name_ja, row.name_en, language) for row in rows}
    return {service_id: names.get(service_id, service_id) for service_id in ids}


@dataclass(frozen=True)
class RecordView:
    """A record as a page shows it (delivered, or kept)."""

    service_id: str
    service_name: str
    used_from: date
    used_to: date | None
    child_birth_date: date | None
    note: str
    id: uuid.UUID | None = None  # a kept record's id (for its delete button)


def delivered_views(session: Session, request: CityRecordRequest, language: str) -> list[RecordView]:
    records = request.delivered_records or []
    names = service_names(session, {r["service_id"] for r in records}, language)
    return [RecordView(r["service_id"], names[r["service_id"]], date.fromisoformat(r["used_from"]),
                       date.fromisoformat(r["used_to"]) if r.get("used_to") else None,
                       date.fromisoformat(r["child_birth_date"]) if r.get("child_birth_date") else None,
                       r.get("note") or "") for r in records]


def usage_views(session: Session, resident: Resident, language: str) -> list[RecordView]:
    rows = usage.usage_of(session, resident.id)
    names = service_names(session, {row.service_id for row in rows}, language)
    return [RecordView(row.service_id, names[row.service_id], row.used_from, row.used_to, row.child_birth_date, row.note,
                       row.id) for row in rows]


# --- starting and canceling ------------------------------------------------------------------------------------


def _record_provision(session: Session, settings: Settings, request: CityRecordRequest, now: datetime) -> None:
    """The 第三者提供記録 (APPI 法29条) of the mandate's contents: the fields the consent door writes (recipient, items,
    when, how), on the basis of the mandate itself, which the resident gave for this one provision (docs/decisions.md)."""
    record = append(session, subject=f"resident:{request.resident_id}", kind=RecordKind.PROVISION, at=now, payload={
        "recipient": "kashiwa_city",
        "recipient_name": PROVISION_RECIPIENT,
        "recipient_address": CITY_SOURCE.address,
        "purpose": "disclosure_request",
        "purpose_name": "子育て関連の行政サービス利用履歴の開示請求（本人の委任による）",
        "items": list(PROVISION_ITEMS),
        "item_names": PROVISION_ITEMS,
        "withheld": [],
        "basis": "本人の委任（委任状）",
        "mandate_id": str(request.id),
        "date": now.isoformat(),
        "via": {"method": "disclosure_request", "api": mandate.api_base(settings)},
    })
    request.provision_seq = record.seq
    session.add(request)


def period_for(years: int, today: date) -> tuple[date, date]:
    """From the same day `years` years ago (28 Feb for a 29 Feb) through today."""
    if years not in PERIOD_YEARS:
        raise DomainError()
    try:
        start = today.replace(year=today.year - years)
    except ValueError:
        start = today.replace(year=today.year - years, day=28)
    return start, today


def start(session: Session, settings: Settings, resident: Resident, *, name: str, birth_date: date, address: str,
          years: int, ip: str | None = None) -> CityRecordRequest:
    """The resident mandates the bank: the mandate is signed now and sent by the worker right after the commit."""
    name, address = " ".join(name.split()), " ".join(address.split())
    if usage.looks_like_my_number(name) or usage.looks_like_my_number(address):
        raise MyNumberRefused()
    if not name or not address or len(name) > NAME_LIMIT or len(address) > ADDRESS_LIMIT:
        raise DomainError()
    if open_request_of(session, resident) is not None:
        raise AlreadyOpen()
    if not settings.kashiwa_city_url:  # nowhere to send it (production without 柏市's address configured)
        raise CityNotConfigured()
    now, today = utcnow(), japan_today()
    period_from, period_to = period_for(years, today)
    request_id = uuid.uuid4()
    payload = mandate.build(session, settings, request_id=request_id, name=name, birth_date=birth_date,
                            address=address, period_from=period_from, period_to=period_to, now=now)
    request = CityRecordRequest(id=request_id, resident_id=resident.id, mandator_name=name,
                                mandator_birth_date=birth_date, mandator_address=address, period_from=period_from,
                                period_to=period_to, mandate_jws=mandate.sign_mandate(payload), created_at=now,
                                updated_at=now)
    session.add(request)
    session.flush()
    _record_provision(session, settings, request, now)
    # What was entered stays out of the audit log (it is in the request, which the resident can delete with the account).
    audit.record(session, EventTag.CITY_RECORDS_REQUEST, actor=resident.principal, ip=ip, request=str(request.id),
                 years=years)
    schedule(session, request, now)
    return request


def cancel(session: Session, resident: Resident, request_id: uuid.UUID, *, ip: str | None = None) -> CityRecordRequest:
    """The resident withdraws the mandate before delivery; the worker tells 柏市 (after any send in flight)."""
    request = request_of(session, resident, request_id, lock=True)
    check_move(request.state, S.CANCELED)
    now = utcnow()
    request.state, request.closed_at, request.updated_at = S.CANCELED.value, now, now
    audit.record(session, EventTag.CITY_RECORDS_CANCELED, actor=resident.principal, ip=ip, request=str(request.id))
    # Always told (a send whose answer was lost may have reached 柏市; it answers 404 to one it never had). A send or
    # poll in flight holds the schedule a little ahead: the withdrawal goes after it.
    schedule(session, request, max(now, request.next_sync_at or now))
    return request


def withdraw_all(session: Session, resident: Resident) -> int:
    """The account is being deleted (its requests go with it): every mandate 柏市 may still act on is withdrawn, and
    a job tells 柏市 by the request id alone. Returns how many."""
    told = 0
    for request in requests_of(session, resident):
        waiting = request.state in WAITING_FOR_CITY
        if waiting or (request.state == S.CANCELED and request.city_told_at is None):
            enqueue(session, WITHDRAW_KIND, {"request_id": str(request.id)}, max_attempts=12,
                    unique_key=f"{WITHDRAW_KIND}:{request.id}")
            if waiting:
                audit.record(session, EventTag.CITY_RECORDS_CANCELED, actor=resident.principal,
                             request=str(request.id), reason="account_deleted")
            told += 1
    return told


def can_cancel(request: CityRecordRequest) -> bool:
    return request.request_state in CANCELABLE


# --- keeping or declining what arrived -------------------------------------------------------------------------


def keep(session: Session, resident: Resident, request_id: uuid.UUID, *, ip: str | None = None) -> int:
    """取込: the delivered records become the resident's data; returns how many rows were added."""
    request = request_of(session, resident, request_id, lock=True)
    check_move(request.state, S.IMPORTED)
    records = list(request.delivered_records or [])
    added = usage.store(session, resident.id, request.id, records)
    now = utcnow()
    append(session, subject=resident.principal, kind=RecordKind.PROCESSING, payload={
        "action": "city_records.imported", "items": [ITEM_KEY], "item_names": {ITEM_KEY: ITEM_NAME_JA},
        "purpose_name": "柏市から開示された記録の保管（ご本人の取込の操作による）",
        "receipt_seq": request.receipt_seq, "rows": added, "request": str(request.id)})
    request.state, request.delivered_records, request.closed_at, request.updated_at = S.IMPORTED.value, None, now, now
    session.add(request)
    audit.record(session, EventTag.CITY_RECORDS_IMPORTED, actor=resident.principal, ip=ip, request=str(request.id),
                 records=added)
    announce_change(session, resident.id)  # what the resident entrusted changed: the day's feed is computed again
    return added


def decline(session: Session, resident: Resident, request_id: uuid.UUID, *, ip: str | None = None) -> None:
    """The resident does not keep what arrived: the delivered copy is deleted (a DELETION record says so)."""
    request = request_of(session, resident, request_id, lock=True)
    check_move(request.state, S.DISCARDED)
    now = utcnow()
    rows = request.delivered_count
    request.state, request.delivered_records, request.closed_at, request.updated_at = S.DISCARDED.value, None, now, now
    session.add(request)
    append(session, subject=resident.principal, kind=RecordKind.DELETION, payload={
        "items": [ITEM_KEY], "item_names": {ITEM_KEY: ITEM_NAME_JA}, "by": "resident", "rows": rows,
        "description": "柏市から届いた記録を、取り込まずに削除しました", "receipt_seq": request.receipt_seq})
    audit.record(session, EventTag.CITY_RECORDS_DISCARDED, actor=resident.principal, ip=ip, request=str(request.id))


def delete_usage(session: Session, resident: Resident, usage_id: uuid.UUID, *, ip: str | None = None) -> None:
    """Delete one kept record (gone for good; the ledger says a record was deleted, not which)."""
    row = session.get(ServiceUsage, usage_id)
    if row is None or row.resident_id != resident.id:
        raise UnknownUsage()
    session.delete(row)
    session.flush()
    append(session, subject=resident.principal, kind=RecordKind.DELETION,
           payload={"items": [ITEM_KEY], "item_names": {ITEM_KEY: ITEM_NAME_JA}, "by": "resident", "rows": 1})
    audit.record(session, EventTag.CITY_RECORDS_USAGE_DELETE, actor=resident.principal, ip=ip)
    announce_change(session, resident.id)


def timeline(request: CityRecordRequest) -> list[tuple[str, datetime | None]]:
    """(step, when) for the request's page, in order; a step not reached yet has no time."""
    steps: list[tuple[str, Any]] = [("requested", request.created_at), ("sent", request.sent_at),
                                    ("accepted", request.accepted_at)]
    if request.state == S.DECIDED_NOT_DISCLOSE:
        return [*steps, ("not_disclosed", request.decided_at)]
    if request.state == S.CANCELED:
        return [*[(step, when) for step, when in steps if when], ("canceled", request.closed_at)]
    steps += [("decided", request.decided_at), ("delivered", request.delivered_at)]
    final = {S.IMPORTED: "imported", S.DISCARDED: "discarded"}.get(request.request_state, "imported")
    return [*steps, (final, request.closed_at)]
