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

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, BinaryIO

import ijson
from ijson.utils import sendable_list

from app.imports.summary import FormatError, ImportSummary

SCHEMA_VERSION = 1
LAYOUTS = ("records_e7", "records_iso", "semantic", "android_timeline", "ios_timeline")
SNIFF_BYTES = 64 * 1024
READ_BYTES = 256 * 1024
BOM = b"\xef\xbb\xbf"
MAX_CHILD_DEPTH = 4  # childVisits nest one level in real files; deeper nesting is not followed

__all__ = [
    "LAYOUTS",
    "SCHEMA_VERSION",
    "iso_time",
    "iter_location",
    "ms_to_iso",
    "parse_latlng",
    "sniff_location",
]


# --------------------------------------------------------------------------- times

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MINUTE_SECOND = [f"{m:02d}:{s:02d}" for m in range(60) for s in range(60)]  # index: second of the hour
_MILLI_UTC = [f".{ms:03d}+00:00" for ms in range(1000)]
_HOUR_CACHE_LIMIT = 1 << 16
_hours: dict[int, str] = {}  # hours since the epoch → "YYYY-MM-DDTHH:"


def _hour_prefix(hour: int) -> str:
    day, hour_of_day = divmod(hour, 24)
    prefix = f"{date.fromordinal(_EPOCH_ORDINAL + day).isoformat()}T{hour_of_day:02d}:"  # ValueError outside 1–9999
    if len(_hours) >= _HOUR_CACHE_LIMIT:
        _hours.clear()
    _hours[hour] = prefix
    return prefix


def ms_to_iso(ms: int) -> str:
    """Epoch milliseconds → `YYYY-MM-DDTHH:MM:SS.mmm+00:00`, by integer arithmetic (no datetime per call).

    Raises ValueError or OverflowError for a moment outside the years 1–9999.
    """
    hour, rest = divmod(ms, 3_600_000)
    prefix = _hours.get(hour)
    if prefix is None:
        prefix = _hour_prefix(hour)
    second, milli = divmod(rest, 1000)
    return prefix + _MINUTE_SECOND[second] + _MILLI_UTC[milli]


_ISO = re.compile(
    r"(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))[T ]((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)(?:[.,](\d{1,9}))?"
    r"\s*(Z|z|[+-](?:0\d|1[0-4]):?[0-5]\d)"
)
_days: set[str] = set()


def _valid_day(day: str) -> bool:
    try:
        date.fromisoformat(day)
    except ValueError:
        return False
    if len(_days) < 100_000:
        _days.add(day)
    return True


_MINUTES = frozenset(f"{m:02d}:" for m in range(60))
_CACHE_LIMIT = 100_000
_iso_hours: dict[str, str] = {}  # "YYYY-MM-DDTHH:" as written (validated) → as output
_iso_tails: dict[str, str] = {}  # "SS[.fff]Z" / "SS[.fff]±HH:MM" as written (validated) → as output


def iso_time(text: Any) -> str | None:
    """An ISO 8601 time with a zone (`…Z`, `…+09:00`, `…+0900`) → `YYYY-MM-DDTHH:MM:SS[.ffffff]±HH:MM`.

    `Z` becomes `+00:00`; another offset is kept; a fraction is kept as written (cut to 6 digits). None for anything
    else, a time without a zone included (its instant is unknown).

    The first 17 characters have fixed widths, so a time is cut in three: its hour (`2017-03-31T15:`), its minute
    (`00:`) and its tail (`00.449Z`); when the hour and the tail were each seen in a time the full pattern accepted,
    the time is valid and is put together from the memos without the regular expression (4× faster).
    """
    if type(text) is not str:
        return None
    hour = _iso_hours.get(text[:14])
    if hour is not None:
        minute = text[14:17]
        if minute in _MINUTES:
            tail = _iso_tails.get(text[17:])
            if tail is not None:
                return hour + minute + tail
    iso = _iso_time(text)
    if iso is not None:
        if len(_iso_hours) >= _CACHE_LIMIT:
            _iso_hours.clear()
        if len(_iso_tails) >= _CACHE_LIMIT:
            _iso_tails.clear()
        _iso_hours[text[:14]] = iso[:14]
        _iso_tails[text[17:]] = iso[17:]
    return iso


