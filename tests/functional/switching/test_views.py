"""The のりかえ wizard's pages through the Flask test client (app/switching/views.py): the steps and their stepper,
what a wrong choice says (a message in the resident's language, never a 500), the return to the wizard after
connecting a service (only to a path of the wizard), the new "keep at the old service" route (another resident's
job is 404) and the fresh sign-in before sending."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from app.switching import views, wizard
from app.switching.models import JobState, ServiceConnection, TransferJob
from tests.conftest import csrf_token
from tests.factories.accounts import ResidentFactory

CASE_I_KINDS = ["profile", "post", "comment", "interest"]
AUTHORIZE = "https://google.example.jp/authorize?state=s"


def page(browser: FlaskClient, path: str) -> str:
    answer = browser.get(path)
    assert answer.status_code == 200, (path, answer.status_code, answer.get_data(as_text=True)[:300])
    return answer.get_data(as_text=True)


def connect_at_bank(db: Session, resident: Any, *services: str) -> None:
    for service in services:
        db.add(ServiceConnection(resident_id=resident.id, service=service, access_token_sealed="sealed"))
    db.flush()


def job_for(db: Session, resident: Any, state: str, **values: Any) -> TransferJob:
    job = TransferJob(resident_id=resident.id, source="google", destination="blog-a", pattern=2, kinds=CASE_I_KINDS,
                      format="blog-a/1", state=state, **values)
    db.add(job)
    db.flush()
    return job


def collected_values() -> dict[str, Any]:
    taken = {"post": 2, "comment": 2, "profile": 1, "interest": 1}
    return {"staged_counts": {"taken": taken, "lost": {}, "bytes": dict.fromkeys(taken, 2048)}, "collected": taken,
            "manifest": {"items": [{"id": f"post:{n}", "sha256": "0" * 64} for n in range(6)]}}


def current_step(html: str) -> str:
    match = re.search(r'<li class="stepper__step[^"]*" aria-current="step">\s*<span class="stepper__number" '
                      r'aria-hidden="true">(\d)</span>', html)
    assert match, "no current step in the stepper"
    return match.group(1)


def flashed(browser: FlaskClient, answer: Any) -> str:
    """The page a 303 leads to (where the flashed message shows)."""
    assert answer.status_code == 303, answer.get_data(as_text=True)[:300]
    return page(browser, answer.headers["Location"])


# --- steps 1 to 3 ---------------------------------------------------------------------------------------------


def test_the_wizard_goes_one_decision_a_screen_with_its_stepper(hanako_browser: FlaskClient) -> None:
    first = page(hanako_browser, "/switching")
    assert 'href="/switching/new"' in first and "のりかえを始める" in first

    source = page(hanako_browser, "/switching/new")
    assert current_step(source) == "1" and "ステップ 1/8" in source
    assert 'name="source" value="google"' in source and 'name="source" value="apple_health"' in source

    destination = page(hanako_browser, "/switching/new?source=google")
    assert current_step(destination) == "2"
    assert 'value="blog-a"' in destination and 'value="tv-a"' in destination
    assert 'value="health-b"' not in destination  # it takes nothing of Google's: named, not offered

    kinds = page(hanako_browser, "/switching/new?source=google&destination=tv-a")
    assert current_step(kinds) == "2"
    ticked = set(re.findall(r'name="kinds" value="([a-z_]+)" checked', kinds))
    assert ticked == {"profile", "interest", "place_visit", "activity_segment"}  # case ii, what TV A can take
    assert 'value="post"' not in kinds and "移せません" in kinds  # posts: shown, not selectable

    connect = page(hanako_browser, "/switching/new?source=google&destination=blog-a&kinds=post&kinds=profile")
    assert current_step(connect) == "3" and "ステップ 3/8" in connect
    assert re.search(r'data-service="google" data-connected="false"', connect)
    assert 'name="pattern" value="2" checked' in connect and "<details" in connect
    assert 'action="/switching/jobs"' in connect and 'name="kinds" value="post"' in connect
    # The のりかえ tab leads back to this step (after an upload elsewhere, say).
    assert "/switching/new?source=google&amp;destination=blog-a&amp;kinds=profile&amp;kinds=post" in page(
        hanako_browser, "/switching")


def test_an_upload_source_shows_the_export_and_the_upload_page(hanako_browser: FlaskClient) -> None:
    html = page(hanako_browser, "/switching/new?source=apple_health&destination=health-b&kinds=workout")
    assert 'data-upload="none"' in html and 'href="/my-data/imports/"' in html
    assert 'data-service="google"' not in html and 'data-service="health-b"' in html


@pytest.mark.parametrize("path", [
    "/switching/new?source=myspace",
    "/switching/new?source=google&destination=nowhere",
    "/switching/new?source=google&destination=health-b",  # takes nothing of Google's
    "/switching/new?source=google&destination=blog-a&kinds=watch_event",  # Blog A cannot take it
    "/switching/new?source=google&destination=blog-a&kinds=secrets",
    "/switching/new?source=google&destination=blog-a&chosen=1",  # nothing ticked
])
def test_a_wrong_choice_in_the_wizard_is_a_message(hanako_browser: FlaskClient, path: str) -> None:
    answer = hanako_browser.get(path)
    html = flashed(hanako_browser, answer)
    assert 'class="toast toast--error"' in html or "toast--error" in html
    assert re.search(r"選んでください", html), html[:2000]


@pytest.mark.parametrize(("fields", "back"), [
    ({"source": "myspace", "destination": "blog-a", "kinds": ["post"]}, "/switching/new"),
    ({"source": "google", "destination": "nowhere", "kinds": ["post"]}, "/switching/new?source=google"),
    ({"source": "google", "destination": "blog-a", "kinds": ["secrets"]},
     "/switching/new?source=google&destination=blog-a"),
    ({"source": "google", "destination": "blog-a", "kinds": []}, "/switching/new?source=google&destination=blog-a"),
    ({"source": "google", "destination": "blog-a", "kinds": ["post"], "pattern": "²"},
     "/switching/new?source=google&destination=blog-a&kinds=post"),
    ({"source": "google", "destination": "blog-a", "kinds": ["post"], "pattern": "5"},
     "/switching/new?source=google&destination=blog-a&kinds=post"),
])
def test_a_start_with_a_wrong_field_is_a_message_and_starts_nothing(hanako_browser: FlaskClient, db: Session,
                                                                     hanako: Any, fields: dict[str, Any],
                                                                     back: str) -> None:
    connect_at_bank(db, hanako, "google", "blog-a")
    answer = hanako_browser.post("/switching/jobs", data={"csrf_token": csrf_token(hanako_browser, "/switching"),
                                                          **fields})
    assert answer.status_code == 303 and answer.headers["Location"] == back
    assert "toast--error" in page(hanako_browser, back)
    assert db.exec(select(TransferJob).where(TransferJob.resident_id == hanako.id)).first() is None


def test_a_start_without_the_connection_the_pattern_needs_says_which(hanako_browser: FlaskClient, db: Session,
                                                                     hanako: Any) -> None:
    connect_at_bank(db, hanako, "google")
    answer = hanako_browser.post("/switching/jobs", data={
        "csrf_token": csrf_token(hanako_browser, "/switching"), "source": "google", "destination": "blog-a",
        "kinds": ["post", "profile"]})
    assert "ブログサービスA" in flashed(hanako_browser, answer)
    assert db.exec(select(TransferJob).where(TransferJob.resident_id == hanako.id)).first() is None
    # Pattern 3 needs only Google (Blog A fetches by itself): it starts.
    started = hanako_browser.post("/switching/jobs", data={
        "csrf_token": csrf_token(hanako_browser, "/switching"), "source": "google", "destination": "blog-a",
        "kinds": ["post", "profile"], "pattern": "3"})
    job = db.exec(select(TransferJob).where(TransferJob.resident_id == hanako.id)).one()
    assert started.headers["Location"] == f"/switching/jobs/{job.id}"
    assert (job.pattern, job.kinds, job.state) == (3, ["profile", "post"], JobState.NEW)


def test_the_wizards_start_defaults_to_pattern_2(hanako_browser: FlaskClient, db: Session, hanako: Any) -> None:
    connect_at_bank(db, hanako, "google", "blog-a")
    answer = hanako_browser.post("/switching/jobs", data={
        "csrf_token": csrf_token(hanako_browser, "/switching"), "source": "google", "destination": "blog-a",
        "kinds": CASE_I_KINDS})
    job = db.exec(select(TransferJob).where(TransferJob.resident_id == hanako.id)).one()
    assert answer.headers["Location"] == f"/switching/jobs/{job.id}" and job.pattern == 2
    assert "/switching/new?" not in page(hanako_browser, "/switching")  # the draft is done with


def test_an_upload_start_without_an_export_is_a_message(hanako_browser: FlaskClient, db: Session,
                                                        hanako: Any) -> None:
    connect_at_bank(db, hanako, "health-b")
    answer = hanako_browser.post("/switching/jobs", data={
        "csrf_token": csrf_token(hanako_browser, "/switching"), "source": "apple_health", "destination": "health-b",
        "kinds": ["workout"]})
    assert "先に書き出しファイルを取り込んでください" in flashed(hanako_browser, answer)


# --- connecting, and coming back to the wizard -------------------------------------------------------------------


@pytest.fixture
def fake_oauth(monkeypatch: pytest.MonkeyPatch, hanako: Any) -> list[str]:
    """The service's sign-in and consent, skipped: the authorization starts and finishes at once."""
    saved: list[str] = []
    monkeypatch.setattr(views.oauth_client, "start_authorization", lambda provider, **kwargs: AUTHORIZE)
    monkeypatch.setattr(views.oauth_client, "finish_authorization", lambda provider, args: SimpleNamespace(
        intent=views.CONNECT, principal=hanako.principal, tokens=None))
    monkeypatch.setattr(views.remote, "save", lambda session, settings, resident, service, tokens: saved.append(service))
    return saved


