"""Layouts "records_e7" and "records_iso": the raw records of `locations[]` in the old `Location History.json`
(`timestampMs`) and in `Records.json` (ISO `timestamp`), one `location_point` each. The hot path: millions of
records, so the common case is written out inline."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import ijson

from app.imports.google.location.items import SCHEMA_VERSION, _skip
from app.imports.google.location.stream import _items, _json_error
from app.imports.google.location.values import (
    _MILLI_UTC,
    _MINUTE_SECOND,
    _bool,
    _e7_pair,
    _fraction,
    _hour_prefix,
    _hours,
    _int,
    _ms_time,
    _num,
    _tag,
    _upper,
    iso_time,
    ms_to_iso,
)
from app.imports.streams import Replay
from app.imports.summary import ImportSummary


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


def _records(source: Replay, summary: ImportSummary) -> Iterator[dict[str, Any]]:
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
