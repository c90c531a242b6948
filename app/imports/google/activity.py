"""Google Takeout activity: YouTube and YouTube Music watch history (JSON and HTML) and My Activity (JSON and HTML).

Both are the same record, Google's *My Activity* entry: `header` (the product: "YouTube", "YouTube Music", "Search",
"検索" …), `title` (a localized sentence: "Watched <video>", "<video> を視聴しました", "„<video>“ angesehen"),
`titleUrl`, `subtitles` (the channel), `time`, `products`, `details` ("From Google Ads", "Google 広告から"). Takeout
writes it as a JSON array (`watch-history.json`, `My Activity.json`) or, by default, as one HTML page of
`outer-cell` divs (`watch-history.html`, `MyActivity.html`) whose ~140 KB of inline CSS comes before the first entry.

Streaming, memory flat: JSON through `ijson.items(stream, "item")` (yajl2_c), HTML through lxml's incremental HTML
parser (`HTMLPullParser`, network off, never `huge_tree`), each entry's cells cleared and their earlier siblings
deleted once read. libxml2's HTML push parser keeps all the input it was fed until it is closed, so a page is fed to
a fresh parser every 4 MiB, cut just before an entry (`_html_divs`). A UTF-8 BOM is skipped. Nothing reads a whole
file into one string.

Telling watch history and My Activity apart (the watch history *is* My Activity for YouTube):
- An entry is a *watch* when its header or products say YouTube / YouTube Music and its sentence is a watch
  ("Watched …", "… を視聴しました", "… angesehen") with a video link or no link at all (a removed video, an ad on
  the home page); in another language, any YouTube entry with a video link whose wording is not a known other
  activity ("Liked", "Searched for", "… を検索しました" …), with the warning "wording_not_recognised".
- `sniff_watch_history(head)` says "json" when the complete entries in the first 64 KiB are all YouTube / YouTube
  Music entries, at least one is a watch and none is a search; "html" for the same in an HTML page, and also for a
  Takeout activity page whose head holds only its CSS (the real pages: the first entry starts after ~140 KB, so no
  head can tell their product). `My Activity/YouTube/` mixes searches in, so it is My Activity, unless its first
  64 KiB hold watches only (then its later searches are `skipped["not_a_watch"]`).
- `sniff_my_activity(head)` says True for any other My Activity array or page: the two sniffers never both claim a
  file.
- `iter_watch_history` decides on the entries themselves: a page whose first 100 entries hold no watch (YouTube's
  `search-history.html`, a `My Activity/<product>/MyActivity.html`) is read as My Activity (`my_activity` items,
  warning "read_as_my_activity") rather than refused, so a Takeout part in the default HTML format never fails on
  one of them. A JSON file is sniffable, so a JSON that is not a watch history is refused ("not_watch_history").
- The language of the watch sentences read ("en", "ja", "de") becomes `summary.locale` when none is set yet.

Counting units:
- `watch_event`: 1 per watch-history entry that is a watch, each rewatch again (Takeout writes one entry per view).
  An ad is a watch_event flagged `ad: true`; a removed or private video is a watch_event flagged `removed: true`,
  kept without a link. Other entries of a watch history ("Viewed a post", "Used Shorts creation tools", a search)
  are not counted: they are `skipped["not_a_watch"]`. A watch whose time cannot be read is `skipped["watch_event"]`
  (warning "bad_watch_event").
- `my_activity`: 1 per entry of a My Activity file (JSON array item or HTML `outer-cell`) with a readable time and
  a title, whatever its product (otherwise `skipped["my_activity"]`, warning "bad_my_activity"). YouTube watches
  read from `My Activity/YouTube/` are my_activity items, not watch_events: a file is read by one parser, so nothing
  is counted twice. `locationInfos` (where the resident was, often "From your places (Home)") and
  `activityControls` are not kept.

Times: the JSON's UTC `…Z` (with or without milliseconds) becomes `+00:00`. The HTML's localized dates
(`Feb 13, 2024, 8:36:49 AM EET`, `29 Nov 2021, 18:06:16 AEDT`, `2023/01/15 21:03:12 JST`, `15.01.2023, 21:03:12 MEZ`,
`4 févr. 2022, 16:20:56 UTC+1`) keep the offset of their zone abbreviation: since about 2020 Takeout writes every
time in the zone of the export, so abbreviation and offset agree. Pre-2018 pages have no zone: their time is kept
without an offset (warning "time_without_zone"), like one with an abbreviation not in `ZONE_OFFSETS`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO

import ijson
from lxml import etree

from app.imports.summary import FormatError, ImportSummary

SCHEMA_VERSION = 1
SNIFF_BYTES = 64 * 1024
# A file whose first entries hold no watch at all is not a watch history.
LEADING_LIMIT = 100
_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"

__all__ = [
    "FormatError",
    "ImportSummary",
    "iter_my_activity",
    "iter_watch_history",
    "parse_html_time",
    "sniff_my_activity",
    "sniff_watch_history",
]


# --------------------------------------------------------------------------- streams


class _Replay:
    """A byte stream with the bytes already read from it put back in front."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head, self._rest = head, rest

    def read(self, size: int | None = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                out, self._head = self._head + self._rest.read(), b""
                return out
            out, self._head = self._head[:size], self._head[size:]
            return out
        return self._rest.read(size if size is not None else -1)


def _open(stream: BinaryIO, limit: int = SNIFF_BYTES) -> tuple[bytes, _Replay]:
    """(the first bytes (≤ `limit`) after a BOM and leading whitespace; the stream from after the BOM)."""
    head = b""
    while len(head) < limit:
        chunk = stream.read(limit - len(head))
        if not chunk:
            break
        head += chunk
    if head.startswith(_BOM):
        head = head[3:]
    return head.lstrip(_WHITESPACE), _Replay(head, stream)


# --------------------------------------------------------------------------- text, links, times


def _clean(text: str | None) -> str:
    """Collapse whitespace, including the no-break (U+00A0), em (U+2003) and narrow no-break (U+202F) spaces Takeout
    writes around verbs, products and AM/PM (`str.split` splits on all of them)."""
    if not text:
        return ""
    if "\u200b" in text:
        text = text.replace("\u200b", "")
    return " ".join(text.split())


# Video ids are 11 characters today; any length is taken (anonymised samples use `video_id_1`).
_VIDEO_ID = re.compile(r"(?:[?&]v=|youtu\.be/|/shorts/|/embed/|/live/)([A-Za-z0-9_-]{1,64})")
_SEARCH_URL = re.compile(r"youtube\.com/results\?|[?&]search_query=")


def _video_id(url: str | None) -> str | None:
    if not url or "youtu" not in url:
        return None
    match = _VIDEO_ID.search(url)
    return match.group(1) if match else None


# The watch sentence in the languages read: (language, pattern whose group 1 is the video title).
# JSON titles are "Watched X" / "X を視聴しました" / "„X“ angesehen"; an HTML entry is the same sentence around a link.
_WATCH_FORMS = (
    ("en", re.compile(r"^Watched(?:\s+(.*))?$", re.S)),
    ("ja", re.compile(r"^(.*?)\s*を視聴しました$", re.S)),
    ("de", re.compile(r"^(.*?)\s*angesehen$", re.S)),
)
# Other YouTube activities found in a watch history or YouTube's My Activity (English, and the search sentence in
# Japanese and German): never read as a watch even with a video link.
_OTHER_FORMS = re.compile(
    r"^(?:Liked|Disliked|Searched for|Commented on|Subscribed to|Shared|Saved|Viewed|Visited|Used|Answered|Voted on|"
    r"Added|Replied|Reported|Dismissed|Removed)\b|(?:を検索しました|gesucht)$"
)
_QUOTES = "„“”\"「」『』"
# `details` of an ad: "From Google Ads", "Google 広告から", "Von Google Ads" …
_AD = re.compile(r"Google[\s\u00a0-]*(?:Ads|AdWords|広告|Anzeigen|Werbung)", re.I)
_YOUTUBE_HEADERS = frozenset({"YouTube", "YouTube Music"})


def _watch_form(title: str) -> tuple[str, str | None] | None:
    """(language, the title inside the watch sentence or None) when `title` is a watch sentence."""
    for language, pattern in _WATCH_FORMS:
        match = pattern.match(title)
        if match:
            inner = _clean(match.group(1))
            if len(inner) >= 2 and inner[0] in _QUOTES and inner[-1] in _QUOTES:
                inner = inner[1:-1].strip()
            return language, inner or None
    return None


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


# --------------------------------------------------------------------------- one entry, from either format


class _Entry:
    """One My Activity entry, format aside. `title` is the whole sentence ("Watched X"); `link_text` the text of the
    title link (HTML only: the exact video title); `time` the raw JSON or HTML time."""

    __slots__ = ("header", "title", "verb", "link_text", "url", "subtitles", "time", "products", "details", "fmt", "legacy")

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self.header: str | None = None
        self.title = ""
        self.verb: str | None = None  # HTML: the words around the title link ("Watched", "を視聴しました")
        self.link_text: str | None = None
        self.url: str | None = None
        self.subtitles: list[dict[str, str | None]] = []
        self.time: Any = None
        self.products: list[str] = []
        self.details: list[str] = []
        self.legacy: dict[str, Any] | None = None  # the pre-2017 API shape (`snippet`)

    def is_youtube(self) -> bool:
        if self.legacy is not None:
            return True
        if self.header in _YOUTUBE_HEADERS or any(p in _YOUTUBE_HEADERS for p in self.products):
            return True
        return self.header is None and not self.products and "youtu" in (self.url or "")

    def is_music(self) -> bool:
        return (self.header == "YouTube Music" or "YouTube Music" in self.products
                or (self.url or "").startswith(("https://music.youtube.com", "http://music.youtube.com")))

    def is_ad(self) -> bool:
        return any(_AD.search(d) for d in self.details)


def _json_entry(item: Any) -> _Entry | None:
    if not isinstance(item, dict):
        return None
    entry = _Entry("json")
    snippet = item.get("snippet")
    resource = snippet.get("resourceId") if isinstance(snippet, dict) and isinstance(snippet.get("resourceId"), dict) else {}
    details = item.get("contentDetails") if isinstance(item.get("contentDetails"), dict) else {}
    if isinstance(snippet, dict) and "title" not in item and (resource.get("kind") == "youtube#video" or details.get("videoId")):
        # Before 2017: the history playlist in the Data API's shape.
        entry.legacy = snippet
        entry.title = _clean(snippet.get("title")) if isinstance(snippet.get("title"), str) else ""
        entry.time = snippet.get("publishedAt")
        video = resource.get("videoId") or details.get("videoId")
        entry.url = f"https://www.youtube.com/watch?v={video}" if isinstance(video, str) and video else None
        owner = snippet.get("videoOwnerChannelTitle")
        if isinstance(owner, str) and owner:
            channel = snippet.get("videoOwnerChannelId")
            url = f"https://www.youtube.com/channel/{channel}" if isinstance(channel, str) and channel else None
            entry.subtitles = [{"name": owner, "url": url}]
        return entry
    title = item.get("title")
    entry.title = _clean(title) if isinstance(title, str) else ""
    header = item.get("header")
    entry.header = header if isinstance(header, str) else None
    url = item.get("titleUrl")
    entry.url = url if isinstance(url, str) and url else None
    entry.time = item.get("time")
    products = item.get("products")
    entry.products = [p for p in products if isinstance(p, str)] if isinstance(products, list) else []
    for value in _objects(item.get("subtitles")):
        name, link = value.get("name"), value.get("url")
        entry.subtitles.append({"name": name if isinstance(name, str) else None, "url": link if isinstance(link, str) else None})
    entry.details = [d["name"] for d in _objects(item.get("details")) if isinstance(d.get("name"), str)]
    return entry


def _objects(values: Any) -> list[dict[str, Any]]:
    return [v for v in values if isinstance(v, dict)] if isinstance(values, list) else []


# --- HTML ------------------------------------------------------------------------------------------------------


def _lines(el: etree._Element) -> list[list[tuple[str | None, str]]]:
    """A cell's content as lines (split at `<br>`) of (href, text) tokens; href is None for plain text."""
    lines: list[list[tuple[str | None, str]]] = [[]]

    def walk(node: etree._Element) -> None:
        if node.text:
            lines[-1].append((None, node.text))
        for child in node:
            tag = child.tag
            if tag == "br":
                lines.append([])
            elif tag == "a":
                lines[-1].append((child.get("href") or "", "".join(child.itertext())))
            elif isinstance(tag, str):
                walk(child)
            if child.tail:
                lines[-1].append((None, child.tail))

    walk(el)
    return lines


def _sections(el: etree._Element) -> list[tuple[str, list[str]]]:
    """A caption cell as (label, raw lines): `<b>Products:</b><br>&emsp;YouTube<br><b>Details:</b><br>…`."""
    sections: list[tuple[str, list[str]]] = [("", [""])]

    def walk(node: etree._Element) -> None:
        if node.text:
            sections[-1][1][-1] += node.text
        for child in node:
            tag = child.tag
            if tag == "b":
                sections.append((_clean("".join(child.itertext())), [""]))
            elif tag == "br":
                sections[-1][1].append("")
            elif isinstance(tag, str):
                walk(child)
            if child.tail:
                sections[-1][1][-1] += child.tail

    walk(el)
    # Lines are cleaned by the reader that keeps them: "Why is this here?" is long and never kept.
    return [(label, lines) for label, lines in sections if label or any(line.strip() for line in lines)]


_DETAILS_LABELS = re.compile(r"^(?:Details|詳細|Détails|Detalles|Dettagli|Detalhes)\s*[:：]?$", re.I)


def _html_entry(header: str | None, body: list[list[tuple[str | None, str]]], caption: list[tuple[str, list[str]]]) -> _Entry:
    entry = _Entry("html")
    entry.header = _clean(header) or None
    lines = [[(href, _clean(text) if href is None else text) for href, text in line] for line in body]
    lines = [[(href, text) for href, text in line if href is not None or text] for line in lines]
    filled = [i for i, line in enumerate(lines) if line]
    if filled:
        first = lines[filled[0]]
        link_at = next((i for i, (href, _t) in enumerate(first) if href is not None), None)
        if link_at is None:
            entry.title = _clean(" ".join(text for _h, text in first))
        else:
            href, text = first[link_at]
            entry.url = href or None
            entry.link_text = _clean(text) or None
            before = _clean(" ".join(t for _h, t in first[:link_at]))
            after = _clean(" ".join(_clean(t) for _h, t in first[link_at + 1:]))
            entry.title = _clean(" ".join(p for p in (before, entry.link_text or "", after) if p))
            entry.verb = _clean(f"{before} {after}")
        last = filled[-1]
        if len(filled) > 1 and all(href is None for href, _t in lines[last]):
            entry.time = _clean(" ".join(t for _h, t in lines[last]))
            middle = filled[1:-1]
        else:
            middle = filled[1:]
        for i in middle:
            links = [(href, text) for href, text in lines[i] if href is not None]
            if links:
                entry.subtitles.append({"name": _clean(links[0][1]) or None, "url": links[0][0] or None})
            else:
                entry.subtitles.append({"name": _clean(" ".join(t for _h, t in lines[i])) or None, "url": None})
    labelled = [s for s in caption if s[0]]
    if labelled:
        entry.products = [c for c in map(_clean, labelled[0][1]) if c]
        for label, values in labelled[1:]:
            if _DETAILS_LABELS.match(label) or any(_AD.search(v) for v in values):
                entry.details.extend(c for c in map(_clean, values) if c)
    return entry


# libxml2's incremental HTML parser (2.14) keeps every byte fed to it until it is closed, however the tree is
# cleared, so a page is parsed in segments of about this size, each by a fresh parser, cut just before an entry.
SEGMENT_BYTES = 4 * 1024 * 1024
_CHUNK = 256 * 1024
_CELL_START = re.compile(rb"<div\s+class=[\"']?(outer-cell|header-cell|content-cell)")


def _html_divs(stream: BinaryIO) -> Iterator[etree._Element]:
    """The `div` elements of a page as they end, their earlier siblings dropped: the page is fed to a fresh
    `HTMLPullParser` (network off; entities are HTML's own) every `SEGMENT_BYTES`, cut just before a cell starts.
    A cut is safe: cells are grouped by order, not by nesting, and outside a cell the open elements carry no class
    (pages with `outer-cell` wrappers are cut only before one)."""
    parser: Any = None
    fed = 0
    pending = b""
    wrapped = False
    while True:
        chunk = stream.read(_CHUNK)
        data = pending + chunk
        if not chunk:
            if parser is not None or data.strip():
                parser = parser or _html_parser()
                parser.feed(data)
                yield from _close(parser)
            return
        if parser is not None and fed >= SEGMENT_BYTES:
            starts = list(_CELL_START.finditer(data))
            wrapped = wrapped or any(m.group(1) == b"outer-cell" for m in starts)
            cut = None
            for match in starts:
                if not wrapped or match.group(1) == b"outer-cell":
                    cut = match.start()
            if cut is not None:
                parser.feed(data[:cut])
                yield from _close(parser)
                parser, fed, data = None, 0, data[cut:]
        # A few bytes stay back so that a cell's start cut between two reads is seen whole next time.
        pending, data = data[-64:], data[:-64]
        if data:
            wrapped = wrapped or b'class="outer-cell' in data
            parser = parser or _html_parser()
            parser.feed(data)
            fed += len(data)
            yield from _events(parser)


def _html_parser() -> Any:
    return etree.HTMLPullParser(
        events=("end",), tag="div", encoding="utf-8", no_network=True, huge_tree=False, remove_comments=True,
        remove_pis=True,
    )


def _events(parser: Any) -> Iterator[etree._Element]:
    for _event, el in parser.read_events():
        yield el


def _close(parser: Any) -> Iterator[etree._Element]:
    parser.close()
    yield from _events(parser)


def _drop(el: etree._Element) -> None:
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


def _html_entries(stream: BinaryIO) -> Iterator[_Entry]:
    """The entries of a Takeout activity page, in order, read incrementally.

    An entry is a header cell (`header-cell`: the product; absent in some pages), a body cell (`content-cell …
    body-1`: the sentence, the channel, the date, split by `<br>`), an empty right-hand cell and a caption cell
    (`…caption`: "Products:", "Details:", "Why is this here?"). They are grouped by order, not by nesting: pages
    re-saved by other tools drop the `outer-cell` wrappers, and legacy pages close one `div` too many.
    """
    header: str | None = None
    body: list[list[tuple[str | None, str]]] | None = None
    caption: list[tuple[str, list[str]]] = []
    try:
        for el in _html_divs(stream):
            cls = el.get("class") or ""
            if "content-cell" in cls:
                if "caption" in cls:
                    if body is not None:
                        caption = _sections(el)
                elif "text-right" not in cls:
                    if body is not None:
                        yield _html_entry(header, body, caption)
                        header, caption = None, []
                    body = _lines(el)
            elif "header-cell" in cls:
                if body is not None:
                    yield _html_entry(header, body, caption)
                    body, caption = None, []
                header = "".join(el.itertext())
            elif "outer-cell" in cls:
                if body is not None:
                    yield _html_entry(header, body, caption)
                header, body, caption = None, None, []
            else:
                continue
            _drop(el)
    except etree.LxmlError as exc:
        raise FormatError("html", f"unreadable HTML: {exc}") from exc
    if body is not None:
        yield _html_entry(header, body, caption)


_TAKEOUT_PAGE = re.compile(rb"material-design-lite|content-cell|outer-cell|mdl-typography--body-1")


def _is_activity_page(head: bytes) -> bool:
    return head.startswith(b"<") and _TAKEOUT_PAGE.search(head) is not None


# --------------------------------------------------------------------------- classification and items


def _category(entry: _Entry) -> str:
    """"watch", "search", "other" (YouTube, not a watch) or "foreign" (another product)."""
    if not entry.is_youtube():
        return "foreign"
    if entry.legacy is not None:
        return "watch"
    if entry.url and _SEARCH_URL.search(entry.url):
        return "search"
    video = _video_id(entry.url)
    if _watch_form(entry.title) is not None:
        return "watch" if video or not entry.url else "other"  # "Watched" + a post or a story link is not a video
    if _OTHER_FORMS.search(entry.verb if entry.fmt == "html" and entry.url else entry.title):
        return "other"
    if video:  # wording not recognised (another language, or none at all), but a video link
        return "watch"
    return "other"


def _watch_event(entry: _Entry, summary: ImportSummary) -> dict[str, Any]:
    """The watch_event of an entry `_category` called a watch; ValueError when its time is unreadable."""
    time = _entry_time(entry, summary)
    form = _watch_form(entry.title) if entry.legacy is None else None
    if form is None and entry.legacy is None:
        summary.warn("wording_not_recognised",
                     "entries whose wording was not recognised were read as watches because they link to a video")
    elif form is not None and summary.locale is None:
        summary.locale = form[0]
    video_id = _video_id(entry.url)
    video_url = entry.url if video_id else None
    ad = entry.is_ad()
    if entry.legacy is not None:
        title = entry.title or None
        removed = video_url is None or title in ("Deleted video", "Private video")
    elif video_url is None:
        title, removed = None, not ad  # "Watched a video that has been removed"; an ad on the home page has no link
    else:
        # HTML: the link's text is the exact title; JSON: the sentence without its verb.
        title = form[1] if form else entry.title
        if entry.fmt == "html" and entry.link_text:
            title = entry.link_text
        removed = False
        if title and title.strip() in (entry.url, video_url):
            title = None  # the title was unavailable: Takeout wrote the URL instead
    channel = entry.subtitles[0] if entry.subtitles else {"name": None, "url": None}
    return {
        "kind": "watch_event",
        "schema_version": SCHEMA_VERSION,
        "time": time,
        "raw_time": entry.time if entry.fmt == "html" else None,
        "title": title or None,
        "video_url": video_url,
        "video_id": video_id,
        "channel_name": channel["name"] or None,
        "channel_url": channel["url"] or None,
        "product": "youtube_music" if entry.is_music() else "youtube",
        "ad": ad,
        "removed": removed,
        "format": entry.fmt,
    }


def _entry_time(entry: _Entry, summary: ImportSummary) -> str:
    if entry.fmt == "json":
        return parse_json_time(entry.time)
    if not entry.time:
        raise ValueError("no date")
    try:
        iso = parse_html_time(entry.time)
    except UnknownZone as unknown:
        summary.warn("time_zone_unknown", f"times in a zone not known ({unknown.zone}) were kept without an offset")
        return unknown.naive
    if len(iso) == 19:
        summary.warn("time_without_zone", "times written without a zone (pages before 2018) were kept without an offset")
    return iso


def _my_activity(entry: _Entry, summary: ImportSummary) -> dict[str, Any]:
    if not entry.title:
        raise ValueError("no title")
    return {
        "kind": "my_activity",
        "schema_version": SCHEMA_VERSION,
        "time": _entry_time(entry, summary),
        "raw_time": entry.time if entry.fmt == "html" else None,
        "header": entry.header,
        "title": entry.title,
        "title_url": entry.url,
        "products": entry.products,
        "subtitles": entry.subtitles,
        "details": entry.details,
        "format": entry.fmt,
    }


def _counted(item: dict[str, Any], summary: ImportSummary) -> dict[str, Any]:
    summary.counts[item["kind"]] += 1
    time = item["time"]
    if len(time) > 19:
        # The range is kept to the second: ISO strings of one offset compare in time order only without fractions.
        moment = time[:19] + time[19:].lstrip(".0123456789")
        summary.see_range(moment, moment)
    return item


def _bad(kind: str, summary: ImportSummary, exc: Exception | str) -> None:
    summary.skipped[kind] += 1
    summary.warn(f"bad_{kind}", f"{kind} entries skipped for an unreadable value ({exc})")


# --------------------------------------------------------------------------- sniffing


def _json_head_items(head: bytes) -> list[Any]:
    """The complete array items within a JSON head (the last one is usually cut off)."""
    items: list[Any] = []
    try:
        for item in ijson.items(_Replay(head, _Empty()), "item"):
            items.append(item)
            if len(items) >= 200:
                break
    except (ijson.JSONError, ValueError):
        pass
    return items


class _Empty:
    def read(self, size: int = -1) -> bytes:
        return b""


def _html_head_entries(head: bytes) -> list[_Entry]:
    entries: list[_Entry] = []
    try:
        for entry in _html_entries(_Replay(head, _Empty())):  # type: ignore[arg-type]
            entries.append(entry)
            if len(entries) >= 200:
                break
    except FormatError:
        pass
    return entries


def _watch_verdict(entries: list[_Entry]) -> bool | None:
    """True: a watch history; False: another My Activity file; None: no entry to judge by."""
    if not entries:
        return None
    categories = [_category(e) for e in entries]
    if "foreign" in categories or "search" in categories:
        return False
    return "watch" in categories


def _is_activity_item(item: Any) -> bool:
    return isinstance(item, dict) and "title" in item and "time" in item


def sniff_watch_history(head: bytes) -> str | None:
    """"json" or "html" when the first bytes (≤ 64 KiB) of a file show a YouTube / YouTube Music watch history, by
    content only (its names are localized: `watch-history.json`, `再生履歴.html`, `Verlauf/…`)."""
    text = head.removeprefix(_BOM).lstrip(_WHITESPACE)
    if text.startswith(b"["):
        entries = [e for e in (_json_entry(i) for i in _json_head_items(text)) if e is not None]
        return "json" if _watch_verdict(entries) else None
    if _is_activity_page(text):
        verdict = _watch_verdict(_html_head_entries(text))
        # A real page's head is its CSS alone: claimed here, decided by `iter_watch_history` on its entries.
        return "html" if verdict is None or verdict else None
    return None


def sniff_my_activity(head: bytes) -> bool:
    """True when the first bytes of a file show a My Activity file (JSON array or HTML page) that is not a YouTube
    watch history (`sniff_watch_history` claims those)."""
    text = head.removeprefix(_BOM).lstrip(_WHITESPACE)
    if text.startswith(b"["):
        items = [i for i in _json_head_items(text) if isinstance(i, dict)]
        if not items or 2 * sum(_is_activity_item(i) for i in items) < len(items):
            return False
        return sniff_watch_history(text) is None
    if _is_activity_page(text):
        return bool(_html_head_entries(text)) and sniff_watch_history(text) is None
    return False


# --------------------------------------------------------------------------- reading


def _entries(fmt: str, stream: _Replay) -> Iterator[_Entry | None]:
    """Entries of the file (None for an array item that is not an object)."""
    if fmt == "html":
        yield from _html_entries(stream)  # type: ignore[arg-type]
        return
    try:
        for item in ijson.items(stream, "item"):
            yield _json_entry(item)
    except ijson.JSONError as exc:
        raise FormatError("json", f"malformed JSON: {_first_line(exc)}") from exc


def _first_line(exc: Exception) -> str:
    text = exc.args[0] if exc.args else exc
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text).strip().splitlines()[0] if str(text).strip() else type(exc).__name__


