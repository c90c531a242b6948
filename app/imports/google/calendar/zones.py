"""Time zones and what one calendar says about all its events (`_Context`): `X-WR-CALNAME`, `X-WR-TIMEZONE`, the
file's own `VTIMEZONE`s, and how a TZID is resolved (IANA name, Windows name, this file's VTIMEZONE, vendor prefix).

icalendar is used through `_LocalParser`, which keeps every zone local to one file: icalendar does not apply a TZID
itself and never adds a VTIMEZONE to its process-wide cache, so one resident's custom zone cannot change another's
import nor grow memory for the life of the worker.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import tzinfo
from typing import Any

from icalendar import Component, Timezone
from icalendar.parser import Contentline
from icalendar.parser.ical.component import ComponentIcalParser
from icalendar.prop import vText
from icalendar.timezone import tzp
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from app.imports.google.calendar.splitting import _decode
from app.imports.summary import ImportSummary

_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*")
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})  # files in the tz database that are not zones


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


def _as_list(value: Any) -> list[Any]:
    """A property icalendar gives as one value, or as a list when the component has it more than once."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class _Context:
    """What one calendar says about all its events, and what the parse has seen so far."""

    def __init__(self, summary: ImportSummary, *, custom_zone_limit: int) -> None:
        self.summary = summary
        self.custom_zone_limit = custom_zone_limit  # custom VTIMEZONEs (not an IANA or Windows name) kept, at most
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
        if len(self.custom_zones) >= self.custom_zone_limit:
            self.summary.warn("too_many_timezones",
                              f"VTIMEZONEs past the first {self.custom_zone_limit} custom ones were ignored")
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