def connect_and_return(browser: FlaskClient, next_value: str | None) -> str:
    data = {"csrf_token": csrf_token(browser, "/switching")}
    if next_value is not None:
        data["next"] = next_value
    started = browser.post("/switching/connect/google", data=data)
    assert started.status_code == 303 and started.headers["Location"] == AUTHORIZE
    back = browser.get("/switching/connect/google/callback?state=s&code=c")
    assert back.status_code == 303
    return str(back.headers["Location"])


WIZARD_STEP_3 = "/switching/new?source=google&destination=blog-a&kinds=post&kinds=profile"


def test_connecting_from_the_wizard_comes_back_to_its_step(hanako_browser: FlaskClient, fake_oauth: list[str]) -> None:
    assert connect_and_return(hanako_browser, WIZARD_STEP_3) == WIZARD_STEP_3
    assert fake_oauth == ["google"]
    assert connect_and_return(hanako_browser, None) == "/switching"  # the tab's own button: back to the tab


@pytest.mark.parametrize("target", [
    "https://evil.example.jp/switching/new",
    "//evil.example.jp/switching/new",
    "/\\evil.example.jp/switching",
    "/settings/email",
    "/switchingfoo",
    "/switching/new\r\nSet-Cookie: x=y",
    "javascript:alert(1)",
])
def test_a_return_to_off_site_or_outside_the_wizard_is_ignored(hanako_browser: FlaskClient, fake_oauth: list[str],
                                                               target: str) -> None:
    assert connect_and_return(hanako_browser, target) == "/switching"


