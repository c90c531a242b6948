"""One top-level element of the export → one interchange dict (see `app/imports/schemas/*.json`).

`record_row()` runs millions of times per export: it reads each attribute once and builds the stored row;
`record_dict()` gives the interchange dict from it.
"""

from __future__ import annotations

from typing import Any

import orjson
from lxml import etree

from app.imports.apple_health.values import (
    UNIT_FACTORS,
    apple_date,
    normalise_quantity,
    number,
    parse_apple_date,
    parse_beat_time,
)
from app.imports.summary import ImportSummary

SCHEMA_VERSION = 1

# Record types that are 要配慮個人情報 (APPI 法2条3項: 病歴・診療の記録) — kept only when the resident says so.
SENSITIVE_RECORD_TYPES = frozenset({
    "HKDataTypeIdentifierElectrocardiogram",
    "HKCategoryTypeIdentifierIrregularHeartRhythmEvent",
    "HKCategoryTypeIdentifierHighHeartRateEvent",
    "HKCategoryTypeIdentifierLowHeartRateEvent",
})


def record_family(record_type: str) -> str:
    if record_type.startswith("HKQuantityTypeIdentifier"):
        return "quantity"
    if record_type.startswith("HKCategoryTypeIdentifier"):
        return "category"
    if record_type.startswith("HKDataType"):
        return "data_type"
    return "other"


_families: dict[str, str] = {}


def metadata(el: etree._Element) -> dict[str, str]:
    return {m.get("key", ""): m.get("value", "") for m in el.iterchildren("MetadataEntry")}


def _dates(el: etree._Element) -> tuple[str, str]:
    start = parse_apple_date(el.get("startDate"))
    end = parse_apple_date(el.get("endDate"))
    if start is None or end is None:
        raise ValueError("missing startDate or endDate")
    return start, end


def common(el: etree._Element) -> dict[str, Any]:
    start, end = _dates(el)
    return {
        "source_name": el.get("sourceName"),
        "source_version": el.get("sourceVersion"),
        "device": el.get("device"),
        "start": start,
        "end": end,
        "created": parse_apple_date(el.get("creationDate")),
    }


def record_row(el: etree._Element, summary: ImportSummary) -> tuple[Any, ...]:
    """A `<Record>` as the row it is stored as (`app.imports.rows.RECORD_COLUMNS`): the hot path, millions of calls,
    so each attribute is read once and no dict is built (`record_dict` gives the interchange dict from the row)."""
    get = el.get
    record_type = get("type") or ""
    family = _families.get(record_type)
    if family is None:
        family = _families.setdefault(record_type, record_family(record_type))
    raw_start, raw_end, raw_created = get("startDate"), get("endDate"), get("creationDate")
    start = apple_date(raw_start)
    # An instantaneous sample ends when it starts, and creationDate often repeats endDate: no second conversion.
    end = start if raw_end == raw_start else apple_date(raw_end)
    if start is None or end is None:
        raise ValueError("missing startDate or endDate")
    created = end if raw_created == raw_end else apple_date(raw_created)
    raw_value, raw_unit = get("value"), get("unit")
    value_num = value_text = None
    unit = raw_unit
    if raw_value is not None:
        value_text = raw_value
        if family == "quantity" or raw_unit is not None:
            numeric = number(raw_value)
            if numeric is not None:
                value_text = None
                known = UNIT_FACTORS.get(raw_unit) if raw_unit is not None else None
                if known is None:
                    value_num = numeric
                else:
                    unit, factor = known
                    value_num = numeric if factor == 1.0 else numeric * factor
                    if raw_unit == "%" and numeric > 1:
                        summary.warn("percent_above_one", "a % value above 1 was kept as written (Apple writes fractions)")
    metadata_json = beats_json = None
    if len(el):
        beats: list[dict[str, Any]] = []
        metadata = _metadata_and_beats(el, beats)
        if metadata:
            metadata_json = orjson.dumps(metadata).decode()
        if beats:
            beats_json = orjson.dumps(beats).decode()
    return (record_type, family, get("sourceName"), get("sourceVersion"), get("device"), start, end, created,
            value_num, value_text, unit, raw_value, raw_unit, metadata_json, beats_json,
            record_type in SENSITIVE_RECORD_TYPES, False)


