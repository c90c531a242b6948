# ruff: noqa: F811  (the pytest fixtures imported below are the tests' parameters)
"""B5: a 要配慮 item never reaches a recipient without the resident's explicit consent to that item — on any path.

The paths out of the bank for health data: a recipient's `/api/v1/me` (ヘルスケアアプリB is registered for its transfer
offer, which holds `ecg`), and a transfer to health-b, whose items the consent door stages from the stored export
(`stage_from_import`) and releases (`release`). Each is tried here with the resident's Apple Health export stored
*with* its 要配慮 items (an ECG, a clinical record, an irregular-rhythm notification):

- `/me` refuses a 要配慮 item even when the token's scope names it (no client can be registered for one; a planted
  scope stands for a bug or an older registration) and even when the resident consented to it with the box ticked;
- staging never hands over a 要配慮 record filed under an ordinary item (the irregular-rhythm notification is a
  `health_record`, whose item `health_records` is ordinary): the door withholds it, whatever the format would do;
- release gives out an `ecg` item only under a live `ecg` consent, which only the box and a fresh login make.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlmodel import Session, select

from app.consent import decisions, transfers
from app.consent.catalogue import OfferView
from app.ledger.models import RecordKind
from app.ledger.services import history
from app.oauth.models import OAuthToken
from app.switching.models import JobState, TransferItem, TransferJob
from tests.factories.accounts import ResidentFactory
from tests.factories.exports import export_zip
from tests.functional.data_imports.conftest import run_jobs, upload_whole  # noqa: F401  (fixture)
from tests.functional.oauth.conftest import RecipientSystem, allow, new_key, redirect_params
from tests.functional.switching.conftest import register

HEALTH_B = ("health_app_b", "transfer_health")
HEALTH_REDIRECT = "https://health-b.example.jp/azukari/callback"
SENSITIVE_TYPE = "HKCategoryTypeIdentifierIrregularHeartRhythmEvent"


@pytest.fixture
def resident(db: Session) -> Any:
    return ResidentFactory()


@pytest.fixture
def stored_export(app, db, resident, login, csrf, run_jobs) -> uuid.UUID:  # type: ignore[no-untyped-def]
    """The resident's Apple Health export, stored with its 要配慮 items (she ticked the box on the upload page)."""
    browser = app.test_client()
    login(browser, resident)
    state = upload_whole(browser, csrf(browser, "/my-data/imports/"), export_zip(), keep_sensitive=True)
    run_jobs()
    return uuid.UUID(state["id"])


def _consent(app, db, settings, resident, view: OfferView, items: list[str], *, special: bool = False) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        decisions.grant(db, settings, resident=resident, view=view, items=items, special_confirmed=special)
        db.flush()


@pytest.fixture
def health_b(app, db, settings, offers) -> RecipientSystem:  # type: ignore[no-untyped-def]
    key = new_key()
    with app.app_context():
        register(db, "health-b", key, *HEALTH_B, ["health_records", "health_score"], HEALTH_REDIRECT)
    return RecipientSystem("health-b", key, settings.public_url.rstrip("/"), app.test_client(), redirect_uri=HEALTH_REDIRECT)


def test_the_resource_api_never_serves_a_special_care_item(
    app,
    db,
    settings,
    offers,
    resident,
    login,
    health_b,
    stored_export,
) -> None:
    browser = app.test_client()
    login(browser, resident)
    params = redirect_params(
        allow(browser, health_b.authorize_url(scope="health_records health_score"), ["health_records", "health_score"])
    )
    access = health_b.exchange(params["code"]).get_json()["access_token"]
    assert health_b.me(access, items="ecg").status_code == 403  # not in the scope: refused as any item would be
    _consent(app, db, settings, resident, offers[HEALTH_B], ["ecg"], special=True)  # her explicit consent to ECG
    for token in db.exec(select(OAuthToken)):  # the scope a bug (or an older registration) could have left
        token.scope = token.scope + " ecg"
        db.add(token)
    db.flush()
    refused = health_b.me(access, items="ecg")
    assert refused.status_code == 403 and refused.get_json()["error"] == "insufficient_scope"
    everything = health_b.me(access)  # no `items`: every item of the token's scope
    assert everything.status_code == 200 and set(everything.get_json()["items"]) == {"health_records", "health_score"}
    provided = [e.payload["items"] for e in history(db, resident.principal, kinds=[RecordKind.PROVISION])]
    assert provided == [["health_records", "health_score"]]


