"""Telling an iCalendar file by its first bytes: `BEGIN:VCALENDAR` after an optional UTF-8 BOM and blank lines."""

from __future__ import annotations

import re

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_BEGIN_CALENDAR = re.compile(rb"BEGIN:VCALENDAR[ \t]*(\r?\n|\r|$)", re.IGNORECASE)


def sniff_calendar(head: bytes) -> bool:
    """Whether `head` (the first bytes of a file) starts an iCalendar stream: `BEGIN:VCALENDAR` after an optional BOM."""
    return _BEGIN_CALENDAR.match(head.removeprefix(_BOM).lstrip(b" \t\r\n")) is not None
