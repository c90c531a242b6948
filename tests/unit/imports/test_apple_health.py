"""Apple Health parsing: main-file detection, DOCTYPE and control characters, units, dates, elements."""

from __future__ import annotations

import io
import zipfile

import pytest

from app.imports.apple_health import (
    HealthImportError,
    ImportSummary,
    find_export_xml,
    iter_health_export,
    iter_health_zip,
    normalise_quantity,
    parse_apple_date,
    parse_beat_time,
)
from app.imports.archive import SafeZip

# An iOS 16-style prolog whose DTD is broken: the ATTLIST lacks its closing ">".
BROKEN_DTD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 12 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
<!ELEMENT ExportDate EMPTY>
<!ATTLIST Attachment
  identifier CDATA #IMPLIED
]>
"""

BODY = """<HealthData locale="ja_JP">
 <ExportDate value="2024-03-10 09:00:00 +0900"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="1980-02-29" HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale"
     HKCharacteristicTypeIdentifierBloodType="HKBloodTypeOPositive"
     HKCharacteristicTypeIdentifierFitzpatrickSkinType="HKFitzpatrickSkinTypeNotSet"
     HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse="None"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="iPhone" unit="count" value="120"
   startDate="2024-03-09 08:00:00 +0900" endDate="2024-03-09 08:10:00 +0900" creationDate="2024-03-09 08:10:05 +0900"/>
 <Record type="HKQuantityTypeIdentifierHeartRateVariabilitySDNN" sourceName="Watch" unit="ms" value="41.5"
   startDate="2024-03-09 02:00:00 +0900" endDate="2024-03-09 02:01:00 +0900">
  <MetadataEntry key="HKTimeZone" value="Asia/Tokyo"/>
  <HeartRateVariabilityMetadataList>
   <InstantaneousBeatsPerMinute bpm="61" time="2:01:02,51 AM"/>
   <InstantaneousBeatsPerMinute bpm="63" time="14:01:03,40"/>
  </HeartRateVariabilityMetadataList>
 </Record>
 <Record type="HKCategoryTypeIdentifierSleepAnalysis" sourceName="Watch" value="HKCategoryValueSleepAnalysisAsleepREM"
   startDate="2024-03-09 01:00:00 +0900" endDate="2024-03-09 01:30:00 +0900"/>
 <Record type="HKDataTypeSleepDurationGoal" sourceName="iPhone" unit="hr" value="8"
   startDate="2024-03-01 00:00:00 +0900" endDate="2024-03-01 00:00:00 +0900"/>
 <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Omron"
   startDate="2024-03-09 07:00:00 +0900" endDate="2024-03-09 07:00:00 +0900">
  <Record type="HKQuantityTypeIdentifierBloodPressureSystolic" sourceName="Omron" unit="mmHg" value="120"
    startDate="2024-03-09 07:00:00 +0900" endDate="2024-03-09 07:00:00 +0900"/>
 </Correlation>
 <Record type="HKQuantityTypeIdentifierBloodPressureSystolic" sourceName="Omron" unit="mmHg" value="120"
   startDate="2024-03-09 07:00:00 +0900" endDate="2024-03-09 07:00:00 +0900"/>
 <Workout workoutActivityType="HKWorkoutActivityTypeRunning" duration="30" durationUnit="min" sourceName="Watch"
   startDate="2024-03-09 18:00:00 +0900" endDate="2024-03-09 18:35:00 +0900" creationDate="2024-03-09 18:35:10 +0900">
  <MetadataEntry key="HKElevationAscended" value="3230 cm"/>
  <WorkoutEvent type="HKWorkoutEventTypePause" date="2024-03-09 18:10:00 +0900" duration="5" durationUnit="min"/>
  <WorkoutEvent type="HKWorkoutEventTypeResume" date="2024-03-09 18:15:00 +0900"/>
  <WorkoutStatistics type="HKQuantityTypeIdentifierDistanceWalkingRunning" startDate="2024-03-09 18:00:00 +0900"
    endDate="2024-03-09 18:35:00 +0900" sum="3.1" unit="mi"/>
  <WorkoutStatistics type="HKQuantityTypeIdentifierActiveEnergyBurned" startDate="2024-03-09 18:00:00 +0900"
    endDate="2024-03-09 18:35:00 +0900" sum="1255.2" unit="kJ"/>
  <WorkoutStatistics type="HKQuantityTypeIdentifierHeartRate" startDate="2024-03-09 18:00:00 +0900"
    endDate="2024-03-09 18:35:00 +0900" average="150" minimum="98" maximum="171" unit="count/min"/>
  <WorkoutRoute sourceName="iPhone" startDate="2024-03-09 18:00:01 +0900" endDate="2024-03-09 18:34:59 +0900">
   <FileReference path="/workout-routes/route_2024-03-09_6.00pm.gpx"/>
  </WorkoutRoute>
 </Workout>
 <ActivitySummary dateComponents="2024-03-09" activeEnergyBurned="2092" activeEnergyBurnedGoal="1674" activeEnergyBurnedUnit="kJ"
   appleMoveTime="0" appleMoveTimeGoal="0" appleExerciseTime="42" appleExerciseTimeGoal="30"
   appleStandHours="11" appleStandHoursGoal="12"/>
 <ActivitySummary dateComponents="2024-03-10" activeEnergyBurned="0" activeEnergyBurnedGoal="0" activeEnergyBurnedUnit="kcal"/>