@pytest.mark.parametrize("ecg_consented", [False, True], ids=["ordinary-consent", "with-ecg-consent"])
def test_staging_for_health_b_withholds_special_care_records_filed_under_an_ordinary_item(  # type: ignore[no-untyped-def]
    app, db, settings, offers, resident, stored_export, ecg_consented
) -> None:
    _consent(app, db, settings, resident, offers[HEALTH_B], ["health_records"])
    if ecg_consented:
        _consent(app, db, settings, resident, offers[HEALTH_B], ["ecg"], special=True)
    handed: list[dict[str, Any]] = []
    counts = transfers.stage_from_import(
        db,
        resident=resident,
        import_id=stored_export,
        recipient=HEALTH_B[0],
        purpose=HEALTH_B[1],
        kinds=["health_record", "workout", "activity_summary", "ecg", "clinical_record"],
        stage=handed.extend,
    )
    assert handed and counts["health_record"] >= 1
    assert [item for item in handed if item.get("sensitive") or item.get("type") == SENSITIVE_TYPE] == []
    assert {item["kind"] for item in handed} <= {"health_record", "workout", "activity_summary"}
    processing = history(db, resident.principal, kinds=[RecordKind.PROCESSING])[0].payload
    assert processing["converted_for"] == HEALTH_B[0] and "ecg" not in processing["items"]


@pytest.mark.parametrize("ecg_consented", [False, True], ids=["ordinary-consent", "with-ecg-consent"])
def test_a_staged_ecg_leaves_only_under_its_own_consent(app, db, settings, offers, resident, ecg_consented) -> None:  # type: ignore[no-untyped-def]
    """The release door on its own: an ECG staged for health-b (no format takes one today) is released only when
    the resident consented to `ecg` itself; `health_records` is not enough."""
    _consent(app, db, settings, resident, offers[HEALTH_B], ["health_records"])
    if ecg_consented:
        _consent(app, db, settings, resident, offers[HEALTH_B], ["ecg"], special=True)
    job = TransferJob(
        resident_id=resident.id,
        source="apple_health",
        destination="health-b",
        pattern=2,
        kinds=["health_record", "ecg"],
        format="health-b/1",
        state=JobState.DELIVERING,
    )
    db.add(job)
    db.flush()
    db.add_all(
        [
            TransferItem(
                job_id=job.id, item_id="health_record:1", kind="health_record", sha256="0" * 64, body='{"metric":"steps"}'
            ),
            TransferItem(job_id=job.id, item_id="ecg:1", kind="ecg", sha256="1" * 64, body='{"samples":[1]}'),
        ]
    )
    db.flush()
    released = transfers.release(db, resident=resident, job_id=job.id, recipient=HEALTH_B[0], purpose=HEALTH_B[1])
    assert {item.kind for item in released} == ({"health_record", "ecg"} if ecg_consented else {"health_record"})
    record = history(db, resident.principal, kinds=[RecordKind.PROVISION])[0].payload
    assert record["withheld"] == ([] if ecg_consented else ["ecg"])
    assert ("ecg" in record["items"]) is ecg_consented


def test_an_ecg_consent_needs_the_box(app, db, settings, offers, resident) -> None:  # type: ignore[no-untyped-def]
    """Every path that grants (the consent pages, the OAuth consent screen, a transfer's agree step) goes through
    `decisions.grant`, which refuses a 要配慮 item without the box."""
    with app.test_request_context(), pytest.raises(decisions.SpecialCareNotConfirmed):
        decisions.grant(db, settings, resident=resident, view=offers[HEALTH_B], items=["health_records", "ecg"])
