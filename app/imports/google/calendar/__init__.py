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

Modules: `sniff` tells a calendar by its first bytes; `splitting` reads the stream into unfolded content lines and
cuts it into one component's lines at a time; `zones` holds what a calendar says about all its events (name,
`X-WR-TIMEZONE`, its `VTIMEZONE`s), resolves TZIDs, and parses with icalendar without touching its process-wide
zone cache; `events` turns one VEVENT into a `calendar_event`. `iter_calendar`, here, drives them and passes
them the limits below, read from this package when a file is read (so a test may lower them here).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from app.imports.google.calendar.events import KIND, SCHEMA_VERSION, _BadEvent, _event, _range
from app.imports.google.calendar.sniff import _BOM, _UTF16_BOMS, sniff_calendar
from app.imports.google.calendar.splitting import _TOO_LONG, _begin_end, _collect, _content_lines, _Lines, _physical_lines
from app.imports.google.calendar.zones import _Context
from app.imports.summary import FormatError, ImportSummary

__all__ = [
    "CHUNK",
    "CUSTOM_ZONE_LIMIT",
    "EVENT_LIMIT",
    "KIND",
    "LINE_LIMIT",
    "SCHEMA_VERSION",
    "SNIFF_BYTES",
    "KiB",
    "MiB",
    "iter_calendar",
    "sniff_calendar",
]

KiB = 1024
MiB = 1024**2
SNIFF_BYTES = 64 * KiB
CHUNK = 1 * MiB
LINE_LIMIT = 1 * MiB  # one unfolded content line (Google caps a description at 8 KB)
EVENT_LIMIT = 4 * MiB  # one VEVENT with its alarms
CUSTOM_ZONE_LIMIT = 100  # VTIMEZONEs with a name that is not an IANA or Windows zone, per file

_OTHER_COMPONENTS = {b"VTODO": "vtodo", b"VJOURNAL": "vjournal", b"VFREEBUSY": "vfreebusy", b"VAVAILABILITY": "vavailability"}
_PROBLEMS = {
    "too_large": ("event_too_large", f"events over {EVENT_LIMIT // MiB} MiB were skipped"),
    "line_too_long": ("line_too_long", f"events with a line over {LINE_LIMIT // MiB} MiB were skipped"),
    "structure": ("event_structure", "events with unbalanced BEGIN/END lines were skipped"),
    "unterminated": ("event_unterminated", "events cut off before their END:VEVENT were skipped"),
}


def iter_calendar(stream: BinaryIO, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    """Yield one `calendar_event` dict per VEVENT of an `.ics` byte stream (see the package's docstring).

    Raises FormatError "not_calendar" when the stream does not start with BEGIN:VCALENDAR, and "ics" when it ends
    inside a component or a calendar (a cut-off file), after the events read until then.
    """
    head = stream.read(SNIFF_BYTES)
    if not sniff_calendar(head):
        if head.startswith(_UTF16_BOMS):
            raise FormatError("not_calendar", "UTF-16 calendars are not supported (Google writes UTF-8)")
        raise FormatError("not_calendar", "the file does not start with BEGIN:VCALENDAR")
    first = head.removeprefix(_BOM).lstrip(b" \t\r\n")
    lines = _Lines(_content_lines(_physical_lines(stream, first, chunk=CHUNK, line_limit=LINE_LIMIT), line_limit=LINE_LIMIT))
    ctx = _Context(summary, custom_zone_limit=CUSTOM_ZONE_LIMIT)
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
        block, problem = _collect(name, lines, event_limit=EVENT_LIMIT)
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
