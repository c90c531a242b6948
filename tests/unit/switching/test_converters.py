"""Converters (app/switching/converters/): snapshot tests under frozen time, and what each format takes and loses.

Snapshots: for the fixed inputs of samples.py, each format's converted items (with their digests) and a manifest of
them are compared with `snapshots/<format>.json`, so any change of a format shows up as a diff in review. After an
intended change, regenerate them and commit the diff:

    UPDATE_SNAPSHOTS=1 .venv/bin/pytest -q tests/unit/switching/test_converters.py -p no:cacheprovider
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time

from app.imports import SCHEMA_NAMES, load_schema
from app.switching.canonical import digest
from app.switching.converters import CONVERTERS, UnknownFormat, blog_a, converter_for, health_b, tv_a
from app.switching.manifest import build_manifest
from app.switching.sources.google_api import to_interchange_all
from app.switching.sources.ids import UnknownKind, delivered_id
from tests.unit.switching import samples

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"
FROZEN = "2026-05-01 00:00:00"


def _inputs() -> list[dict[str, Any]]:
    return [i for r in samples.GOOGLE_RESOURCES for i in to_interchange_all(r)] + samples.HEALTH_ITEMS


def _snapshot(format_name: str) -> dict[str, Any]:
    converter = converter_for(format_name)
    converted = []
    for item in _inputs():
        out = converter.convert(item)
        converted.append({"from": delivered_id(item), "item": out, "sha256": digest(out) if out is not None else None})
    manifest = build_manifest(job="job-snapshot", source="google+apple_health", destination=converter.FORMAT.name,
                              format=format_name, items=[c["item"] for c in converted if c["item"] is not None],
                              created_at=datetime.now(UTC))
    return {"format": format_name, "converted": converted, "manifest": manifest}


@pytest.mark.parametrize("format_name", sorted(CONVERTERS))
@freeze_time(FROZEN)
def test_snapshot(format_name):
    path = SNAPSHOTS / f"{format_name.replace('/', '_')}.json"
    found = _snapshot(format_name)
    text = json.dumps(found, ensure_ascii=False, indent=2) + "\n"
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}: run with UPDATE_SNAPSHOTS=1 and commit it"
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert found == expected, f"{format_name} changed: run with UPDATE_SNAPSHOTS=1 and review the diff"


def test_time_does_not_change_a_converted_item():
    with freeze_time(FROZEN):
        early = _snapshot("tv-a/1")["converted"]
    with freeze_time("2031-12-31 23:59:59"):
        late = _snapshot("tv-a/1")["converted"]
    assert early == late


def test_registry():
    assert sorted(CONVERTERS) == ["blog-a/1", "health-b/1", "tv-a/1"]
    assert converter_for("blog-a/1") is blog_a and str(tv_a.FORMAT) == "tv-a/1" and health_b.FORMAT.version == 1
    with pytest.raises(UnknownFormat):
        converter_for("blog-a/2")


TAKEN = {
    "blog-a/1": {"post", "comment", "profile", "interest"},
    "tv-a/1": {"profile", "interest", "watch_event", "calendar_event", "place_visit", "activity_segment"},
    "health-b/1": {"health_record", "workout", "activity_summary"},
}


@pytest.mark.parametrize("format_name", sorted(CONVERTERS))
def test_takes_and_lost_fields_agree_with_convert(format_name):
    converter = converter_for(format_name)
    assert {kind for kind in SCHEMA_NAMES if converter.takes(kind)} == TAKEN[format_name]
    for kind in SCHEMA_NAMES:
        fields = set(load_schema(kind)["properties"]) - {"kind", "schema_version", "sensitive", "not_kept"}
        lost = converter.lost_fields(kind)
        assert lost == sorted(lost) and set(lost) <= fields
        if not converter.takes(kind):
            assert set(lost) == fields
    for item in _inputs():
        if not converter.takes(item["kind"]):
            assert converter.convert(item) is None


def test_tv_a_and_health_b_refuse_what_the_contract_excludes():
    for kind in ("post", "comment", "location_point", "my_activity"):
        assert not tv_a.takes(kind)
    for kind in ("ecg", "clinical_record", "me"):
        assert not health_b.takes(kind)
    with pytest.raises(UnknownKind):
        tv_a.lost_fields("blogger#post")


def test_lost_fields_tables():
    assert blog_a.lost_fields("post") == ["author", "blog_id", "blog_title", "created", "location", "path", "type", "url"]
    assert blog_a.lost_fields("comment") == ["blog_id", "status", "updated", "url"]
    assert tv_a.lost_fields("watch_event") == ["ad", "channel_url", "format", "product", "raw_time", "removed"]
    assert health_b.lost_fields("health_record") == ["beats", "created", "device", "family", "metadata", "raw_unit",
                                                     "raw_value", "source_version"]


def test_blog_statuses():
    post = to_interchange_all(samples.POST_LIVE)[0]
    statuses = {s: blog_a.convert({**post, "status": s})["status"] for s in ("live", "draft", "scheduled", "trashed", None, "x")}
    assert statuses == {"live": "published", "draft": "draft", "scheduled": "scheduled", "trashed": "trashed",
                        None: "draft", "x": "draft"}


def test_health_values_and_types():
    steps, heart, distance, energy, mass, core, in_bed, water, irregular, nan = (
        health_b.convert(i) for i in samples.HEALTH_ITEMS[:10])
    assert steps["value"] == 812 and isinstance(steps["value"], int) and steps["metric"] == "steps"
    assert heart["value"] == 72.5 and heart["unit"] == "count/min"
    assert energy["value"] == 100 and isinstance(energy["value"], int)  # 418.4 kJ, without the conversion's noise
    assert distance["value"] == 604.67 and mass["value"] == 52.3
    assert (core["metric"], core["value"], core["unit"]) == ("sleep", "asleep_core", None) and in_bed["value"] == "in_bed"
    assert water is None and irregular is None and nan is None
    assert health_b.untaken_types(i["type"] for i in samples.HEALTH_ITEMS if i["kind"] == "health_record") == [
        "HKCategoryTypeIdentifierIrregularHeartRhythmEvent", "HKQuantityTypeIdentifierDietaryWater"]
    assert health_b.metric_of("HKQuantityTypeIdentifierRestingHeartRate") == "resting_heart_rate"


def test_numbers_are_never_nan_and_ints_when_integral():
    record = {**samples.HEALTH_ITEMS[0], "value": float("inf")}
    assert health_b.convert(record) is None
    workout = {**samples.HEALTH_ITEMS[10], "total_distance_m": float("nan"), "duration_s": 2.0**60}
    out = health_b.convert(workout)
    assert out["distance_m"] is None and out["duration_s"] is None and out["energy_kcal"] == 250
    visit = {**to_interchange_all(samples.PLACE)[0], "latitude": 35.0}
    assert tv_a.convert(visit)["latitude"] == 35 and isinstance(tv_a.convert(visit)["latitude"], int)


def test_record_from_columns_builds_the_item_convert_expects():
    row = {"type": "HKQuantityTypeIdentifierStepCount", "family": "quantity", "source_name": "花子のApple Watch",
           "source_version": "10.4", "start": "2026-05-01T07:00:00+09:00", "end": "2026-05-01T07:10:00+09:00",
           "created": "2026-05-01T07:10:00+09:00", "value_num": 812.0, "value_text": None, "unit": "count",
           "metadata_json": None, "beats_json": None, "sensitive": False}
    item = health_b.record_from_columns(row)
    load = pytest.importorskip("jsonschema").Draft202012Validator(load_schema("health_record"))
    load.validate(item)
    assert health_b.convert(item) == health_b.convert(samples.HEALTH_ITEMS[0])


def test_comments_point_at_delivered_ids():
    reply = blog_a.convert(to_interchange_all(samples.REPLY)[0])
    post = blog_a.convert(to_interchange_all(samples.POST_LIVE)[0])
    first = blog_a.convert(to_interchange_all(samples.COMMENT)[0])
    assert reply["post_id"] == post["id"] and reply["in_reply_to"] == first["id"] and first["in_reply_to"] is None
