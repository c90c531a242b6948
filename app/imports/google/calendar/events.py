"""One VEVENT → one `calendar_event` dict: its times with the zone they were written in (`time_basis`), its
recurrence as written (rule, RDATE, EXDATE, RECURRENCE-ID), and its other properties; attendees and alarms are
counted, not kept.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from icalendar import Component, Event
from icalendar.prop import vBroken

from app.imports.google.calendar.splitting import _begin_end, _decode
from app.imports.google.calendar.zones import _as_list, _Context, _parse_component

SCHEMA_VERSION = 1
KIND = "calendar_event"


class _BadEvent(ValueError):
    pass


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _moment(prop: Any, value: date | datetime, ctx: _Context) -> tuple[str, datetime | None, str | None, str]:
    """(ISO text, aware datetime or None, zone name, basis) of one DATE or DATE-TIME value."""
    if not isinstance(value, datetime):
        return value.isoformat(), None, None, "date"
    if value.tzinfo is not None:  # UTC: icalendar reads `…Z` as aware
        if ctx.calendar_zone is not None:
            shown = value.astimezone(ctx.calendar_zone)
            return _iso(shown), shown, ctx.calendar_zone_name, "utc"
        shown = value.astimezone(UTC)
        return _iso(shown), shown, "UTC", "utc"
    params = getattr(prop, "params", None) or {}
    tzid = params.get("TZID")
    if tzid:
        zone = ctx.zone(str(tzid))
        if zone is not None:
            local = value.replace(tzinfo=zone[0])
            return _iso(local), local, zone[1], "tzid"
        ctx.summary.warn("unknown_timezone", "times with an unknown TZID were read as floating times")
    if ctx.calendar_zone is not None:
        local = value.replace(tzinfo=ctx.calendar_zone)
        return _iso(local), local, ctx.calendar_zone_name, "floating"
    ctx.summary.warn("floating_time", "floating times in a calendar without X-WR-TIMEZONE were kept without an offset")
    return _iso(value), None, None, "floating"



def _values(prop: Any) -> list[Any]:
    """(parameters, date, date-time or period) of each value of EXDATE/RDATE properties."""
    out = []
    for item in _as_list(prop):
        params = getattr(item, "params", None) or {}
        for dt in getattr(item, "dts", []):
            out.append((params, dt.dt))
    return out


class _Params:
    """A stand-in property, so a value of a list property is read with that list's parameters."""

    def __init__(self, params: Any) -> None:
        self.params = params


def _moments(prop: Any, ctx: _Context) -> list[str]:
    out = []
    for params, value in _values(prop):
        if isinstance(value, tuple):  # an RDATE period: (start, end or duration)
            start = _moment(_Params(params), value[0], ctx)
            end = value[1]
            if isinstance(end, date):
                out.append(f"{start[0]}/{_moment(_Params(params), end, ctx)[0]}")
            elif isinstance(end, timedelta):
                out.append(f"{start[0]}/P{end.days}DT{end.seconds}S")
        elif isinstance(value, date):
            out.append(_moment(_Params(params), value, ctx)[0])
    return out


def _props(component: Component, name: str) -> list[Any]:
    """The values of a property that icalendar could read (it keeps an unreadable one as a `vBroken`)."""
    return [value for value in _as_list(component.get(name)) if not isinstance(value, vBroken)]


def _prop(component: Component, name: str) -> Any:
    values = _props(component, name)
    return values[0] if values else None


def _text(component: Component, name: str) -> str | None:
    value = _prop(component, name)
    if value is None:
        return None
    text = str(value)
    return text if text.strip() else None


_KEYWORD = re.compile(r"[a-z0-9_-]{1,40}")


def _keyword(text: str | None) -> str | None:
    """An enumerated value (STATUS, TRANSP, CLASS, RANGE) in lower case; None if it is not a keyword."""
    word = text.strip().lower() if text else None
    return word if word and _KEYWORD.fullmatch(word) else None


def _lower(component: Component, name: str) -> str | None:
    return _keyword(_text(component, name))


def _utc_stamp(component: Component, name: str) -> str | None:
    value = getattr(_prop(component, name), "dt", None)
    if not isinstance(value, datetime):
        return None
    return _iso(value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC))


_NAME_END = re.compile(rb"[;:]")
_LEFT_OUT = (b"ATTENDEE", b"ORGANIZER", b"CONTACT")  # other people: counted or dropped before icalendar reads the event


class _Scan:
    """One pass over an event's lines before icalendar reads it: the RRULE values as written (icalendar would
    reorder their parts), the attendees and alarms counted, and the lines icalendar needs. Other people's
    addresses (ATTENDEE, ORGANIZER, CONTACT), extension properties (X-…) and the alarms' bodies are left out, so
    they are never parsed nor kept (a meeting with hundreds of attendees costs nothing)."""

    def __init__(self, block: list[bytes]) -> None:
        self.lines: list[bytes] = []
        self.rrules: list[str] = []
        self.attendees = self.alarms = 0
        depth = 0
        for line in block:
            marker = _begin_end(line)
            if marker is not None:
                if marker[0] == b"BEGIN":
                    depth += 1
                    self.alarms += depth == 2 and marker[1] == b"VALARM"
                    outer = depth == 1
                else:
                    depth -= 1
                    outer = depth == 0
                if outer:  # the event's own BEGIN and END (`_collect` checked the nesting)
                    self.lines.append(line)
                continue
            if depth != 1:
                continue
            found = _NAME_END.search(line)
            name = (line[:found.start()] if found else line).strip().upper()
            if name == b"ATTENDEE":
                self.attendees += 1
            elif name in _LEFT_OUT or name.startswith(b"X-"):
                continue
            else:
                if name == b"RRULE":
                    self.rrules.append(line.decode("utf-8", "replace").split(":", 1)[-1].strip())
                self.lines.append(line)


