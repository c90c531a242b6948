"""Google Takeout profile and interests: `Profile/Profile.json` and YouTube's channel subscriptions.

What Takeout holds (folder names are localized, so files are told by content):
- `Profile/Profile.json` ("Profile Settings"; Italian `Profilo/Profilo.json`): one JSON object,
  `{"name": {"givenName", "familyName", "formattedName"}, "displayName", "emails": [{"value"}], "birthday":
  "YYYY-MM-DD", "gender": {"type"}}`. Read as one `profile`; it states no language, so `locale` is null unless a
  `locale` / `language` key is present. No public sample exists (the shared samples have none);
  the test fixture is written from the shape two independent public parsers read (a Profile.json mock in an Italian
  data-portability connector, and an Apache Streams template), and says so.
- `YouTube and YouTube Music/subscriptions/subscriptions.csv` (Spanish `suscripciones/suscripciones.csv` …): a header
  row, localized (`Channel ID,Channel URL,Channel title`; older `Channel Id,Channel Url,Channel Title`), then one row
  per channel. Read by position, as NewPipe does: channel id, channel URL, channel title. One `interest` each.
- Older exports, `subscriptions/subscriptions.json`: the Data API's `youtube#subscription` items
  (`snippet.title`, `snippet.resourceId.channelId`). One `interest` each.

Not read, on purpose (data minimisation: a switching destination needs a name to address the resident by, an
address to reach them, a language, and what they follow; nothing else):
- birthday, gender, given and family name apart from the display name, secondary e-mail addresses, profile and
  cover photos: their names are listed in the profile's `not_kept`, so the pre-transfer report can say what stays;
- `Profile/Inactive Account Manager` settings (trusted contacts: other people's data);
- `Google Account/<name>.SubscriberInfo.html` (account creation and IP address activity: not needed to switch);
- the resident's own channel (`channels/channel.csv`), playlists, comments, YouTube Music library.
Takeout exports no ad-interest topics ("My Ad Center" is not a Takeout product); the YouTube subscriptions are the
interests it does hold. Google News' followed topics are a `.txt` whose format is not documented: not read.

Counting units:
- `profile`: 1 per `Profile.json` (one per export), however many e-mail addresses it lists.
- `interest`: 1 per subscribed channel (one CSV row or JSON item); a channel listed twice in one file counts once
  (the repeat is `skipped["interest"]`, warning "duplicate_interest").
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson

from app.imports.google.activity import _BOM, _WHITESPACE, SNIFF_BYTES, _first_line, _open
from app.imports.streams import Replay
from app.imports.summary import FormatError, ImportSummary

SCHEMA_VERSION = 1
# Profile.json is a few hundred bytes; anything much larger is not one.
PROFILE_LIMIT = 1024 * 1024
# A CSV field this long is not a channel's id, URL or title.
FIELD_LIMIT = 64 * 1024

KINDS = ("google_profile", "youtube_subscriptions_csv", "youtube_subscriptions_json")

_CHANNEL_ID = re.compile(r"^UC[A-Za-z0-9_-]{22}$")


def _channel_id(value: str) -> bool:
    return bool(_CHANNEL_ID.match(value.strip()))


def _csv_rows(text: str) -> list[list[str]]:
    """The complete rows of a CSV head (the last line may be cut off)."""
    lines = text.splitlines()
    if len(lines) > 1:
        lines = lines[:-1] if not text.endswith(("\n", "\r")) else lines
    try:
        return [row for row in csv.reader(lines) if row]
    except csv.Error:
        return []


def _looks_like_subscriptions_header(row: list[str]) -> bool:
    # Localized, but the first column names an id and the second a URL: "Channel Id", "Kanal-ID", "チャンネル ID" …
    return len(row) == 3 and "id" in row[0].lower() and "url" in row[1].lower()


def _looks_like_subscription(row: list[str]) -> bool:
    return len(row) >= 3 and _channel_id(row[0]) and "youtube.com/" in row[1]


def sniff_profile(head: bytes) -> str | None:
    """Which profile or interest file the first bytes (≤ 64 KiB) show: "google_profile" (`Profile.json`),
    "youtube_subscriptions_csv", "youtube_subscriptions_json"; None for anything else."""
    text = head.removeprefix(_BOM).lstrip(_WHITESPACE)
    if text.startswith(b"{"):
        keys = _top_level_keys(text)
        if "displayName" in keys or ("name" in keys and keys & {"emails", "birthday", "gender"}):
            return "google_profile"
        return None
    if text.startswith(b"["):
        if b"youtube#subscription" in text or (b'"resourceId"' in text and b"youtube#channel" in text):
            return "youtube_subscriptions_json"
        return None
    try:
        decoded = text[:SNIFF_BYTES].decode("utf-8", "strict")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the end of the head
        decoded = text[: exc.start].decode("utf-8", "ignore") if exc.start > len(text) - 4 else ""
    rows = _csv_rows(decoded)
    if not rows:
        return None
    if _looks_like_subscription(rows[0]):
        data = rows
    elif _looks_like_subscriptions_header(rows[0]):
        data = rows[1:]
    else:
        return None
    sample = data[:20]  # a broken row or two must not hide the file
    return "youtube_subscriptions_csv" if 2 * sum(_looks_like_subscription(r) for r in sample) >= len(sample) else None


def _top_level_keys(head: bytes) -> set[str]:
    """The keys of a JSON object's first level found in its head (a cut-off head gives those before the cut)."""
    keys: set[str] = set()
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(head)):
            if event == "map_key" and prefix == "":
                keys.add(value)
    except ijson.JSONError:
        pass
    return keys


