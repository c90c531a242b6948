"""Telling a watch history from another My Activity file by its first bytes (≤ 64 KiB), by content only."""

from __future__ import annotations

import io
from typing import Any

import ijson

from app.imports.google.activity.entry import _Entry
from app.imports.google.activity.html_pages import _html_entries, _is_activity_page
from app.imports.google.activity.items import _category
from app.imports.google.activity.json_entries import _json_entry
from app.imports.google.activity.streams import _BOM, _WHITESPACE
from app.imports.summary import FormatError


def _json_head_items(head: bytes) -> list[Any]:
    """The complete array items within a JSON head (the last one is usually cut off)."""
    items: list[Any] = []
    try:
        for item in ijson.items(io.BytesIO(head), "item"):
            items.append(item)
            if len(items) >= 200:
                break
    except (ijson.JSONError, ValueError):
        pass
    return items


def _html_head_entries(head: bytes) -> list[_Entry]:
    entries: list[_Entry] = []
    try:
        for entry in _html_entries(io.BytesIO(head)):  # type: ignore[arg-type]
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
