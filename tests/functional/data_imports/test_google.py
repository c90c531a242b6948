"""Google exports through the same upload, job and pages: a Takeout part (zip and tgz, Japanese folder names) and a
bare on-device Timeline; what is stored, what the resident sees, the ledger's items; and the CLI's counts."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlmodel import select

from app.data_imports.models import DataImport, ImportedItem, ImportFormat, ImportStatus, LocationPoint
from app.ledger.models import RecordKind
from app.ledger.services import history
from tests.factories.accounts import ResidentFactory
from tests.factories.google_exports import TAKEOUT_FOUND, ios_timeline, takeout_tgz, takeout_zip
from tests.functional.data_imports.conftest import upload_whole

pytestmark = pytest.mark.usefixtures("loaded_catalogue")


def _read(client, csrf, run_jobs, db, body: bytes) -> DataImport:  # type: ignore[no-untyped-def]
    state = upload_whole(client, csrf(client, "/my-data/imports/"), body)
    run_jobs()
    data_import = db.get(DataImport, uuid.UUID(state["id"]))
    db.refresh(data_import)
    return data_import


@pytest.mark.parametrize("body", [takeout_zip(), takeout_tgz()], ids=["zip", "tgz"])
def test_a_takeout_part_is_read_file_by_file(client, db, login, csrf, run_jobs, body: bytes) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login(client, resident)
    data_import = _read(client, csrf, run_jobs, db, body)
    assert (data_import.status, data_import.format) == (ImportStatus.DONE, ImportFormat.GOOGLE)
    assert data_import.summary["counts"] == TAKEOUT_FOUND
    assert data_import.summary["formats"] == {"location_history": 1, "watch_history": 1, "calendar": 1}
    points = db.exec(select(LocationPoint).where(LocationPoint.import_id == data_import.id).order_by(LocationPoint.time)).all()
    assert [(p.latitude, p.longitude) for p in points][0] == (35.893, 139.953)
    assert points[0].time.startswith("2023-11-14T22:13:20") and points[0].time.endswith("+00:00")
    assert json.loads(points[1].extra or "{}").get("altitude_m") is None and points[1].altitude_m == 14
    items = db.exec(select(ImportedItem).where(ImportedItem.import_id == data_import.id)).all()
    by_kind: dict[str, list[ImportedItem]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    assert {kind: len(rows) for kind, rows in by_kind.items()} == {"watch_event": 2, "calendar_event": 2}
    removed = next(i for i in by_kind["watch_event"] if i.data["removed"])
    assert removed.data["video_url"] is None
    payload = history(db, resident.principal, kinds=[RecordKind.PROCESSING])[0].payload
    assert payload["items"] == ["calendar_events", "location_history", "viewing_history"]

    page = client.get(f"/my-data/imports/{data_import.id}").get_data(as_text=True)
    for text in ("位置の記録", "視聴した動画", "カレンダーの予定", "ロケーション履歴・タイムライン", "読み込んだファイル",
                 "書き出しに含まれるその他のファイル"):
        assert text in page, text


def test_a_bare_ios_timeline_is_accepted(client, db, login, csrf, run_jobs) -> None:  # type: ignore[no-untyped-def]
    login(client, ResidentFactory())
    data_import = _read(client, csrf, run_jobs, db, ios_timeline())
    assert data_import.status == ImportStatus.DONE
    assert data_import.summary["counts"] == {"place_visit": 1, "activity_segment": 1}
    kinds = sorted(i.kind for i in db.exec(select(ImportedItem).where(ImportedItem.import_id == data_import.id)))
    assert kinds == ["activity_segment", "place_visit"]


@pytest.mark.parametrize(("body", "code"), [
    (b'{"hello": "world"}', "not_supported"),
    (b'{"locations": [{"timestampMs": "1700000000000", "latitudeE7": 1', "json"),
    (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", "ics"),
], ids=["unknown-json", "cut-json", "cut-ics"])
def test_a_google_file_azukari_cannot_read_is_refused_with_its_reason(client, db, login, csrf, run_jobs, body, code) -> None:  # type: ignore[no-untyped-def]
    login(client, ResidentFactory())
    data_import = _read(client, csrf, run_jobs, db, body)
    assert (data_import.status, data_import.error_code) == (ImportStatus.FAILED, code)
    assert db.exec(select(LocationPoint).where(LocationPoint.import_id == data_import.id)).all() == []
    assert client.get(f"/my-data/imports/{data_import.id}").status_code == 200


def test_the_cli_reports_the_google_kinds(app, db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory(email="takeout@example.jp")
    path = tmp_path / "takeout-20231120T000000Z-001.zip"
    path.write_bytes(takeout_zip())
    inspected = app.test_cli_runner().invoke(args=["exports", "inspect", str(path)])
    assert inspected.exit_code == 0, inspected.output
    assert json.loads(inspected.output)["counts"] == TAKEOUT_FOUND
    result = app.test_cli_runner().invoke(args=["exports", "import", str(path), "--resident", resident.email])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["format"] == "google" and out["stored"] == TAKEOUT_FOUND