def _iso_time(text: str) -> str | None:
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    day, clock, fraction, zone = match.groups()
    if day not in _days and not _valid_day(day):
        return None
    if zone == "Z" or zone == "z":
        zone = "+00:00"
    elif len(zone) == 5:
        zone = zone[:3] + ":" + zone[3:]
    if fraction:
        return f"{day}T{clock}.{fraction[:6]}{zone}"
    return f"{day}T{clock}{zone}"


def _ms_time(value: Any) -> str | None:
    """A `…TimestampMs` value (a string, sometimes a number) → ISO, or None when unreadable."""
    if value is None or type(value) is bool:
        return None
    try:
        return ms_to_iso(int(value))
    except (TypeError, ValueError, OverflowError):
        return None


# --------------------------------------------------------------------------- values


def _num(value: Any) -> int | float | None:
    """A number as written, or from a string (iOS writes `"0.785181"`); None for "", junk, booleans, NaN and ±inf."""
    kind = type(value)
    if kind is int or kind is float:
        return value
    if kind is str:
        try:
            number = float(value)
        except ValueError:
            return None
        return number if number - number == 0.0 else None
    return None


def _fraction(value: Any, scale: float = 1.0) -> float | None:
    number = _num(value)
    return None if number is None else number / scale


def _int(value: Any) -> int | None:
    if type(value) is int:
        return value
    number = _num(value)
    if number is None:
        return None
    return int(number) if number == int(number) else None


def _list(value: Any) -> list[Any] | tuple[()]:
    return value if type(value) is list else ()


def _text(value: Any) -> str | None:
    return value if type(value) is str and value else None


def _upper(value: Any) -> str | None:
    return value.upper() if type(value) is str and value else None


_tags: dict[int, str] = {}


def _tag(value: Any) -> str | None:
    """A `deviceTag` (an integer in Takeout, a string elsewhere) as a decimal string."""
    if type(value) is int:
        found = _tags.get(value)
        if found is None:
            found = str(value)
            if len(_tags) < 4096:  # a few devices per account
                _tags[value] = found
        return found
    return value if type(value) is str and value else None


def _bool(value: Any) -> bool | None:
    if type(value) is bool:
        return value
    if type(value) is str:
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
    return None


_LATLNG = re.compile(
    r"\s*(?:geo:)?\s*([-+]?\d{1,3}(?:\.\d+)?)\s*(?:Â?°|º)?\s*,\s*([-+]?\d{1,3}(?:\.\d+)?)\s*(?:Â?°|º)?\s*(?:[,;].*)?",
    re.DOTALL,
)


def parse_latlng(value: Any) -> tuple[float, float] | None:
    """`"48.8566°, 2.3522°"` (Android), `"geo:27.720022,-97.347951"` (iOS), `"48.8566, 2.3522"`, or a dict holding one
    under `latLng`/`LatLng` → (latitude, longitude) in degrees; None when absent, unreadable or out of range."""
    if type(value) is dict:
        value = value.get("latLng") or value.get("LatLng") or value.get("point")
    if type(value) is not str:
        return None
    match = _LATLNG.fullmatch(value)
    if match is None:
        return None
    lat, lng = float(match.group(1)), float(match.group(2))
    if -90.0 <= lat <= 90.0 and -180.0 <= lng <= 180.0:
        return lat, lng
    return None


_TWO_32 = 1 << 32


def _e7_pair(lat7: Any, lng7: Any, summary: ImportSummary) -> tuple[float, float] | None:
    """E7 integers → degrees; unsigned 32-bit values are wrapped back (with a warning). None when unusable."""
    if type(lat7) not in (int, float) or type(lng7) not in (int, float):
        return None
    wrapped = False
    if lat7 > 900_000_000 and lat7 - _TWO_32 >= -900_000_000:
        lat7, wrapped = lat7 - _TWO_32, True
    if lng7 > 1_800_000_000 and lng7 - _TWO_32 >= -1_800_000_000:
        lng7, wrapped = lng7 - _TWO_32, True
    if not (-900_000_000 <= lat7 <= 900_000_000 and -1_800_000_000 <= lng7 <= 1_800_000_000):
        return None
    if wrapped:
        summary.warn("e7_unsigned", "coordinates written as unsigned 32-bit integers were corrected (2³² subtracted)")
    return lat7 / 1e7, lng7 / 1e7


