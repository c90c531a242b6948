"""`load_catalog` / `flask catalog load`: the shipped file in the database, with its ids, idempotently, and never
over a row 柏市's staff edited."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, SQLModel, select

from app.catalog.models import CatalogCoupon, CatalogEvent, CatalogService, CatalogVenue
from app.catalog.services import CATALOG_FILE, LABELS_FILE, load_catalog, update_service
from app.config import PROJECT_ROOT

TABLES: dict[str, type[SQLModel]] = {"venues": CatalogVenue, "services": CatalogService, "events": CatalogEvent,
                                     "coupons": CatalogCoupon}


def ids_in(db: Session, model: type[SQLModel]) -> set[str]:
    return set(db.exec(select(model.id)))  # type: ignore[attr-defined]


def snapshot(db: Session) -> dict[str, list[dict[str, Any]]]:
    db.expire_all()
    return {name: [row.model_dump() for row in db.exec(select(model).order_by(model.id))]  # type: ignore[attr-defined]
            for name, model in TABLES.items()}


def test_the_first_load_adds_every_row_of_the_file_under_its_own_id(db, loaded_catalog, catalog_data):
    assert loaded_catalog == {"venues": 14, "services": 30, "events": 25, "coupons": 15, "updated": 0,
                              "kept as edited": 0}
    for section, model in TABLES.items():
        assert len(catalog_data[section]) == loaded_catalog[section]
        assert ids_in(db, model) == {record["id"] for record in catalog_data[section]}, section


def test_loading_again_changes_nothing(app, db, loaded_catalog):
    before = snapshot(db)
    with app.app_context():
        again = load_catalog(db)
    assert again == {"venues": 0, "services": 0, "events": 0, "coupons": 0, "updated": 0, "kept as edited": 0}
    assert snapshot(db) == before


def test_services_keep_eligibility_sources_confidence_scope_and_dates_as_in_the_file(db, loaded_catalog, catalog_data):
    for record in catalog_data["services"]:
        row = db.get(CatalogService, record["id"])
        assert row.name_ja == record["name_ja"] and row.name_en == record["name_en"]
        assert row.eligibility == record["eligibility"]  # as-is: the engine interprets it
        assert row.sources == record["source"]  # url, title, publisher, page_updated, kind, id (and notes)
        assert row.source_url == record["source"][0]["url"]
        assert (row.confidence, row.fact_scope, row.category) == (record["confidence"], record["fact_scope"],
                                                                  record["category"])
        assert row.last_checked == date.fromisoformat(record["last_checked"])
        assert row.example is record["example"]
        assert row.how_to_apply_ja == record["how_to_apply"] and row.benefit == record["benefit"]
        assert row.milestones == record.get("milestones", []) and row.birthdate_ranges == record.get("birthdate_ranges", [])
        assert row.venue_ids == record.get("venue_ids", []) and row.life_stages == record["life_stages"]
        assert row.area_id == record["area"] and row.notes == record.get("notes", "")
        assert row.description_ja == "" and row.edited_at is None and row.extra == {}
    catch_up = db.get(CatalogService, "svc_mr_catchup")
    assert catch_up.valid_until == date(2027, 3, 31)


def test_venues_keep_coordinates_with_their_precision_and_source(db, loaded_catalog, catalog_data):
    for record in catalog_data["venues"]:
        row = db.get(CatalogVenue, record["id"])
        assert (row.lat, row.lng, row.coord_precision_m) == (record["lat"], record["lng"], record["coord_precision_m"])
        assert row.coord_source == record["coord_source"] and row.sources == record["sources"]
        assert row.family_relevance == record["family_relevance"]
        assert row.tenants_reported == record.get("tenants_reported", [])
    assert db.get(CatalogVenue, "v_matsuba_library").lat is None  # no coordinate: none invented
    assert db.get(CatalogVenue, "v_tsite").coordinate_is_estimate
    assert not db.get(CatalogVenue, "v_kashiwanoha_campus_stn").coordinate_is_estimate


def test_events_keep_dates_target_ages_and_example_flags(db, loaded_catalog, catalog_data):
    for record in catalog_data["events"]:
        row = db.get(CatalogEvent, record["id"])
        start = datetime.fromisoformat(record["start"]) if record["start"] else None
        assert row.starts_at == start  # the same instant (stored in UTC)
        assert row.target_age_min_months == record["target_age_months"]["min"]
        assert row.target_age_max_months_exclusive == record["target_age_months"]["max_exclusive"]
        assert row.target_grades == record.get("target_grades")
        assert row.example is record["example"] and row.venue_id == record["venue_id"]
        assert row.based_on_real_event is record.get("based_on_real_event", False)
        assert row.tags == record["tags"] and row.extra == {}
    xmas = db.get(CatalogEvent, "ev_lala_xmas")
    assert xmas.starts_at.isoformat() == "2026-12-19T02:00:00+00:00"  # 11:00 in Japan
    assert db.get(CatalogEvent, "ev_haguhagu_twins").requires_multiples


def test_coupons_keep_placeholder_and_brand_flags(db, loaded_catalog, catalog_data):
    for record in catalog_data["coupons"]:
        row = db.get(CatalogCoupon, record["id"])
        assert row.merchant_display == record["merchant_display"]
        assert row.is_placeholder is (record["merchant_display"] == "placeholder_category_not_a_real_offer")
        assert row.brand_examples == record.get("tenant_examples", [])
        assert row.example is record["example"] and row.discount == record["discount"]
        assert row.valid_to == (date.fromisoformat(record["valid_to"]) if record.get("valid_to") else None)
        assert row.merchant_category_ja and row.merchant_category_en  # every category has both names
    assert sum(row.is_placeholder for row in db.exec(select(CatalogCoupon))) == 13


def test_a_staff_edit_survives_a_reload(app, db, loaded_catalog):
    with app.app_context():
        update_service(db, actor="staff:test", service_id="svc_daretsu",
                       values={"name_ja": "こども誰でも通園制度", "last_checked": date(2026, 11, 20)})
        counts = load_catalog(db)
    row = db.get(CatalogService, "svc_daretsu")
    assert row.name_ja == "こども誰でも通園制度" and row.last_checked == date(2026, 11, 20)
    assert counts["kept as edited"] == 1 and counts["updated"] == 0


def write_changed_copy(tmp_path: Path, catalog_data: dict[str, Any], **names: str) -> Path:
    document = json.loads(json.dumps(catalog_data))
    for record in document["services"]:
        if record["id"] in names:
            record["name_ja"] = names[record["id"]]
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_newer_file_updates_rows_nobody_edited_and_leaves_edited_ones(app, db, loaded_catalog, catalog_data,
                                                                        tmp_path):
    with app.app_context():
        update_service(db, actor="staff:test", service_id="svc_daretsu", values={"name_ja": "職員が直した名前"})
        newer = write_changed_copy(tmp_path, catalog_data, svc_daretsu="ファイルの新しい名前",
                                   svc_jidoteate="児童手当(新)")
        counts = load_catalog(db, path=newer)
    assert counts == {"venues": 0, "services": 0, "events": 0, "coupons": 0, "updated": 1, "kept as edited": 1}
    assert db.get(CatalogService, "svc_daretsu").name_ja == "職員が直した名前"
    assert db.get(CatalogService, "svc_jidoteate").name_ja == "児童手当(新)"


def test_an_event_at_an_unknown_venue_is_refused_before_anything_is_written(app, db, catalog_data, tmp_path):
    document = json.loads(json.dumps(catalog_data))
    document["events"][0]["venue_id"] = "v_nowhere"
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    with app.app_context(), pytest.raises(ValueError, match="v_nowhere"):
        load_catalog(db, path=path)
    assert ids_in(db, CatalogVenue) == set()


def test_the_command_prints_the_counts_and_is_idempotent(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["catalog", "load"])
    second = runner.invoke(args=["catalog", "load"])
    assert first.exit_code == 0, first.output
    assert "14 venues, 30 services, 25 events, 15 coupons added" in first.output
    assert "0 venues, 0 services, 0 events, 0 coupons added; 0 updated; 0 kept as edited" in second.output
    assert len(ids_in(db, CatalogService)) == 30


def test_the_release_step_and_the_demo_seed_load_the_catalogue():
    release = next(line for line in (PROJECT_ROOT / "Procfile").read_text().splitlines() if line.startswith("release:"))
    assert "catalog load" in release
    assert "load_catalog" in (PROJECT_ROOT / "app" / "cli.py").read_text()


def test_the_app_reads_only_its_own_copy_of_the_data():
    package = PROJECT_ROOT / "app" / "catalog"
    assert CATALOG_FILE.parent == package / "data" and LABELS_FILE.parent == package / "data"
    for module in package.rglob("*.py"):
        assert "shared/data" not in module.read_text(encoding="utf-8"), module
