"""A5: a transfer with deletion at the source needs a fresh sign-in (≤ 5 minutes), as sending does
(`test_views.py::test_sending_needs_a_fresh_sign_in_and_comes_back_to_the_terms`). With a stale sign-in the POST is
sent to /reauth and nothing is asked of the old service, nothing erased, nothing recorded; the same POST within the
5 minutes does it, so the refusal is the step-up and not some other check."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlmodel import Session, select

from app.jobs.models import Job
from app.ledger.models import RecordKind
from app.ledger.services import history
from app.switching.models import JobState, TransferJob
from tests.conftest import csrf_token
from tests.factories.accounts import ResidentFactory
from tests.functional.switching.test_views import collected_values, connect_at_bank, job_for

STALE = timedelta(minutes=5, seconds=30)


def _deletions(db: Session, resident: Any) -> list[Any]:
    return list(history(db, resident.principal, kinds=[RecordKind.DELETION]))


def _verified_google_job(db: Session, resident: Any) -> TransferJob:
    connect_at_bank(db, resident, "google")
    values = collected_values()
    receipt = {"received_at": "2026-10-01T10:00:00+09:00", "items": values["manifest"]["items"], "counts": values["collected"]}
    return job_for(db, resident, JobState.VERIFIED, receipt=receipt, **values)


def _press(browser: FlaskClient, job: TransferJob, action: str) -> Any:
    page = f"/switching/jobs/{job.id}"
    return browser.post(
        f"{page}/{action}", headers={"Referer": f"http://localhost{page}"}, data={"csrf_token": csrf_token(browser, page)}
    )


def test_asking_the_old_service_to_delete_needs_a_fresh_sign_in(app: Any, db: Session, login: Any) -> None:
    resident = ResidentFactory()
    job = _verified_google_job(db, resident)
    browser = app.test_client()
    login(browser, resident, authenticated_ago=STALE)
    answer = _press(browser, job, "delete-at-source")
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/reauth?next=")
    db.refresh(job)
    assert job.deletion is None and job.state == JobState.VERIFIED
    assert not db.exec(select(Job).where(Job.started_by == resident.principal)).all()  # the worker is not asked
    assert _deletions(db, resident) == []
    login(browser, resident, authenticated_ago=timedelta(minutes=4))
    assert _press(browser, job, "delete-at-source").headers["Location"] == f"/switching/jobs/{job.id}"
    db.refresh(job)
    assert (job.deletion or {}).get("status") == "requested"
    assert len(db.exec(select(Job).where(Job.started_by == resident.principal)).all()) == 1
    assert len(_deletions(db, resident)) == 1


def test_erasing_the_banks_copy_of_an_upload_needs_a_fresh_sign_in(app: Any, db: Session, login: Any) -> None:
    resident = ResidentFactory()
    job = TransferJob(
        resident_id=resident.id,
        source="apple_health",
        destination="health-b",
        pattern=2,
        kinds=["workout"],
        format="health-b/1",
        state=JobState.VERIFIED,
        receipt={"received_at": "2026-10-01T10:00:00+09:00", "items": [], "counts": {}},
    )
    db.add(job)
    db.flush()
    browser = app.test_client()
    login(browser, resident, authenticated_ago=STALE)
    answer = _press(browser, job, "purge")
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/reauth?next=")
    db.refresh(job)
    assert job.deletion is None and job.state == JobState.VERIFIED and _deletions(db, resident) == []
    login(browser, resident, authenticated_ago=timedelta(minutes=4))
    assert _press(browser, job, "purge").headers["Location"] == f"/switching/jobs/{job.id}"
    db.refresh(job)
    assert job.state == JobState.COMPLETE and (job.deletion or {}).get("status") == "done"
    assert len(_deletions(db, resident)) == 1
