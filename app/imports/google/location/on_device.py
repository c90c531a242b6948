"""Layouts "android_timeline" and "ios_timeline": the on-device Timeline exports (not in Takeout). Android's
`Timeline.json` holds `semanticSegments[]` and `rawSignals[]`, read by two C parsers in one pass over the bytes;
iOS's `location-history.json` is a bare top-level array of segments. A segment gives a `place_visit` (`visit`),
an `activity_segment` (`activity`) or `location_point`s (`timelinePath`); a raw signal with a `position`, one
`location_point`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import ijson
from ijson.utils import sendable_list

from app.imports.google.location.items import SCHEMA_VERSION, _emit, _skip
from app.imports.google.location.stream import READ_BYTES, _items
from app.imports.google.location.values import _fraction, _int, _num, _text, _upper, iso_time, parse_latlng
from app.imports.streams import Replay
from app.imports.summary import ImportSummary


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


def _android(source: Replay, summary: ImportSummary) -> Iterator[dict[str, Any]]:
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


def _ios(source: Replay, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    for segment in _items(source, "item"):
        yield from _segment(segment, "ios_timeline", summary)
