"""What 柏市's staff see and do in the municipal console: the requests residents addressed to 柏市 (state, deadline,
overdue), and answering them with a CSV file — all of a file or nothing of it, in one transaction.

Staff see what a resident sent to 柏市 (the mandate's name, birth date and address): the request is addressed to them.
Nothing else about the resident is shown.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from app import audit
from app.audit import EventTag
from app.catalog.models import CatalogService
from app.city_records import answers
from app.city_records.answers_csv import Problem, RequestAnswer, parse
from app.city_records.deadline import days_left, is_overdue
from app.city_records.models import AnsweredBy, CityRecordRequest
from app.city_records.states import ANSWERABLE, FINAL, RequestState
from app.db import utcnow
from app.household.ages import japan_today

S = RequestState
DECIDED = frozenset({S.DECIDED_DISCLOSE, S.DECIDED_NOT_DISCLOSE, S.DELIVERED, S.IMPORTED, S.DISCARDED})


@dataclass(frozen=True)
class StaffRow:
    request: CityRecordRequest
    overdue: bool
    days_left: int | None

    @property
    def answerable(self) -> bool:
        return self.request.request_state in ANSWERABLE


def overdue(request: CityRecordRequest, today: date | None = None) -> bool:
    return is_overdue(request.deadline_on, decided=request.request_state in DECIDED or request.state == S.CANCELED,
                      today=today)


def rows(session: Session, *, show: str = "open") -> list[StaffRow]:
    """Requests addressed to 柏市, oldest first; `show`: open (not final), overdue, or all."""
    statement = select(CityRecordRequest).order_by(col(CityRecordRequest.created_at))
    if show != "all":
        statement = statement.where(col(CityRecordRequest.state).not_in([s.value for s in FINAL | {S.DELIVERED}]))
    today = japan_today()
    found = [StaffRow(r, overdue(r, today), days_left(r.deadline_on, today)) for r in session.exec(statement)]
    return [row for row in found if row.overdue] if show == "overdue" else found


def answerable_ids(session: Session) -> list[uuid.UUID]:
    return list(session.exec(select(CityRecordRequest.id).where(col(CityRecordRequest.state).in_(
        [s.value for s in ANSWERABLE])).order_by(col(CityRecordRequest.created_at))))


def _check_requests(session: Session, parsed: list[RequestAnswer]) -> tuple[dict[uuid.UUID, CityRecordRequest],
                                                                               list[Problem]]:
    """Each request exists and may be answered (locked until the transaction ends), each record is in its period."""
    problems: list[Problem] = []
    ids = [answer.request_id for answer in parsed]
    found = {r.id: r for r in session.exec(select(CityRecordRequest).where(col(CityRecordRequest.id).in_(ids))
                                           .order_by(col(CityRecordRequest.id)).with_for_update()
                                           .execution_options(populate_existing=True))} if ids else {}
    for answer in parsed:
        request = found.get(answer.request_id)
        if request is None:
            problems.append(Problem(answer.first_line, "request_id", "unknown_request"))
        elif request.request_state not in ANSWERABLE:
            problems.append(Problem(answer.first_line, "request_id", "not_answerable"))
        else:
            problems += [Problem(line, "used_from", "outside_period") for record, line
                         in zip(answer.records, answer.record_lines, strict=True)
                         if not request.period_from <= date.fromisoformat(record["used_from"]) <= request.period_to]
    return found, problems


@dataclass(frozen=True)
class UploadResult:
    problems: list[Problem]
    answered: int = 0
    records: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def answer_file(session: Session, data: bytes, *, actor: str, ip: str | None = None) -> UploadResult:
    """Apply a staff member's CSV answers: every request of the file or none (a problem anywhere → nothing changes).
    Both outcomes are audited (counts only). Runs in the caller's transaction; a request that moved between the
    check and the change raises (the transaction rolls back)."""
    known = set(session.exec(select(CatalogService.id)))
    parsed, problems = parse(data, known_services=known)
    found: dict[uuid.UUID, CityRecordRequest] = {}
    if not problems:
        found, problems = _check_requests(session, parsed)
    if problems:
        problems = sorted(problems, key=lambda p: (p.line, p.column or ""))
        audit.record(session, EventTag.CITY_RECORDS_UPLOAD, actor=actor, ip=ip, accepted=False,
                     problems=len(problems))
        return UploadResult(problems)
    now = utcnow()
    records = 0
    for answer in parsed:
        request = found[answer.request_id]
        status = "disclosed" if answer.decision == "disclose" else "decided"
        answers.apply(session, request, answers.Answer(status=status, decision=answer.decision, reason=answer.reason,
                                                       records=answer.records or None, received_at=now,
                                                       decided_at=now),
                      by=AnsweredBy.CONSOLE, actor=actor, now=now)
        request.next_sync_at = None  # answered here: the worker no longer sends or polls it
        records += len(answer.records)
    audit.record(session, EventTag.CITY_RECORDS_UPLOAD, actor=actor, ip=ip, accepted=True, answered=len(parsed),
                 records=records)
    return UploadResult([], answered=len(parsed), records=records)
