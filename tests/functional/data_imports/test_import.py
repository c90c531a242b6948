"""The read in the worker: what is stored (and what is withheld as 要配慮), the summary the resident sees, the
ledger records, duplicates flagged in SQL, a refused export leaving nothing, a killed worker resumed, cancel and
delete."""

from __future__ import annotations

import json
import uuid
import zipfile

import pytest
from sqlmodel import select

from app.data_imports import services
from app.data_imports.models import (
    DataImport,
    HealthActivitySummary,
    HealthDocument,
    HealthRecord,
    HealthWorkout,
    ImportStatus,
)
from app.jobs.models import Job
from app.ledger.models import RecordKind
from app.ledger.services import history
from tests.factories.accounts import ResidentFactory
from tests.factories.exports import EXPORT_XML, FOUND, SENSITIVE, export_zip
from tests.functional.data_imports.conftest import upload_whole

pytestmark = pytest.mark.usefixtures("loaded_catalogue")


def _records(db, import_id):  # type: ignore[no-untyped-def]
    return db.exec(select(HealthRecord).where(HealthRecord.import_id == import_id).order_by(HealthRecord.id)).all()


def test_an_upload_is_read_by_the_worker_and_summarised(client, db, login, csrf, run_jobs, settings) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login(client, resident)
    state = upload_whole(client, csrf(client, "/my-data/imports/"), export_zip())
    assert run_jobs() == 1
    data_import = db.get(DataImport, uuid.UUID(state["id"]))
    db.refresh(data_import)
    assert data_import.status == ImportStatus.DONE
    summary = data_import.summary
    assert summary["counts"] == FOUND
    # Without the 要配慮 choice: the ECG, the clinical record and the irregular-rhythm notification are left out.
    assert summary["withheld"] == SENSITIVE
    assert summary["stored"] == {kind: n - SENSITIVE.get(kind, 0) for kind, n in FOUND.items() if n - SENSITIVE.get(kind, 0)}
    records = _records(db, data_import.id)
    assert len(records) == FOUND["health_record"] - 1 and not any(r.sensitive for r in records)
    assert db.exec(select(HealthDocument).where(HealthDocument.import_id == data_import.id)).all() == []
    # The Watch counted the same steps as the iPhone: the later row is flagged, nothing is dropped.
    steps = [r for r in records if r.type == "HKQuantityTypeIdentifierStepCount"]
    assert [r.duplicate for r in steps] == [False, True]
    # The blood pressure inside the Correlation is not counted twice: only the top-level record is stored.
    assert len([r for r in records if r.type.endswith("BloodPressureSystolic")]) == 1
    distance = next(r for r in records if r.type.endswith("DistanceWalkingRunning"))
    assert (distance.value_num, distance.unit, distance.raw_value, distance.raw_unit) == (900.0, "m", "0.9", "km")
    assert distance.start == "2026-11-19T08:00:00+09:00"
    sleep = next(r for r in records if r.type.endswith("SleepAnalysis"))
    assert (sleep.value_num, sleep.value_text, sleep.family) == (None, "HKCategoryValueSleepAnalysisAsleepCore", "category")
    workout = db.exec(select(HealthWorkout).where(HealthWorkout.import_id == data_import.id)).one()
    assert (workout.duration_s, workout.total_distance_m, workout.total_energy_kcal) == (1800.0, 2100.0, 110.0)
    route = workout.details["routes"][0]
    assert route["archive_path"] == "apple_health_export/workout-routes/route_2026-11-19_6.00pm.gpx"
    assert [p["time"] for p in route["locations"]] == ["2026-11-19T09:00:00+00:00", "2026-11-19T09:00:05+00:00"]
    day = db.exec(select(HealthActivitySummary).where(HealthActivitySummary.import_id == data_import.id)).one()
    assert (day.date, day.active_energy_kcal, day.stand_hours) == ("2026-11-19", 320.5, 9.0)
    assert data_import.profile["date_of_birth"] == "1991-06-15"
    # The upload file is gone once read.
    assert not services.upload_path(settings.instance_path, data_import.id).exists()

    # The ledger: one PROCESSING record, in the resident's chain, naming what was kept.
    entries = history(db, resident.principal, kinds=[RecordKind.PROCESSING])
    assert [e.payload["action"] for e in entries] == ["data_imports.imported"]
    assert entries[0].payload["items"] == ["health_records"]

    page = client.get(f"/my-data/imports/{data_import.id}").get_data(as_text=True)
    for text in ("保管しました", "歩数", "心拍数", "花子のApple Watch", "要配慮", "2026年11月18日", "心電図"):
        assert text in page, text
    my_data = client.get("/my-data").get_data(as_text=True)
    assert "export.zip" in my_data and f"/my-data/imports/{data_import.id}" in my_data