def _format_of(head: bytes, fmt: str | None, refuse: str) -> str:
    first = head[:1]
    if fmt not in (None, "json", "html"):
        raise ValueError(f"unknown format {fmt!r}")
    if fmt == "json" or (fmt is None and first in (b"[", b"{")):
        if first == b"{":
            raise FormatError(refuse, "a JSON object, not an array of activity entries")
        if first != b"[":
            raise FormatError("json", "not a JSON document")
        return "json"
    if fmt == "html" or (fmt is None and first == b"<"):
        if not _is_activity_page(head):
            raise FormatError("html" if first != b"<" else refuse,
                              "not an HTML document" if first != b"<" else "an HTML page that is not a Takeout activity page")
        return "html"
    raise FormatError(refuse, "neither a JSON array nor an HTML page")


def iter_watch_history(stream: BinaryIO, summary: ImportSummary, *, fmt: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield `watch_event` dicts from a YouTube / YouTube Music watch history (`fmt` "json" or "html"; sniffed when
    None). A bad entry is skipped with a warning; a file that is not one raises `FormatError`: "json" / "html"
    (not that format), "not_watch_history" (a JSON with no watch in its first entries, an HTML page that is not a
    Takeout activity page). A Takeout page with no watch in its first entries is read as My Activity (see the
    module docstring)."""
    head, replay = _open(stream)
    fmt = _format_of(head, fmt, "not_watch_history")
    pending: list[_Entry | None] = []  # entries before the first watch, while the file's kind is undecided
    decided: str | None = None  # "watch" or "my_activity"
    for entry in _entries(fmt, replay):
        if decided is None:
            pending.append(entry)
            is_watch = entry is not None and _category(entry) == "watch"
            if not is_watch and len(pending) < LEADING_LIMIT:
                continue
            decided = "watch" if is_watch else _undecided(fmt)
            for earlier in pending:
                yield from _read(earlier, decided, summary)
            pending = []
            continue
        yield from _read(entry, decided, summary)
    if decided is None and pending:
        decided = _undecided(fmt)
        for earlier in pending:
            yield from _read(earlier, decided, summary)
    if decided == "my_activity":
        summary.warn("read_as_my_activity", "a Takeout activity page with no watch in its first entries was read as My Activity")


def _undecided(fmt: str) -> str:
    if fmt == "json":
        raise FormatError("not_watch_history", f"no YouTube watch in the first {LEADING_LIMIT} entries")
    return "my_activity"


def _read(entry: _Entry | None, decided: str, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    if decided == "my_activity":
        yield from _read_activity(entry, summary)
        return
    if entry is None:
        _bad("watch_event", summary, "an entry that is not an object")
        return
    if _category(entry) != "watch":
        summary.skipped["not_a_watch"] += 1
        return
    try:
        item = _watch_event(entry, summary)
    except ValueError as exc:
        _bad("watch_event", summary, exc)
        return
    yield _counted(item, summary)


def _read_activity(entry: _Entry | None, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    if entry is None:
        _bad("my_activity", summary, "an entry that is not an object")
        return
    try:
        item = _my_activity(entry, summary)
    except ValueError as exc:
        _bad("my_activity", summary, exc)
        return
    yield _counted(item, summary)


def iter_my_activity(stream: BinaryIO, summary: ImportSummary, *, fmt: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield `my_activity` dicts from a My Activity file (JSON array or HTML page; `fmt` sniffed when None). A bad
    entry is skipped with a warning; a file that is not one raises `FormatError` ("json", "html", "not_my_activity")."""
    head, replay = _open(stream)
    fmt = _format_of(head, fmt, "not_my_activity")
    pending: list[_Entry | None] = []  # entries before the first that reads as activity
    accepted = False
    for entry in _entries(fmt, replay):
        if not accepted:
            pending.append(entry)
            if entry is not None and (entry.title or entry.legacy is not None) and entry.time is not None:
                accepted = True
            elif len(pending) >= LEADING_LIMIT:
                raise FormatError("not_my_activity", f"no activity entry in the first {LEADING_LIMIT} entries")
            else:
                continue
            for earlier in pending:
                yield from _read_activity(earlier, summary)
            pending = []
            continue
        yield from _read_activity(entry, summary)
    if pending:
        raise FormatError("not_my_activity", "no activity entry in the file")
