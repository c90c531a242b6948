"""`tv-a/1`: an internet TV service's importer, for recommendations from interests, plans, viewing and places
(docs/switching.md, "Formats").

Interchange kind → tv-a type: fields (from); lost, i.e. interchange fields not carried:

- `profile` → `profile`, `interest` → `interest`: as blog-a/1 (lost `email`, `source`; `url`);
- `watch_event` → `viewing`: `title`, `channel` (channel_name), `watched_at` (time), `url` (video_url, which holds
  the video id); lost `ad`, `channel_url`, `format`, `product`, `raw_time`, `removed`;
- `calendar_event` → `schedule`: `title` (summary), `start`, `end`, `all_day`, `recurrence` (the RRULE value as
  the interchange keeps it, several joined by a newline, or null); lost `alarm_count`, `attendee_count`,
  `calendar`, `calendar_timezone`, `categories`, `classification`, `created`, `description`, `exdates`,
  `last_modified`, `location`, `rdates`, `recurrence_id` (an override becomes a schedule of its own; its id still
  names the occurrence), `recurrence_range`, `sequence`, `status`, `time_basis`, `timezone`, `transparency`;
- `place_visit` → `place`: `name`, `latitude`, `longitude`, `arrived_at` (start), `left_at` (end); lost `address`,
  `device_tag`, `edit_status`, `hierarchy_level`, `layout`, `parent_place_id`, `place_confidence`, `place_id`,
  `place_probability`, `probability`, `semantic_type`;
- `activity_segment` → `trip`: `mode` (activity_type in lower case: `walking`, `in_passenger_vehicle` …; null when
  unknown), `distance_m` (distance_m, else path_distance_m), `start`, `end`; lost `activities`, `confidence`,
  `edit_status`, `end_latitude`, `end_longitude`, `layout`, `probability`, `start_latitude`, `start_longitude`,
  `transit_line`, `travel_mode`, `waypoint_count`, `waypoints`.

Not taken: `post`, `comment` (a TV service has no blog), `location_point` (raw positions: the visits and trips say
what a recommendation needs, the trail of points is more than it needs), `my_activity`, and the Apple Health
kinds. Times are the interchange's; numbers are ints when integral (`35.0` → `35`), never NaN.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.switching.converters._table import INTEREST, PROFILE, Format, KindMap, Table, boolean, number, text

FORMAT = Format("tv-a", 1)


def _viewing(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "title": text(item.get("title")),
        "channel": text(item.get("channel_name")),
        "watched_at": text(item.get("time")),
        "url": text(item.get("video_url")),
    }


def _schedule(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "title": text(item.get("summary")),
        "start": text(item.get("start")),
        "end": text(item.get("end")),
        "all_day": boolean(item.get("all_day")),
        "recurrence": text(item.get("rrule")),
    }


def _place(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "name": text(item.get("name")),
        "latitude": number(item.get("latitude")),
        "longitude": number(item.get("longitude")),
        "arrived_at": text(item.get("start")),
        "left_at": text(item.get("end")),
    }


def _trip(item: Mapping[str, Any]) -> dict[str, Any]:
    mode = text(item.get("activity_type"))
    distance = number(item.get("distance_m"))
    return {
        "mode": mode.lower() if mode else None,
        "distance_m": distance if distance is not None else number(item.get("path_distance_m")),
        "start": text(item.get("start")),
        "end": text(item.get("end")),
    }


TABLE = Table(FORMAT, {
    "profile": PROFILE,
    "interest": INTEREST,
    "watch_event": KindMap("viewing", frozenset(("title", "channel_name", "time", "video_url", "video_id")), _viewing),
    "calendar_event": KindMap("schedule", frozenset(("uid", "summary", "start", "end", "all_day", "rrule")), _schedule),
    "place_visit": KindMap("place", frozenset(("name", "latitude", "longitude", "start", "end")), _place),
    "activity_segment": KindMap("trip", frozenset(("activity_type", "distance_m", "path_distance_m", "start", "end")),
                                _trip),
})


def takes(kind: str) -> bool:
    """Whether tv-a/1 takes items of this interchange kind."""
    return TABLE.takes(kind)


def lost_fields(kind: str) -> list[str]:
    """The interchange fields of `kind` tv-a/1 does not carry (all of them for a kind it does not take)."""
    return TABLE.lost_fields(kind)


def convert(item: Mapping[str, Any]) -> dict[str, Any] | None:
    """The tv-a/1 item of an interchange item (with its `kind`), or None when the format does not take it."""
    return TABLE.convert(item)