def iter_profile(stream: BinaryIO, summary: ImportSummary, *, kind: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield the `profile` of a `Profile.json`, or one `interest` per subscribed channel (`kind` as `sniff_profile`
    names it; sniffed when None). A bad row is skipped with a warning; a file that is not one raises `FormatError`:
    "json" (malformed), "encoding" (not UTF-8), "not_profile"."""
    head, replay = _open(stream)
    if kind is None:
        kind = sniff_profile(head)
        if kind is None:
            raise FormatError("not_profile", "neither a Google profile nor a list of YouTube subscriptions")
    if kind == "google_profile":
        yield from _profile(replay, summary)
    elif kind == "youtube_subscriptions_csv":
        yield from _subscriptions_csv(replay, summary)
    elif kind == "youtube_subscriptions_json":
        yield from _subscriptions_json(replay, summary)
    else:
        raise ValueError(f"unknown profile kind {kind!r}")


# --------------------------------------------------------------------------- Profile.json

# Top-level keys read; every other one present is reported in `not_kept`.
_READ_KEYS = frozenset({"displayName", "emails", "locale", "language"})


def _profile(stream: Replay, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    raw = b""
    while len(raw) <= PROFILE_LIMIT:
        chunk = stream.read(PROFILE_LIMIT + 1 - len(raw))
        if not chunk:
            break
        raw += chunk
    if len(raw) > PROFILE_LIMIT:
        raise FormatError("not_profile", "a JSON file far larger than a Google profile")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise FormatError("encoding", "the profile is not UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise FormatError("json", f"malformed JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise FormatError("not_profile", "not a JSON object")
    name = data.get("name") if isinstance(data.get("name"), dict) else {}
    display = _text(data.get("displayName"))
    used = set(_READ_KEYS)
    if display is None:
        display = _text(name.get("formattedName")) or _text(
            " ".join(p for p in (_text(name.get("givenName")), _text(name.get("familyName"))) if p))
        used.add("name")
    emails = [e for e in data.get("emails", []) if isinstance(e, dict) and _text(e.get("value"))] \
        if isinstance(data.get("emails"), list) else []
    primary = next((e for e in emails if e.get("isPrimary") is True or e.get("primary") is True), emails[0] if emails else None)
    if display is None and primary is None:
        raise FormatError("not_profile", "a JSON object with neither a name nor an e-mail address")
    locale = _text(data.get("locale")) or _text(data.get("language"))
    not_kept = sorted(key for key in data if key not in used)
    if len(emails) > 1:
        not_kept.append("emails (other than the primary)")
    summary.counts["profile"] += 1
    if summary.locale is None and locale:
        summary.locale = locale
    yield {
        "kind": "profile",
        "schema_version": SCHEMA_VERSION,
        "display_name": display,
        "email": _text(primary.get("value")) if primary else None,
        "locale": locale,
        "source": "google_profile",
        "not_kept": not_kept,
    }


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip() or None


# --------------------------------------------------------------------------- subscriptions


def _interest(name: str | None, channel: str | None, url: str | None) -> dict[str, Any]:
    return {
        "kind": "interest",
        "schema_version": SCHEMA_VERSION,
        "name": name or channel,
        "source": "youtube_subscription",
        "id": channel,
        "url": url,
    }


def _subscriptions_csv(stream: Replay, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    text = io.TextIOWrapper(io.BufferedReader(stream), encoding="utf-8", errors="strict", newline="")
    reader = csv.reader(text)
    seen: set[str] = set()
    first = True
    try:
        for row in reader:
            if not row or not any(cell.strip() for cell in row):
                continue
            if first:
                first = False
                if _looks_like_subscriptions_header(row) and not _looks_like_subscription(row):
                    continue
                if not _looks_like_subscription(row):
                    raise FormatError("not_profile", "a CSV that starts with neither the subscriptions header nor a channel")
            if len(row) < 3 or any(len(cell) > FIELD_LIMIT for cell in row):
                _bad_row(summary, "a row without the three columns (channel id, URL, title)")
                continue
            channel, url, title = (cell.strip() for cell in row[:3])
            if not (channel or url) or not (title or channel):
                _bad_row(summary, "a row with neither a channel nor a title")
                continue
            yield from _unique(_interest(title or None, channel or None, url or None), seen, summary)
    except UnicodeDecodeError as exc:
        raise FormatError("encoding", "the subscriptions CSV is not UTF-8") from exc
    except csv.Error as exc:
        raise FormatError("not_profile", f"unreadable CSV: {exc}") from exc


def _subscriptions_json(stream: Replay, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    seen: set[str] = set()
    try:
        for item in ijson.items(stream, "item"):
            snippet = item.get("snippet") if isinstance(item, dict) else None
            resource = snippet.get("resourceId") if isinstance(snippet, dict) else None
            channel = _text(resource.get("channelId")) if isinstance(resource, dict) else None
            title = _text(snippet.get("title")) if isinstance(snippet, dict) else None
            if channel is None and title is None:
                _bad_row(summary, "an item with neither a channel id nor a title")
                continue
            url = f"https://www.youtube.com/channel/{channel}" if channel else None
            yield from _unique(_interest(title, channel, url), seen, summary)
    except ijson.JSONError as exc:
        raise FormatError("json", f"malformed JSON: {_first_line(exc)}") from exc


def _unique(item: dict[str, Any], seen: set[str], summary: ImportSummary) -> Iterator[dict[str, Any]]:
    key = item["id"] or item["url"] or item["name"]
    if key in seen:
        summary.skipped["interest"] += 1
        summary.warn("duplicate_interest", "a channel listed twice was counted once")
        return
    seen.add(key)
    summary.counts["interest"] += 1
    yield item


def _bad_row(summary: ImportSummary, why: str) -> None:
    summary.skipped["interest"] += 1
    summary.warn("bad_interest", f"interest rows skipped: {why}")
