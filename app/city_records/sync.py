"""The worker's side: send each mandate to 柏市's system, poll for its answer with a growing interval, and tell 柏市
of a cancellation — with backoff while 柏市 cannot be reached, so a request is never lost.

The request row is the source of truth: `next_sync_at` says when it next needs the worker (None: nothing to do).
A step first *claims* the request (an UPDATE that moves `next_sync_at` a lease ahead, only if it is due) and commits,
so no transaction is open while 柏市 is waited on and no second worker takes the same step; then it calls 柏市, and
applies the answer under the row's lock, checking the request did not move meanwhile (a cancellation). Each
scheduled step is also a job (`city_records.sync`, unique per request and time), and a sweep every ten minutes runs
any step whose job was lost: a killed worker's job is taken up again by the queue, and the row says what is left.

The PROVISION record of what the mandate gives 柏市 is written when the request is made (`services.start`), in the
same transaction: from that moment 柏市's staff can see it in their console, and the worker sends it after the commit.
"""

from __future__ import annotations

import logging
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app import audit
from app.audit import EventTag
from app.city_records import answers, usage
from app.city_records.city_api import CityAnswer, CityApi, CityError
from app.city_records.models import AnsweredBy, CityRecordRequest
from app.city_records.states import WAITING_FOR_CITY, RequestState
from app.config import Settings
from app.db import utcnow
from app.jobs.services import enqueue

log = logging.getLogger(__name__)

KIND = "city_records.sync"
SWEEP_KIND = "city_records.sweep"
WITHDRAW_KIND = "city_records.withdraw"
ACTOR = "worker:kashiwa-city"
CLAIM = timedelta(minutes=2)  # longer than any call to 柏市 (the outbound timeout is seconds)
POLL_INTERVALS = (5, 15, 60, 300, 900, 3600)  # seconds after 受付, then hourly
BACKOFF_BASE, BACKOFF_CAP = 10, 3600
S = RequestState


def schedule(session: Session, request: CityRecordRequest, at: datetime) -> None:
    """The request needs the worker at `at`: set it on the row and queue the job (in the caller's transaction)."""
    request.next_sync_at = at
    session.add(request)
    enqueue(session, KIND, {"request_id": str(request.id)}, run_at=at, started_by=f"resident:{request.resident_id}",
            unique_key=f"{KIND}:{request.id}@{at.timestamp():.3f}", max_attempts=5)


def poll_delay(polls: int) -> timedelta:
    return timedelta(seconds=POLL_INTERVALS[min(polls, len(POLL_INTERVALS) - 1)])


def backoff(failures: int) -> timedelta:
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, failures - 1))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


def _claim(session: Session, request_id: uuid.UUID, now: datetime) -> bool:
    result = session.execute(sa.update(CityRecordRequest)
                             .where(col(CityRecordRequest.id) == request_id, col(CityRecordRequest.next_sync_at) <= now)
                             .values(next_sync_at=now + CLAIM))
    session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _locked(session: Session, request_id: uuid.UUID) -> CityRecordRequest:
    return session.exec(select(CityRecordRequest).where(CityRecordRequest.id == request_id).with_for_update()
                        .execution_options(populate_existing=True)).one()


def sync_one(session: Session, settings: Settings, request_id: uuid.UUID, *, api: CityApi | None = None,
             now: datetime | None = None) -> str:
    """Take the request's next step if it is due; what happened ("not_due", "sent", "polled", "told", "failed" …)."""
    now = now or utcnow()
    if not _claim(session, request_id, now):
        return "not_due"
    request = _locked(session, request_id)
    state = request.state
    if state not in WAITING_FOR_CITY and not (state == S.CANCELED and request.city_told_at is None):
        request.next_sync_at = None
        session.commit()
        return "nothing"
    session.commit()  # no lock is held while 柏市 is waited on
    api = api or CityApi(settings)
    try:
        if state == S.CANCELED:
            api.withdraw(request_id)
            answer = None
        elif state == S.REQUESTED:
            answer = api.send(request_id, request.mandate_jws)
        else:
            answer = api.status(request_id)
        outcome = _apply(session, request_id, state, answer, now)
    except (CityError, usage.RecordProblem) as error:
        session.rollback()
        _failed(session, request_id, state, error, now)
        outcome = "failed"
    session.commit()
    return outcome


def _apply(session: Session, request_id: uuid.UUID, state: str, answer: CityAnswer | None, now: datetime) -> str:
    request = _locked(session, request_id)
    if request.state != state:  # the resident canceled while 柏市 was being asked: their schedule stands
        return "moved"
    request.sync_failures, request.last_sync_error, request.last_synced_at = 0, None, utcnow()
    subject = f"resident:{request.resident_id}"
    if answer is None:  # the withdrawal reached 柏市
        request.city_told_at, request.next_sync_at = utcnow(), None
        session.add(request)
        audit.record(session, EventTag.CITY_RECORDS_CITY_TOLD, actor=ACTOR, subject=subject, request=str(request_id))
        return "told"
    if state == S.REQUESTED and request.sent_at is None:
        request.sent_at = now
        audit.record(session, EventTag.CITY_RECORDS_SENT, actor=ACTOR, subject=subject, request=str(request_id))
    if answer.status == "withdrawn":
        raise CityError("柏市 reports the request withdrawn, but it was not canceled here")
    records = None
    if answer.status == "disclosed":
        # A service id the catalogue does not have (yet) is kept and shown by its id; the CSV of the console is stricter.
        records = usage.clean_records(answer.records or [], period=(request.period_from, request.period_to))
    passed = answers.apply(session, request, answers.Answer(
        status=answer.status, receipt_number=answer.receipt_number, received_at=answer.received_at,
        decision=answer.decision, reason=answer.reason, decided_at=answer.decided_at, records=records),
        by=AnsweredBy.SYSTEM, actor=ACTOR, now=utcnow())
    if request.state in WAITING_FOR_CITY:
        request.polls = 0 if passed else request.polls + 1
        schedule(session, request, utcnow() + poll_delay(request.polls))
    session.add(request)
    return "sent" if state == S.REQUESTED else "polled"


def _failed(session: Session, request_id: uuid.UUID, state: str, error: Exception, now: datetime) -> None:
    """柏市 could not be reached or answered nonsense: the request stays as it is and is tried again later."""
    request = _locked(session, request_id)
    log.warning("city records request %s: %s", request_id, error)
    request.sync_failures += 1
    request.last_sync_error = str(error)[:300] or type(error).__name__
    request.last_synced_at = utcnow()
    if request.state == state:
        schedule(session, request, utcnow() + backoff(request.sync_failures))
    session.add(request)


def due_ids(session: Session, now: datetime, *, grace: timedelta = timedelta(minutes=1), limit: int = 200) -> list[Any]:
    """Requests whose step is overdue (its job lost or failed): the sweep takes them."""
    return list(session.exec(select(CityRecordRequest.id).where(col(CityRecordRequest.next_sync_at) <= now - grace)
                             .order_by(col(CityRecordRequest.next_sync_at)).limit(limit)))
