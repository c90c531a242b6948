"""Google Location History: the four layouts (and both on-device shapes), sniffing, traps, schemas, the shared samples."""

from __future__ import annotations

import io
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import app.imports
from app.imports.google.location import (
    LAYOUTS,
    READ_BYTES,
    SNIFF_BYTES,
    iso_time,
    iter_location,
    ms_to_iso,
    parse_latlng,
    sniff_location,
)
from app.imports.summary import FormatError, ImportSummary

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed: the schema tests cannot run")

SCHEMA_DIR = Path(app.imports.__file__).resolve().parent / "schemas"
KINDS = ("location_point", "place_visit", "activity_segment")
SAMPLES = Path(__file__).resolve().parents[4].parent / "shared" / "data" / "samples" / "google-location-history"
BOM = b"\xef\xbb\xbf"


def load_schema(kind: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / f"{kind}.json").read_text(encoding="utf-8"))


VALIDATORS = {kind: jsonschema.Draft202012Validator(load_schema(kind)) for kind in KINDS}


def parse(data: bytes | str, **kwargs: Any) -> tuple[list[dict[str, Any]], ImportSummary]:
    """All items of one file, each validated against its schema."""
    raw = data.encode() if isinstance(data, str) else data
    summary = ImportSummary()
    items = list(iter_location(io.BytesIO(raw), summary, **kwargs))
    for item in items:
        VALIDATORS[item["kind"]].validate(item)
    return items, summary


