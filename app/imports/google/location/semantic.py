"""Layout "semantic": the monthly `Semantic Location History/YYYY/YYYY_MONTH.json` files, whose `timelineObjects[]`
hold a `placeVisit` (→ `place_visit`, and one more per entry of its `childVisits[]`) or an `activitySegment`
(→ `activity_segment`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from app.imports.google.location.items import SCHEMA_VERSION, _emit, _skip
from app.imports.google.location.stream import _items
from app.imports.google.location.values import _e7_of, _fraction, _int, _list, _ms_time, _num, _tag, _text, iso_time
from app.imports.streams import Replay
from app.imports.summary import ImportSummary

MAX_CHILD_DEPTH = 4  # childVisits nest one level in real files; deeper nesting is not followed


def _duration(duration: Any) -> tuple[str | None, str | None]:
    if type(duration) is not dict:
        return None, None
    start = iso_time(duration.get("startTimestamp")) or _ms_time(duration.get("startTimestampMs"))
    end = iso_time(duration.get("endTimestamp")) or _ms_time(duration.get("endTimestampMs"))
    return start, end


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


def _semantic(source: Replay, summary: ImportSummary) -> Iterator[dict[str, Any]]:
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
