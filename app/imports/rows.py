"""Interchange items → the rows the bank stores them as, batched (pure: no database, so the reader process builds them).

- `health_record` and `location_point` (the bulk: millions per export) are plain tuples in the column order of
  RECORD_COLUMNS / POINT_COLUMNS, ready for one prepared INSERT; the import's id is not in them (the writer puts it
  in the statement). A Record arrives already as its row (`apple_health.elements.record_row`, the parse run with
  `rows=True`); a location point is turned into one here;
- the few others become `(kind, values)` for the writer's Core inserts: workouts, activity summaries, ECGs and
  clinical records, and the Google kinds kept as JSON rows of `imported_item` (docs/interchange.md);
- `me` is kept aside as the import's profile.

要配慮 items the resident did not choose to keep are counted as withheld and never become rows.
"""

from __future__ import annotations

from typing import Any

import orjson

from app.imports.apple_health.elements import SUMMARY_COLUMNS

RECORD_COLUMNS = ("type", "family", "source_name", "source_version", "device", "start", "end", "created",
                  "value_num", "value_text", "unit", "raw_value", "raw_unit", "metadata_json", "beats_json",
                  "sensitive", "duplicate")
POINT_COLUMNS = ("time", "latitude", "longitude", "accuracy_m", "altitude_m", "extra")
_POINT_FIELDS = frozenset(("kind", "schema_version", "time", "latitude", "longitude", "accuracy_m", "altitude_m"))
# The Google kinds kept as JSON rows of `imported_item`.
ITEM_KINDS = frozenset(("place_visit", "activity_segment", "watch_event", "calendar_event", "post", "comment",
                        "my_activity", "profile", "interest"))
# The kinds `RowBatch.add` turns into `others` rows (the writer maps each to its table).
OTHER_KINDS = frozenset(("workout", "activity_summary", "ecg", "clinical_record")) | ITEM_KINDS
_WORKOUT_DETAILS = ("source_version", "device", "created", "metadata", "statistics", "events", "routes", "activities")


class RowBatch:
    """Collects the rows of one import's items; `take()` hands over what is pending and starts a new batch."""

    def __init__(self, *, keep_sensitive: bool) -> None:
        self.keep_sensitive = keep_sensitive
        self.records: list[tuple[Any, ...]] = []
        self.points: list[tuple[Any, ...]] = []
        self.others: list[tuple[str, dict[str, Any]]] = []
        self.profile: dict[str, Any] | None = None
        self.stored: dict[str, int] = {}
        self.withheld: dict[str, int] = {}  # 要配慮 items not kept (the resident did not tick it)
        self.pending = 0  # rows pending, weighed (route points and beat lists count): handed over at a batch

    def count(self, item: dict[str, Any] | tuple[Any, ...]) -> bool:
        """Count the item (or an Apple Health Record's row, `elements.record_row`) as stored or withheld without
        keeping a row; True when it is to be stored."""
        if item.__class__ is tuple:
            kind, sensitive = "health_record", item[15]
        else:
            kind, sensitive = item["kind"], item.get("sensitive")
        if sensitive and not self.keep_sensitive:
            self.withheld[kind] = self.withheld.get(kind, 0) + 1
            return False
        self.stored[kind] = self.stored.get(kind, 0) + 1
        return True

    def add(self, item: dict[str, Any] | tuple[Any, ...]) -> None:
        if item.__class__ is tuple:  # an Apple Health Record as its row: the bulk of an Apple export
            if self.count(item):
                beats = item[14]
                # A row with an HRV beat list weighs as much as a dozen others: counted by its size, so that a batch
                # of them is no bigger (in memory, here and in the writer) than a batch of plain rows.
                self.pending += 1 + (len(beats) >> 8 if beats else 0)
                self.records.append(item)
            return
        kind = item["kind"]
        if kind == "location_point":  # the bulk of a Google export: first, and without the general path's lookups
            self.stored[kind] = self.stored.get(kind, 0) + 1
            self.pending += 1
            extra_keys = item.keys() - _POINT_FIELDS
            extra = {key: item[key] for key in extra_keys if item[key] is not None} if extra_keys else None
            self.points.append((item["time"], item["latitude"], item["longitude"], item.get("accuracy_m"),
                                item.get("altitude_m"), orjson.dumps(extra).decode() if extra else None))
            return
        if not self.count(item):
            return
        if kind == "workout":
            details = {key: item[key] for key in _WORKOUT_DETAILS}
            self._other(kind, {
                "activity_type": item["activity_type"], "source_name": item["source_name"], "start": item["start"],
                "end": item["end"], "duration_s": item["duration_s"], "total_distance_m": item["total_distance_m"],
                "total_energy_kcal": item["total_energy_kcal"], "details": details,
            }, 1 + sum(len(route.get("locations") or ()) for route in details["routes"] or ()))
        elif kind == "activity_summary":
            self._other(kind, {"date": item["date"], "extra": item["extra"],
                               **{name: item[name] for name in SUMMARY_COLUMNS}})
        elif kind in ("ecg", "clinical_record"):
            body = {key: value for key, value in item.items() if key not in ("kind", "sensitive")}
            self._other(kind, {"kind": kind, "start": item.get("start") or item.get("received"), "body": body})
        elif kind == "me":
            self.profile = {key: value for key, value in item.items() if key != "kind"}
        elif kind in ITEM_KINDS:
            start = item.get("start") or item.get("time") or item.get("published")
            self._other(kind, {"kind": kind, "start": start, "sensitive": bool(item.get("sensitive")),
                               "data": {key: value for key, value in item.items() if key != "kind"}})
        else:
            raise ValueError(f"no table for interchange kind {kind!r}")  # (a Record as a dict included: parse with rows=True)

    def _other(self, kind: str, values: dict[str, Any], weight: int = 1) -> None:
        self.others.append((kind, values))
        self.pending += weight

    def take(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[str, dict[str, Any]]]]:
        """(records, points, others) pending, emptied."""
        taken = self.records, self.points, self.others
        self.records, self.points, self.others, self.pending = [], [], [], 0
        return taken
