"""What every interchange item of this package shares: its schema version, and the summary bookkeeping of an item
yielded (`_emit`: its count and the date range) or of an entry skipped (`_skip`: its count and a warning)."""

from __future__ import annotations

from typing import Any

from app.imports.summary import ImportSummary

SCHEMA_VERSION = 1

_SKIP_REASONS = {
    "no_time": "had no readable time",
    "no_coordinates": "had no coordinates",
    "bad_coordinates": "had coordinates out of range",
    "not_object": "was not a JSON object",
}


def _skip(summary: ImportSummary, kind: str, reason: str) -> None:
    summary.skipped[kind] += 1
    summary.warn(f"{kind}_{reason}", f"a {kind.replace('_', ' ')} that {_SKIP_REASONS[reason]} was skipped")


def _emit(item: dict[str, Any], summary: ImportSummary) -> dict[str, Any]:
    summary.counts[item["kind"]] += 1
    start = item.get("start") or item.get("time")
    summary.see_range(start, item.get("end") or start)
    return item
