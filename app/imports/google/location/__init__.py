"""Google Location History, all four layouts, streamed into interchange dicts (no Flask, no database).

Layouts (told apart by content, never by file name: the names are localized, e.g. `ロケーション履歴（タイムライン）/
Records.json`, `Standortverlauf/Semantic Location History/2019/2019_JANUARY.json`):

- "records_e7": the old Takeout `Location History.json` (to ~2021): `{"locations": [...]}` whose records carry
  `timestampMs` (epoch milliseconds as a *string*) and `latitudeE7`/`longitudeE7` (degrees × 10⁷, integers).
- "records_iso": the Takeout `Records.json` (from ~2022): the same records with an ISO `timestamp` (`…Z`, with or
  without milliseconds) instead of `timestampMs`. Both are read the same way: each record's own time field decides.
- "semantic": the monthly `Semantic Location History/YYYY/YYYY_MONTH.json`: `{"timelineObjects": [{"placeVisit": …} |
  {"activitySegment": …}]}`, with `duration.startTimestamp` (older files: `startTimestampMs`).
- "android_timeline": the on-device Timeline export of Android (`Timeline.json`, 2024+, not in Takeout):
  `{"semanticSegments": [...], "rawSignals": [...], "userLocationProfile": {...}}`, coordinates as `"48.85°, 2.35°"`,
  times as local ISO with their offset.
- "ios_timeline": the on-device export of iOS (`location-history.json`): a bare top-level array of segments,
  coordinates as `"geo:27.72,-97.34"`, numbers written as strings, path times as minutes after the segment start.

`sniff_location(head)` names the layout from the first bytes; `iter_location(stream, summary)` yields the dicts.
Memory is flat: `ijson` (yajl2_c backend) builds one record, segment or timeline object at a time, never the whole
file; for the Android layout two C parsers read the same bytes, one per top-level array, so that file too is read
once, even from a stream that cannot seek.

Modules: `sniff` (which layout a file is), `stream` (the head read once, then the rest; ijson over it; JSON errors),
`values` (times, numbers, text, coordinates and E7 read leniently), `items` (the schema version; counting an item, or
skipping an entry with a warning), `records` (the layouts "records_e7" and "records_iso"), `semantic`, `on_device`
(the Android and iOS exports), `parse` (`iter_location`, which hands a file to one of them).

Output (schemas in `app/imports/schemas/`): `location_point`, `place_visit`, `activity_segment`, each with "kind" and
"schema_version": 1; visits, segments and on-device points also name their "layout" (a Takeout record point does
not: a million copies of the same word cost time and space). Times are ISO 8601 with an offset: `+00:00` for UTC
(`Z`; epoch milliseconds always get 3 decimals), the source's own offset otherwise (the on-device exports write local
time with an offset, and it is kept); a fraction is kept as written. Coordinates are degrees (E7 ÷ 10⁷). Every
probability is a 0–1 fraction: Google's 0–100 percentages (`confidence` of raw activity guesses, `probability` of
semantic activities, `visitConfidence`, `locationConfidence`) are divided by 100; the on-device exports already
write fractions (iOS as strings). Lengths are metres, speeds m/s.

Counting units
--------------

- `location_point`: one per raw position, i.e. one per entry of `locations[]` (old `Location History.json` and
  `Records.json`; these points, the bulk, carry no "layout" or "origin"), one per `rawSignals[].position` of the
  Android export ("origin": "raw_signal"), and one per point of a `timelinePath` in the Android and iOS exports
  ("origin": "timeline_path"; iOS gives each point as minutes after its segment's start, so its time is that start
  plus the minutes, in the start's offset). A timelinePath segment is only a container of about two hours of
  points: it is not counted as anything itself, its points are. Points are not de-duplicated here (the iOS export
  repeats identical points; Records.json and an Android export of the same days overlap): each entry in the file is
  one point. Activity guesses (`activity[]`) stay inside their point. Not imported, not counted: Wi-Fi scans
  (`locationMetadata`, `activeWifiScan`, `rawSignals[].wifiScan`: they hold the MAC addresses of other people's
  access points), `inferredLocation[]` (an alternative position for the same record), `rawSignals[].activityRecord`,
  and the `userLocationProfile` (frequent places, travel-mode affinities).
- `place_visit`: one per `placeVisit` of a semantic file, plus one per entry of its `childVisits[]` (a shop inside a
  mall: the same time span, `hierarchy_level` 1 and `parent_place_id` set), and one per on-device segment with a
  `visit` (Android writes a nested visit as a second segment with `hierarchyLevel` 1). `otherCandidateLocations[]`
  are alternatives of the same visit and are not counted.
- `activity_segment`: one per `activitySegment` of a semantic file and one per on-device segment with an `activity`.
  Its `waypointPath.waypoints[]` stay inside it (`waypoints`, `waypoint_count`) and are not location points: they
  have no time. The timed `simplifiedRawPath` points (of segments and visits) are a thinned copy of the Records.json
  points of the same Takeout, and are not counted either.
- Not imported: on-device `timelineMemory` segments (trip summaries), counted in `summary.skipped["timelineMemory"]`;
  the same goes for `rawSignals` entries without a position (`skipped["activityRecord"]`, `skipped["wifiScan"]`) and
  semantic timeline objects that are neither a visit nor a segment (`skipped["<their key>"]`).

An entry that cannot be read (no time, no coordinates, an impossible date) is skipped with a warning and counted in
`summary.skipped[kind]`; the rest of the file is imported. A whole file is refused with `FormatError` "json" (not
JSON, or cut short) or "not_location" (JSON, but none of the layouts).

Traps handled (seen in the samples or reported upstream): a UTF-8 BOM (`semantic_history_with_bom`); empty strings
where numbers belong (`"velocity": ""`, `"heading": ""`) and `"activity": ""` instead of a list (niimpy
Records.json); `"batteryCharging": "False"` as a string; `osLevel` as a float; lower-case `source` values;
`deviceTag` as an integer (kept as a decimal string); E7 values stored as unsigned 32-bit integers (`latitudeE7`
4233738877 means -6.12°: 2³² is subtracted, with a warning); a semantic `activitySegment` with `startLocation: {}`,
no `distance` and no `activityType` (the first of `activities[]` is taken: Google lists the most likely first); a
`placeVisit` with only `startTimestampMs` (end None); iOS numbers as strings (`"0.785181"`, `"49"`), `placeID` with a
capital D, `timelineMemory` items, UTC path segments between local-time visits; the Android
`rawSignals[].position.LatLng` with a capital L, written with or without `°`; `°` mangled into `Â°` by a Windows
code page; a 64 KiB head cut inside a multi-byte character.
"""

from app.imports.google.location.items import SCHEMA_VERSION
from app.imports.google.location.parse import iter_location
from app.imports.google.location.records import COUNT_BATCH as COUNT_BATCH
from app.imports.google.location.semantic import MAX_CHILD_DEPTH as MAX_CHILD_DEPTH
from app.imports.google.location.sniff import LAYOUTS, sniff_location
from app.imports.google.location.stream import BOM as BOM
from app.imports.google.location.stream import READ_BYTES as READ_BYTES
from app.imports.google.location.stream import SNIFF_BYTES as SNIFF_BYTES
from app.imports.google.location.values import iso_time, ms_to_iso, parse_latlng

__all__ = [
    "LAYOUTS",
    "SCHEMA_VERSION",
    "iso_time",
    "iter_location",
    "ms_to_iso",
    "parse_latlng",
    "sniff_location",
]