def _e7_of(location: Any, summary: ImportSummary, lat_key: str = "latitudeE7", lng_key: str = "longitudeE7"
           ) -> tuple[float, float] | None:
    if type(location) is not dict or lat_key not in location:
        return None
    return _e7_pair(location.get(lat_key), location.get(lng_key), summary)


# --------------------------------------------------------------------------- skipping

_SKIP_REASONS = {
    "no_time": "had no readable time",
    "no_coordinates": "had no coordinates",
    "bad_coordinates": "had coordinates out of range",
    "not_object": "was not a JSON object",
}


def _skip(summary: ImportSummary, kind: str, reason: str) -> None:
    summary.skipped[kind] += 1
    summary.warn(f"{kind}_{reason}", f"a {kind.replace('_', ' ')} that {_SKIP_REASONS[reason]} was skipped")


# --------------------------------------------------------------------------- sniffing

_ANDROID_KEYS = frozenset({"semanticSegments", "rawSignals", "userLocationProfile"})
_IOS_KEYS = frozenset({"visit", "activity", "timelinePath", "timelineMemory"})
_RECORD_KEYS = frozenset({"latitudeE7", "longitudeE7", "timestampMs", "timestamp"})


def _whole_characters(head: bytes) -> bytes:
    """A head cut short of a multi-byte UTF-8 character (`°`, Japanese text) split at its end, which yajl would
    call invalid UTF-8 rather than a premature end."""
    end = len(head)
    lead = end - 1
    while lead >= 0 and end - lead < 4 and head[lead] & 0xC0 == 0x80:
        lead -= 1
    if lead >= 0 and head[lead] >= 0xC0:
        needed = 2 if head[lead] < 0xE0 else 3 if head[lead] < 0xF0 else 4
        if end - lead < needed:
            return head[:lead]
    return head


def _first_line(exc: Exception) -> str:
    text = exc.args[0] if exc.args else str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text).split("\n", 1)[0].strip()  # yajl's next lines quote the file's bytes: not for messages


def _decide(events: Iterable[tuple[str, str, Any]]) -> str | None:
    """The layout shown by the first parse events, or None (may raise ijson.JSONError)."""
    top: str | None = None
    records = False
    item_keys: set[str] = set()
    items = 0
    for prefix, event, value in events:
        if top is None:
            if event == "start_map":
                top = "map"
            elif event == "start_array":
                top = "array"
            else:
                return None
            continue
        if top == "map":
            if prefix == "" and event == "map_key":
                if value in _ANDROID_KEYS:
                    return "android_timeline"
                if value == "timelineObjects":
                    return "semantic"
                records = value == "locations"
            elif records and prefix == "locations.item":
                if event == "start_map":
                    continue
                if event == "map_key":
                    if value == "timestampMs":
                        return "records_e7"
                    if value == "timestamp":
                        return "records_iso"
                    item_keys.add(value)
                elif event == "end_map":
                    if not item_keys & _RECORD_KEYS:
                        return None
                    items += 1
                    if items >= 16:
                        return "records_iso"
                else:
                    return None  # a record that is not an object
            elif records and prefix == "locations":
                if event == "end_array":
                    return "records_iso"  # none of the records has a time, or there are none: the newer layout
                if event != "start_array":
                    return None
            elif prefix == "" and event == "end_map":
                return None
        else:
            if prefix == "item":
                if event == "map_key":
                    item_keys.add(value)
                    if item_keys & _IOS_KEYS and ("startTime" in item_keys or "endTime" in item_keys):
                        return "ios_timeline"
                elif event == "end_map":
                    items += 1
                    item_keys.clear()
                    if items >= 3:
                        return None
                elif event != "start_map":
                    return None
            elif prefix == "" and event == "end_array":
                return None
    if records and item_keys & {"latitudeE7", "longitudeE7"}:
        return "records_iso"  # the head ended inside a record that has coordinates but no time key yet
    return None


def _events(head: bytes, complete: bool) -> Iterator[tuple[str, str, Any]]:
    """The parse events of a head; when the head is not the whole file, its premature end is just an end."""
    try:
        yield from ijson.parse(head, use_float=True)
    except ijson.JSONError as exc:
        if complete or "premature EOF" not in _first_line(exc):
            raise


