"""A delegated disclosure request (`CityRecordRequest`) and the records the resident kept (`ServiceUsage`).

The request holds what the mandate says (the name, birth date and address the resident entered, the period), the
signed 委任状 itself, what 柏市 answered (receipt number, dates, decision and reason), the delivered copy of the
records until the resident keeps or declines them, and the worker's schedule (`next_sync_at`). Its timestamps are
the timeline the resident sees; the audit log has every change.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from app.city_records.states import RequestState
from app.db import UTCDateTime, new_id, utcnow

_STATES = ", ".join(f"'{state.value}'" for state in RequestState)


class AnsweredBy:
    SYSTEM = "system"  # 柏市's system, through the disclosure API
    CONSOLE = "console"  # 柏市's staff, by a CSV file in the municipal console


class UsageSource:
    KASHIWA_CITY = "kashiwa-city"


class CityRecordRequest(SQLModel, table=True):
    __tablename__ = "city_record_request"
    __table_args__ = (sa.CheckConstraint(f"state IN ({_STATES})", name="state_valid"),)

    # Also the mandate's `jti` and the id 柏市's system files the request under.
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", index=True)
    state: str = Field(default=RequestState.REQUESTED.value, max_length=24, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    # What the mandate states (entered by the resident; the address pre-filled from わたしのデータ).
    mandator_name: str = Field(max_length=100)
    mandator_birth_date: date
    mandator_address: str = Field(max_length=200)
    period_from: date
    period_to: date
    mandate_jws: str = Field(sa_type=sa.Text)

    # Sending (the PROVISION record is written once, before the first attempt).
    provision_seq: int | None = None
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    # 柏市's answers.
    receipt_number: str | None = Field(default=None, max_length=64)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deadline_on: date | None = None
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_reason: str | None = Field(default=None, max_length=300)
    answered_by: str | None = Field(default=None, max_length=16)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The delivered copy, until the resident keeps it (→ ServiceUsage) or declines it: then None.
    delivered_records: list[dict[str, Any]] | None = Field(default=None, sa_type=JSON)
    delivered_count: int = 0
    receipt_seq: int | None = None  # the APPI 法30条 RECEIPT record written at delivery

    # The end: kept, declined or canceled (and 柏市 told of a cancellation).
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    city_told_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    # The worker's schedule: None when there is nothing to send, poll or tell.
    next_sync_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    sync_failures: int = 0  # in a row; the backoff grows with them
    polls: int = 0  # answers of "not decided yet"; the polling interval grows with them
    last_sync_error: str | None = Field(default=None, max_length=300)
    last_synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def request_state(self) -> RequestState:
        return RequestState(self.state)


class ServiceUsage(SQLModel, table=True):
    """One use of a 柏市 service, as 柏市's records say (a check-up, a day of 一時預かり, a vaccination …)."""

    __tablename__ = "service_usage"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", index=True)
    # The catalogue's id (CatalogService.id); no foreign key, as for participations: the record stays meaningful
    # if the catalogue drops the service (its name is then the id).
    service_id: str = Field(max_length=60)
    used_from: date
    used_to: date | None = None
    # The child the record is about, when it is about one (a check-up); matched to the household's children.
    child_birth_date: date | None = None
    note: str = Field(default="", max_length=200)
    source: str = Field(default=UsageSource.KASHIWA_CITY, max_length=40)
    request_id: uuid.UUID | None = Field(default=None, foreign_key="city_record_request.id", ondelete="SET NULL")
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
