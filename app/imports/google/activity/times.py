"""Entry times as ISO 8601.

The JSON's UTC `…Z` (with or without milliseconds) becomes `+00:00`. The HTML's localized dates
(`Feb 13, 2024, 8:36:49 AM EET`, `29 Nov 2021, 18:06:16 AEDT`, `2023/01/15 21:03:12 JST`, `15.01.2023, 21:03:12 MEZ`,
`4 févr. 2022, 16:20:56 UTC+1`) keep the offset of their zone abbreviation: since about 2020 Takeout writes every
time in the zone of the export, so abbreviation and offset agree. Pre-2018 pages have no zone: their time is kept
without an offset (warning "time_without_zone"), like one with an abbreviation not in `ZONE_OFFSETS`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from app.imports.google.activity.wording import _clean

_JSON_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:[.,](\d+))?(Z|[+-]\d\d:?\d\d)$")


def parse_json_time(text: Any) -> str:
    """A Takeout JSON `time` (`2024-01-15T03:14:21.123Z`) as ISO 8601 with its offset (`…21.123+00:00`)."""
    match = _JSON_TIME.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"unreadable time {text!r}")
    base, fraction, zone = match.groups()
    offset = "+00:00" if zone == "Z" else (zone if ":" in zone else f"{zone[:3]}:{zone[3:]}")
    iso = base + (f".{fraction[:6]}" if fraction else "") + offset
    datetime.fromisoformat(iso)  # the calendar check: raises ValueError for 2024-02-30
    return iso


_MONTHS = {
    # en
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
    # de
    "jän": 1, "januar": 1, "februar": 2, "mär": 3, "märz": 3, "mrz": 3, "mai": 5, "juni": 6, "juli": 7,
    "okt": 10, "oktober": 10, "dez": 12, "dezember": 12,
    # fr
    "janv": 1, "févr": 2, "fév": 2, "mars": 3, "avr": 4, "juin": 6, "juil": 7, "août": 8, "déc": 12,
    # es, it, pt, nl
    "ene": 1, "abr": 4, "ago": 8, "dic": 12, "gen": 1, "mag": 5, "giu": 6, "lug": 7, "set": 9, "ott": 10,
    "fev": 2, "out": 10, "mrt": 3, "mei": 5, "okt.": 10,
}

# Zone abbreviations Takeout writes (English and German forms) → offset in minutes. "IST" is India (Google's use),
# "CST" the US zone.
ZONE_OFFSETS = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEZ": 0, "WEST": 60, "WESZ": 60, "BST": 60, "IST": 330,
    "CET": 60, "MEZ": 60, "CEST": 120, "MESZ": 120, "EET": 120, "OEZ": 120, "EEST": 180, "OESZ": 180, "MSK": 180,
    "JST": 540, "KST": 540, "HKT": 480, "SGT": 480, "PHT": 480, "AWST": 480, "WIB": 420, "ICT": 420,
    "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
    "HST": -600, "HDT": -540, "AKST": -540, "AKDT": -480, "PST": -480, "PDT": -420, "MST": -420, "MDT": -360,
    "CST": -360, "CDT": -300, "EST": -300, "EDT": -240, "AST": -240, "ADT": -180, "NST": -210, "NDT": -150,
    "BRT": -180, "ART": -180,
}

_CLOCK = r"(?:(?P<pre>午前|午後)\s*)?(?P<H>\d{1,2}):(?P<M>\d{2}):(?P<S>\d{2})\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?|午前|午後)?"
_DATE_FORMS = (
    # 2023/01/15 21:03:12 JST (ja), 2023-01-15 …
    re.compile(r"^(?P<y>\d{4})[/.-](?P<m>\d{1,2})[/.-](?P<d>\d{1,2})\.?,?\s+" + _CLOCK + r"\s*(?P<tz>.*)$"),
    # 2023年1月15日 21:03:12 JST
    re.compile(r"^(?P<y>\d{4})年\s*(?P<m>\d{1,2})月\s*(?P<d>\d{1,2})日\s*" + _CLOCK + r"\s*(?P<tz>.*)$"),
    # 15.01.2023, 21:03:12 MEZ (de), 15/01/2023 21:03:12 …
    re.compile(r"^(?P<d>\d{1,2})[./](?P<m>\d{1,2})[./](?P<y>\d{4}),?\s+" + _CLOCK + r"\s*(?P<tz>.*)$"),
    # Jan 15, 2023, 9:03:12 PM JST (en-US)
    re.compile(r"^(?P<mon>[^\W\d_]+)\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4}),?\s+" + _CLOCK + r"\s*(?P<tz>.*)$"),
    # 27 Apr 2021, 17:21:30 AEDT (en-GB/AU), 15 jun 2026 (es), 4 févr. 2022 (fr), 15. Jan. 2023 (de)
    re.compile(
        r"^(?P<d>\d{1,2})\.?\s+(?:de\s+)?(?P<mon>[^\W\d_]+)\.?\s+(?:de\s+)?(?P<y>\d{4}),?\s+" + _CLOCK + r"\s*(?P<tz>.*)$"
    ),
)
_GMT_OFFSET = re.compile(r"^(?:GMT|UTC)\s*([+\-−])\s*(\d{1,2})(?::?(\d{2}))?$")


class UnknownZone(ValueError):
    """A date read, but its zone is not known: `naive` is the local time without an offset."""

    def __init__(self, naive: str, zone: str) -> None:
        super().__init__(f"unknown time zone {zone!r}")
        self.naive, self.zone = naive, zone


def parse_html_time(text: str) -> str:
    """A localized Takeout HTML date as ISO 8601 with its zone's offset; without an offset when the page gives no
    zone. Raises `UnknownZone` (a ValueError carrying the local time) for an unknown abbreviation, ValueError for
    anything unreadable."""
    text = _clean(text)
    for form in _DATE_FORMS:
        match = form.match(text)
        if match:
            break
    else:
        raise ValueError(f"unreadable date {text!r}")
    parts = match.groupdict()
    if parts.get("mon") is not None:
        month = _MONTHS.get(parts["mon"].lower().rstrip("."))
        if month is None:
            raise ValueError(f"unknown month name in {text!r}")
    else:
        month = int(parts["m"])
    day, year = int(parts["d"]), int(parts["y"])
    if parts.get("mon") is None and month > 12 and day <= 12:  # 01/15/2023: month first after all
        month, day = day, month
    hour, minute, second = int(parts["H"]), int(parts["M"]), int(parts["S"])
    meridiem = (parts["ampm"] or parts["pre"] or "").lower().replace(".", "").replace(" ", "")
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValueError(f"hour {hour} with AM/PM in {text!r}")
        pm = meridiem in ("pm", "午後")
        hour = (hour % 12) + (12 if pm else 0)
    naive = datetime(year, month, day, hour, minute, second).isoformat()  # raises ValueError for impossible dates
    zone = parts["tz"].strip()
    if not zone:
        return naive
    minutes = ZONE_OFFSETS.get(zone.upper())
    if minutes is None:
        found = _GMT_OFFSET.match(zone.upper())
        if not found:
            raise UnknownZone(naive, zone)
        sign, hours, mins = found.groups()
        minutes = int(hours) * 60 + int(mins or 0)
        if sign in "-−":
            minutes = -minutes
    sign = "-" if minutes < 0 else "+"
    return f"{naive}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
