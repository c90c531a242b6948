"""Google Calendar `.ics` (Takeout `Calendar/<calendar name>.ics`, RFC 5545) → `calendar_event` interchange dicts.

The file is read as a stream and cut into components while reading: the calendar's own properties and each
`VTIMEZONE` are kept, and every `VEVENT` is parsed on its own by `icalendar` (7.3.2) and then dropped. Memory is
therefore bounded by one event (`EVENT_LIMIT`), not by the file, and there is no limit on the file's size; a bad
event is skipped with a warning and never fails the file. Lines are unfolded as bytes, before decoding, because
Google folds at 75 octets and a continuation can split a multi-byte character (Japanese text) in two.

Times. Each event keeps the zone it was written in (`time_basis`):
- `tzid`: `DTSTART;TZID=Asia/Tokyo:…` → local time with that zone's offset; `timezone` is the zone name. IANA
  names, Windows names (`Tokyo Standard Time`) and the file's own `VTIMEZONE`s are understood, in that order.
- `utc`: `…Z` → the same instant, shown in the calendar's `X-WR-TIMEZONE` when it has one (Google writes many
  single events in UTC and shows them in that zone), else in UTC.
- `floating`: no zone at all → read in `X-WR-TIMEZONE`; without it the time stays without an offset (a warning).
- `date`: an all-day event: `start` and `end` are `YYYY-MM-DD`, `end` exclusive as in the file (a one-day event
  ends the next day); `timezone` is null.

Recurrence is not expanded. The master keeps its rule as written (`rrule`, `rdates`, `exdates`); each moved or
changed occurrence is its own VEVENT with the master's `uid` and a `recurrence_id`, which is how an override is
linked to its master.

Counting units:
- `calendar_event`: one per VEVENT component, not per occurrence. A recurring event is one item (its master,
  with the rule), plus one item per override written as its own VEVENT with a RECURRENCE-ID: a recurring event
  with two changed occurrences counts 3. Excluded occurrences (EXDATE) are not items. A VEVENT that cannot be
  read (no or bad DTSTART, cut off, over `EVENT_LIMIT`) is counted in `summary.skipped["calendar_event"]` with a
  warning. Other components (VTODO, VJOURNAL, VFREEBUSY, …) are counted in `summary.skipped[<name, lower case>]`.

Personal data of others: attendees and the organizer are not kept (no e-mail addresses, no names); an event
only says how many attendees it lists (`attendee_count`). Alarms are counted, not kept (an e-mail alarm names
an address).

Calendar-wide properties (`X-WR-CALNAME`, `X-WR-TIMEZONE`) apply to the events after them; Google writes them
before the first event. The date range (`summary.see_range`) spans each VEVENT's start and end as written (a rule's
later occurrences are not expanded into it); an all-day event counts from midnight in the calendar's zone.

Bounds and speed: a content line over `LINE_LIMIT` or an event over `EVENT_LIMIT` skips that event; the file is
not limited. icalendar's content-line parser dominates the time: about 1 MB (1,000 events) per second, memory flat
(measured: 58 MB of events in 56 s at 58 MB peak RSS). A cut-off file is refused ("ics") after the events before
the cut were yielded.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, BinaryIO

from icalendar import Component, Event, Timezone
from icalendar.parser import Contentline
from icalendar.parser.ical.component import ComponentIcalParser
from icalendar.prop import vBroken, vText
from icalendar.timezone import tzp
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from app.imports.summary import FormatError, ImportSummary

SCHEMA_VERSION = 1
KIND = "calendar_event"

KiB = 1024
MiB = 1024**2
SNIFF_BYTES = 64 * KiB
CHUNK = 1 * MiB
LINE_LIMIT = 1 * MiB  # one unfolded content line (Google caps a description at 8 KB)
EVENT_LIMIT = 4 * MiB  # one VEVENT with its alarms
CUSTOM_ZONE_LIMIT = 100  # VTIMEZONEs with a name that is not an IANA or Windows zone, per file

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_BEGIN_CALENDAR = re.compile(rb"BEGIN:VCALENDAR[ \t]*(\r?\n|\r|$)", re.IGNORECASE)
# Components that stand only at the top of a calendar: one of them inside an event means the event was cut off.
_TOP_LEVEL = frozenset({b"VCALENDAR", b"VEVENT", b"VTODO", b"VJOURNAL", b"VFREEBUSY", b"VTIMEZONE"})
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*")
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})  # files in the tz database that are not zones
_TOO_LONG = object()  # stands for a content line over LINE_LIMIT
_OTHER_COMPONENTS = {b"VTODO": "vtodo", b"VJOURNAL": "vjournal", b"VFREEBUSY": "vfreebusy", b"VAVAILABILITY": "vavailability"}


def sniff_calendar(head: bytes) -> bool:
    """Whether `head` (the first bytes of a file) starts an iCalendar stream: `BEGIN:VCALENDAR` after an optional BOM."""
    return _BEGIN_CALENDAR.match(head.removeprefix(_BOM).lstrip(b" \t\r\n")) is not None


# --------------------------------------------------------------------------- lines


def _physical_lines(stream: BinaryIO, first: bytes) -> Iterator[tuple[bytes, bool]]:
    """(line without its break, cut) pairs. A line over LINE_LIMIT is dropped while reading: it comes back as its
    first byte only (enough to tell a folded continuation) with cut=True."""
    rest = b""
    cut = False
    head = b""
    data = first
    while True:
        if not data:
            data = stream.read(CHUNK)
            if not data:
                break
        pieces = data.split(b"\n")
        data = b""
        for piece in pieces[:-1]:
            if cut:
                yield head, True
                cut = False
                continue
            line = rest + piece if rest else piece
            rest = b""
            if len(line) > LINE_LIMIT:
                yield line[:1], True
            else:
                yield (line[:-1] if line.endswith(b"\r") else line), False
        last = pieces[-1]
        if cut:
            continue
        if len(rest) + len(last) > LINE_LIMIT:
            head = (rest or last)[:1]
            cut, rest = True, b""
        else:
            rest += last
    if cut:
        yield head, True
    elif rest:
        yield (rest[:-1] if rest.endswith(b"\r") else rest), False


def _content_lines(physical: Iterator[tuple[bytes, bool]]) -> Iterator[Any]:
    """Unfolded content lines as bytes (a continuation line starts with a space or a tab, RFC 5545 §3.1), or
    `_TOO_LONG` for a line over LINE_LIMIT. Empty lines are left out."""
    current: bytearray | None = None
    too_long = False
    for line, cut in physical:
        if current is not None and line[:1] in (b" ", b"\t"):
            if cut or len(current) + len(line) - 1 > LINE_LIMIT:
                too_long = True
            elif not too_long:
                current += line[1:]
            continue
        if current is not None:
            yield _TOO_LONG if too_long else bytes(current)
            current = None
        if cut:
            current, too_long = bytearray(), True
        elif line.strip():
            current, too_long = bytearray(line.lstrip(b" \t")), False  # (only the file's first line can start blank)
    if current is not None:
        yield _TOO_LONG if too_long else bytes(current)


class _Lines:
    """An iterator over content lines that can take one back."""

    def __init__(self, lines: Iterator[Any]) -> None:
        self._lines = lines
        self._back: list[Any] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> Any:
        return self._back.pop() if self._back else next(self._lines)

    def push(self, line: Any) -> None:
        self._back.append(line)


def _begin_end(line: bytes) -> tuple[bytes, bytes] | None:
    head = line[:6].upper()
    if head == b"BEGIN:":
        return b"BEGIN", line[6:].strip().upper()
    if head[:4] == b"END:":
        return b"END", line[4:].strip().upper()
    return None


def _collect(name: bytes, lines: _Lines) -> tuple[list[bytes] | None, str | None]:
    """The lines of the component `name` whose BEGIN line was just read (BEGIN and END included), or None and why not:
    "too_large", "line_too_long", "structure" (unbalanced BEGIN/END inside), "unterminated" (another top-level
    component or the calendar's end came first; that line is pushed back) or "eof"."""
    block = [b"BEGIN:" + name]
    stack = [name]
    size = 0
    problem: str | None = None
    for line in lines:
        if line is _TOO_LONG:
            problem = problem or "line_too_long"
            continue
        marker = _begin_end(line)
        if marker is not None:
            verb, component = marker
            if verb == b"BEGIN":
                if component in _TOP_LEVEL:
                    lines.push(line)
                    return None, "unterminated"
                stack.append(component)
            elif component == stack[-1]:
                stack.pop()
            elif component == b"VCALENDAR":
                lines.push(line)
                return None, "unterminated"
            elif component == name:
                return None, "structure"
            else:
                problem = problem or "structure"
                continue
        if problem is None:
            size += len(line)
            if size > EVENT_LIMIT:
                problem, block = "too_large", []
            else:
                block.append(line)
        if not stack:
            return (None, problem) if problem else (block, None)
    return None, "eof"


def _decode(block: list[bytes], summary: ImportSummary) -> str:
    data = b"\r\n".join(block)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        summary.warn("ics_not_utf8", "text that is not UTF-8 was read with replacement characters")
        return data.decode("utf-8", "replace")


# --------------------------------------------------------------------------- icalendar


class _LocalParser(ComponentIcalParser):
    """icalendar's parser with two changes: date-times with a TZID are read as the wall time written (the zone is
    applied by `_Context.zone`, from this file only), and a VTIMEZONE is not added to icalendar's process-wide cache
    (one resident's custom zone must not change another's import, nor grow memory for the life of the worker)."""

    def parse_and_add_property(self, name: str, params: Any, val: str, tzid: str | None, line: Contentline) -> None:
        super().parse_and_add_property(name, params, val, None, line)

    def handle_end_component(self, vals: str) -> None:
        super().handle_end_component("")  # the name is only used to cache a VTIMEZONE


def _parse_component(text: str) -> Component:
    components = _LocalParser(text, Component._get_component_factory(), Component.types_factory).parse()
    if len(components) != 1:
        raise ValueError("not exactly one component")
    return components[0]


@functools.cache
def _iana_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - _NOT_ZONES)


