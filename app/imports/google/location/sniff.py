"""Which Location History layout a file is, from its first bytes: by content, never by file name."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import ijson

from app.imports.google.location.stream import BOM, SNIFF_BYTES, _first_line

LAYOUTS = ("records_e7", "records_iso", "semantic", "android_timeline", "ios_timeline")
_ANDROID_KEYS = frozenset({"semanticSegments", "rawSignals", "userLocationProfile"})
_IOS_KEYS = frozenset({"visit", "activity", "timelinePath", "timelineMemory"})
_RECORD_KEYS = frozenset({"latitudeE7", "longitudeE7", "timestampMs", "timestamp"})


def _whole_characters(head: bytes) -> bytes:
    """A head cut short of a multi-byte UTF-8 character (`°`, Japanese text) split at its end, which yajl would
    call invalid UTF-8 rather than a premature end."""
    end = len(head)
    lead = end - 1
    while lead >= 0 and end - lead < 4 and head[lead] & 0xC0 == 0x80:
        lead -= 1
    if lead >= 0 and head[lead] >= 0xC0:
        needed = 2 if head[lead] < 0xE0 else 3 if head[lead] < 0xF0 else 4
        if end - lead < needed:
            return head[:lead]
    return head


def _decide(events: Iterable[tuple[str, str, Any]]) -> str | None:
    """The layout shown by the first parse events, or None (may raise ijson.JSONError)."""
    top: str | None = None
    records = False
    item_keys: set[str] = set()
    items = 0
    for prefix, event, value in events:
        if top is None:
            if event == "start_map":
                top = "map"
            elif event == "start_array":
                top = "array"
            else:
                return None
            continue
        if top == "map":
            if prefix == "" and event == "map_key":
                if value in _ANDROID_KEYS:
                    return "android_timeline"
                if value == "timelineObjects":
                    return "semantic"
                records = value == "locations"
            elif records and prefix == "locations.item":
                if event == "start_map":
                    continue
                if event == "map_key":
                    if value == "timestampMs":
                        return "records_e7"
                    if value == "timestamp":
                        return "records_iso"
                    item_keys.add(value)
                elif event == "end_map":
                    if not item_keys & _RECORD_KEYS:
                        return None
                    items += 1
                    if items >= 16:
                        return "records_iso"
                else:
                    return None  # a record that is not an object
            elif records and prefix == "locations":
                if event == "end_array":
                    return "records_iso"  # none of the records has a time, or there are none: the newer layout
                if event != "start_array":
                    return None
            elif prefix == "" and event == "end_map":
                return None
        else:
            if prefix == "item":
                if event == "map_key":
                    item_keys.add(value)
                    if item_keys & _IOS_KEYS and ("startTime" in item_keys or "endTime" in item_keys):
                        return "ios_timeline"
                elif event == "end_map":
                    items += 1
                    item_keys.clear()
                    if items >= 3:
                        return None
                elif event != "start_map":
                    return None
            elif prefix == "" and event == "end_array":
                return None
    if records and item_keys & {"latitudeE7", "longitudeE7"}:
        return "records_iso"  # the head ended inside a record that has coordinates but no time key yet
    return None


def _events(head: bytes, complete: bool) -> Iterator[tuple[str, str, Any]]:
    """The parse events of a head; when the head is not the whole file, its premature end is just an end."""
    try:
        yield from ijson.parse(head, use_float=True)
    except ijson.JSONError as exc:
        if complete or "premature EOF" not in _first_line(exc):
            raise


def _sniff(head: bytes, complete: bool, validate: bool = True) -> tuple[str | None, str | None]:
    """(layout or None, JSON error or None). `complete` says that `head` is the whole file; `validate` reads the rest
    of a head that is no layout, to tell broken JSON from other JSON."""
    if head.startswith(BOM):
        head = head[3:]
    if not complete:
        head = _whole_characters(head)
    events = _events(head, complete)
    try:
        layout = _decide(events)
        if layout is None and validate:
            for _ in events:  # not a layout: read on, so that broken JSON is called broken JSON
                pass
    except ijson.JSONError as exc:
        return None, _first_line(exc)
    return layout, None


def sniff_location(head: bytes) -> str | None:
    """The layout of a Location History file from its first bytes (up to 64 KiB, a BOM allowed), or None.

    By content only: "records_e7" (`locations[]` with `timestampMs`), "records_iso" (`locations[]` with `timestamp`;
    also an empty `locations`), "semantic" (`timelineObjects`), "android_timeline" (`semanticSegments`,
    `rawSignals` or `userLocationProfile` at top level), "ios_timeline" (a top-level array whose first object has
    `startTime`/`endTime` and a `visit`, `activity`, `timelinePath` or `timelineMemory`). An empty array `[]` is
    None: nothing in it says Location History.
    """
    return _sniff(head[:SNIFF_BYTES], complete=False, validate=False)[0]