def _sniff(head: bytes, complete: bool, validate: bool = True) -> tuple[str | None, str | None]:
    """(layout or None, JSON error or None). `complete` says that `head` is the whole file; `validate` reads the rest
    of a head that is no layout, to tell broken JSON from other JSON."""
    if head.startswith(BOM):
        head = head[3:]
    if not complete:
        head = _whole_characters(head)
    events = _events(head, complete)
    try:
        layout = _decide(events)
        if layout is None and validate:
            for _ in events:  # not a layout: read on, so that broken JSON is called broken JSON
                pass
    except ijson.JSONError as exc:
        return None, _first_line(exc)
    return layout, None


def sniff_location(head: bytes) -> str | None:
    """The layout of a Location History file from its first bytes (up to 64 KiB, a BOM allowed), or None.

    By content only: "records_e7" (`locations[]` with `timestampMs`), "records_iso" (`locations[]` with `timestamp`;
    also an empty `locations`), "semantic" (`timelineObjects`), "android_timeline" (`semanticSegments`,
    `rawSignals` or `userLocationProfile` at top level), "ios_timeline" (a top-level array whose first object has
    `startTime`/`endTime` and a `visit`, `activity`, `timelinePath` or `timelineMemory`). An empty array `[]` is
    None: nothing in it says Location History.
    """
    return _sniff(head[:SNIFF_BYTES], complete=False, validate=False)[0]