class ChunkStream:
    """A stream that cannot seek and refuses to be read whole: the parse must stream."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.largest = 0

    def read(self, size: int = -1) -> bytes:
        assert 0 <= size <= 1024 * 1024, f"read({size}): the file is not streamed"
        self.largest = max(self.largest, size)
        return self._data.read(size)


# --------------------------------------------------------------------------- fixtures

OLD_LOCATION_HISTORY = """{
  "locations" : [ {
    "timestampMs" : "1437263846012",
    "latitudeE7" : 376955289,
    "longitudeE7" : -1219287261,
    "accuracy" : 45
  }, {
    "timestampMs" : "1437263905529",
    "latitudeE7" : -338688197,
    "longitudeE7" : 1512092955,
    "accuracy" : 43,
    "velocity" : 3,
    "heading" : 271,
    "altitude" : 12,
    "verticalAccuracy" : 4,
    "activity" : [ {
      "timestampMs" : "1437263882066",
      "activity" : [ {
        "type" : "IN_VEHICLE",
        "confidence" : 40
      }, {
        "type" : "IN_ROAD_VEHICLE",
        "confidence" : 25
      } ]
    } ]
  }, {
    "timestampMs" : "0",
    "latitudeE7" : 0,
    "longitudeE7" : 0
  } ]
}"""

RECORDS_ISO = """{"locations": [
  {"latitudeE7": 356812362, "longitudeE7": 1397671248, "accuracy": 13, "source": "WIFI", "deviceTag": -577680260,
   "deviceDesignation": "PRIMARY", "timestamp": "2022-01-12T17:18:24.190Z"},
  {"latitudeE7": 356812362, "longitudeE7": 1397671248, "accuracy": 8, "source": "gps", "timestamp": "2022-01-12T17:19:24Z"},
  {"latitudeE7": 356812362, "longitudeE7": 1397671248, "timestamp": "2022-01-13T02:20:00.5+09:00"},
  {"latitudeE7": 356812362, "longitudeE7": 1397671248, "timestamp": "2022-01-12T17:21:00.123456789Z"},
  {"latitudeE7": 601868177, "longitudeE7": 248212883, "accuracy": 13, "activity": "", "source": "WIFI",
   "deviceTag": 1832214273, "timestamp": "2023-11-21T11:29:21.730Z", "deviceDesignation": "", "altitude": 28.0,
   "verticalAccuracy": 2.0, "platformType": "ANDROID", "osLevel": 33.0, "formFactor": "PHONE",
   "batteryCharging": "False", "velocity": "", "heading": "", "placeId": "ChIJw1WKQev1jUYRCdZmYR-HCiI",
   "locationMetadata": [{"wifiScan": {"accessPoints": [{"mac": "268615936393260"}]}}],
   "inferredLocation": [{"timestamp": "2023-11-21T11:29:21.729Z", "latitudeE7": 601868161, "longitudeE7": 248212879}],
   "activeWifiScan": {"accessPoints": [{"mac": "124103876652832", "strength": -63}]},
   "serverTimestamp": "2023-11-21T11:29:24.747Z"},
  {"latitudeE7": 359975588, "longitudeE7": -789225036, "accuracy": 21,
   "activity": [{"activity": [{"type": "STILL", "confidence": 62}, {"type": "IN_VEHICLE", "confidence": 31}],
                 "timestamp": "2016-08-12T19:30:45.738Z"}],
   "timestamp": "2016-08-12T19:30:49.531Z"}
]}"""

SEMANTIC = """{
  "timelineObjects": [
    {"activitySegment": {
      "startLocation": {"latitudeE7": 356580992, "longitudeE7": 1397016141, "sourceInfo": {"deviceTag": 1184882232}},
      "endLocation": {"latitudeE7": 356812362, "longitudeE7": 1397671248},
      "duration": {"startTimestamp": "2019-01-05T00:10:00.000Z", "endTimestamp": "2019-01-05T00:40:30Z"},
      "distance": 7412,
      "activityType": "IN_SUBWAY",
      "confidence": "HIGH",
      "activities": [{"activityType": "IN_SUBWAY", "probability": 91.5}, {"activityType": "IN_BUS", "probability": 5.25}],
      "waypointPath": {"waypoints": [{"latE7": 356580992, "lngE7": 1397016141}, {"latE7": 356700000, "lngE7": 1397300000},
                                     {"latE7": 356812362, "lngE7": 1397671248}],
                       "source": "INFERRED", "distanceMeters": 7388.2, "travelMode": "DRIVE", "confidence": 0.9},
      "simplifiedRawPath": {"points": [{"latE7": 356600000, "lngE7": 1397100000, "accuracyMeters": 10,
                                        "timestamp": "2019-01-05T00:15:00Z"}]},
      "transitPath": {"name": "山手線", "hexRgbColor": "9ACD32"},
      "editConfirmationStatus": "NOT_CONFIRMED"
    }},
    {"placeVisit": {
      "location": {"latitudeE7": 356812362, "longitudeE7": 1397671248, "placeId": "ChIJC3Cf2PuLGGAROO00ukl8JwA",
                   "address": "日本、〒100-0005 東京都千代田区丸の内１丁目\\n東京駅", "name": "東京駅",
                   "semanticType": "TYPE_SEARCHED_ADDRESS", "sourceInfo": {"deviceTag": 1184882232},
                   "locationConfidence": 87.5},
      "duration": {"startTimestamp": "2019-01-05T00:40:30Z", "endTimestamp": "2019-01-05T02:00:00.250Z"},
      "placeConfidence": "HIGH_CONFIDENCE",
      "visitConfidence": 96,
      "centerLatE7": 356812000, "centerLngE7": 1397671000,
      "otherCandidateLocations": [{"latitudeE7": 356800000, "longitudeE7": 1397600000, "placeId": "ChIJother"}],
      "childVisits": [{
        "location": {"latitudeE7": 356810000, "longitudeE7": 1397670000, "placeId": "ChIJchild", "name": "グランスタ"},
        "duration": {"startTimestamp": "2019-01-05T01:00:00Z", "endTimestamp": "2019-01-05T01:30:00Z"},
        "placeConfidence": "LOW_CONFIDENCE"
      }],
      "editConfirmationStatus": "CONFIRMED"
    }},
    {"activitySegment": {
      "startLocation": {}, "endLocation": {},
      "duration": {"startTimestamp": "2013-12-01T07:05:14.222Z", "endTimestamp": "2013-12-01T07:11:13.214Z"},
      "confidence": "LOW",
      "activities": [{"activityType": "WALKING", "probability": 0.0}, {"activityType": "CYCLING", "probability": 0.0}],
      "waypointPath": {"waypoints": [{"latE7": 533407440, "lngE7": 837026901}], "distanceMeters": 209.65, "travelMode": "WALK"}
    }},
    {"placeVisit": {"location": {"latitudeE7": -123522222, "longitudeE7": -123522222},
                    "duration": {"startTimestampMs": "1742844302585"}}},
    {"placeVisit": {"location": {"latitudeE7": 1, "longitudeE7": 2}, "duration": {}}},
    {"somethingNew": {}}
  ]
}"""

ANDROID = """{
  "rawSignals": [
    {"position": {"LatLng": "35.6812362°, 139.7671248°", "accuracyMeters": 13, "altitudeMeters": 45.7, "source": "WIFI",
                  "timestamp": "2024-06-15T09:05:00.000+09:00", "speedMetersPerSecond": 0.0}},
    {"wifiScan": {"deliveryTime": "2024-06-15T09:05:00.000+09:00", "devicesRecords": [{"mac": 1, "rawRssi": -60}]}},
    {"activityRecord": {"probableActivities": [{"type": "STILL", "confidence": 0.97}],
                        "timestamp": "2024-06-15T09:05:00.000+09:00"}},
    {"position": {"LatLng": "48.8566, 2.3522", "accuracyMeters": 15, "timestamp": "2024-06-15T00:05:00.000Z"}}
  ],
  "semanticSegments": [
    {"startTime": "2024-06-15T09:00:00.000+09:00", "endTime": "2024-06-15T10:00:00.000+09:00",
     "startTimeTimezoneUtcOffsetMinutes": 540, "endTimeTimezoneUtcOffsetMinutes": 540,
     "visit": {"hierarchyLevel": 0, "probability": 0.83,
               "topCandidate": {"placeId": "ChIJhome", "semanticType": "INFERRED_HOME", "probability": 0.95,
                                "placeLocation": {"latLng": "35.6812362°, 139.7671248°"}}}},
    {"startTime": "2024-06-15T09:00:00.000+09:00", "endTime": "2024-06-15T10:00:00.000+09:00",
     "visit": {"hierarchyLevel": 1, "probability": 0.5,
               "topCandidate": {"placeId": "ChIJshop", "semanticType": "UNKNOWN", "probability": 0.4,
                                "placeLocation": {"latLng": "35.6813°, 139.7672°"}}}},
    {"startTime": "2024-06-15T10:00:00.000+09:00", "endTime": "2024-06-15T10:30:00.000+09:00",
     "activity": {"start": {"latLng": "35.6812362°, 139.7671248°"}, "end": {"latLng": "-33.8688°, 151.2093°"},
                  "distanceMeters": 1523.4, "probability": 0.99,
                  "topCandidate": {"type": "IN_PASSENGER_VEHICLE", "probability": 0.85},
                  "parking": {"location": {"latLng": "-33.8688°, 151.2093°"}, "startTime": "2024-06-15T10:30:00.000+09:00"}}},
    {"startTime": "2024-06-15T10:00:00.000+09:00", "endTime": "2024-06-15T12:00:00.000+09:00",
     "timelinePath": [{"point": "35.6812362°, 139.7671248°", "time": "2024-06-15T10:04:00.000+09:00"},
                      {"point": "35.69°, 139.70°", "time": "2024-06-15T10:14:00.000+09:00"},
                      {"point": "35.69°, 139.70°"},
                      {"point": "nowhere", "time": "2024-06-15T10:20:00.000+09:00"}]},
    {"startTime": "2024-06-01T00:00:00.000+09:00", "endTime": "2024-06-20T00:00:00.000+09:00",
     "timelineMemory": {"trip": {"distanceFromOriginKms": 120, "destinations": [{"identifier": {"placeId": "ChIJtrip"}}]}}}
  ],
  "userLocationProfile": {"frequentPlaces": [{"placeId": "ChIJhome", "placeLocation": "35.6812362°, 139.7671248°",
                                              "label": "HOME"}]}
}"""

IOS = """[
  {"endTime": "2023-08-27T17:04:26.999-05:00", "startTime": "2023-08-27T15:48:56.000-05:00",
   "visit": {"hierarchyLevel": "0", "probability": "0.710000",
             "topCandidate": {"probability": "0.785181", "semanticType": "Unknown", "placeID": "ChIJxxP_Qwb2aIYRTwDNDLkUmD0",
                              "placeLocation": "geo:27.720022,-97.347951"}}},
  {"endTime": "2023-08-27T18:30:00.000-05:00", "startTime": "2023-08-27T17:04:26.999-05:00",
   "activity": {"start": "geo:27.720022,-97.347951", "end": "geo:27.701123,-97.362988", "distanceMeters": "2530.5",
                "probability": "0.93", "topCandidate": {"type": "walking", "probability": "0.61"}}},
  {"endTime": "2023-08-28T00:00:00.000Z", "startTime": "2023-08-27T22:00:00.000Z",
   "timelinePath": [{"point": "geo:27.701123,-97.362988", "durationMinutesOffsetFromStartTime": "4"},
                    {"point": "geo:27.701123,-97.362988", "durationMinutesOffsetFromStartTime": "4"},
                    {"point": "geo:27.687173,-97.363743", "durationMinutesOffsetFromStartTime": "119"},
                    {"point": "geo:27.687173,-97.363743"}]},
  {"endTime": "2024-01-01T11:00:00.000+09:00", "startTime": "2024-01-01T09:00:00.000+09:00",
   "timelinePath": [{"point": "geo:35.681236,139.767125", "durationMinutesOffsetFromStartTime": "90"}]},
  {"endTime": "2023-09-02T23:25:59.000-06:00", "startTime": "2023-08-27T14:48:56.000-06:00",
   "timelineMemory": {"destinations": [{"identifier": "ChIJs9KSYYBfaIYRj5AOiZNQ0a4"}], "distanceFromOriginKms": "1594"}}
]"""


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize(("text", "layout"), [
    (OLD_LOCATION_HISTORY, "records_e7"),
    (RECORDS_ISO, "records_iso"),
    ('{"locations": []}', "records_iso"),
    (SEMANTIC, "semantic"),
    ('{"timelineObjects": []}', "semantic"),
    (ANDROID, "android_timeline"),
    ('{"semanticSegments": [], "rawSignals": []}', "android_timeline"),
    (IOS, "ios_timeline"),
])
def test_sniff_layouts(text, layout):
    assert layout in LAYOUTS
    assert sniff_location(text.encode()) == layout
    assert sniff_location(BOM + text.encode()) == layout
    assert sniff_location(b"\n  \t" + text.encode()) == layout


@pytest.mark.parametrize("text", [
    '{"gaiaId": "759627134211", "deviceSettings": [{"deviceTag": -1234567890}]}',  # Settings.json
    '{"timelineEdits": [{"deviceId": "-1613859921"}]}',  # Timeline Edits.json
    '[{"header": "YouTube", "title": "Watched x", "time": "2024-01-01T00:00:00Z"}]',  # watch-history.json
    '{"locations": [{"name": "Shop", "city": "Tokyo"}]}',  # "locations" that are not records
    '{"locations": [1, 2]}',
    '{"locations": {"latitudeE7": 1}}',
    "[]",
    "[1, 2]",
    "{}",
    '"text"',
    "42",
    "null",
])
def test_sniff_refuses_other_json(text):
    assert sniff_location(text.encode()) is None
    with pytest.raises(FormatError) as raised:
        parse(text)
    assert raised.value.code == "not_location"


@pytest.mark.parametrize("data", [
    b"",
    b"   ",
    b"not json at all",
    b"\x89PNG\r\n\x1a\n\x00\x00",
    b'{"locations": [{"timestampMs": "1", "latitudeE7": 1, "longitudeE7": 2}',  # cut short
    b'{"locations": [],}',
    b'{"locations": []} {"locations": []}',
    b"\xff\xfe{\x00}\x00",  # UTF-16
])
def test_not_json_refused(data):
    """Refused as "json" (the last three only while iterating: their head looks like Records.json)."""
    if not data.startswith(b'{"locations"'):
        assert sniff_location(data) is None
    with pytest.raises(FormatError) as raised:
        parse(data)
    assert raised.value.code == "json"
    assert "\n" not in str(raised.value)  # yajl's quote of the file's bytes is not passed on


def test_sniff_a_head_cut_inside_a_character():
    """The head ends in the middle of a Japanese address: still a semantic file, not invalid UTF-8."""
    visit = {"placeVisit": {"location": {"address": "東京都千代田区丸の内" * 400}, "duration": {}}}
    data = json.dumps({"timelineObjects": [visit] * 5}, ensure_ascii=False).encode()
    for cut in range(SNIFF_BYTES - 3, SNIFF_BYTES + 1):
        assert sniff_location(data[:cut]) == "semantic"
    records = json.dumps({"locations": [{"latitudeE7": 1, "activity": [{"note": "駅" * 30000}], "timestamp": "x"}]},
                         ensure_ascii=False).encode()
    assert sniff_location(records[:SNIFF_BYTES - 1]) == "records_iso"


def test_big_file_cut_short_fails_after_its_items():
    point = '{{"timestampMs": "{}", "latitudeE7": 356000000, "longitudeE7": 1397000000, "accuracy": 5}}'
    points = ",".join(point.format(1_500_000_000_000 + i * 60_000) for i in range(5000))
    data = ('{"locations": [' + points + "]}").encode()
    assert len(data) > SNIFF_BYTES
    summary = ImportSummary()
    seen = 0
    with pytest.raises(FormatError) as raised:
        for _item in iter_location(io.BytesIO(data[:-400]), summary):
            seen += 1
    assert raised.value.code == "json"
    assert 4990 < seen < 5000
    assert summary.counts["location_point"] == seen
    assert summary.first == datetime(2017, 7, 14, 2, 40, tzinfo=UTC)  # the range of what was read is kept


# --------------------------------------------------------------------------- (a) old Location History.json


def test_old_location_history():
    items, summary = parse(OLD_LOCATION_HISTORY)
    assert [i["time"] for i in items] == [
        "2015-07-18T23:57:26.012+00:00", "2015-07-18T23:58:25.529+00:00", "1970-01-01T00:00:00.000+00:00"]
    first, second, third = items
    assert first == {
        "kind": "location_point", "schema_version": 1,
        "time": "2015-07-18T23:57:26.012+00:00", "latitude": 37.6955289, "longitude": -121.9287261, "accuracy_m": 45,
    }
    assert (second["latitude"], second["longitude"]) == (-33.8688197, 151.2092955)
    assert (second["velocity_mps"], second["heading_deg"], second["altitude_m"], second["vertical_accuracy_m"]) == (3, 271, 12, 4)
    assert second["activity"] == [{"time": "2015-07-18T23:58:02.066+00:00", "guesses": [
        {"type": "IN_VEHICLE", "probability": 0.4}, {"type": "IN_ROAD_VEHICLE", "probability": 0.25}]}]
    assert third["accuracy_m"] is None and (third["latitude"], third["longitude"]) == (0.0, 0.0)
    assert summary.counts == {"location_point": 3}
    assert summary.first == datetime(1970, 1, 1, tzinfo=UTC)
    assert summary.last == datetime(2015, 7, 18, 23, 58, 25, 529000, tzinfo=UTC)
    assert not summary.warnings and not summary.skipped


def test_ms_to_iso_matches_datetime():
    rnd = random.Random(7)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    values = [0, 1, 999, 1000, 3_599_999, 3_600_000, 86_399_999, 86_400_000, -1, -86_400_001, 951_782_400_000,
              253_402_300_799_999] + [rnd.randint(-2_000_000_000_000, 4_000_000_000_000) for _ in range(2000)]
    for ms in values:
        expected = (epoch + timedelta(milliseconds=ms)).isoformat(timespec="milliseconds")
        assert ms_to_iso(ms) == expected, ms
    with pytest.raises((ValueError, OverflowError)):
        ms_to_iso(253_402_300_800_000)  # year 10000


def test_unsigned_e7_values_are_corrected():
    """Some old exports hold latitudeE7/longitudeE7 as unsigned 32-bit integers: 4233738877 means -6.12°."""
    items, summary = parse('{"locations": [{"timestampMs": "1500000000000", "latitudeE7": 4233738877, "longitudeE7": 1066510714},'
                           '{"timestampMs": "1500000000000", "latitudeE7": 356000000, "longitudeE7": 3000000000}]}')
    assert (items[0]["latitude"], items[0]["longitude"]) == (-6.1228419, 106.6510714)
    assert items[1]["longitude"] == pytest.approx(-129.4967296)
    assert summary.warnings["e7_unsigned"]["count"] == 2


def test_broken_points_are_skipped_with_a_warning():
    data = """{"locations": [
      {"timestampMs": "1500000000000", "latitudeE7": 356000000, "longitudeE7": 1397000000},
      {"timestampMs": "1500000060000", "longitudeE7": 1397000000},
      {"timestampMs": "soon", "latitudeE7": 356000000, "longitudeE7": 1397000000},
      {"latitudeE7": 356000000, "longitudeE7": 1397000000},
      {"timestamp": "2021-02-30T10:00:00Z", "latitudeE7": 356000000, "longitudeE7": 1397000000},
      {"timestamp": "2021-02-03T10:00:00", "latitudeE7": 356000000, "longitudeE7": 1397000000},
      {"timestampMs": "1500000120000", "latitudeE7": 950000000, "longitudeE7": 1397000000},
      {"timestampMs": "1500000120000", "latitudeE7": "356000000", "longitudeE7": 1397000000},
      {"timestampMs": "99999999999999999", "latitudeE7": 356000000, "longitudeE7": 1397000000},
      "a string",
      null,
      {"timestampMs": "1500000180000", "latitudeE7": 356000000, "longitudeE7": 1397000000, "accuracy": "n/a"}
    ]}"""
    items, summary = parse(data)
    assert [i["time"] for i in items] == ["2017-07-14T02:40:00.000+00:00", "2017-07-14T02:43:00.000+00:00"]
    assert items[1]["accuracy_m"] is None
    assert summary.counts == {"location_point": 2}
    assert summary.skipped == {"location_point": 10}
    codes = {code: w["count"] for code, w in summary.warnings.items()}
    assert codes == {
        "location_point_no_coordinates": 2,
        "location_point_no_time": 5,
        "location_point_bad_coordinates": 1,
        "location_point_not_object": 2,
    }
    assert summary.warnings["location_point_no_time"]["message"] == "a location point that had no readable time was skipped"


# --------------------------------------------------------------------------- (b) Records.json


def test_records_json_iso_times_and_fields():
    items, summary = parse(RECORDS_ISO)
    assert [i["time"] for i in items] == [
        "2022-01-12T17:18:24.190+00:00",
        "2022-01-12T17:19:24+00:00",
        "2022-01-13T02:20:00.5+09:00",
        "2022-01-12T17:21:00.123456+00:00",
        "2023-11-21T11:29:21.730+00:00",
        "2016-08-12T19:30:49.531+00:00",
    ]
    assert not any("layout" in i or "origin" in i for i in items)  # a Takeout record: the bulk, kept lean
    assert items[0]["source"] == "WIFI" and items[0]["device_tag"] == "-577680260"
    assert items[1]["source"] == "GPS"  # lower case in some exports
    rich = items[4]
    assert {k: v for k, v in rich.items() if k not in ("kind", "schema_version", "time")} == {
        "latitude": 60.1868177, "longitude": 24.8212883, "accuracy_m": 13, "source": "WIFI", "device_tag": "1832214273",
        "altitude_m": 28.0, "vertical_accuracy_m": 2.0, "platform_type": "ANDROID", "os_level": 33, "form_factor": "PHONE",
        "battery_charging": False, "place_id": "ChIJw1WKQev1jUYRCdZmYR-HCiI",
    }  # "" velocity/heading/activity/deviceDesignation dropped; Wi-Fi scans and inferredLocation not imported
    assert items[5]["activity"] == [{"time": "2016-08-12T19:30:45.738+00:00", "guesses": [
        {"type": "STILL", "probability": 0.62}, {"type": "IN_VEHICLE", "probability": 0.31}]}]
    assert summary.first == datetime(2016, 8, 12, 19, 30, 49, 531000, tzinfo=UTC)
    assert summary.last == datetime(2023, 11, 21, 11, 29, 21, 730000, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("2022-01-12T17:18:24.190Z", "2022-01-12T17:18:24.190+00:00"),
    ("2022-01-12T17:18:24Z", "2022-01-12T17:18:24+00:00"),
    ("2024-06-15T09:00:00.000+02:00", "2024-06-15T09:00:00.000+02:00"),
    ("2024-06-15T09:00:00+0900", "2024-06-15T09:00:00+09:00"),
    ("2023-08-27T15:48:56.000-05:00", "2023-08-27T15:48:56.000-05:00"),
    ("2022-01-12T17:18:24.123456789Z", "2022-01-12T17:18:24.123456+00:00"),
    ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00+00:00"),
    ("2023-02-29T00:00:00Z", None),
    ("2022-01-12T24:00:00Z", None),
    ("2022-01-12T17:18:24", None),
    ("2022-01-12", None),
    ("1642007904190", None),
    ("", None),
    (None, None),
    (1642007904190, None),
])
def test_iso_time(text, expected):
    assert iso_time(text) == expected


# --------------------------------------------------------------------------- (c) Semantic Location History


def test_semantic_location_history():
    items, summary = parse(SEMANTIC)
    assert [i["kind"] for i in items] == ["activity_segment", "place_visit", "place_visit", "activity_segment", "place_visit"]
    subway, station, shop, walk, old = items
    assert subway == {
        "kind": "activity_segment", "schema_version": 1, "layout": "semantic",
        "start": "2019-01-05T00:10:00.000+00:00", "end": "2019-01-05T00:40:30+00:00",
        "start_latitude": 35.6580992, "start_longitude": 139.7016141, "end_latitude": 35.6812362, "end_longitude": 139.7671248,
        "distance_m": 7412, "path_distance_m": 7388.2, "activity_type": "IN_SUBWAY", "confidence": "HIGH",
        "probability": 0.915,
        "activities": [{"type": "IN_SUBWAY", "probability": 0.915}, {"type": "IN_BUS", "probability": 0.0525}],
        "travel_mode": "DRIVE", "waypoint_count": 3,
        "waypoints": [{"latitude": 35.6580992, "longitude": 139.7016141}, {"latitude": 35.67, "longitude": 139.73},
                      {"latitude": 35.6812362, "longitude": 139.7671248}],
        "transit_line": "山手線", "edit_status": "NOT_CONFIRMED",
    }
    assert station == {
        "kind": "place_visit", "schema_version": 1, "layout": "semantic",
        "start": "2019-01-05T00:40:30+00:00", "end": "2019-01-05T02:00:00.250+00:00",
        "latitude": 35.6812362, "longitude": 139.7671248, "place_id": "ChIJC3Cf2PuLGGAROO00ukl8JwA", "name": "東京駅",
        "address": "日本、〒100-0005 東京都千代田区丸の内１丁目\n東京駅", "semantic_type": "TYPE_SEARCHED_ADDRESS",
        "place_confidence": "HIGH_CONFIDENCE", "probability": 0.96, "place_probability": 0.875, "hierarchy_level": 0,
        "parent_place_id": None, "device_tag": "1184882232", "edit_status": "CONFIRMED",
    }
    assert (shop["name"], shop["hierarchy_level"], shop["parent_place_id"]) == ("グランスタ", 1, "ChIJC3Cf2PuLGGAROO00ukl8JwA")
    # startLocation {} and no activityType: the first of activities[] (most likely first), no distance
    assert (walk["start_latitude"], walk["activity_type"], walk["probability"]) == (None, "WALKING", 0.0)
    assert walk["distance_m"] is None
    assert (walk["waypoint_count"], walk["path_distance_m"], walk["travel_mode"]) == (1, 209.65, "WALK")
    # the older duration.startTimestampMs form, without an end
    assert (old["start"], old["end"], old["latitude"]) == ("2025-03-24T19:25:02.585+00:00", None, -12.3522222)
    assert summary.counts == {"activity_segment": 2, "place_visit": 3}
    assert summary.skipped == {"place_visit": 1, "somethingNew": 1}
    assert "place_visit_no_time" in summary.warnings
    assert summary.first == datetime(2013, 12, 1, 7, 5, 14, 222000, tzinfo=UTC)
    assert summary.last == datetime(2025, 3, 24, 19, 25, 2, 585000, tzinfo=UTC)


def test_semantic_with_bom():
    text = ('{"timelineObjects": [{"activitySegment": {"startLocation": {"latitudeE7": 604518000, "longitudeE7": 222666000},'
            ' "endLocation": {"latitudeE7": 604519000, "longitudeE7": 222667000},'
            ' "duration": {"startTimestamp": "2024-01-01T10:00:00Z", "endTimestamp": "2024-01-01T10:30:00Z"}}}]}')
    items, _summary = parse(BOM + text.encode())
    assert items[0]["start_latitude"] == 60.4518
    assert items[0]["activities"] == [] and items[0]["activity_type"] is None


# --------------------------------------------------------------------------- (d) on-device Timeline: Android


def test_android_timeline():
    items, summary = parse(ANDROID)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_kind.setdefault(item["kind"], []).append(item)
    home, shop = by_kind["place_visit"]
    assert home == {
        "kind": "place_visit", "schema_version": 1, "layout": "android_timeline",
        "start": "2024-06-15T09:00:00.000+09:00", "end": "2024-06-15T10:00:00.000+09:00",
        "latitude": 35.6812362, "longitude": 139.7671248, "place_id": "ChIJhome", "name": None, "address": None,
        "semantic_type": "INFERRED_HOME", "place_confidence": None, "probability": 0.83, "place_probability": 0.95,
        "hierarchy_level": 0, "parent_place_id": None, "device_tag": None, "edit_status": None,
    }
    assert (shop["place_id"], shop["hierarchy_level"]) == ("ChIJshop", 1)
    (drive,) = by_kind["activity_segment"]
    assert (drive["start_latitude"], drive["start_longitude"], drive["end_latitude"], drive["end_longitude"]) == (
        35.6812362, 139.7671248, -33.8688, 151.2093)
    assert (drive["activity_type"], drive["probability"], drive["distance_m"]) == ("IN_PASSENGER_VEHICLE", 0.85, 1523.4)
    assert drive["activities"] == [{"type": "IN_PASSENGER_VEHICLE", "probability": 0.85}] and drive["waypoint_count"] == 0
    points = by_kind["location_point"]
    raw = [p for p in points if p["origin"] == "raw_signal"]
    path = [p for p in points if p["origin"] == "timeline_path"]
    assert raw[0] == {
        "kind": "location_point", "schema_version": 1, "layout": "android_timeline", "origin": "raw_signal",
        "time": "2024-06-15T09:05:00.000+09:00", "latitude": 35.6812362, "longitude": 139.7671248, "accuracy_m": 13,
        "altitude_m": 45.7, "velocity_mps": 0.0, "source": "WIFI",
    }
    assert (raw[1]["latitude"], raw[1]["longitude"], raw[1]["time"]) == (48.8566, 2.3522, "2024-06-15T00:05:00.000+00:00")
    assert [(p["time"], p["latitude"]) for p in path] == [
        ("2024-06-15T10:04:00.000+09:00", 35.6812362), ("2024-06-15T10:14:00.000+09:00", 35.69)]
    assert summary.counts == {"place_visit": 2, "activity_segment": 1, "location_point": 4}
    assert summary.skipped == {"location_point": 2, "timelineMemory": 1, "wifiScan": 1, "activityRecord": 1}
    assert summary.first == datetime(2024, 6, 15, 0, 0, tzinfo=UTC)
    assert summary.last == datetime(2024, 6, 15, 1, 30, tzinfo=UTC)  # the end of the drive: a timelinePath bucket is no item


@pytest.mark.parametrize(("text", "expected"), [
    ("48.8566°, 2.3522°", (48.8566, 2.3522)),
    ("-33.8688°, 151.2093°", (-33.8688, 151.2093)),
    ("48.8566\u00c2\u00b0, 2.3522\u00c2\u00b0", (48.8566, 2.3522)),  # ° through a Windows code page
    ("48.8566, 2.3522", (48.8566, 2.3522)),
    ("geo:27.720022,-97.347951", (27.720022, -97.347951)),
    ("geo: 27.72 , -97.34", (27.72, -97.34)),
    ("geo:27.72,-97.34;u=35", (27.72, -97.34)),
    ({"latLng": "1°, 2°"}, (1.0, 2.0)),
    ({"LatLng": "1°, 2°"}, (1.0, 2.0)),
    ("91°, 2°", None),
    ("1°, 181°", None),
    ("nowhere", None),
    ("", None),
    (None, None),
    ({}, None),
])
def test_parse_latlng(text, expected):
    assert parse_latlng(text) == expected


# --------------------------------------------------------------------------- (d) on-device Timeline: iOS


def test_ios_timeline():
    items, summary = parse(IOS)
    visit, walk, *points = items
    assert visit == {
        "kind": "place_visit", "schema_version": 1, "layout": "ios_timeline",
        "start": "2023-08-27T15:48:56.000-05:00", "end": "2023-08-27T17:04:26.999-05:00",
        "latitude": 27.720022, "longitude": -97.347951, "place_id": "ChIJxxP_Qwb2aIYRTwDNDLkUmD0", "name": None,
        "address": None, "semantic_type": "Unknown", "place_confidence": None, "probability": 0.71,
        "place_probability": 0.785181, "hierarchy_level": 0, "parent_place_id": None, "device_tag": None, "edit_status": None,
    }
    assert (walk["activity_type"], walk["probability"], walk["distance_m"]) == ("walking", 0.61, 2530.5)
    assert (walk["start_latitude"], walk["end_longitude"]) == (27.720022, -97.362988)
    # times: the segment start plus the offset in minutes, in the start's own zone; duplicates are kept
    assert [(p["time"], p["latitude"]) for p in points] == [
        ("2023-08-27T22:04:00+00:00", 27.701123),
        ("2023-08-27T22:04:00+00:00", 27.701123),
        ("2023-08-27T23:59:00+00:00", 27.687173),
        ("2024-01-01T10:30:00+09:00", 35.681236),
    ]
    assert {p["origin"] for p in points} == {"timeline_path"}
    assert summary.counts == {"place_visit": 1, "activity_segment": 1, "location_point": 4}
    assert summary.skipped == {"location_point": 1, "timelineMemory": 1}
    assert summary.first == datetime(2023, 8, 27, 20, 48, 56, tzinfo=UTC)
    assert summary.last == datetime(2024, 1, 1, 1, 30, tzinfo=UTC)


# --------------------------------------------------------------------------- streaming, API


@pytest.mark.parametrize("text", [OLD_LOCATION_HISTORY, RECORDS_ISO, SEMANTIC, ANDROID, IOS])
def test_streams_without_seeking(text):
    """A non-seekable stream read in bounded chunks (a zip member) gives the same items, a BOM too."""
    expected, _ = parse(text)
    for data in (text.encode(), BOM + text.encode()):
        stream = ChunkStream(data)
        assert list(iter_location(stream, ImportSummary())) == expected  # type: ignore[arg-type]
        assert stream.largest <= max(READ_BYTES, SNIFF_BYTES)


def test_big_android_file_streams():
    segments = [{"startTime": "2024-06-15T10:00:00.000+09:00", "endTime": "2024-06-15T12:00:00.000+09:00",
                 "timelinePath": [{"point": f"35.{i:04d}°, 139.7°", "time": "2024-06-15T10:04:00.000+09:00"}]}
                for i in range(4000)]
    signals = [{"position": {"LatLng": "35.1°, 139.2°", "timestamp": "2024-06-15T09:05:00.000+09:00"}}] * 3000
    data = json.dumps({"semanticSegments": segments, "rawSignals": signals}, ensure_ascii=False).encode()
    assert len(data) > 2 * READ_BYTES
    summary = ImportSummary()
    assert sum(1 for _ in iter_location(ChunkStream(data), summary)) == 7000  # type: ignore[arg-type]
    assert summary.counts == {"location_point": 7000}


def test_explicit_layout():
    items, _ = parse(OLD_LOCATION_HISTORY, layout="records_e7")
    assert len(items) == 3
    assert parse(OLD_LOCATION_HISTORY, layout="records_iso")[0] == items  # each record's time field decides
    with pytest.raises(ValueError, match="layout"):
        parse(OLD_LOCATION_HISTORY, layout="kml")


def test_date_range_kept_when_the_reader_stops_early():
    summary = ImportSummary()
    items = iter_location(io.BytesIO(OLD_LOCATION_HISTORY.encode()), summary)
    next(items)
    items.close()  # type: ignore[attr-defined]
    assert summary.first == summary.last == datetime(2015, 7, 18, 23, 57, 26, 12000, tzinfo=UTC)


# --------------------------------------------------------------------------- schemas


@pytest.mark.parametrize("kind", KINDS)
def test_schemas_are_valid_and_versioned(kind):
    schema = load_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://azukari.example/schemas/imports/{kind}/1.json"
    assert schema["additionalProperties"] is False


def test_every_kind_and_optional_field_is_validated():
    seen: set[str] = set()
    fields: set[str] = set()
    for text in (OLD_LOCATION_HISTORY, RECORDS_ISO, SEMANTIC, ANDROID, IOS):
        for item in parse(text)[0]:  # parse() validates
            seen.add(item["kind"])
            if item["kind"] == "location_point":
                fields.update(item)
    assert seen == set(KINDS)
    assert fields == set(load_schema("location_point")["properties"])


def test_schemas_reject_wrong_dicts():
    point = parse(OLD_LOCATION_HISTORY)[0][0]
    validator = VALIDATORS["location_point"]
    assert validator.is_valid(point)
    assert not validator.is_valid({**point, "time": "2015-07-19T00:57:26"})  # no offset
    assert not validator.is_valid({**point, "latitude": 95.0})
    assert not validator.is_valid({**point, "latitudeE7": 1})
    assert not VALIDATORS["place_visit"].is_valid({"kind": "place_visit", "schema_version": 1, "start": "2019-01-05T00:40:30Z"})


# --------------------------------------------------------------------------- the shared samples


def _sample_files() -> list[Path]:
    return sorted(SAMPLES.rglob("*.json")) if SAMPLES.is_dir() else []


def _independent_counts(doc: Any) -> dict[str, int]:
    """What a sample should yield, counted from `json.load` without the parser's code."""
    counts = {"location_point": 0, "place_visit": 0, "activity_segment": 0}

    def visits(visit: dict[str, Any]) -> int:
        return 1 + sum(visits(child) for child in visit.get("childVisits", []))

    def segment(seg: dict[str, Any]) -> None:
        counts["place_visit"] += "visit" in seg
        counts["activity_segment"] += "activity" in seg
        counts["location_point"] += len(seg.get("timelinePath", []))

    if isinstance(doc, list):
        for seg in doc:
            segment(seg)
    elif "locations" in doc:
        counts["location_point"] = len(doc["locations"])
    elif "timelineObjects" in doc:
        for obj in doc["timelineObjects"]:
            counts["place_visit"] += visits(obj["placeVisit"]) if "placeVisit" in obj else 0
            counts["activity_segment"] += "activitySegment" in obj
    else:
        for seg in doc.get("semanticSegments", []):
            segment(seg)
        counts["location_point"] += sum("position" in s for s in doc.get("rawSignals", []))
    return {k: v for k, v in counts.items() if v}