def test_special_care_items_are_kept_and_marked_when_the_resident_says_so(client, db, login, csrf, run_jobs) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login(client, resident)
    state = upload_whole(client, csrf(client, "/my-data/imports/"), export_zip(), keep_sensitive=True)
    run_jobs()
    data_import = db.get(DataImport, uuid.UUID(state["id"]))
    db.refresh(data_import)
    assert data_import.summary["withheld"] == {} and data_import.summary["stored"]["ecg"] == 1
    documents = db.exec(select(HealthDocument).where(HealthDocument.import_id == data_import.id)
                        .order_by(HealthDocument.kind)).all()
    assert [(d.kind, d.sensitive) for d in documents] == [("clinical_record", True), ("ecg", True)]
    ecg = documents[1].body
    assert (ecg["classification"], ecg["sample_rate_hz"], ecg["samples"]) == ("Sinus Rhythm", 512.0, [-12.345, -10.2, 8.75])
    assert "Name" not in str(ecg) and "柏の葉 花子" not in str(ecg)  # the name line is not kept
    assert [r.type for r in _records(db, data_import.id) if r.sensitive] == ["HKCategoryTypeIdentifierIrregularHeartRhythmEvent"]
    payload = history(db, resident.principal, kinds=[RecordKind.PROCESSING])[0].payload
    assert payload["items"] == ["clinical_records", "ecg", "health_records"]


