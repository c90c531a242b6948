"""わたしのデータ: export everything as a zip of JSON files with a Japanese README; delete an item."""

from __future__ import annotations

import io
import json
import zipfile

from sqlmodel import select

from app.household.models import Child, HealthScore, HomeAddress
from app.ledger.services import history
from tests.conftest import csrf_token
from tests.factories.accounts import ResidentFactory


def hold_some_data(db, resident) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    db.add(Child(guardian_id=resident.id, birth_year=2021, birth_month=5, birth_day=12, nickname="さくら"))
    db.add(HomeAddress(resident_id=resident.id, postal_code="277-0882", region="千葉県", locality="柏市",
                       town="柏の葉二丁目", block="3番地1", source="smart-life-pass"))
    db.add(HealthScore(resident_id=resident.id, day=date(2026, 11, 25), score=72, meal=70, exercise=75,
                       source="smart-life-pass"))
    db.flush()


def test_export_holds_everything_with_a_japanese_readme(client, db, login) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    hold_some_data(db, resident)
    login(client, resident)
    response = client.get("/my-data/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {"README.txt", "account.json", "children.json", "address.json", "health_scores.json", "consents.json",
            "history.json"} <= names
    assert "書き出し" in archive.read("README.txt").decode()
    assert json.loads(archive.read("account.json"))["email"] == resident.email
    assert json.loads(archive.read("children.json"))[0]["nickname"] == "さくら"
    assert json.loads(archive.read("address.json"))["town"] == "柏の葉二丁目"
    assert json.loads(archive.read("health_scores.json"))[0]["score"] == 72


def test_another_residents_export_holds_nothing_of_the_first(client, other_client, db, login) -> None:  # type: ignore[no-untyped-def]
    owner, stranger = ResidentFactory(), ResidentFactory()
    hold_some_data(db, owner)
    login(other_client, stranger)
    archive = zipfile.ZipFile(io.BytesIO(other_client.get("/my-data/export.zip").data))
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode()
    assert "さくら" not in everything and "柏の葉二丁目" not in everything and owner.email not in everything


def test_deleting_an_item_removes_it_and_is_recorded(client, db, login) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    hold_some_data(db, resident)
    login(client, resident)
    for what in ("address", "health"):
        response = client.post(f"/my-data/{what}/delete", data={"csrf_token": csrf_token(client, "/my-data")})
        assert response.status_code == 303
    assert db.get(HomeAddress, resident.id) is None
    assert db.exec(select(HealthScore).where(HealthScore.resident_id == resident.id)).all() == []
    deletions = [e for e in history(db, resident.principal) if e.record.kind == "deletion"]
    assert {e.payload["item"] for e in deletions} == {"home_address", "health_score"}
