"""Writing interchange items to the health tables, in batches, and the SQL pass that flags duplicates.

Records are the bulk (millions per export): they go through the DBAPI's `executemany` with one prepared INSERT
(SQLAlchemy's per-row bind processing would cost more than parsing them). The other kinds are few and use Core.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import sqlalchemy as sa
from sqlmodel import Session

from app.data_imports.models import (
    HealthActivitySummary,
    HealthDocument,
    HealthRecord,
    HealthWorkout,
    ImportedItem,
    LocationPoint,
)
from app.imports.apple_health.elements import SUMMARY_COLUMNS

RECORD_COLUMNS = ("import_id", "type", "family", "source_name", "source_version", "device", "start",
                  "end", "created", "value_num", "value_text", "unit", "raw_value", "raw_unit", "metadata_json",
                  "beats_json", "sensitive", "duplicate")
POINT_COLUMNS = ("import_id", "time", "latitude", "longitude", "accuracy_m", "altitude_m", "extra")
POINT_FIELDS = frozenset(("kind", "schema_version", "time", "latitude", "longitude", "accuracy_m", "altitude_m"))
# The Google kinds kept as JSON rows of `imported_item` (docs/interchange.md).
ITEM_KINDS = frozenset(("place_visit", "activity_segment", "watch_event", "calendar_event", "post", "comment",
                        "my_activity", "profile", "interest"))
BATCH = 5000


def _insert(table: str, columns: tuple[str, ...], dialect: str) -> str:
    marks = ", ".join(["?" if dialect == "sqlite" else "%s"] * len(columns))
    names = ", ".join(f'"{name}"' for name in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 (fixed names, no input)


class ItemWriter:
    """Buffers the items of one import and writes them in batches with `flush()` (no commit).

    (A writer thread overlapping the INSERTs with parsing was tried and measured slower: the driver drops the GIL
    for each row's step and waits up to the 5 ms switch interval to get it back from the parsing thread.)
    """

    def __init__(self, session: Session, *, import_id: uuid.UUID, keep_sensitive: bool) -> None:
        self.session = session
        dialect = session.get_bind().dialect.name
        # The id as the driver stores it: SQLite keeps SQLAlchemy's Uuid as 32 hex digits, PostgreSQL as uuid.
        self._import = import_id.hex if dialect == "sqlite" else import_id
        self.import_id, self.keep_sensitive = import_id, keep_sensitive
        self._record_sql = _insert("health_record", RECORD_COLUMNS, dialect)
        self._point_sql = _insert("location_point", POINT_COLUMNS, dialect)
        self._records: list[tuple[Any, ...]] = []
        self._points: list[tuple[Any, ...]] = []
        self._others: dict[type, list[dict[str, Any]]] = {}
        self.profile: dict[str, Any] | None = None
        self.stored: dict[str, int] = {}
        self.withheld: dict[str, int] = {}  # 要配慮 items not kept (the resident did not tick it)

        self.pending = 0  # rows buffered (route points included): `flush()` when it reaches a batch

    def count(self, item: dict[str, Any]) -> bool:
        """Count the item as stored or withheld without writing it; True when it is to be stored."""
        kind = item["kind"]
        if item.get("sensitive") and not self.keep_sensitive:
            self.withheld[kind] = self.withheld.get(kind, 0) + 1
            return False
        self.stored[kind] = self.stored.get(kind, 0) + 1
        return True

    def add(self, item: dict[str, Any]) -> None:
        kind = item["kind"]
        if kind == "location_point":  # the bulk of a Google export: first, and without the general path's lookups
            self.stored[kind] = self.stored.get(kind, 0) + 1
            self.pending += 1
            extra_keys = item.keys() - POINT_FIELDS
            extra = {key: item[key] for key in extra_keys if item[key] is not None} if extra_keys else None
            self._points.append((self._import, item["time"], item["latitude"], item["longitude"], item.get("accuracy_m"),
                                 item.get("altitude_m"), orjson.dumps(extra).decode() if extra else None))
            return
        if not self.count(item):
            return
        if kind == "health_record":
            self.pending += 1
            self._add_record(item)
        elif kind == "workout":
            self._other(HealthWorkout, {
                "activity_type": item["activity_type"], "source_name": item["source_name"], "start": item["start"],
                "end": item["end"], "duration_s": item["duration_s"], "total_distance_m": item["total_distance_m"],
                "total_energy_kcal": item["total_energy_kcal"],
                "details": {key: item[key] for key in ("source_version", "device", "created", "metadata", "statistics",
                                                       "events", "routes", "activities")},
            })
        elif kind == "activity_summary":
            self._other(HealthActivitySummary, {"date": item["date"], "extra": item["extra"],
                                                **{name: item[name] for name in SUMMARY_COLUMNS}})
        elif kind in ("ecg", "clinical_record"):
            body = {key: value for key, value in item.items() if key not in ("kind", "sensitive")}
            self._other(HealthDocument, {"kind": kind, "start": item.get("start") or item.get("received"), "body": body})
        elif kind == "me":
            self.profile = {key: value for key, value in item.items() if key != "kind"}
        elif kind in ITEM_KINDS:
            start = item.get("start") or item.get("time") or item.get("published")
            self._other(ImportedItem, {"kind": kind, "start": start, "sensitive": bool(item.get("sensitive")),
                                       "data": {key: value for key, value in item.items() if key != "kind"}})
        else:
            raise ValueError(f"no table for interchange kind {kind!r}")

    def _add_record(self, item: dict[str, Any]) -> None:
        value = item["value"]
        metadata = item["metadata"]
        beats = item.get("beats")
        self._records.append((
            self._import, item["type"], item["family"], item["source_name"], item["source_version"],
            item["device"], item["start"], item["end"], item["created"],
            value if value.__class__ is float else None, value if value.__class__ is str else None,
            item["unit"], item["raw_value"], item["raw_unit"],
            orjson.dumps(metadata).decode() if metadata else None,
            orjson.dumps(beats).decode() if beats else None,
            bool(item.get("sensitive")), False,
        ))

    def _other(self, model: type, values: dict[str, Any]) -> None:
        values["import_id"] = self.import_id
        self._others.setdefault(model, []).append(values)
        routes = values.get("details", {}).get("routes", ())
        self.pending += 1 + sum(len(route.get("locations") or ()) for route in routes)

    def flush(self) -> None:
        if self._records:
            self.session.connection().exec_driver_sql(self._record_sql, self._records)
            self._records = []
        if self._points:
            self.session.connection().exec_driver_sql(self._point_sql, self._points)
            self._points = []
        for model, rows in self._others.items():
            self.session.execute(sa.insert(model), rows)
        self._others, self.pending = {}, 0


def flag_duplicates(session: Session, import_id: uuid.UUID) -> int:
    """Mark every record that repeats an earlier one from another source (same type, start, end and value).

    Done in SQL after loading, not in memory: iPhone, Watch and apps keep their own samples side by side, and
    summing across them would double-count (`../shared/docs/export-formats.md`). Returns how many were marked.
    """
    table = HealthRecord.__table__
    other = table.alias("earlier")
    earlier = (
        sa.select(sa.literal(1)).select_from(other)
        .where(other.c.import_id == table.c.import_id, other.c.type == table.c.type, other.c.start == table.c.start,
               other.c.end == table.c.end, other.c.id < table.c.id,
               other.c.source_name.is_distinct_from(table.c.source_name),
               other.c.value_num.is_not_distinct_from(table.c.value_num),
               other.c.value_text.is_not_distinct_from(table.c.value_text))
    )
    result = session.execute(
        sa.update(table).where(table.c.import_id == import_id).where(sa.exists(earlier)).values(duplicate=True)
    )
    return result.rowcount or 0


def delete_rows(session: Session, import_id: uuid.UUID) -> int:
    """Delete everything stored from one import; returns the number of rows."""
    total = 0
    for model in (HealthRecord, HealthWorkout, HealthActivitySummary, HealthDocument, LocationPoint, ImportedItem):
        result = session.execute(sa.delete(model).where(model.import_id == import_id))  # type: ignore[attr-defined]
        total += result.rowcount or 0
    return total