def _event(block: list[bytes], ctx: _Context) -> dict[str, Any]:
    summary = ctx.summary
    scan = _Scan(block)
    try:
        component = _parse_component(_decode(scan.lines, summary))
    except ValueError as exc:
        raise _BadEvent(f"unreadable ({exc})") from exc
    if not isinstance(component, Event):
        raise _BadEvent("not a VEVENT")
    broken = {name for name, _message in component.errors if name}
    start_prop = _prop(component, "DTSTART")
    if start_prop is None:
        raise _BadEvent("no readable DTSTART")
    start_value = start_prop.dt
    if not isinstance(start_value, date):
        raise _BadEvent("DTSTART is not a date or a date-time")
    start, start_dt, zone, basis = _moment(start_prop, start_value, ctx)
    all_day = basis == "date"

    end_prop = _prop(component, "DTEND")
    end_value = getattr(end_prop, "dt", None)
    if isinstance(end_value, date) and isinstance(end_value, datetime) == isinstance(start_value, datetime):
        end = _moment(end_prop, end_value, ctx)[0]
    else:
        if end_prop is not None:
            summary.warn("bad_dtend", "a DTEND of another value type than DTSTART was replaced by one from DTSTART")
        duration = getattr(_prop(component, "DURATION"), "dt", None)
        if not isinstance(duration, timedelta):
            duration = timedelta(days=1) if all_day else timedelta(0)  # RFC 5545 §3.6.1
        if all_day:
            end = (start_value + timedelta(days=max(duration.days, 0))).isoformat()
        else:
            end = _iso((start_dt if start_dt is not None else start_value) + duration)
    if end < start and (all_day or end[19:] == start[19:]):
        summary.warn("end_before_start", "events ending before they start were kept as written")

    if "RECURRENCE-ID" in broken:
        raise _BadEvent("unreadable RECURRENCE-ID")  # read as a master, it would be a second series
    recurrence_prop = _prop(component, "RECURRENCE-ID")
    recurrence_id = None
    recurrence_range = None
    if recurrence_prop is not None and isinstance(getattr(recurrence_prop, "dt", None), date):
        recurrence_id = _moment(recurrence_prop, recurrence_prop.dt, ctx)[0]
        found_range = (getattr(recurrence_prop, "params", None) or {}).get("RANGE")
        recurrence_range = _keyword(str(found_range)) if found_range else None
    elif "RECURRENCE-ID" in component:
        raise _BadEvent("unreadable RECURRENCE-ID")

    rrules = scan.rrules
    if len(rrules) > 1:
        summary.warn("several_rrules", "events with more than one RRULE kept their rules joined by a newline")
    if "RRULE" in broken:
        summary.warn("bad_rrule", "RRULEs that icalendar could not read were kept as written")
    exdates = _moments(_props(component, "EXDATE"), ctx)
    rdates = _moments(_props(component, "RDATE"), ctx)
    other = broken - {"DTEND", "DURATION", "RRULE"}
    if other:
        summary.warn("bad_property", "unreadable event properties were left out: " + ", ".join(sorted(other))[:200])

    sequence = _prop(component, "SEQUENCE")
    categories: list[str] = []
    for item in _props(component, "CATEGORIES"):
        categories.extend(str(c) for c in getattr(item, "cats", []) if str(c).strip())
    uid = _text(component, "UID")
    if uid is None:
        summary.warn("missing_uid", "events without a UID were kept; their overrides cannot be linked")
    elif recurrence_id is None:
        ctx.master_uids.add(uid)
    else:
        ctx.override_uids.add(uid)
    return {
        "kind": KIND,
        "schema_version": SCHEMA_VERSION,
        "calendar": ctx.calendar_name,
        "calendar_timezone": ctx.calendar_zone_name,
        "uid": uid,
        "recurrence_id": recurrence_id,
        "recurrence_range": recurrence_range,
        "summary": _text(component, "SUMMARY"),
        "description": _text(component, "DESCRIPTION"),
        "location": _text(component, "LOCATION"),
        "start": start,
        "end": end,
        "all_day": all_day,
        "timezone": zone,
        "time_basis": basis,
        "rrule": "\n".join(rrules) or None,
        "rdates": rdates,
        "exdates": exdates,
        "status": _lower(component, "STATUS"),
        "transparency": _lower(component, "TRANSP"),
        "classification": _lower(component, "CLASS"),
        "sequence": int(sequence) if isinstance(sequence, int) else None,
        "created": _utc_stamp(component, "CREATED"),
        "last_modified": _utc_stamp(component, "LAST-MODIFIED"),
        "categories": categories,
        "attendee_count": scan.attendees,
        "alarm_count": scan.alarms,
    }


def _range(item: dict[str, Any], ctx: _Context) -> tuple[str | None, str | None]:
    """What the event adds to the date range: its times, or for an all-day event its days from midnight in the
    calendar's zone (without a zone an all-day event has no instant and adds nothing)."""
    if not item["all_day"]:
        return item["start"], item["end"]
    if ctx.calendar_zone is None:
        return None, None
    midnight = time(0, tzinfo=ctx.calendar_zone)
    return (_iso(datetime.combine(date.fromisoformat(item["start"]), midnight)),
            _iso(datetime.combine(date.fromisoformat(item["end"]), midnight)))