def record_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    """The interchange dict (`schemas/health_record.json`) of a row from `record_row`."""
    (record_type, family, source_name, source_version, device, start, end, created, value_num, value_text, unit,
     raw_value, raw_unit, metadata_json, beats_json, sensitive, _duplicate) = row
    out: dict[str, Any] = {
        "kind": "health_record", "schema_version": SCHEMA_VERSION, "type": record_type, "family": family,
        "source_name": source_name, "source_version": source_version, "device": device,
        "start": start, "end": end, "created": created,
        "value": value_num if value_num is not None else value_text, "unit": unit,
        "raw_value": raw_value, "raw_unit": raw_unit,
        "metadata": orjson.loads(metadata_json) if metadata_json else {},
    }
    if beats_json:
        out["beats"] = orjson.loads(beats_json)
    if sensitive:
        out["sensitive"] = True
    return out


def _metadata_and_beats(el: etree._Element, beats: list[dict[str, Any]]) -> dict[str, str]:
    """A Record's children in one walk: its MetadataEntry pairs, and (into `beats`) its HRV beat list."""
    found: dict[str, str] = {}
    for child in el:
        tag = child.tag
        if tag == "MetadataEntry":
            found[child.get("key", "")] = child.get("value", "")
        elif tag == "HeartRateVariabilityMetadataList":
            for beat in child.iterchildren("InstantaneousBeatsPerMinute"):
                time = beat.get("time")
                beats.append({"bpm": number(beat.get("bpm")), "time": parse_beat_time(time), "raw_time": time})
    return found


def _statistics(el: etree._Element) -> list[dict[str, Any]]:
    stats = []
    for s in el.iterchildren("WorkoutStatistics"):
        raw_unit = s.get("unit")
        item: dict[str, Any] = {
            "type": s.get("type"),
            "start": parse_apple_date(s.get("startDate")),
            "end": parse_apple_date(s.get("endDate")),
            "unit": normalise_quantity(1.0, raw_unit)[1],
            "raw_unit": raw_unit,
        }
        for key in ("sum", "average", "minimum", "maximum"):
            item[key] = normalise_quantity(number(s.get(key)), raw_unit)[0]
        stats.append(item)
    return stats


def _duration_s(value: str | None, unit: str | None) -> float | None:
    amount = number(value)
    if amount is None:
        return None
    converted, canonical = normalise_quantity(amount, unit or "min")
    return converted if canonical == "s" else None


def _total(value: str | None, unit: str | None, canonical: str) -> float | None:
    converted, got = normalise_quantity(number(value), unit)
    return converted if got == canonical else None


def _inline_locations(route: etree._Element) -> list[dict[str, Any]]:
    return [
        {
            "time": parse_apple_date(loc.get("date")),
            "latitude": number(loc.get("latitude")),
            "longitude": number(loc.get("longitude")),
            "altitude_m": number(loc.get("altitude")),
            "horizontal_accuracy_m": number(loc.get("horizontalAccuracy")),
            "vertical_accuracy_m": number(loc.get("verticalAccuracy")),
            "course": number(loc.get("course")),
            "speed_mps": number(loc.get("speed")),
        }
        for loc in route.iterchildren("Location")
    ]


def workout(el: etree._Element) -> dict[str, Any]:
    statistics = _statistics(el)
    distance = _total(el.get("totalDistance"), el.get("totalDistanceUnit"), "m")
    if distance is None:
        sums = [s["sum"] for s in statistics if "Distance" in (s["type"] or "") and s["unit"] == "m" and s["sum"] is not None]
        distance = sum(sums) if sums else None
    energy = _total(el.get("totalEnergyBurned"), el.get("totalEnergyBurnedUnit"), "kcal")
    if energy is None:
        sums = [s["sum"] for s in statistics if (s["type"] or "").endswith("ActiveEnergyBurned") and s["sum"] is not None]
        energy = sum(sums) if sums else None
    events = [
        {"type": e.get("type"), "date": parse_apple_date(e.get("date")),
         "duration_s": _duration_s(e.get("duration"), e.get("durationUnit"))}
        for e in el.iterchildren("WorkoutEvent")
    ]
    routes = []
    for r in el.iterchildren("WorkoutRoute"):
        ref = r.find("FileReference")
        routes.append({
            **common(r),
            "file": ref.get("path") if ref is not None else None,
            "metadata": metadata(r),
            "locations": _inline_locations(r),
        })
    activities = [
        {
            "activity_type": a.get("workoutActivityType"),
            "start": parse_apple_date(a.get("startDate")),
            "end": parse_apple_date(a.get("endDate")),
            "duration_s": _duration_s(a.get("duration"), a.get("durationUnit")),
            "statistics": _statistics(a),
            "metadata": metadata(a),
        }
        for a in el.iterchildren("WorkoutActivity")
    ]
    return {
        "kind": "workout",
        "schema_version": SCHEMA_VERSION,
        "activity_type": el.get("workoutActivityType"),
        **common(el),
        "duration_s": _duration_s(el.get("duration"), el.get("durationUnit")),
        "total_distance_m": distance,
        "total_energy_kcal": energy,
        "metadata": metadata(el),
        "statistics": statistics,
        "events": events,
        "routes": routes,
        "activities": activities,
    }