</HealthData>
"""


def parse(xml: str | bytes) -> tuple[list[dict], ImportSummary]:
    summary = ImportSummary()
    data = xml.encode() if isinstance(xml, str) else xml
    return list(iter_health_export(io.BytesIO(data), summary)), summary


def by_type(items: list[dict], record_type: str) -> dict:
    return next(i for i in items if i.get("type") == record_type)


def test_broken_dtd_is_stripped_and_everything_parses():
    items, summary = parse(BROKEN_DTD + BODY)
    assert summary.doctype_removed
    assert summary.export_version == 12
    assert summary.locale == "ja_JP"
    assert summary.export_date == "2024-03-10T09:00:00+09:00"
    assert summary.counts == {"me": 1, "health_record": 5, "workout": 1, "activity_summary": 2}
    assert summary.skipped == {"Correlation": 1}  # its Records are repeated at top level
    assert summary.sources == {"iPhone": 2, "Watch": 3, "Omron": 1}
    assert summary.as_dict()["date_range"] == {"first": "2024-03-01T00:00:00+09:00", "last": "2024-03-09T18:35:00+09:00"}
    assert summary.warnings == {}


def test_record_families_metadata_and_beats():
    items, _ = parse(BODY)
    steps = by_type(items, "HKQuantityTypeIdentifierStepCount")
    assert steps["family"] == "quantity" and steps["value"] == 120 and steps["unit"] == "count"
    assert steps["start"] == "2024-03-09T08:00:00+09:00" and steps["created"] == "2024-03-09T08:10:05+09:00"
    hrv = by_type(items, "HKQuantityTypeIdentifierHeartRateVariabilitySDNN")
    assert hrv["metadata"] == {"HKTimeZone": "Asia/Tokyo"}
    assert hrv["beats"] == [
        {"bpm": 61.0, "time": "02:01:02.51", "raw_time": "2:01:02,51 AM"},
        {"bpm": 63.0, "time": "14:01:03.40", "raw_time": "14:01:03,40"},
    ]
    sleep = by_type(items, "HKCategoryTypeIdentifierSleepAnalysis")
    assert sleep["family"] == "category" and sleep["value"] == "HKCategoryValueSleepAnalysisAsleepREM" and sleep["unit"] is None
    goal = by_type(items, "HKDataTypeSleepDurationGoal")
    assert goal["family"] == "data_type" and goal["value"] == 8 * 3600 and goal["unit"] == "s"


def test_workout_statistics_events_route():
    items, _ = parse(BODY)
    workout = next(i for i in items if i["kind"] == "workout")
    assert workout["activity_type"] == "HKWorkoutActivityTypeRunning"
    assert workout["duration_s"] == 1800
    assert workout["total_distance_m"] == pytest.approx(3.1 * 1609.344)  # from WorkoutStatistics, no attribute
    assert workout["total_energy_kcal"] == pytest.approx(300.0, abs=0.01)  # 1255.2 kJ
    assert workout["metadata"] == {"HKElevationAscended": "3230 cm"}
    assert workout["events"] == [
        {"type": "HKWorkoutEventTypePause", "date": "2024-03-09T18:10:00+09:00", "duration_s": 300.0},
        {"type": "HKWorkoutEventTypeResume", "date": "2024-03-09T18:15:00+09:00", "duration_s": None},
    ]
    heart = workout["statistics"][2]
    assert (heart["average"], heart["minimum"], heart["maximum"], heart["unit"]) == (150, 98, 171, "count/min")
    assert workout["statistics"][0]["unit"] == "m" and workout["statistics"][1]["unit"] == "kcal"
    assert workout["routes"][0]["file"] == "/workout-routes/route_2024-03-09_6.00pm.gpx"
    assert workout["routes"][0]["locations"] == []


def test_workout_attribute_totals():
    xml = """<HealthData locale="en_US"><Workout workoutActivityType="HKWorkoutActivityTypeCycling" duration="1.5"
      durationUnit="hr" totalDistance="20" totalDistanceUnit="km" totalEnergyBurned="500" totalEnergyBurnedUnit="Cal"
      sourceName="Watch" startDate="20150616071916-0700" endDate="20150616084916-0700"/></HealthData>"""
    (workout,), _ = parse(xml)
    assert workout["duration_s"] == 5400
    assert workout["total_distance_m"] == 20_000
    assert workout["total_energy_kcal"] == 500
    assert workout["start"] == "2015-06-16T07:19:16-07:00"


def test_activity_summary_and_me():
    items, _ = parse(BODY)
    me = items[0]
    assert me == {
        "kind": "me",
        "schema_version": 1,
        "date_of_birth": "1980-02-29",
        "biological_sex": "HKBiologicalSexFemale",
        "blood_type": "HKBloodTypeOPositive",
        "fitzpatrick_skin_type": "HKFitzpatrickSkinTypeNotSet",
        "cardio_fitness_medications_use": "None",
        "extra": {},
    }
    first, second = [i for i in items if i["kind"] == "activity_summary"]
    assert first["date"] == "2024-03-09"
    assert first["active_energy_kcal"] == pytest.approx(2092 / 4.184)
    assert first["exercise_time_min"] == 42 and first["stand_hours_goal"] == 12 and first["move_time_min"] == 0
    assert second["exercise_time_min"] is None


def test_me_with_empty_date_of_birth():
    (me,), _ = parse('<HealthData locale="en_US"><Me HKCharacteristicTypeIdentifierDateOfBirth=""/></HealthData>')
    assert me["date_of_birth"] is None


@pytest.mark.parametrize(
    ("value", "unit", "expected", "canonical"),
    [
        (5, "km", 5000, "m"),
        (1, "mi", 1609.344, "m"),
        (180, "cm", 1.8, "m"),
        (400, "kcal", 400, "kcal"),
        (400, "Cal", 400, "kcal"),
        (418.4, "kJ", 100, "kcal"),
        (70, "kg", 70, "kg"),
        (100, "lb", 45.359237, "kg"),
        (0.97, "%", 0.97, "fraction"),
        (30, "min", 1800, "s"),
        (72, "count/min", 72, "count/min"),
        (5.4, "mmol<180.1558800000541>/L", 5.4, "mmol<180.1558800000541>/L"),
    ],
)
def test_unit_normalisation(value, unit, expected, canonical):
    converted, got = normalise_quantity(value, unit)
    assert converted == pytest.approx(expected)
    assert got == canonical


@pytest.mark.parametrize(
    ("unit", "value", "expected", "canonical"),
    [("km", "2.5", 2500, "m"), ("lb", "154", 69.853225, "kg"), ("%", "0.97", 0.97, "fraction")],
)
def test_units_in_records(unit, value, expected, canonical):
    xml = f"""<HealthData locale="en_US"><Record type="HKQuantityTypeIdentifierX" sourceName="s" unit="{unit}" value="{value}"
      startDate="2024-01-01 00:00:00 +0000" endDate="2024-01-01 00:00:00 +0000"/></HealthData>"""
    (record,), _ = parse(xml)
    assert record["value"] == pytest.approx(expected) and record["unit"] == canonical
    assert record["raw_value"] == value and record["raw_unit"] == unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-06-11 15:00:00 -0700", "2019-06-11T15:00:00-07:00"),
        ("2024-03-31 03:00:00 +0200", "2024-03-31T03:00:00+02:00"),
        ("2024-01-01 00:00:00 +0000", "2024-01-01T00:00:00+00:00"),
        ("2021-05-01 10:00:00 +0530", "2021-05-01T10:00:00+05:30"),
        ("20150616071916-0700", "2015-06-16T07:19:16-07:00"),
        ("2024-03-09", "2024-03-09"),
        ("2024-03-09T08:00:00Z", "2024-03-09T08:00:00+00:00"),
        ("", None),
    ],
)
def test_date_forms(text, expected):
    assert parse_apple_date(text) == expected


def test_bad_date_raises_and_record_is_skipped_with_warning():
    with pytest.raises(ValueError):
        parse_apple_date("yesterday")
    xml = """<HealthData locale="en_US"><Record type="HKQuantityTypeIdentifierX" sourceName="s" unit="count" value="1"
      startDate="yesterday" endDate="2024-01-01 00:00:00 +0000"/></HealthData>"""
    items, summary = parse(xml)
    assert items == [] and summary.skipped == {"Record": 1} and "bad_Record" in summary.warnings


@pytest.mark.parametrize(
    ("text", "expected"), [("00:20:37,80", "00:20:37.80"), ("12:00:01,00 AM", "00:00:01.00"), ("nonsense", None)]
)
def test_beat_times(text, expected):
    assert parse_beat_time(text) == expected


def test_control_characters_stripped_with_warning():
    xml = (
        BROKEN_DTD.encode()
        + b'<HealthData locale="en_US">\x0b<Record type="HKQuantityTypeIdentifierStepCount" sourceName="i\x0bPhone\x01"'
    )
    xml += b' unit="count" value="3" startDate="2024-01-01 00:00:00 +0000" endDate="2024-01-01 00:00:00 +0000"/></HealthData>'
    (record,), summary = parse(xml)
    assert record["source_name"] == "iPhone"
    assert summary.warnings["control_characters_removed"]["count"] == 3


ENTITY_DTD = """<?xml version="1.0"?>
<!DOCTYPE HealthData [
<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
"""


def test_entity_declarations_are_refused_even_when_unused():
    """Apple's DTD declares no entities: one in an export is an attack, used or not, and is never read."""
    with pytest.raises(HealthImportError) as caught:
        parse(ENTITY_DTD + '<HealthData locale="en_US"><Me/></HealthData>')
    assert caught.value.code == "entity" and "xxe" in str(caught.value)


def test_a_chunk_of_forbidden_characters_is_not_the_end_of_the_document():
    """A read that removed a whole chunk must not answer b"" (the parser's end of file) while data follows."""
    body = '<HealthData locale="en_US">' + "\x0b" * 3_000_000 + "<Me/></HealthData>"
    items, summary = parse(body)
    assert [item["kind"] for item in items] == ["me"]
    assert summary.warnings["control_characters_removed"]["count"] == 3_000_000


@pytest.mark.parametrize("ref", ["&lol2;", "&xxe;"])
def test_document_depending_on_entities_is_refused(ref):
    xml = (
        ENTITY_DTD
        + f'<HealthData locale="en_US"><Record type="T" sourceName="{ref}"'
        + ' startDate="2024-01-01" endDate="2024-01-01"/></HealthData>'
    )
    with pytest.raises(HealthImportError) as caught:
        parse(xml)
    assert caught.value.code == "entity"


def test_external_dtd_reference_removed_not_fetched():
    xml = '<?xml version="1.0"?><!DOCTYPE HealthData SYSTEM "http://127.0.0.1:9/x.dtd"><HealthData locale="en_US"/>'
    items, summary = parse(xml)
    assert items == [] and "external_dtd_removed" in summary.warnings


@pytest.mark.parametrize(
    ("xml", "code"),
    [
        ('<HealthData locale="en_US"><Record type="T"></HealthData>', "xml"),
        ("<ClinicalDocument><x/></ClinicalDocument>", "not_health_data"),
        ("", "xml"),
        ('<?xml version="1.0"?><!DOCTYPE HealthData [ <!ELEMENT HealthData ANY>', "prolog"),
    ],
)
def test_malformed_documents_refused(xml, code):
    with pytest.raises(HealthImportError) as caught:
        parse(xml)
    assert caught.value.code == code


def test_utf16_refused():
    with pytest.raises(HealthImportError) as caught:
        parse('<?xml version="1.0" encoding="UTF-16"?><HealthData/>'.encode("utf-16"))
    assert caught.value.code == "encoding"


def test_memory_stays_flat_elements_are_cleared():
    record = (
        '<Record type="HKQuantityTypeIdentifierStepCount" sourceName="iPhone" unit="count" value="1"'
        ' startDate="2024-01-01 00:00:00 +0000" endDate="2024-01-01 00:00:01 +0000"><MetadataEntry key="k" value="v"/></Record>'
    )
    xml = BROKEN_DTD + '<HealthData locale="en_US">' + record * 20_000 + "</HealthData>"
    summary = ImportSummary()
    count = 0
    for item in iter_health_export(io.BytesIO(xml.encode()), summary):
        count += 1
        assert item["metadata"] == {"k": "v"}
    assert count == summary.counts["health_record"] == 20_000


def zip_of(entries: dict[str, bytes]) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    buf.seek(0)
    return buf


CDA = b'<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3"/><ClinicalDocument/>'


@pytest.mark.parametrize("main", ["export.xml", "Export.xml", "exportar.xml", "eksport.xml", "导出.xml"])
def test_main_file_found_by_content_whatever_its_name(main):
    entries = {
        "apple_health_export/export_cda.xml": CDA,
        "__MACOSX/apple_health_export/._export.xml": b"\x00\x05\x16\x07junk.xml",
        f"apple_health_export/{main}": (BROKEN_DTD + BODY).encode(),
        "apple_health_export/workout-routes/route_2024-03-09_6.00pm.gpx": b"<gpx/>",
        "apple_health_export/notes.xml": b"<notes/>",
    }
    with SafeZip(zip_of(entries)) as archive:
        assert find_export_xml(archive).name == f"apple_health_export/{main}"
        summary = ImportSummary()
        items = list(iter_health_zip(archive, summary))
    assert summary.main_file == f"apple_health_export/{main}"
    assert summary.counts["health_record"] == 5
    workout = next(i for i in items if i["kind"] == "workout")
    assert workout["routes"][0]["archive_path"] == "apple_health_export/workout-routes/route_2024-03-09_6.00pm.gpx"


def test_missing_route_file_warns_and_no_export_is_refused():
    with SafeZip(zip_of({"apple_health_export/export.xml": BODY.encode()})) as archive:
        summary = ImportSummary()
        list(iter_health_zip(archive, summary))
    assert "route_file_missing" in summary.warnings
    with SafeZip(zip_of({"apple_health_export/export_cda.xml": CDA, "a.xml": b"<a/>"})) as archive:
        with pytest.raises(HealthImportError) as caught:
            find_export_xml(archive)
    assert caught.value.code == "not_found"


UNKNOWN = BODY.replace(
    ' <Workout ', ' <Audiogram sourceName="AirPods"/>\n <FutureThing a="1"><Record type="X"/></FutureThing>\n <Workout ',
).replace("</HealthData>", ' <FutureThing/>\n <AnotherThing>text</AnotherThing>\n</HealthData>')


@pytest.mark.parametrize("feed_bytes", [1024**2, 97, 13])
def test_unknown_top_level_elements_are_counted_as_skipped_whatever_the_chunking(feed_bytes, monkeypatch):
    # The parser only reports Apple's top-level names; others are counted when the finished elements are deleted
    # after each feed, so chunk boundaries (in the middle of anything) must not change a count.
    from app.imports.apple_health import stream

    monkeypatch.setattr(stream, "FEED_BYTES", feed_bytes)
    items, summary = parse(BROKEN_DTD + UNKNOWN)
    reference, _ = parse(BROKEN_DTD + BODY)
    assert items == reference
    assert summary.skipped == {"Correlation": 1, "Audiogram": 1, "FutureThing": 2, "AnotherThing": 1}


def test_records_as_rows_give_the_same_dicts():
    from app.imports.apple_health.elements import record_dict

    rows = list(iter_health_export(io.BytesIO((BROKEN_DTD + BODY).encode()), rows=True))
    items, _ = parse(BROKEN_DTD + BODY)
    assert [record_dict(r) if isinstance(r, tuple) else r for r in rows] == items
    assert sum(isinstance(r, tuple) for r in rows) == 5