class _Rejoined:
    """The bytes already read for sniffing, then the rest of the stream (for streams that cannot seek)."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = head
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size == 0:
                return b""
            if size < 0:
                data, self._head = self._head + self._stream.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._stream.read(size)


def _read_head(stream: BinaryIO) -> tuple[bytes, bool]:
    parts: list[bytes] = []
    size = 0
    while size < SNIFF_BYTES:
        chunk = stream.read(SNIFF_BYTES - size)
        if not chunk:
            return b"".join(parts), True
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts), False


# --------------------------------------------------------------------------- the parse


def iter_location(stream: BinaryIO, summary: ImportSummary, *, layout: str | None = None) -> Iterator[dict[str, Any]]:
    """An iterator of `location_point`, `place_visit` and `activity_segment` dicts from one Location History file.

    `layout` None sniffs it from the first 64 KiB (the stream need not be seekable; a BOM is skipped). Each item
    updates `summary.counts[kind]` and the date range; a skipped entry `summary.skipped[kind]` and a warning.
    Raises FormatError "json" or "not_location" from this call when the head shows it (before the first item),
    and "json" while iterating when the JSON breaks further on (a file cut short). Not a generator function, so
    that no generator layer sits between the caller and the parse loop (it costs 10 % on a million points).
    """
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"unknown Location History layout {layout!r}")
    head, complete = _read_head(stream)
    if layout is None:
        layout, error = _sniff(head, complete)
        if error is not None:
            raise FormatError("json", f"the file is not valid JSON ({error})")
        if layout is None:
            raise FormatError("not_location", "the file is JSON but not Google Location History")
    source = _Rejoined(head.removeprefix(BOM), stream)
    if layout in ("records_e7", "records_iso"):
        return _records(source, summary)
    if layout == "semantic":
        return _json_errors(_semantic(source, summary))
    if layout == "android_timeline":
        return _json_errors(_android(source, summary))
    return _json_errors(_ios(source, summary))


def _json_error(exc: Exception) -> FormatError:
    return FormatError("json", f"the file is not valid JSON ({_first_line(exc)})")


def _json_errors(items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    try:
        yield from items
    except ijson.JSONError as exc:
        raise _json_error(exc) from exc


def _items(source: _Rejoined, prefix: str) -> Iterator[Any]:
    return ijson.items(source, prefix, use_float=True, buf_size=READ_BYTES)


# --------------------------------------------------------------------------- (a)/(b) raw records


def _activity(value: Any) -> list[dict[str, Any]] | None:
    """`activity[]` of a record: readings `{timestampMs|timestamp, activity: [{type, confidence 0–100}]}`."""
    if type(value) is not list:
        return None
    readings = []
    for reading in value:
        if type(reading) is not dict:
            continue
        guesses = []
        found = reading.get("activity")
        if type(found) is list:
            for guess in found:
                if type(guess) is dict:
                    kind = guess.get("type")
                    if type(kind) is str:
                        confidence = guess.get("confidence")
                        guesses.append({"type": kind, "probability": confidence / 100 if type(confidence) is int
                                        else _fraction(confidence, 100.0)})
        ms = reading.get("timestampMs")
        if ms is None:
            when = iso_time(reading.get("timestamp"))
        else:
            try:
                when = ms_to_iso(int(ms))
            except (TypeError, ValueError, OverflowError):
                when = None
        readings.append({"time": when, "guesses": guesses})
    return readings or None


_NUMBER, _TEXT = "number", "text"  # converters done inline in the loop, without a call
# record key → (interchange key, converter)
_EXTRAS: dict[str, tuple[str, Callable[[Any], Any] | str]] = {
    "altitude": ("altitude_m", _NUMBER),
    "verticalAccuracy": ("vertical_accuracy_m", _NUMBER),
    "velocity": ("velocity_mps", _NUMBER),
    "heading": ("heading_deg", _NUMBER),
    "source": ("source", _upper),
    "deviceTag": ("device_tag", _tag),
    "deviceDesignation": ("device_designation", _TEXT),
    "platformType": ("platform_type", _TEXT),
    "formFactor": ("form_factor", _TEXT),
    "osLevel": ("os_level", _int),
    "batteryCharging": ("battery_charging", _bool),
    "placeId": ("place_id", _TEXT),
    "activity": ("activity", _activity),
}
COUNT_BATCH = 4096


def _why_bad_record(record: Any) -> str:
    if type(record) is not dict:
        return "not_object"
    if "latitudeE7" not in record or "longitudeE7" not in record:
        return "no_coordinates"
    lat7, lng7 = record["latitudeE7"], record["longitudeE7"]
    if type(lat7) not in (int, float) or type(lng7) not in (int, float):
        return "no_coordinates"
    if "timestampMs" in record:
        return "no_time" if _ms_time(record["timestampMs"]) is None else "bad_coordinates"
    return "no_time" if iso_time(record.get("timestamp")) is None else "bad_coordinates"


def _records(source: _Rejoined, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    """`locations[]`: the hot path (millions of records), so the common case is written out inline.

    Two summary updates are batched (the only ones a point needs): `counts["location_point"]` every COUNT_BATCH
    points, and the date range (UTC times compare as strings, whatever their fraction) once; both also when the
    parse ends, stops early or fails.
    """
    counts = summary.counts
    hours, minute_second, milli_utc, extras = _hours, _MINUTE_SECOND, _MILLI_UTC, _EXTRAS
    number, text = _NUMBER, _TEXT
    earliest = latest = ""
    pending = 0
    try:
        for record in _items(source, "locations.item"):
            try:
                lat7 = record["latitudeE7"]
                lng7 = record["longitudeE7"]
                if -900_000_000 <= lat7 <= 900_000_000 and -1_800_000_000 <= lng7 <= 1_800_000_000:
                    lat, lng = lat7 / 1e7, lng7 / 1e7
                else:
                    pair = _e7_pair(lat7, lng7, summary)
                    if pair is None:
                        raise ValueError("coordinates")
                    lat, lng = pair
                ms = record.get("timestampMs")
                if ms is not None:
                    ms = int(ms)
                    prefix = hours.get(ms // 3_600_000)
                    if prefix is None:
                        prefix = _hour_prefix(ms // 3_600_000)
                    rest = ms % 3_600_000
                    time = prefix + minute_second[rest // 1000] + milli_utc[rest % 1000]
                else:
                    time = iso_time(record.get("timestamp"))
                    if time is None:
                        raise ValueError("time")
            except (KeyError, TypeError, ValueError, OverflowError, IndexError):
                _skip(summary, "location_point", _why_bad_record(record))
                continue
            accuracy = record.get("accuracy")
            point = {
                "kind": "location_point",
                "schema_version": SCHEMA_VERSION,
                "time": time,
                "latitude": lat,
                "longitude": lng,
                "accuracy_m": accuracy if type(accuracy) is int else _num(accuracy),
            }
            if accuracy is None or len(record) > 4:
                for key, value in record.items():
                    spec = extras.get(key)
                    if spec is not None:
                        out_key, convert = spec
                        if convert is number:
                            if type(value) is not int and type(value) is not float:
                                value = _num(value)
                        elif convert is text:
                            if type(value) is not str or not value:
                                continue
                        elif value is not None:
                            value = convert(value)  # type: ignore[operator]
                        if value is not None:
                            point[out_key] = value
            pending += 1
            if pending == COUNT_BATCH:
                counts["location_point"] += pending
                pending = 0
            if ms is not None or time[-6:] == "+00:00":
                if not earliest:
                    earliest = latest = time
                elif time < earliest:
                    earliest = time
                elif time > latest:
                    latest = time
            else:
                summary.see_range(time, time)
            yield point
    except ijson.JSONError as exc:
        raise _json_error(exc) from exc
    finally:
        if pending:
            counts["location_point"] += pending
        if earliest:
            summary.see_range(earliest, latest)


# --------------------------------------------------------------------------- (c) semantic location history


def _duration(duration: Any) -> tuple[str | None, str | None]:
    if type(duration) is not dict:
        return None, None
    start = iso_time(duration.get("startTimestamp")) or _ms_time(duration.get("startTimestampMs"))
    end = iso_time(duration.get("endTimestamp")) or _ms_time(duration.get("endTimestampMs"))
    return start, end


def _emit(item: dict[str, Any], summary: ImportSummary) -> dict[str, Any]:
    summary.counts[item["kind"]] += 1
    start = item.get("start") or item.get("time")
    summary.see_range(start, item.get("end") or start)
    return item


def _place_visit(visit: dict[str, Any], summary: ImportSummary, level: int, parent_place_id: str | None
                 ) -> Iterator[dict[str, Any]]:
    start, end = _duration(visit.get("duration"))
    location = visit.get("location")
    location = location if type(location) is dict else {}
    if start is None:
        _skip(summary, "place_visit", "no_time")
    else:
        pair = _e7_of(location, summary) or _e7_of(visit, summary, "centerLatE7", "centerLngE7")
        source_info = location.get("sourceInfo")
        level_written = _int(visit.get("placeVisitLevel"))
        yield _emit({
            "kind": "place_visit",
            "schema_version": SCHEMA_VERSION,
            "layout": "semantic",
            "start": start,
            "end": end,
            "latitude": pair[0] if pair else None,
            "longitude": pair[1] if pair else None,
            "place_id": _text(location.get("placeId")),
            "name": _text(location.get("name")),
            "address": _text(location.get("address")),
            "semantic_type": _text(location.get("semanticType")),
            "place_confidence": _text(visit.get("placeConfidence")),
            "probability": _fraction(visit.get("visitConfidence"), 100.0),
            "place_probability": _fraction(location.get("locationConfidence"), 100.0),
            "hierarchy_level": level if level_written is None else level_written,
            "parent_place_id": parent_place_id,
            "device_tag": _tag(source_info.get("deviceTag")) if type(source_info) is dict else None,
            "edit_status": _text(visit.get("editConfirmationStatus")),
        }, summary)
    children = visit.get("childVisits")
    if type(children) is list and level < MAX_CHILD_DEPTH:
        for child in children:
            if type(child) is dict:
                yield from _place_visit(child, summary, level + 1, _text(location.get("placeId")))
            else:
                _skip(summary, "place_visit", "not_object")


def _activity_segment(segment: dict[str, Any], summary: ImportSummary) -> dict[str, Any] | None:
    start, end = _duration(segment.get("duration"))
    if start is None or end is None:
        _skip(summary, "activity_segment", "no_time")
        return None
    begin = _e7_of(segment.get("startLocation"), summary)
    finish = _e7_of(segment.get("endLocation"), summary)
    activities = [
        {"type": a["activityType"], "probability": _fraction(a.get("probability"), 100.0)}
        for a in _list(segment.get("activities"))
        if type(a) is dict and type(a.get("activityType")) is str
    ]
    activity_type = _text(segment.get("activityType")) or (activities[0]["type"] if activities else None)
    probability = next((a["probability"] for a in activities if a["type"] == activity_type), None)
    path = segment.get("waypointPath")
    path = path if type(path) is dict else {}
    waypoints = []
    for waypoint in _list(path.get("waypoints")):
        pair = _e7_of(waypoint, summary, "latE7", "lngE7")
        if pair is not None:
            waypoints.append({"latitude": pair[0], "longitude": pair[1]})
    transit = segment.get("transitPath")
    return _emit({
        "kind": "activity_segment",
        "schema_version": SCHEMA_VERSION,
        "layout": "semantic",
        "start": start,
        "end": end,
        "start_latitude": begin[0] if begin else None,
        "start_longitude": begin[1] if begin else None,
        "end_latitude": finish[0] if finish else None,
        "end_longitude": finish[1] if finish else None,
        "distance_m": _num(segment.get("distance")),
        "path_distance_m": _num(path.get("distanceMeters")),
        "activity_type": activity_type,
        "confidence": _text(segment.get("confidence")),
        "probability": probability,
        "activities": activities,
        "travel_mode": _text(path.get("travelMode")),
        "waypoint_count": len(waypoints),
        "waypoints": waypoints,
        "transit_line": _text(transit.get("name")) if type(transit) is dict else None,
        "edit_status": _text(segment.get("editConfirmationStatus")),
    }, summary)


def _semantic(source: _Rejoined, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    for entry in _items(source, "timelineObjects.item"):
        if type(entry) is not dict:
            summary.skipped["timelineObject"] += 1
            continue
        handled = False
        visit = entry.get("placeVisit")
        if type(visit) is dict:
            handled = True
            yield from _place_visit(visit, summary, 0, None)
        segment = entry.get("activitySegment")
        if type(segment) is dict:
            handled = True
            item = _activity_segment(segment, summary)
            if item is not None:
                yield item
        if not handled:
            for key in entry:
                summary.skipped[key] += 1
            if not entry:
                summary.skipped["timelineObject"] += 1


# --------------------------------------------------------------------------- (d) on-device Timeline exports


def _device_visit(visit: Any, start: str, end: str | None, layout: str,
                  summary: ImportSummary) -> dict[str, Any] | None:
    if type(visit) is not dict:
        _skip(summary, "place_visit", "not_object")
        return None
    top = visit.get("topCandidate")
    top = top if type(top) is dict else {}
    pair = parse_latlng(top.get("placeLocation"))
    return _emit({
        "kind": "place_visit",
        "schema_version": SCHEMA_VERSION,
        "layout": layout,
        "start": start,
        "end": end,
        "latitude": pair[0] if pair else None,
        "longitude": pair[1] if pair else None,
        "place_id": _text(top.get("placeId")) or _text(top.get("placeID")),
        "name": None,
        "address": None,
        "semantic_type": _text(top.get("semanticType")),
        "place_confidence": None,
        "probability": _fraction(visit.get("probability")),
        "place_probability": _fraction(top.get("probability")),
        "hierarchy_level": _int(visit.get("hierarchyLevel")),
        "parent_place_id": None,
        "device_tag": None,
        "edit_status": None,
    }, summary)


def _device_activity(activity: Any, start: str, end: str | None, layout: str, summary: ImportSummary
                     ) -> dict[str, Any] | None:
    if type(activity) is not dict:
        _skip(summary, "activity_segment", "not_object")
        return None
    if end is None:
        _skip(summary, "activity_segment", "no_time")
        return None
    begin = parse_latlng(activity.get("start"))
    finish = parse_latlng(activity.get("end"))
    top = activity.get("topCandidate")
    top = top if type(top) is dict else {}
    activity_type = _text(top.get("type"))
    probability = _fraction(top.get("probability"))
    return _emit({
        "kind": "activity_segment",
        "schema_version": SCHEMA_VERSION,
        "layout": layout,
        "start": start,
        "end": end,
        "start_latitude": begin[0] if begin else None,
        "start_longitude": begin[1] if begin else None,
        "end_latitude": finish[0] if finish else None,
        "end_longitude": finish[1] if finish else None,
        "distance_m": _num(activity.get("distanceMeters")),
        "path_distance_m": None,
        "activity_type": activity_type,
        "confidence": None,
        "probability": probability if probability is not None else _fraction(activity.get("probability")),
        "activities": [{"type": activity_type, "probability": probability}] if activity_type else [],
        "travel_mode": None,
        "waypoint_count": 0,
        "waypoints": [],
        "transit_line": None,
        "edit_status": None,
    }, summary)


def _path_point(layout: str, time: str, pair: tuple[float, float], origin: str = "timeline_path") -> dict[str, Any]:
    return {
        "kind": "location_point",
        "schema_version": SCHEMA_VERSION,
        "layout": layout,
        "origin": origin,
        "time": time,
        "latitude": pair[0],
        "longitude": pair[1],
        "accuracy_m": None,
    }


def _timeline_path(path: Any, start: str | None, layout: str, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    """Android: `[{point: "lat°, lng°", time}]`; iOS: `[{point: "geo:lat,lng", durationMinutesOffsetFromStartTime}]`."""
    if type(path) is not list:
        return
    base: datetime | None = None
    for entry in path:
        if type(entry) is not dict:
            _skip(summary, "location_point", "not_object")
            continue
        pair = parse_latlng(entry.get("point"))
        if pair is None:
            _skip(summary, "location_point", "no_coordinates" if entry.get("point") is None else "bad_coordinates")
            continue
        time = iso_time(entry.get("time"))
        if time is None:
            minutes = _num(entry.get("durationMinutesOffsetFromStartTime"))
            if minutes is not None and start is not None:
                if base is None:
                    base = datetime.fromisoformat(start)
                try:
                    time = (base + timedelta(minutes=minutes)).isoformat()
                except OverflowError:
                    time = None
        if time is None:
            _skip(summary, "location_point", "no_time")
            continue
        yield _emit(_path_point(layout, time, pair), summary)


def _segment(segment: Any, layout: str, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    """One `semanticSegments[]` item (Android) or top-level array item (iOS)."""
    if type(segment) is not dict:
        summary.skipped["segment"] += 1
        return
    start = iso_time(segment.get("startTime"))
    end = iso_time(segment.get("endTime"))
    handled = False
    if "visit" in segment:
        handled = True
        if start is None:
            _skip(summary, "place_visit", "no_time")
        else:
            item = _device_visit(segment["visit"], start, end, layout, summary)
            if item is not None:
                yield item
    if "activity" in segment:
        handled = True
        if start is None:
            _skip(summary, "activity_segment", "no_time")
        else:
            item = _device_activity(segment["activity"], start, end, layout, summary)
            if item is not None:
                yield item
    if "timelinePath" in segment:
        handled = True
        yield from _timeline_path(segment["timelinePath"], start, layout, summary)
    if not handled:
        summary.skipped["timelineMemory" if "timelineMemory" in segment else "segment"] += 1


def _raw_signal(signal: Any, summary: ImportSummary) -> dict[str, Any] | None:
    """`rawSignals[]`: `{position: {LatLng, accuracyMeters, altitudeMeters, speedMetersPerSecond, source, timestamp}}`;
    `activityRecord` and `wifiScan` entries are not imported."""
    if type(signal) is not dict:
        summary.skipped["rawSignal"] += 1
        return None
    position = signal.get("position")
    if type(position) is not dict:
        for key in signal:
            summary.skipped[key] += 1
        if not signal:
            summary.skipped["rawSignal"] += 1
        return None
    pair = parse_latlng(position)
    if pair is None:
        has = position.get("LatLng") is not None or position.get("latLng") is not None
        _skip(summary, "location_point", "bad_coordinates" if has else "no_coordinates")
        return None
    time = iso_time(position.get("timestamp"))
    if time is None:
        _skip(summary, "location_point", "no_time")
        return None
    point = _path_point("android_timeline", time, pair, "raw_signal")
    point["accuracy_m"] = _num(position.get("accuracyMeters"))
    for key, out_key, convert in (
        ("altitudeMeters", "altitude_m", _num),
        ("speedMetersPerSecond", "velocity_mps", _num),
        ("source", "source", _upper),
    ):
        value = convert(position.get(key))
        if value is not None:
            point[out_key] = value
    return _emit(point, summary)


def _android(source: _Rejoined, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    """Two C parsers over the same bytes, one building `semanticSegments[]` items, one `rawSignals[]` items."""
    segments: list[Any] = sendable_list()
    signals: list[Any] = sendable_list()
    parsers = (
        ijson.items_coro(segments, "semanticSegments.item", use_float=True),
        ijson.items_coro(signals, "rawSignals.item", use_float=True),
    )
    while True:
        chunk = source.read(READ_BYTES)
        if chunk:
            for parser in parsers:
                parser.send(chunk)
        else:
            for parser in parsers:
                parser.close()  # raises for a file cut short
        for segment in segments:
            yield from _segment(segment, "android_timeline", summary)
        del segments[:]
        for signal in signals:
            item = _raw_signal(signal, summary)
            if item is not None:
                yield item
        del signals[:]
        if not chunk:
            return


def _ios(source: _Rejoined, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    for segment in _items(source, "item"):
        yield from _segment(segment, "ios_timeline", summary)