@pytest.mark.parametrize(("body", "code", "message"), [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n", "not_zip", "zip アーカイブでも"),
    (b"date,steps\n2026-11-01,8000\n", "not_supported", "読み込める書き出しではありません"),
    (export_zip()[:900], "corrupt", "壊れているか"),
    # A second DOCTYPE after the first (which the reader removes) must not reach the parser either.
    (export_zip(xml=EXPORT_XML.replace("<HealthData locale", '<!DOCTYPE x [<!ENTITY e "a">]><HealthData locale')
                .replace('value="1200"/>', 'value="&e;"/>', 1)), "entity", "エンティティ"),
    (export_zip(xml=EXPORT_XML.replace("<HealthData locale", '<!-- <a --><!DOCTYPE x [<!ENTITY e "a">]><HealthData locale')
                .replace('value="1200"/>', 'value="&e;"/>', 1)), "entity", "エンティティ"),
    (export_zip(xml=EXPORT_XML[: len(EXPORT_XML) // 2]), "xml", "壊れているか"),
], ids=["pdf", "csv", "truncated-zip", "second-doctype", "doctype-after-comment", "truncated-xml"])
def test_a_refused_export_leaves_nothing_and_says_why(client, db, login, csrf, run_jobs, body, code, message) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login(client, resident)
    state = upload_whole(client, csrf(client, "/my-data/imports/"), body)
    run_jobs()
    data_import = db.get(DataImport, uuid.UUID(state["id"]))
    db.refresh(data_import)
    assert (data_import.status, data_import.error_code) == (ImportStatus.FAILED, code)
    assert _records(db, data_import.id) == []
    assert db.get(Job, data_import.job_id).status == "failed"
    assert history(db, resident.principal, kinds=[RecordKind.PROCESSING]) == []
    page = client.get(f"/my-data/imports/{data_import.id}").get_data(as_text=True)
    assert message in page and "保管していません" in page


def test_a_worker_killed_between_batches_is_resumed_without_doubles(db, settings) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    path = settings.instance_path / "kill-test.zip"
    path.write_bytes(export_zip())
    data_import = services.new_local_import(db, resident, path, keep_sensitive=True)
    db.commit()
    checkpoints: list[int] = []

    class Killed(Exception):
        pass

    def killed_after_first_batch(step: services.Step) -> None:
        db.commit()
        checkpoints.append(step.items)
        raise Killed()

    with pytest.raises(Killed):
        services.run_import(db, data_import, path, step=killed_after_first_batch, batch=3, commit_every=3)
    assert len(_records(db, data_import.id)) == 3  # the first batch was committed with its checkpoint
    summary = services.run_import(db, data_import, path, step=lambda _s: db.commit(), batch=3, commit_every=3,
                                  resume_after=checkpoints[0])
    db.commit()
    assert summary.counts == FOUND
    assert len(_records(db, data_import.id)) == FOUND["health_record"]
    assert data_import.status == ImportStatus.DONE and data_import.summary["stored"]["health_record"] == 7


def test_cancel_discards_and_delete_removes_everything_with_a_ledger_record(client, db, login, csrf, run_jobs, settings) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login(client, resident)
    token = csrf(client, "/my-data/imports/")
    half = upload_whole(client, token, export_zip(), chunk=10**6)  # read below; first an unfinished one to cancel
    unfinished = services.start_upload(db, resident, filename="other.zip", size=10, keep_sensitive=False,
                                       instance_path=settings.instance_path)
    db.flush()
    response = client.post(f"/my-data/imports/{unfinished.id}/cancel", data={"csrf_token": token})
    assert response.status_code == 303
    db.refresh(unfinished)
    assert unfinished.status == ImportStatus.CANCELED
    assert not services.upload_path(settings.instance_path, unfinished.id).exists()

    run_jobs()
    import_id = uuid.UUID(half["id"])
    assert _records(db, import_id)
    response = client.post(f"/my-data/imports/{import_id}/delete", data={"csrf_token": token})
    assert response.status_code == 303
    assert db.get(DataImport, import_id) is None and _records(db, import_id) == []
    assert db.exec(select(HealthWorkout).where(HealthWorkout.import_id == import_id)).all() == []
    deletion = history(db, resident.principal, kinds=[RecordKind.DELETION])[0].payload
    assert deletion["items"] == ["health_records"] and deletion["rows"] >= 6


def test_the_cli_stores_for_a_resident_through_the_same_code(app, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory(email="cli@example.jp")
    path = tmp_path / "export.zip"
    path.write_bytes(export_zip())
    runner = app.test_cli_runner()
    result = runner.invoke(args=["exports", "import", str(path), "--resident", "cli@example.jp"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["counts"] == FOUND and out["stored"]["health_record"] == 6 and out["duplicates"] == 1
    data_import = db.exec(select(DataImport).where(DataImport.resident_id == resident.id)).one()
    assert data_import.status == ImportStatus.DONE and len(_records(db, data_import.id)) == 6

    nobody = runner.invoke(args=["exports", "import", str(path), "--resident", "nobody@example.jp"])
    assert nobody.exit_code == 1 and "no resident" in nobody.output
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as out_zip:
        out_zip.writestr("../evil.xml", "<HealthData/>")
    refused = runner.invoke(args=["exports", "import", str(bad), "--resident", "cli@example.jp"])
    assert refused.exit_code == 1 and "refused (path)" in refused.output
    assert db.exec(select(DataImport).where(DataImport.status == ImportStatus.FAILED)).one().error_code == "path"