def test_an_earlier_return_to_does_not_linger(hanako_browser: FlaskClient, fake_oauth: list[str]) -> None:
    hanako_browser.post("/switching/connect/google", data={"csrf_token": csrf_token(hanako_browser, "/switching"),
                                                           "next": WIZARD_STEP_3})
    assert connect_and_return(hanako_browser, "https://evil.example.jp/") == "/switching"


def test_return_path_accepts_only_the_wizards_paths() -> None:
    assert wizard.return_path("/switching") == "/switching"
    assert wizard.return_path(WIZARD_STEP_3) == WIZARD_STEP_3
    for target in (None, "", "switching", "/switching-evil", "http://localhost/switching", "/" + "x" * 2000):
        assert wizard.return_path(target) is None


# --- the job page: steps 4 to 8 ------------------------------------------------------------------------------------


def test_the_report_then_the_terms_on_their_own_step(hanako_browser: FlaskClient, db: Session, hanako: Any) -> None:
    job = job_for(db, hanako, JobState.COLLECTED, **collected_values())
    report = page(hanako_browser, f"/switching/jobs/{job.id}")
    assert current_step(report) == "4" and "移るもの・移らないもの" in report
    assert f'href="/switching/jobs/{job.id}?step=terms"' in report and "/deliver" not in report
    terms = page(hanako_browser, f"/switching/jobs/{job.id}?step=terms")
    assert current_step(terms) == "5" and f'action="/switching/jobs/{job.id}/deliver"' in terms
    assert 'name="terms" value="2026-10"' in terms and "/terms" in terms


