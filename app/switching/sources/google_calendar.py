"""A Calendar API `calendar#event` as the interchange `calendar_event` a Takeout `.ics` VEVENT of it gives
(app/imports/google/calendar/events.py), so both sources of one event look alike:

- `start`/`end`: `{"date"}` is an all-day day (`time_basis` "date", no zone); `{"dateTime", "timeZone"}` is shown
  in that zone (`tzid`); a `dateTime` without `timeZone` is what Google exports in UTC (`…Z`) and is shown in the
  calendar's zone when the caller knows it (`utc`, as the .ics reader does), else in UTC. Seconds only (the
  schema's pattern). A missing `end` is one day after an all-day start, else the start (RFC 5545 §3.6.1).
- `uid`: `iCalUID` when the resource has it, else the master's `recurringEventId` for an override, else `id`;
  `recurrence_id`: an override's `originalStartTime`, written as `start` is.
- `recurrence`: `RRULE:` lines joined by a newline into `rrule`; `EXDATE` / `RDATE` values as ISO dates or
  date-times (a `TZID` parameter applies; `…Z` is UTC; a period stays as written); `EXRULE` is obsolete and dropped.
- `created` / `updated`: UTC to the second (`…+00:00`, the schema's pattern); `visibility` → `classification`
  (`default` means none stated); attendees and reminder overrides are counted, never kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.imports.google.calendar.events import SCHEMA_VERSION

_CLASSES = frozenset(("public", "private", "confidential"))


class BadEvent(ValueError):
    """A calendar#event without a readable start."""


def _zone(name: Any) -> tzinfo | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "../x" is a ValueError, "America" an IsADirectoryError
        return None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _seconds(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _utc_stamp(value: Any) -> str | None:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return _seconds(moment.astimezone(UTC).replace(microsecond=0))


def _moment(when: Any, calendar_zone: str | None) -> tuple[str, str | None, str] | None:
    """(ISO text, zone name, time basis) of an API `start`/`end`/`originalStartTime`; None when unreadable."""
    if not isinstance(when, Mapping):
        return None
    day = when.get("date")
    if isinstance(day, str):
        try:
            return date.fromisoformat(day).isoformat(), None, "date"
        except ValueError:
            return None
    try:
        moment = datetime.fromisoformat(when["dateTime"]) if isinstance(when.get("dateTime"), str) else None
    except ValueError:
        return None
    if moment is None or moment.tzinfo is None:
        return None  # RFC 3339 requires an offset; a time without one has no instant
    moment = moment.replace(microsecond=0)
    own = _zone(when.get("timeZone"))
    if own is not None:
        return _seconds(moment.astimezone(own)), when["timeZone"], "tzid"
    shown = _zone(calendar_zone)
    if shown is not None:
        return _seconds(moment.astimezone(shown)), calendar_zone, "utc"
    return _seconds(moment.astimezone(UTC)), "UTC", "utc"


def _ical_value(text: str, params: dict[str, str], calendar_zone: str | None) -> str | None:
    """One EXDATE/RDATE value (`20260504`, `20260504T100000`, `20260504T010000Z`) as ISO 8601."""
    try:
        if len(text) == 8:
            return datetime.strptime(text, "%Y%m%d").date().isoformat()
        if text.endswith("Z"):
            moment = datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            shown = _zone(calendar_zone)
            return _seconds(moment.astimezone(shown) if shown else moment)
        local = datetime.strptime(text, "%Y%m%dT%H%M%S")
    except ValueError:
        return None
    zone = _zone(params.get("TZID")) or _zone(calendar_zone)
    return _seconds(local.replace(tzinfo=zone) if zone else local)


def _recurrence(lines: Any, calendar_zone: str | None) -> tuple[str | None, list[str], list[str]]:
    """(rrule, rdates, exdates) of the API's `recurrence` lines."""
    rrules: list[str] = []
    dates: dict[str, list[str]] = {"RDATE": [], "EXDATE": []}
    for line in lines if isinstance(lines, list) else ():
        if not isinstance(line, str) or ":" not in line:
            continue
        head, _, values = line.partition(":")
        name, *parameters = head.split(";")
        name = name.strip().upper()
        if name == "RRULE":
            rrules.append(values.strip())
        elif name in dates:
            params = dict(p.split("=", 1) for p in parameters if "=" in p)
            for value in values.split(","):
                value = value.strip()
                iso = value if "/" in value else _ical_value(value, params, calendar_zone)
                if iso:
                    dates[name].append(iso)
    return "\n".join(rrules) or None, dates["RDATE"], dates["EXDATE"]


def calendar_event(event: Mapping[str, Any], *, calendar: str | None = None,
                   calendar_timezone: str | None = None) -> dict[str, Any]:
    """The `calendar_event` of a calendar#event (`calendar`: the calendar's name, for the primary calendar the
    account's address; `calendar_timezone`: the event list's `timeZone`). `BadEvent` when it has no readable start."""
    zone_name = calendar_timezone if _zone(calendar_timezone) is not None else None
    start = _moment(event.get("start"), zone_name)
    if start is None:
        raise BadEvent("no readable start")
    all_day = start[2] == "date"
    end = _moment(event.get("end"), zone_name)
    if end is None or (end[2] == "date") != all_day:
        end_text = (date.fromisoformat(start[0]) + timedelta(days=1)).isoformat() if all_day else start[0]
    else:
        end_text = end[0]
    original = _moment(event.get("originalStartTime"), zone_name)
    rrule, rdates, exdates = _recurrence(event.get("recurrence"), zone_name)
    visibility = _text(event.get("visibility"))
    reminders = event.get("reminders")
    overrides = reminders.get("overrides") if isinstance(reminders, Mapping) else None
    attendees = event.get("attendees")
    sequence = event.get("sequence")
    status = _text(event.get("status"))
    transparency = _text(event.get("transparency"))
    return {
        "kind": "calendar_event",
        "schema_version": SCHEMA_VERSION,
        "calendar": calendar,
        "calendar_timezone": zone_name,
        "uid": _text(event.get("iCalUID")) or _text(event.get("recurringEventId")) or _text(event.get("id")),
        "recurrence_id": original[0] if original else None,
        "recurrence_range": None,
        "summary": _text(event.get("summary")),
        "description": _text(event.get("description")),
        "location": _text(event.get("location")),
        "start": start[0],
        "end": end_text,
        "all_day": all_day,
        "timezone": start[1],
        "time_basis": start[2],
        "rrule": rrule,
        "rdates": rdates,
        "exdates": exdates,
        "status": status.lower() if status and status.isalpha() else None,
        "transparency": transparency.lower() if transparency and transparency.isalpha() else None,
        "classification": visibility.lower() if visibility and visibility.lower() in _CLASSES else None,
        "sequence": sequence if isinstance(sequence, int) and not isinstance(sequence, bool) else None,
        "created": _utc_stamp(event.get("created")),
        "last_modified": _utc_stamp(event.get("updated")),
        "categories": [],
        "attendee_count": len(attendees) if isinstance(attendees, list) else 0,
        "alarm_count": len(overrides) if isinstance(overrides, list) else 0,
    }