def _iana(name: str) -> tzinfo | None:
    if len(name) > 64 or not _ZONE_NAME.fullmatch(name) or name not in _iana_zones():
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _line_value(line: bytes) -> tuple[str, str] | None:
    """(NAME, unescaped text value) of a property line, or None if it cannot be read."""
    try:
        name, _params, value = Contentline(line.decode("utf-8", "replace")).parts()
    except ValueError:
        return None
    return name.upper(), str(vText.from_ical(value))


class _Context:
    """What one calendar says about all its events, and what the parse has seen so far."""

    def __init__(self, summary: ImportSummary) -> None:
        self.summary = summary
        self.calendar_name: str | None = None
        self.calendar_zone: tzinfo | None = None
        self.calendar_zone_name: str | None = None
        self.custom_zones: dict[str, tzinfo] = {}
        self._resolved: dict[str, tuple[tzinfo, str] | None] = {}
        self.master_uids: set[str] = set()
        self.override_uids: set[str] = set()

    def new_calendar(self) -> None:
        self.calendar_name = self.calendar_zone = self.calendar_zone_name = None
        self.custom_zones = {}
        self._resolved = {}

    def header(self, line: bytes) -> None:
        if line[:5].upper() != b"X-WR-":
            return
        found = _line_value(line)
        if found is None:
            return
        name, value = found
        if name == "X-WR-CALNAME":
            self.calendar_name = value.strip() or None
        elif name == "X-WR-TIMEZONE":
            zone = self.zone(value.strip())
            if zone is None:
                self.summary.warn("unknown_calendar_timezone", f"the calendar's X-WR-TIMEZONE {value[:64]!r} is not a known zone")
            else:
                self.calendar_zone, self.calendar_zone_name = zone

    def add_timezone(self, block: list[bytes]) -> None:
        """A VTIMEZONE: needed only when its TZID is neither an IANA nor a Windows zone name (Google's always are)."""
        tzid = None
        for line in block[1:]:
            if line[:5].upper() in (b"TZID:", b"TZID;"):
                found = _line_value(line)
                tzid = found[1] if found else None
                break
        if not tzid or self.zone(tzid, custom=False) is not None:
            return
        if len(self.custom_zones) >= CUSTOM_ZONE_LIMIT:
            self.summary.warn("too_many_timezones", f"VTIMEZONEs past the first {CUSTOM_ZONE_LIMIT} custom ones were ignored")
            return
        try:
            component = _parse_component(_decode(block, self.summary))
            if not isinstance(component, Timezone):
                raise ValueError("not a VTIMEZONE")
            for rule in component.subcomponents:
                # dateutil would expand a daily or secondly transition rule without end: only yearly ones are read
                if any(rrule.get("FREQ") != ["YEARLY"] for rrule in _as_list(rule.get("RRULE"))):
                    raise ValueError("a transition rule that is not yearly")
            self.custom_zones[tzid] = tzp.create_timezone(component)
            self._resolved.pop(tzid, None)
        except Exception as exc:  # dateutil and icalendar raise many kinds: the zone is then just unknown
            self.summary.warn("bad_timezone", f"a VTIMEZONE that could not be read was ignored ({type(exc).__name__})")

    def zone(self, tzid: str, *, custom: bool = True) -> tuple[tzinfo, str] | None:
        """(tzinfo, name) for a TZID: an IANA name, a Windows name, this file's VTIMEZONE, or a "globally unique"
        `/vendor/Area/City` id read as its IANA suffix."""
        if custom and tzid in self._resolved:
            return self._resolved[tzid]
        clean = tzid.strip().strip("/")
        found: tuple[tzinfo, str] | None = None
        for candidate in (clean, WINDOWS_TO_OLSON.get(clean)):
            zone = _iana(candidate) if candidate else None
            if zone is not None:
                found = zone, candidate  # type: ignore[assignment]
                break
        if found is None and custom and tzid in self.custom_zones:
            found = self.custom_zones[tzid], tzid
        if found is None and tzid.startswith("/"):
            parts = clean.split("/")
            for start in range(1, len(parts)):
                zone = _iana("/".join(parts[start:]))
                if zone is not None:
                    found = zone, "/".join(parts[start:])
                    self.summary.warn("timezone_guessed", "a vendor-prefixed TZID was read as the IANA zone at its end")
                    break
        if custom and len(self._resolved) < 10_000:
            self._resolved[tzid] = found
        return found