def test_samples_are_present():
    if not SAMPLES.is_dir():
        pytest.skip(f"the shared Location History samples are not here ({SAMPLES})")
    assert len(_sample_files()) >= 8


@pytest.mark.parametrize("path", _sample_files(), ids=lambda p: str(p.relative_to(SAMPLES)))
def test_sample(path: Path):
    data = path.read_bytes()
    doc = json.loads(data.decode("utf-8-sig"))
    layout = sniff_location(data[:SNIFF_BYTES])
    if path.parent.name in ("other", "schemas"):  # Settings.json, Timeline Edits.json, JSON Schemas: not imported
        assert layout is None
        with pytest.raises(FormatError) as raised:
            parse(data)
        assert raised.value.code == "not_location"
        return
    assert layout is not None
    items, summary = parse(data)
    assert dict(summary.counts) == _independent_counts(doc)
    assert not summary.skipped.get("location_point") and not summary.skipped.get("place_visit")
    assert not summary.warnings
    assert summary.first is not None and summary.first <= summary.last  # type: ignore[operator]
    assert len(items) == sum(summary.counts.values())


# --------------------------------------------------------------------------- robustness

_ODD_VALUES: list[Any] = [None, True, 0, -1, 1e308, -0.5, "", "x", "°", "geo:", "NaN", [], [1, "a"], {}, {"a": None},
                          "2024-13-45T99:99:99Z", "99999999999999999999"]


def _mutate(node: Any, rnd: random.Random) -> Any:
    """A copy of a document with about one value in six replaced by a value of another type."""
    if isinstance(node, dict):
        return {k: (rnd.choice(_ODD_VALUES) if rnd.random() < 1 / 6 else _mutate(v, rnd)) for k, v in node.items()}
    if isinstance(node, list):
        return [rnd.choice(_ODD_VALUES) if rnd.random() < 1 / 6 else _mutate(v, rnd) for v in node]
    return node


@pytest.mark.parametrize("text", [OLD_LOCATION_HISTORY, RECORDS_ISO, SEMANTIC, ANDROID, IOS],
                         ids=["records_e7", "records_iso", "semantic", "android", "ios"])
def test_odd_values_never_fail_the_file(text):
    """Any value of any type anywhere: entries are imported or skipped, items stay schema-valid, nothing raises
    but FormatError (when a mutation hits the top-level key that names the layout)."""
    rnd = random.Random(text[:40])
    doc = json.loads(text)
    for _ in range(300):
        data = json.dumps(_mutate(doc, rnd), ensure_ascii=False).encode()
        try:
            parse(data)
        except FormatError as exc:
            assert exc.code == "not_location"
