"""A closed account's provision and receipt records keep what they say for three years (APPI 規則21条・24条), then the
daily `ledger.retention` job erases it; an open account's records are never erased (app/ledger/retention.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import select

from app.accounts import services as accounts
from app.accounts.models import Resident
from app.jobs import services as queue
from app.jobs.registry import load_registry
from app.ledger import jobs, retention
from app.ledger.services import history, verify_chain
from tests.factories.accounts import ResidentFactory
from tests.functional.data_imports.conftest import run_jobs  # noqa: F401  (fixture)
from tests.functional.ledger.test_history_pages import seed_history

THREE_YEARS_ON = timedelta(days=3 * 366 + 1)


@pytest.fixture(autouse=True)
def _in_the_app(app):  # type: ignore[no-untyped-def]
    with app.test_request_context():  # (closing an account queues its goodbye mail)
        yield


def _erased(db, principal: str) -> list[bool]:  # type: ignore[no-untyped-def]
    return [entry.payload is None for entry in history(db, principal)]


def test_three_years_on_a_closed_accounts_records_are_erased_and_an_open_accounts_are_not(db):  # type: ignore[no-untyped-def]
    closing, staying = ResidentFactory(), ResidentFactory()
    for resident in (closing, staying):
        seed_history(db, resident)  # receipt, provision, processing
    principal = closing.principal
    accounts.delete_account(db, resident=db.exec(select(Resident).where(Resident.id == closing.id)).one(), ip=None)
    db.flush()
    assert _erased(db, principal) == [False, True, False, False]  # deletion, processing, provision, receipt
    assert retention.erase_expired(db) == 0  # within their three years: kept
    with freeze_time(timedelta(days=3 * 366 - 3)):
        assert retention.erase_expired(db) == 0
    with freeze_time(THREE_YEARS_ON):
        assert retention.erase_expired(db) == 2
        assert retention.erase_expired(db) == 0  # (a rerun finds nothing)
    assert _erased(db, principal) == [False, True, True, True]  # the deletion record says what was done
    assert _erased(db, staying.principal) == [False, False, False]  # an open account keeps its history
    result = verify_chain(db, principal)
    assert result.ok and result.records == 4 and result.erased == 3


def test_a_record_past_its_three_years_is_erased_at_once_when_the_account_closes(db):  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    with freeze_time(-THREE_YEARS_ON):
        seed_history(db, resident)
    principal = resident.principal
    accounts.delete_account(db, resident=db.get(Resident, resident.id), ip=None)
    db.flush()
    assert _erased(db, principal) == [False, True, True, True]


def test_the_retention_is_a_daily_job_that_the_worker_runs(db, run_jobs):  # noqa: F811  # type: ignore[no-untyped-def]
    registry = load_registry()
    (task,) = [t for t in registry.periodic if t.kind == jobs.RETENTION_KIND]
    assert task.every == timedelta(days=1) and jobs.RETENTION_KIND in registry.handlers
    resident = ResidentFactory()
    seed_history(db, resident)
    accounts.delete_account(db, resident=db.get(Resident, resident.id), ip=None)
    db.flush()
    with freeze_time(THREE_YEARS_ON):
        queue.enqueue(db, jobs.RETENTION_KIND)
        db.flush()
        run_jobs()
    assert _erased(db, resident.principal) == [False, True, True, True]
