"""Attribute values of an Apple Health export: dates with their offsets, beat times, numbers and units.

Dates are the hot path (three per Record, millions of Records): the standard form is checked with one
regular expression and rewritten by slicing, never through `datetime`, and the answers are memoised in a
small dict (creationDate usually repeats endDate, and samples share boundaries).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from app.imports.dates import KNOWN_DAYS, is_calendar_day

# `2019-06-11 15:00:00 -0700`: hours, minutes, seconds and the offset are range-checked by the pattern;
# the calendar date by `is_calendar_day` (memoised, there are few distinct days).
_STANDARD = re.compile(r"\d{4}-\d\d-\d\d (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d [+-](?:0\d|1[0-4])[0-5]\d")
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,6}))?\s*(?:(Z)|([+-])(\d{2}):?(\d{2}))?$"
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\s*(?:(Z)|([+-])(\d{2}):?(\d{2}))?$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")

_MEMO_LIMIT = 4096
_memo: dict[str, str] = {}


def parse_apple_date(text: str | None) -> str | None:
    """An Apple Health date as ISO 8601, keeping its offset.

    `2019-06-11 15:00:00 -0700` → `2019-06-11T15:00:00-07:00`; the iOS 8 form `20150616071916-0700`
    → `2015-06-16T07:19:16-07:00`; a date alone stays `YYYY-MM-DD`. Empty gives None; anything else
    raises ValueError.
    """
    if text is None:
        return None
    found = _memo.get(text)
    if found is not None:
        return found
    if len(text) == 25 and _STANDARD.fullmatch(text) and (text[:10] in KNOWN_DAYS or is_calendar_day(text[:10])):
        iso = text[:10] + "T" + text[11:19] + text[20:23] + ":" + text[23:]
    else:
        iso = _parse_other(text)
        if iso is None:
            return None
    if len(_memo) >= _MEMO_LIMIT:
        _memo.clear()
    _memo[text] = iso
    return iso


# The standard form cut at fixed places: day (text[:10], checked by KNOWN_DAYS), " HH:" (text[10:14]), "MM:SS"
# (text[14:19]) and " ±HHMM" (text[19:]); each part is looked up in a table of the valid ones.
_HOURS = frozenset(f" {hour:02d}:" for hour in range(24))
_MINUTE_SECONDS = frozenset(f"{minute:02d}:{second:02d}" for minute in range(60) for second in range(60))
_OFFSETS = {f" {sign}{hours:02d}{minutes:02d}": f"{sign}{hours:02d}:{minutes:02d}"
            for sign in "+-" for hours in range(15) for minutes in range(60)}


def apple_date(text: str | None) -> str | None:
    """`parse_apple_date`, with the standard form (`2019-06-11 15:00:00 -0700`) validated by table lookups and
    rewritten by slicing: the hot path, three dates a Record."""
    if text is not None and len(text) == 25:
        offset = _OFFSETS.get(text[19:])
        if (offset is not None and text[10:14] in _HOURS and text[14:19] in _MINUTE_SECONDS
                and text[:10] in KNOWN_DAYS):
            return text[:10] + "T" + text[11:19] + offset
    return parse_apple_date(text)


_UTC_ISO = re.compile(r"\d{4}-\d\d-\d\dT(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?Z")


def parse_gpx_time(text: str) -> str | None:
    """A GPX `<time>` (`2026-11-19T09:00:00Z`, UTC) as ISO 8601 with `+00:00`; other forms through `parse_apple_date`."""
    if _UTC_ISO.fullmatch(text) and is_calendar_day(text[:10]):
        return text[:-1] + "+00:00"
    return parse_apple_date(text.replace("Z", "+00:00"))


def _parse_other(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    if _DATE.match(text):
        return datetime.strptime(text, "%Y-%m-%d").date().isoformat()
    match = _DATETIME.match(text)
    if match:
        year, month, day, hour, minute, second, fraction, zulu, sign, oh, om = match.groups()
    else:
        match = _COMPACT.match(text)
        if not match:
            raise ValueError(f"unrecognised date: {text!r}")
        year, month, day, hour, minute, second, zulu, sign, oh, om = match.groups()
        fraction = None
    tz = None
    if zulu:
        tz = UTC
    elif sign:
        offset = timedelta(hours=int(oh), minutes=int(om))
        tz = timezone(-offset if sign == "-" else offset)
    micro = int((fraction or "0").ljust(6, "0"))
    moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz)
    return moment.isoformat()


_BEAT_TIME = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*([AaPp]\.?[Mm]\.?)?$")


def parse_beat_time(text: str | None) -> str | None:
    """`InstantaneousBeatsPerMinute@time` (time only, locale-formatted) as `HH:MM:SS[.ff]`; None if unknown."""
    if not text:
        return None
    match = _BEAT_TIME.match(text.strip())
    if not match:
        return None
    hour, minute, second, fraction, meridiem = match.groups()
    h = int(hour)
    if meridiem:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if meridiem[0] in "Pp" else 0)
    if h > 23 or int(minute) > 59 or int(second) > 60:
        return None
    return f"{h:02d}:{minute}:{second}" + (f".{fraction}" if fraction else "")


UNIT_FACTORS: dict[str, tuple[str, float]] = {
    # length → m
    "m": ("m", 1.0),
    "km": ("m", 1000.0),
    "mi": ("m", 1609.344),
    "cm": ("m", 0.01),
    "mm": ("m", 0.001),
    "ft": ("m", 0.3048),
    "in": ("m", 0.0254),
    "yd": ("m", 0.9144),
    # energy → kcal ("Cal" is the food calorie, i.e. a kcal)
    "kcal": ("kcal", 1.0),
    "Cal": ("kcal", 1.0),
    "kJ": ("kcal", 1 / 4.184),
    # mass → kg
    "kg": ("kg", 1.0),
    "lb": ("kg", 0.45359237),
    "st": ("kg", 6.35029318),
    # duration → s
    "s": ("s", 1.0),
    "min": ("s", 60.0),
    "hr": ("s", 3600.0),
    "h": ("s", 3600.0),
    # a fraction already: Apple writes `%` values as 0.97
    "%": ("fraction", 1.0),
}


def normalise_quantity(value: float | None, unit: str | None) -> tuple[float | None, str | None]:
    """Convert `value` in `unit` to the canonical unit: m, kcal, kg, s; `%` becomes a 0–1 "fraction".

    Apple writes `%` values as fractions already (`0.97`), so they are kept as they are. Other units
    (`count/min`, `mg/dL`, `mmol<180.1558800000541>/L`, `g`, …) pass through unchanged.
    """
    if unit is None:
        return value, None
    known = UNIT_FACTORS.get(unit)
    if known is None:
        return value, unit
    canonical, factor = known
    if value is None or factor == 1.0:
        return value, canonical
    return value * factor, canonical


def number(text: str | None) -> float | None:
    """A decimal attribute as a float; None when empty or not a number (NaN and infinities included)."""
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value - value == 0.0 else None
