"""Values as Location History writes them, read leniently; each reader returns None for what it cannot read.

Times (epoch milliseconds, ISO 8601 with a zone; both memoized, they are the hot path), numbers that may be
strings or empty, text, booleans written as strings, `deviceTag`s, the on-device coordinates (`"lat°, lng°"`,
`"geo:lat,lng"`) and E7 integers (unsigned 32-bit ones are wrapped back, with a warning)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from app.imports.dates import KNOWN_DAYS, is_calendar_day
from app.imports.summary import ImportSummary

# --------------------------------------------------------------------------- times

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MINUTE_SECOND = [f"{m:02d}:{s:02d}" for m in range(60) for s in range(60)]  # index: second of the hour
_MILLI_UTC = [f".{ms:03d}+00:00" for ms in range(1000)]
_HOUR_CACHE_LIMIT = 1 << 16
_hours: dict[int, str] = {}  # hours since the epoch → "YYYY-MM-DDTHH:"


def _hour_prefix(hour: int) -> str:
    day, hour_of_day = divmod(hour, 24)
    prefix = f"{date.fromordinal(_EPOCH_ORDINAL + day).isoformat()}T{hour_of_day:02d}:"  # ValueError outside 1–9999
    if len(_hours) >= _HOUR_CACHE_LIMIT:
        _hours.clear()
    _hours[hour] = prefix
    return prefix


def ms_to_iso(ms: int) -> str:
    """Epoch milliseconds → `YYYY-MM-DDTHH:MM:SS.mmm+00:00`, by integer arithmetic (no datetime per call).

    Raises ValueError or OverflowError for a moment outside the years 1–9999.
    """
    hour, rest = divmod(ms, 3_600_000)
    prefix = _hours.get(hour)
    if prefix is None:
        prefix = _hour_prefix(hour)
    second, milli = divmod(rest, 1000)
    return prefix + _MINUTE_SECOND[second] + _MILLI_UTC[milli]


_ISO = re.compile(
    r"(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))[T ]((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)(?:[.,](\d{1,9}))?"
    r"\s*(Z|z|[+-](?:0\d|1[0-4]):?[0-5]\d)"
)


_MINUTE_SECONDS = frozenset(f"{m:02d}:{s:02d}" for m in range(60) for s in range(60))
# Small memos: times come in time order (an hour's prefix repeats for minutes), and the rest after the seconds
# (`Z`, `.449Z`, `+09:00` …) takes few values; a memo that is full is emptied.
_CACHE_LIMIT = 4096
_iso_hours: dict[str, str] = {}  # "YYYY-MM-DDTHH:" as written (validated) → as output
_iso_rests: dict[str, str] = {}  # "[.fff]Z" / "[.fff]±HH:MM" after the seconds, as written (validated) → as output


def iso_time(text: Any) -> str | None:
    """An ISO 8601 time with a zone (`…Z`, `…+09:00`, `…+0900`) → `YYYY-MM-DDTHH:MM:SS[.ffffff]±HH:MM`.

    `Z` becomes `+00:00`; another offset is kept; a fraction is kept as written (cut to 6 digits). None for anything
    else, a time without a zone included (its instant is unknown).

    The first 19 characters have fixed widths, so a time is cut in three: its hour (`2017-03-31T15:`), its minute and
    second (`00:00`, checked against a table) and the rest (`.449Z`); when the hour and the rest were each seen in a
    time the full pattern accepted, the time is valid and is put together without the regular expression (4× faster).
    """
    if type(text) is not str:
        return None
    hour = _iso_hours.get(text[:14])
    if hour is not None:
        minute_second = text[14:19]
        if minute_second in _MINUTE_SECONDS:
            rest = _iso_rests.get(text[19:])
            if rest is not None:
                return hour + minute_second + rest
    iso = _iso_time(text)
    if iso is not None:
        if len(_iso_hours) >= _CACHE_LIMIT:
            _iso_hours.clear()
        if len(_iso_rests) >= _CACHE_LIMIT:
            _iso_rests.clear()
        _iso_hours[text[:14]] = iso[:14]
        _iso_rests[text[19:]] = iso[19:]
    return iso


def _iso_time(text: str) -> str | None:
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    day, clock, fraction, zone = match.groups()
    if day not in KNOWN_DAYS and not is_calendar_day(day):
        return None
    if zone == "Z" or zone == "z":
        zone = "+00:00"
    elif len(zone) == 5:
        zone = zone[:3] + ":" + zone[3:]
    if fraction:
        return f"{day}T{clock}.{fraction[:6]}{zone}"
    return f"{day}T{clock}{zone}"


def _ms_time(value: Any) -> str | None:
    """A `…TimestampMs` value (a string, sometimes a number) → ISO, or None when unreadable."""
    if value is None or type(value) is bool:
        return None
    try:
        return ms_to_iso(int(value))
    except (TypeError, ValueError, OverflowError):
        return None


# --------------------------------------------------------------------------- values


def _num(value: Any) -> int | float | None:
    """A number as written, or from a string (iOS writes `"0.785181"`); None for "", junk, booleans, NaN and ±inf."""
    kind = type(value)
    if kind is int or kind is float:
        return value
    if kind is str:
        try:
            number = float(value)
        except ValueError:
            return None
        return number if number - number == 0.0 else None
    return None


def _fraction(value: Any, scale: float = 1.0) -> float | None:
    number = _num(value)
    return None if number is None else number / scale


def _int(value: Any) -> int | None:
    if type(value) is int:
        return value
    number = _num(value)
    if number is None:
        return None
    return int(number) if number == int(number) else None


def _list(value: Any) -> list[Any] | tuple[()]:
    return value if type(value) is list else ()


def _text(value: Any) -> str | None:
    return value if type(value) is str and value else None


def _upper(value: Any) -> str | None:
    return value.upper() if type(value) is str and value else None


_tags: dict[int, str] = {}


def _tag(value: Any) -> str | None:
    """A `deviceTag` (an integer in Takeout, a string elsewhere) as a decimal string."""
    if type(value) is int:
        found = _tags.get(value)
        if found is None:
            found = str(value)
            if len(_tags) < 4096:  # a few devices per account
                _tags[value] = found
        return found
    return value if type(value) is str and value else None


def _bool(value: Any) -> bool | None:
    if type(value) is bool:
        return value
    if type(value) is str:
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
    return None


_LATLNG = re.compile(
    r"\s*(?:geo:)?\s*([-+]?\d{1,3}(?:\.\d+)?)\s*(?:Â?°|º)?\s*,\s*([-+]?\d{1,3}(?:\.\d+)?)\s*(?:Â?°|º)?\s*(?:[,;].*)?",
    re.DOTALL,
)


def parse_latlng(value: Any) -> tuple[float, float] | None:
    """`"48.8566°, 2.3522°"` (Android), `"geo:27.720022,-97.347951"` (iOS), `"48.8566, 2.3522"`, or a dict holding one
    under `latLng`/`LatLng` → (latitude, longitude) in degrees; None when absent, unreadable or out of range."""
    if type(value) is dict:
        value = value.get("latLng") or value.get("LatLng") or value.get("point")
    if type(value) is not str:
        return None
    match = _LATLNG.fullmatch(value)
    if match is None:
        return None
    lat, lng = float(match.group(1)), float(match.group(2))
    if -90.0 <= lat <= 90.0 and -180.0 <= lng <= 180.0:
        return lat, lng
    return None


_TWO_32 = 1 << 32


def _e7_pair(lat7: Any, lng7: Any, summary: ImportSummary) -> tuple[float, float] | None:
    """E7 integers → degrees; unsigned 32-bit values are wrapped back (with a warning). None when unusable."""
    if type(lat7) not in (int, float) or type(lng7) not in (int, float):
        return None
    wrapped = False
    if lat7 > 900_000_000 and lat7 - _TWO_32 >= -900_000_000:
        lat7, wrapped = lat7 - _TWO_32, True
    if lng7 > 1_800_000_000 and lng7 - _TWO_32 >= -1_800_000_000:
        lng7, wrapped = lng7 - _TWO_32, True
    if not (-900_000_000 <= lat7 <= 900_000_000 and -1_800_000_000 <= lng7 <= 1_800_000_000):
        return None
    if wrapped:
        summary.warn("e7_unsigned", "coordinates written as unsigned 32-bit integers were corrected (2³² subtracted)")
    return lat7 / 1e7, lng7 / 1e7


def _e7_of(location: Any, summary: ImportSummary, lat_key: str = "latitudeE7", lng_key: str = "longitudeE7"
           ) -> tuple[float, float] | None:
    if type(location) is not dict or lat_key not in location:
        return None
    return _e7_pair(location.get(lat_key), location.get(lng_key), summary)