@pytest.mark.parametrize("state", [JobState.DELIVERING, JobState.VERIFYING, JobState.READY, JobState.PAUSED])
def test_a_running_transfer_checks_again_by_itself(hanako_browser: FlaskClient, db: Session, hanako: Any,
                                                   state: str) -> None:
    job = job_for(db, hanako, state, **collected_values())
    html = page(hanako_browser, f"/switching/jobs/{job.id}")
    assert current_step(html) == "7" and "アプリを閉じても続きます" in html
    assert 'hx-trigger="every 3s"' in html and f'hx-get="/switching/jobs/{job.id}"' in html
    assert '<meta http-equiv="refresh"' in html  # and without JavaScript
    fragment = hanako_browser.get(f"/switching/jobs/{job.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith("<div class=\"stepper\">") or 'id="transfer"' in fragment
    assert "<html" not in fragment


def test_a_verified_transfer_offers_to_delete_or_keep(hanako_browser: FlaskClient, db: Session, hanako: Any) -> None:
    connect_at_bank(db, hanako, "google")
    values = collected_values()
    receipt = {"received_at": "2026-10-01T10:00:00+09:00", "items": values["manifest"]["items"],
               "counts": values["collected"]}
    job = job_for(db, hanako, JobState.VERIFIED, receipt=receipt,
                  contracts={"destination_terms": {"service": "blog-a", "version": "2026-10",
                                                   "accepted_at": "2026-10-01T09:59:00+09:00"}}, **values)
    html = page(hanako_browser, f"/switching/jobs/{job.id}")
    assert current_step(html) == "8" and "hx-trigger" not in html
    assert f'action="/switching/jobs/{job.id}/delete-at-source"' in html
    assert f'action="/switching/jobs/{job.id}/keep"' in html
    assert "2026-10版" in html and "6 件を受け取りました" in html


def test_deleting_where_the_old_service_pushed_by_itself_asks_to_connect_it_first(hanako_browser: FlaskClient,
                                                                                 db: Session, hanako: Any) -> None:
    """Pattern 4: Google sent by itself, so Azukari holds no permission there to ask it to delete."""
    values = collected_values()
    receipt = {"received_at": "2026-10-01T10:00:00+09:00", "items": values["manifest"]["items"],
               "counts": values["collected"]}
    job = job_for(db, hanako, JobState.VERIFIED, receipt=receipt, **values)
    html = page(hanako_browser, f"/switching/jobs/{job.id}")
    assert f'action="/switching/jobs/{job.id}/delete-at-source"' not in html
    assert 'action="/switching/connect/google"' in html and f'value="/switching/jobs/{job.id}"' in html
    assert f'action="/switching/jobs/{job.id}/keep"' in html  # keeping needs nothing


