"""An export a resident brought (`DataImport`: the upload, then the import) and what was stored from it.

The tables hold the interchange items of `app/imports/schemas/` one row each, with the resident and the
import they came from. Dates are ISO 8601 text with the offset the device wrote (`2024-05-01T07:30:00+09:00`):
exactly what the export said, comparable as text within one offset, and cheap to write at a million rows.
Rows of an import that is not DONE are never shown or used (a job writes them in steps); a failed or cancelled
import's rows are deleted.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from app.db import BigIntPK, UTCDateTime, new_id, utcnow


class ImportStatus:
    UPLOADING = "uploading"  # bytes are arriving; `received` of `size`
    QUEUED = "queued"  # the whole file is here; the worker will read it
    READING = "reading"  # the worker is reading it (the job's progress)
    DONE = "done"
    FAILED = "failed"  # refused or broken: `error_code`, nothing kept
    CANCELED = "canceled"
    ALL = (UPLOADING, QUEUED, READING, DONE, FAILED, CANCELED)
    OPEN = (UPLOADING, QUEUED, READING)


class ImportFormat:
    APPLE_HEALTH = "apple_health"
    GOOGLE = "google"  # a Takeout part (zip or tgz) or one file of it, or an on-device Timeline export
    ALL = (APPLE_HEALTH, GOOGLE)


class DataImport(SQLModel, table=True):
    __tablename__ = "data_import"
    __table_args__ = (
        sa.CheckConstraint("status IN ('uploading', 'queued', 'reading', 'done', 'failed', 'canceled')",
                           name="status_valid"),
        sa.CheckConstraint("received >= 0 AND received <= size", name="received_within_size"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", index=True)
    format: str = Field(default=ImportFormat.APPLE_HEALTH, max_length=30)
    status: str = Field(default=ImportStatus.UPLOADING, max_length=12)
    filename: str = Field(max_length=255)
    size: int = Field(sa_type=sa.BigInteger)  # declared by the client before the first byte
    received: int = Field(default=0, sa_type=sa.BigInteger)
    # 要配慮個人情報 (ECG, clinical records, heart-rhythm events) kept only when the resident ticked it.
    keep_sensitive: bool = False
    job_id: int | None = Field(default=None, sa_type=BigIntPK)
    summary: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    profile: dict[str, Any] | None = Field(default=None, sa_type=JSON)  # the export's <Me>
    error_code: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class _ImportRow(SQLModel):
    """The columns every table of imported items has."""

    # Whose row it is comes from the import (no resident column: one index fewer on a million-row insert, and the
    # account's deletion cascades through `data_import`).
    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    import_id: uuid.UUID = Field(foreign_key="data_import.id", ondelete="CASCADE", index=True)


class HealthRecord(_ImportRow, table=True):
    """A `health_record`: one sample (quantity, category or HKDataType)."""

    __tablename__ = "health_record"
    # import_id's own index (from the mixin) serves deletes; this one the duplicate pass and reading a type in time.
    __table_args__ = (sa.Index("ix_health_record_import_type_start", "import_id", "type", "start"),)

    # No index of its own: the composite index starts with it.
    import_id: uuid.UUID = Field(foreign_key="data_import.id", ondelete="CASCADE")
    # Text, not VARCHAR(n): what an export writes has no length limit, and a long value must not fail the import.
    type: str = Field(sa_type=sa.Text)
    family: str = Field(max_length=12)
    source_name: str | None = Field(default=None, sa_type=sa.Text)
    source_version: str | None = Field(default=None, sa_type=sa.Text)
    device: str | None = Field(default=None, sa_type=sa.Text)
    start: str = Field(max_length=40)
    end: str = Field(max_length=40)
    created: str | None = Field(default=None, max_length=40)
    value_num: float | None = None  # in the canonical unit
    value_text: str | None = Field(default=None, sa_type=sa.Text)  # a category's value
    unit: str | None = Field(default=None, sa_type=sa.Text)
    raw_value: str | None = Field(default=None, sa_type=sa.Text)
    raw_unit: str | None = Field(default=None, sa_type=sa.Text)
    metadata_json: str | None = Field(default=None, sa_type=sa.Text)  # {"key": "value"}, as written
    beats_json: str | None = Field(default=None, sa_type=sa.Text)
    sensitive: bool = False
    # Set by the SQL pass after loading: the same type, start, end and value as an earlier row of another source.
    duplicate: bool = False


class HealthWorkout(_ImportRow, table=True):
    """A `workout`, with its statistics, events, activities and routes (GPX points included) in `details`."""

    __tablename__ = "health_workout"

    activity_type: str | None = Field(default=None, sa_type=sa.Text)
    source_name: str | None = Field(default=None, sa_type=sa.Text)
    start: str = Field(max_length=40)
    end: str = Field(max_length=40)
    duration_s: float | None = None
    total_distance_m: float | None = None
    total_energy_kcal: float | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class HealthActivitySummary(_ImportRow, table=True):
    """An `activity_summary`: one day's rings."""

    __tablename__ = "health_activity_summary"

    date: str = Field(max_length=10)
    active_energy_kcal: float | None = None
    active_energy_goal_kcal: float | None = None
    move_time_min: float | None = None
    move_time_goal_min: float | None = None
    exercise_time_min: float | None = None
    exercise_time_goal_min: float | None = None
    stand_hours: float | None = None
    stand_hours_goal: float | None = None
    extra: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class HealthDocument(_ImportRow, table=True):
    """An `ecg` recording or a `clinical_record`: 要配慮個人情報, stored only with the resident's say-so."""

    __tablename__ = "health_document"
    __table_args__ = (sa.CheckConstraint("kind IN ('ecg', 'clinical_record')", name="kind_valid"),)

    kind: str = Field(max_length=20)
    start: str | None = Field(default=None, max_length=40)
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    sensitive: bool = True


class LocationPoint(_ImportRow, table=True):
    """A `location_point`: one raw position of Google's Location History or an on-device Timeline (the bulk: a
    million per export), with the rest of what the source said in `extra`."""

    __tablename__ = "location_point"

    time: str = Field(max_length=40)
    latitude: float
    longitude: float
    accuracy_m: float | None = None
    altitude_m: float | None = None
    extra: str | None = Field(default=None, sa_type=sa.Text)  # JSON, as the parser gave it; None when nothing more


class ImportedItem(_ImportRow, table=True):
    """Any other interchange item of a Google export (place_visit, activity_segment, watch_event, calendar_event,
    post, comment, my_activity, profile, interest): the item as JSON, with its kind and time for reading in order."""

    __tablename__ = "imported_item"
    __table_args__ = (sa.Index("ix_imported_item_import_kind_start", "import_id", "kind", "start"),)

    import_id: uuid.UUID = Field(foreign_key="data_import.id", ondelete="CASCADE")
    kind: str = Field(max_length=30)
    start: str | None = Field(default=None, max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    sensitive: bool = False