# --------------------------------------------------------------------------- one event


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


def _as_list(value: Any) -> list[Any]:
    """A property icalendar gives as one value, or as a list when the component has it more than once."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


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


# --------------------------------------------------------------------------- the file

_PROBLEMS = {
    "too_large": ("event_too_large", f"events over {EVENT_LIMIT // MiB} MiB were skipped"),
    "line_too_long": ("line_too_long", f"events with a line over {LINE_LIMIT // MiB} MiB were skipped"),
    "structure": ("event_structure", "events with unbalanced BEGIN/END lines were skipped"),
    "unterminated": ("event_unterminated", "events cut off before their END:VEVENT were skipped"),
}


def iter_calendar(stream: BinaryIO, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    """Yield one `calendar_event` dict per VEVENT of an `.ics` byte stream (see the module's docstring).

    Raises FormatError "not_calendar" when the stream does not start with BEGIN:VCALENDAR, and "ics" when it ends
    inside a component or a calendar (a cut-off file), after the events read until then.
    """
    head = stream.read(SNIFF_BYTES)
    if not sniff_calendar(head):
        if head.startswith(_UTF16_BOMS):
            raise FormatError("not_calendar", "UTF-16 calendars are not supported (Google writes UTF-8)")
        raise FormatError("not_calendar", "the file does not start with BEGIN:VCALENDAR")
    lines = _Lines(_content_lines(_physical_lines(stream, head.removeprefix(_BOM).lstrip(b" \t\r\n"))))
    ctx = _Context(summary)
    in_calendar = False
    for line in lines:
        if line is _TOO_LONG:
            summary.warn("line_too_long_ignored", f"calendar lines over {LINE_LIMIT // MiB} MiB were ignored")
            continue
        marker = _begin_end(line)
        if not in_calendar:
            if marker == (b"BEGIN", b"VCALENDAR"):
                in_calendar = True
                ctx.new_calendar()
            else:
                summary.warn("content_after_calendar", "lines after END:VCALENDAR were ignored")
            continue
        if marker is None:
            ctx.header(line)
            continue
        verb, name = marker
        if verb == b"END":
            if name == b"VCALENDAR":
                in_calendar = False
            else:
                summary.warn("stray_end", "END lines without their BEGIN were ignored")
            continue
        if name == b"VCALENDAR":
            raise FormatError("ics", "a VCALENDAR begins inside another one")
        block, problem = _collect(name, lines)
        if problem == "eof":
            raise FormatError("ics", f"the file ends inside a {name.decode('ascii', 'replace')[:20]}: it is cut off")
        if name == b"VEVENT":
            if block is None:
                code, message = _PROBLEMS[problem or "structure"]
                summary.skipped[KIND] += 1
                summary.warn(code, message)
                continue
            try:
                item = _event(block, ctx)
            except (ValueError, TypeError, OverflowError) as exc:  # _BadEvent, and whatever icalendar still raises
                summary.skipped[KIND] += 1
                reason = str(exc) if isinstance(exc, _BadEvent) else type(exc).__name__
                summary.warn("bad_event", f"events that could not be read were skipped (the first: {reason[:100]})")
                continue
            summary.counts[KIND] += 1
            if item["calendar"]:
                summary.sources[item["calendar"]] += 1
            summary.see_range(*_range(item, ctx))
            yield item
        elif name == b"VTIMEZONE":
            if block is not None:
                ctx.add_timezone(block)
            else:
                summary.warn("bad_timezone", "a VTIMEZONE that could not be read was ignored")
        else:
            # a fixed set of keys: the summary is stored, and a hostile file could name a million components
            summary.skipped[_OTHER_COMPONENTS.get(name, "other_component")] += 1
    if in_calendar:
        raise FormatError("ics", "the file ends before END:VCALENDAR: it is cut off")
    orphans = len(ctx.override_uids - ctx.master_uids)
    if orphans:
        summary.warn("override_without_master", "changed occurrences whose recurring event is not in the file were kept",
                     orphans)