def test_keeping_the_data_at_the_old_service_completes_the_switch(hanako_browser: FlaskClient, db: Session,
                                                                  hanako: Any) -> None:
    job = job_for(db, hanako, JobState.VERIFIED, **collected_values())
    token = csrf_token(hanako_browser, f"/switching/jobs/{job.id}")
    answer = hanako_browser.post(f"/switching/jobs/{job.id}/keep", data={"csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"] == f"/switching/jobs/{job.id}"
    db.refresh(job)
    assert job.state == JobState.COMPLETE and (job.deletion or {}).get("status") == "kept"
    html = page(hanako_browser, answer.headers["Location"])
    assert "Google にデータを残します。のりかえは完了です。" in html and "Google にデータを残すことを選びました" in html
    assert current_step(html) == "8" and "/delete-at-source" not in html and "/keep" not in html
    # Pressed again (a second tab): the switch is no longer at that step; a message, not a 500.
    again = hanako_browser.post(f"/switching/jobs/{job.id}/keep", data={"csrf_token": token})
    assert again.status_code == 303 and "toast--error" in page(hanako_browser, again.headers["Location"])


def test_an_upload_can_still_be_confirmed_deleted_on_the_device_once_complete(hanako_browser: FlaskClient,
                                                                              db: Session, hanako: Any) -> None:
    job = TransferJob(resident_id=hanako.id, source="apple_health", destination="health-b", pattern=2,
                      kinds=["workout"], format="health-b/1", state=JobState.COMPLETE,
                      deletion={"status": "done", "by": "bank", "certificate_id": "cert-123",
                                "erased": {"import_rows": 8, "staged_items": 0},
                                "deleted_at": "2026-10-01T10:00:00+09:00"},
                      staged_counts={"taken": {"workout": 2}, "lost": {}, "bytes": {"workout": 100}})
    db.add(job)
    db.flush()
    html = page(hanako_browser, f"/switching/jobs/{job.id}")
    assert "cert-123" in html and "書き出しのデータ 8 件" in html and "/purge" not in html
    answer = hanako_browser.post(f"/switching/jobs/{job.id}/confirm-deleted",
                                 data={"csrf_token": csrf_token(hanako_browser, f"/switching/jobs/{job.id}")})
    assert answer.status_code == 303
    db.refresh(job)
    assert job.deletion["resident_confirmed_at"] and "本人の申告です" in page(hanako_browser, f"/switching/jobs/{job.id}")


def test_after_an_upload_azukaris_copy_can_be_kept_too(hanako_browser: FlaskClient, db: Session,
                                                      hanako: Any) -> None:
    job = TransferJob(resident_id=hanako.id, source="apple_health", destination="health-b", pattern=2,
                      kinds=["workout"], format="health-b/1", state=JobState.VERIFIED,
                      receipt={"received_at": "2026-10-01T10:00:00+09:00", "items": [], "counts": {"workout": 2}},
                      staged_counts={"taken": {"workout": 2}, "lost": {}, "bytes": {"workout": 100}})
    db.add(job)
    db.flush()
    html = page(hanako_browser, f"/switching/jobs/{job.id}")
    assert f'action="/switching/jobs/{job.id}/purge"' in html and f'action="/switching/jobs/{job.id}/keep"' in html
    answer = hanako_browser.post(f"/switching/jobs/{job.id}/keep",
                                 data={"csrf_token": csrf_token(hanako_browser, f"/switching/jobs/{job.id}")})
    db.refresh(job)
    assert answer.status_code == 303 and job.state == JobState.COMPLETE and job.deletion["status"] == "kept"
    html = page(hanako_browser, answer.headers["Location"])
    assert "Azukari は書き出しデータの保管を続けます" in html and "/purge" not in html
    assert "/confirm-deleted" in html  # deleting on the device is still hers to say


def test_a_failed_deletion_after_the_contract_ended_can_be_asked_again(hanako_browser: FlaskClient, db: Session,
                                                                        hanako: Any) -> None:
    job = job_for(db, hanako, JobState.SOURCE_CONTRACT_ENDED, deletion={"status": "failed", "by": "source",
                                                                        "error": "http_500"}, **collected_values())
    html = page(hanako_browser, f"/switching/jobs/{job.id}")
    assert f'action="/switching/jobs/{job.id}/delete-at-source"' in html and "hx-trigger" not in html


def test_another_residents_job_is_not_found_for_keep(hanako_browser: FlaskClient, db: Session,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[Any] = []
    monkeypatch.setattr(views.deletion, "keep_at_source", lambda *args: called.append(args), raising=False)
    someone_else = ResidentFactory()
    theirs = job_for(db, someone_else, JobState.VERIFIED, **collected_values())
    token = csrf_token(hanako_browser, "/switching")
    assert hanako_browser.post(f"/switching/jobs/{theirs.id}/keep", data={"csrf_token": token}).status_code == 404
    assert hanako_browser.post(f"/switching/jobs/{uuid.uuid4()}/keep", data={"csrf_token": token}).status_code == 404
    assert hanako_browser.get(f"/switching/jobs/{theirs.id}").status_code == 404
    assert called == []


def test_a_stopped_transfer_says_why_and_how_to_start_again(hanako_browser: FlaskClient, db: Session,
                                                            hanako: Any) -> None:
    job = job_for(db, hanako, JobState.FAILED, error="receipt_mismatch", **collected_values())
    html = page(hanako_browser, f"/switching/jobs/{job.id}")
    assert "受領証が Azukari の送った内容と一致しない" in html
    assert ('href="/switching/new?source=google&amp;destination=blog-a&amp;kinds=profile&amp;kinds=post&amp;'
            'kinds=comment&amp;kinds=interest"') in html


def test_sending_needs_a_fresh_sign_in_and_comes_back_to_the_terms(app: Any, db: Session, login: Any) -> None:
    resident = ResidentFactory()
    browser = app.test_client()
    login(browser, resident, authenticated_ago=timedelta(minutes=30))
    job = job_for(db, resident, JobState.COLLECTED, **collected_values())
    terms_page = f"/switching/jobs/{job.id}?step=terms"
    answer = browser.post(f"/switching/jobs/{job.id}/deliver", headers={"Referer": f"http://localhost{terms_page}"},
                          data={"csrf_token": csrf_token(browser, terms_page), "terms": "2026-10"})
    assert answer.status_code == 303 and answer.headers["Location"].startswith("/reauth?next=")
    assert "step%3Dterms" in answer.headers["Location"]
    db.refresh(job)
    assert job.state == JobState.COLLECTED and job.contracts is None  # nothing was accepted or sent
