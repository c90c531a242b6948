"""Stable source ids of interchange items, and the delivered id `<interchange kind>:<source id>` built from them.

The id is computed from the item alone, so it is the same whether the item was just read from Google's API, from a
Takeout archive, or rebuilt from the bank's tables, and the same on every run: a transfer retried, or repeated after
a re-import of the same export, offers the destination the same ids (which it answers as duplicates).

Per kind (docs/interchange.md):

| kind | source id |
| --- | --- |
| `post`, `comment` | the item's `id`: Blogger's Atom id `tag:blogger.com,1999:blog-<blog>.post-<id>` (as Takeout) |
| `interest` | the item's `id` (the channel id `UC…`); without one, hashed from `name`, `url` |
| `calendar_event` | `uid`; an override `uid/recurrence_id`; without a uid, hashed from `calendar`, `summary`, `start`, `end` |
| `activity_summary` | its `date` (one per day) |
| `me` | `me` (one per export) |
| others | `h` + 32 hex digits: SHA-256 of the RFC 8785 JSON of `[kind, identity fields…]`, below |

Hashed identities, chosen to name the thing and not its edits (a renamed place or a corrected value keeps its id,
so a destination that holds the old version reports a conflict rather than storing a second copy):

- `watch_event`: the instant of `time`, `product`, `video_id` (with no video id: `title`, `channel_name`);
- `place_visit`: the instant of `start`, then `place_id`, or `latitude`/`longitude` when there is none;
- `activity_segment`: the instants of `start` and `end`;
- `health_record`: `type`, `source_name`, the instants of `start` and `end`, `value`, `unit` (two sleep stages over
  one interval are two records);
- `workout`: `activity_type`, `source_name`, the instants of `start` and `end`;
- `profile`: `source`, `email`, `display_name`;
- `location_point`: the instant of `time`, `latitude`, `longitude`;
- `my_activity`: the instant of `time`, `header`, `title`, `title_url`;
- `ecg`: the instant of `start`, `lead`; `clinical_record`: `type`, `identifier`, `source_name`.

An "instant" is the time in UTC when the text has an offset (`2024-05-01T07:30:00+09:00` and
`2024-04-30T22:30:00+00:00` are one moment, as Takeout's HTML and JSON write the same watch), else the text as
written.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from app.switching.canonical import MAX_SAFE_INTEGER, canonical

HASH_HEX_DIGITS = 32  # 128 bits: no accidental collision among one resident's items


class UnknownKind(ValueError):
    """An item whose `kind` is not an interchange kind (or missing): it has no source id."""

    def __init__(self, kind: Any) -> None:
        super().__init__(f"not an interchange kind: {kind!r}")
        self.kind = kind


def instant(text: Any) -> Any:
    """An ISO 8601 date-time with an offset as its UTC moment (`…+00:00`); anything else unchanged."""
    if not isinstance(text, str) or len(text) <= 19:
        return text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text
    return moment.astimezone(UTC).isoformat()


def hashed(kind: str, values: list[Any]) -> str:
    """`h` + the first 32 hex digits of the SHA-256 of the canonical JSON `[kind, *values]`."""
    return "h" + hashlib.sha256(canonical([kind, *map(_plain, values)])).hexdigest()[:HASH_HEX_DIGITS]


def _plain(value: Any) -> Any:
    # An identity value always hashes: a number that has no canonical form (NaN, ±inf, beyond 2^53) is hashed as its
    # repr, an integral float as the int (a stored 812.0 and a parsed 812 are one value), anything else not JSON as
    # its repr too.
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and abs(value) <= MAX_SAFE_INTEGER:
        return value
    if isinstance(value, float) and math.isfinite(value) and abs(value) <= MAX_SAFE_INTEGER:
        return value
    return repr(value)


def _text(item: Mapping[str, Any], key: str) -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) and value else None


def _natural(kind: str, fallback: tuple[str, ...]) -> Callable[[Mapping[str, Any]], str]:
    def source(item: Mapping[str, Any]) -> str:
        return _text(item, "id") or hashed(kind, [item.get(key) for key in fallback])
    return source


def _calendar_event(item: Mapping[str, Any]) -> str:
    uid = _text(item, "uid")
    if uid is None:
        return hashed("calendar_event", [item.get("calendar"), item.get("summary"), instant(item.get("start")),
                                         instant(item.get("end"))])
    recurrence = _text(item, "recurrence_id")
    return uid if recurrence is None else f"{uid}/{recurrence}"


def _watch_event(item: Mapping[str, Any]) -> str:
    video = _text(item, "video_id")
    what = [video] if video else [None, item.get("title"), item.get("channel_name")]
    return hashed("watch_event", [instant(item.get("time")), item.get("product"), *what])


def _place_visit(item: Mapping[str, Any]) -> str:
    place = _text(item, "place_id")
    where = [place] if place else [None, item.get("latitude"), item.get("longitude")]
    return hashed("place_visit", [instant(item.get("start")), *where])


def _fields(kind: str, keys: tuple[str, ...], times: frozenset[str] = frozenset()) -> Callable[[Mapping[str, Any]], str]:
    def source(item: Mapping[str, Any]) -> str:
        return hashed(kind, [instant(item.get(key)) if key in times else item.get(key) for key in keys])
    return source


_SOURCE_IDS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "post": _natural("post", ("blog_id", "title", "published")),
    "comment": _natural("comment", ("post_id", "author", "published")),
    "interest": _natural("interest", ("name", "url")),
    "calendar_event": _calendar_event,
    "activity_summary": lambda item: str(item.get("date")),
    "me": lambda item: "me",
    "watch_event": _watch_event,
    "place_visit": _place_visit,
    "activity_segment": _fields("activity_segment", ("start", "end"), frozenset(("start", "end"))),
    "health_record": _fields("health_record", ("type", "source_name", "start", "end", "value", "unit"),
                             frozenset(("start", "end"))),
    "workout": _fields("workout", ("activity_type", "source_name", "start", "end"), frozenset(("start", "end"))),
    "profile": _fields("profile", ("source", "email", "display_name")),
    "location_point": _fields("location_point", ("time", "latitude", "longitude"), frozenset(("time",))),
    "my_activity": _fields("my_activity", ("time", "header", "title", "title_url"), frozenset(("time",))),
    "ecg": _fields("ecg", ("start", "lead"), frozenset(("start",))),
    "clinical_record": _fields("clinical_record", ("type", "identifier", "source_name")),
}
KINDS = frozenset(_SOURCE_IDS)


def source_id(item: Mapping[str, Any]) -> str:
    """The stable source id of an interchange item (with its `kind`); `UnknownKind` for anything else."""
    kind = item.get("kind")
    make = _SOURCE_IDS.get(kind) if isinstance(kind, str) else None
    if make is None:
        raise UnknownKind(kind)
    return make(item)


def delivered_id(item: Mapping[str, Any]) -> str:
    """`<interchange kind>:<source id>`: the `id` of the item a converter makes from this one."""
    return f"{item['kind']}:{source_id(item)}"


def kind_of(delivered: str) -> str:
    """The interchange kind of a delivered id (the text before the first colon); ValueError when it has none."""
    kind, colon, rest = delivered.partition(":")
    if not colon or not kind or not rest:
        raise ValueError(f"not a delivered id (<kind>:<source id>): {delivered!r}")
    return kind
