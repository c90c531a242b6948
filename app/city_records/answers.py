"""Applying what 柏市 answers to a request — from its system through the API (`sync`) or from its staff by a CSV
file (`console`): 受付, 開示決定 / 不開示, 開示. One function, so both ways move the same states, write the same
audit events and the same ledger records.

At 開示 the records reach the bank: the APPI 法30条 receipt record is written then (kept = false: held for the
resident's review), in the same transaction as the delivered copy. Keeping them later writes a PROCESSING record
naming that receipt (as for MyNa Portal); declining deletes the copy and writes a DELETION record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app import audit
from app.accounts.providers import DataSource
from app.audit import EventTag
from app.city_records.deadline import deadline_for
from app.city_records.models import CityRecordRequest
from app.city_records.states import RequestState, check_move
from app.ledger.services import record_receipt

S = RequestState
SOURCE_KEY = "kashiwa-city"
ITEM_KEY = "service_usage_history"
ITEM_NAME_JA = "子育て関連サービスの利用履歴"
CITY_SOURCE = DataSource(
    legal_name="柏市（保有個人情報の開示）",
    address="千葉県柏市柏5丁目10番1号",
    representative="柏市長",
    how_obtained="柏市が子育て関連の行政サービスの提供に伴って作成・取得した記録を、本人の開示請求（本人の委任により "
                 "Azukari が代理）に対して開示したもの",
)
RECEIPT_BASIS = "個人情報の保護に関する法律 第76条第2項に基づく、本人の委任による開示請求への開示"
NO_RECORD_REASON = "該当する記録がありません"


@dataclass(frozen=True)
class Answer:
    """What 柏市 says, however it said it. `records` are already checked (`usage.clean_records`)."""

    status: str  # received | decided | disclosed
    receipt_number: str | None = None
    received_at: datetime | None = None
    decision: str | None = None  # disclose | not_disclose
    reason: str | None = None
    decided_at: datetime | None = None
    records: list[dict[str, Any]] | None = None


def _move(session: Session, request: CityRecordRequest, target: RequestState, tag: EventTag, *, actor: str,
          now: datetime, **details: Any) -> None:
    check_move(request.state, target)
    request.state = target.value
    request.updated_at = now
    session.add(request)
    audit.record(session, tag, actor=actor, subject=f"resident:{request.resident_id}", request=str(request.id),
                 **details)


def _accept(session: Session, request: CityRecordRequest, answer: Answer, *, actor: str, by: str,
            now: datetime) -> None:
    request.accepted_at = answer.received_at or now
    request.receipt_number = answer.receipt_number
    request.deadline_on = deadline_for(request.accepted_at)
    _move(session, request, S.ACCEPTED, EventTag.CITY_RECORDS_ACCEPTED, actor=actor, now=now, by=by,
          deadline=request.deadline_on.isoformat())


def apply(session: Session, request: CityRecordRequest, answer: Answer, *, by: str, actor: str,
          now: datetime) -> list[RequestState]:
    """Move the request as far as the answer takes it (several steps at once if the city went that far);
    the states passed through, in order. An answer that says less than the request already knows changes nothing."""
    passed: list[RequestState] = []
    if request.state == S.REQUESTED:
        # 受付 (a staff answer to a request the system never acknowledged is received and decided at once).
        _accept(session, request, answer, actor=actor, by=by, now=now)
        passed.append(S.ACCEPTED)
    if answer.status in ("decided", "disclosed") and request.state == S.ACCEPTED:
        request.decided_at = answer.decided_at or now
        request.answered_by = by
        if answer.decision == "not_disclose":
            request.decision_reason = answer.reason or NO_RECORD_REASON
            request.closed_at = now
            request.next_sync_at = None
            _move(session, request, S.DECIDED_NOT_DISCLOSE, EventTag.CITY_RECORDS_DECIDED, actor=actor, now=now,
                  by=by, decision="not_disclose")
            return [*passed, S.DECIDED_NOT_DISCLOSE]
        request.decision_reason = None
        _move(session, request, S.DECIDED_DISCLOSE, EventTag.CITY_RECORDS_DECIDED, actor=actor, now=now, by=by,
              decision="disclose")
        passed.append(S.DECIDED_DISCLOSE)
    if answer.status == "disclosed" and request.state == S.DECIDED_DISCLOSE and answer.records is not None:
        deliver(session, request, answer.records, actor=actor, by=by, now=now)
        passed.append(S.DELIVERED)
    return passed


def deliver(session: Session, request: CityRecordRequest, records: list[dict[str, Any]], *, actor: str, by: str,
            now: datetime) -> None:
    """開示: the checked records are held for the resident's review, with the 法30条 receipt record."""
    request.delivered_records = records
    request.delivered_count = len(records)
    request.delivered_at = now
    request.next_sync_at = None
    receipt = record_receipt(session, principal=f"resident:{request.resident_id}", source_key=SOURCE_KEY,
                             source=CITY_SOURCE, items=[ITEM_KEY], kept=False, basis=RECEIPT_BASIS,
                             request=str(request.id), receipt_number=request.receipt_number or "",
                             records=len(records), held_for="the resident's review")
    request.receipt_seq = receipt.seq
    _move(session, request, S.DELIVERED, EventTag.CITY_RECORDS_DELIVERED, actor=actor, now=now, by=by,
          records=len(records))
