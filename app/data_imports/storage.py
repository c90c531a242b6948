"""Writing an import's row batches (built by the reader process, `app.imports.rows`) to its tables, and the SQL pass
that flags duplicates.

Records and location points are the bulk (millions per export): they go through the DBAPI's `executemany` with one
prepared INSERT (SQLAlchemy's per-row bind processing would cost more than parsing them). The others are few and use
Core.
"""

from __future__ import annotations

import uuid
from typing import Any

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
from app.imports.rows import ITEM_KINDS, POINT_COLUMNS, RECORD_COLUMNS

_MODELS: dict[str, type] = {"workout": HealthWorkout, "activity_summary": HealthActivitySummary,
                             "ecg": HealthDocument, "clinical_record": HealthDocument,
                             **dict.fromkeys(ITEM_KINDS, ImportedItem)}


def _insert(table: str, columns: tuple[str, ...], dialect: str, import_id: uuid.UUID) -> str:
    """One prepared INSERT whose `import_id` is a literal (the same for every row: the rows need not carry it)."""
    literal = f"'{import_id.hex}'" if dialect == "sqlite" else f"'{import_id}'::uuid"  # (a UUID: hex digits only)
    marks = ", ".join(["?" if dialect == "sqlite" else "%s"] * len(columns))
    names = ", ".join(f'"{name}"' for name in ("import_id", *columns))
    return f"INSERT INTO {table} ({names}) VALUES ({literal}, {marks})"  # noqa: S608 (fixed names, a UUID)


class RowWriter:
    """Writes the row batches of one import (`app.imports.rows`) into its tables (no commit)."""

    def __init__(self, session: Session, *, import_id: uuid.UUID) -> None:
        self.session = session
        self.import_id = import_id
        dialect = session.get_bind().dialect.name
        # SQLite keeps SQLAlchemy's Uuid as 32 hex digits, PostgreSQL as uuid.
        self._record_sql = _insert("health_record", RECORD_COLUMNS, dialect, import_id)
        self._point_sql = _insert("location_point", POINT_COLUMNS, dialect, import_id)

    def write(self, records: list[tuple[Any, ...]], points: list[tuple[Any, ...]],
              others: list[tuple[str, dict[str, Any]]]) -> None:
        if records:
            self.session.connection().exec_driver_sql(self._record_sql, records)
        if points:
            self.session.connection().exec_driver_sql(self._point_sql, points)
        by_model: dict[type, list[dict[str, Any]]] = {}
        for kind, values in others:
            values["import_id"] = self.import_id
            by_model.setdefault(_MODELS[kind], []).append(values)
        for model, rows in by_model.items():
            self.session.execute(sa.insert(model), rows)


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