_SUMMARY_FIELDS = {
    "activeEnergyBurned": "active_energy_kcal",
    "activeEnergyBurnedGoal": "active_energy_goal_kcal",
    "appleMoveTime": "move_time_min",
    "appleMoveTimeGoal": "move_time_goal_min",
    "appleMoveMinutes": "move_time_min",
    "appleMoveMinutesGoal": "move_time_goal_min",
    "appleExerciseTime": "exercise_time_min",
    "appleExerciseTimeGoal": "exercise_time_goal_min",
    "appleStandHours": "stand_hours",
    "appleStandHoursGoal": "stand_hours_goal",
}
SUMMARY_COLUMNS = tuple(dict.fromkeys(_SUMMARY_FIELDS.values()))


def activity_summary(el: etree._Element) -> dict[str, Any]:
    day = parse_apple_date(el.get("dateComponents"))
    if day is None:
        raise ValueError("missing dateComponents")
    out: dict[str, Any] = {"kind": "activity_summary", "schema_version": SCHEMA_VERSION, "date": day}
    out.update(dict.fromkeys(SUMMARY_COLUMNS))
    energy_unit = el.get("activeEnergyBurnedUnit") or "kcal"
    extra: dict[str, str] = {}
    for name, raw in el.attrib.items():
        target = _SUMMARY_FIELDS.get(name)
        if target is None:
            if name not in ("dateComponents", "activeEnergyBurnedUnit"):
                extra[name] = raw
            continue
        amount = number(raw)
        if target.startswith("active_energy"):
            amount, unit = normalise_quantity(amount, energy_unit)
            if unit != "kcal":
                extra[name] = raw
                amount = None
        out[target] = amount
    out["extra"] = extra
    return out


_ME_FIELDS = {
    "HKCharacteristicTypeIdentifierDateOfBirth": "date_of_birth",
    "HKCharacteristicTypeIdentifierBiologicalSex": "biological_sex",
    "HKCharacteristicTypeIdentifierBloodType": "blood_type",
    "HKCharacteristicTypeIdentifierFitzpatrickSkinType": "fitzpatrick_skin_type",
    "HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse": "cardio_fitness_medications_use",
}


def me(el: etree._Element) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "me", "schema_version": SCHEMA_VERSION}
    out.update(dict.fromkeys(_ME_FIELDS.values()))
    extra = {}
    for name, raw in el.attrib.items():
        target = _ME_FIELDS.get(name)
        if target is None:
            extra[name] = raw
        elif target == "date_of_birth":
            out[target] = parse_apple_date(raw) if raw else None
        else:
            out[target] = raw or None
    out["extra"] = extra
    return out


def clinical_record(el: etree._Element) -> dict[str, Any]:
    """A `<ClinicalRecord>`: a FHIR resource from a hospital (要配慮). Its body stays in the archive's JSON file."""
    return {
        "kind": "clinical_record",
        "schema_version": SCHEMA_VERSION,
        "type": el.get("type"),
        "identifier": el.get("identifier"),
        "source_name": el.get("sourceName"),
        "source_url": el.get("sourceURL"),
        "fhir_version": el.get("fhirVersion"),
        "received": parse_apple_date(el.get("receivedDate")),
        "resource_file": el.get("resourceFilePath"),
        "sensitive": True,
    }
