from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from app.db import BigIntPK, UTCDateTime, new_id, utcnow


class EbpmRelease(SQLModel, table=True):
    """One monthly release of one indicator (app/ebpm/services.py): only the figures as they may be shown."""

    __tablename__ = "ebpm_release"
    __table_args__ = (sa.UniqueConstraint("month", "indicator", "version"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    month: str = Field(max_length=7)  # "2026-10": the values are as of the month's last day
    indicator: str = Field(max_length=40)
    version: int = 1  # a recomputation of the same month (allowed only when no cell differs by 1–9 households)
    definition: str = Field(default="", max_length=200)  # its tables, canonical ("town_group,age_classes,…")
    households: int  # how many households it counted (each has a provision record naming the release)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class EbpmReleaseCell(SQLModel, table=True):
    """Who one released cell counted. Never shown: kept inside the bank so that a later release that would differ
    from this one by 1–9 households in a cell (and so reveal them by subtraction) is refused."""

    __tablename__ = "ebpm_release_cell"
    __table_args__ = (sa.UniqueConstraint("release_id", "table_key", "cell_key"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    release_id: uuid.UUID = Field(foreign_key="ebpm_release.id", ondelete="CASCADE")  # (the unique key starts with it)
    table_key: str = Field(max_length=120)  # "uptake:area:eligible:svc_…"
    cell_key: str = Field(max_length=80)
    members: list[str] = Field(default_factory=list, sa_type=JSON)  # resident ids


class EbpmServiceBudget(SQLModel, table=True):
    """A service's budget for a fiscal year, as 柏市 staff entered it (the numerator of the cost per user). Entering
    it again replaces the amount; who entered it last and when is kept (and each entry is an audit event)."""

    __tablename__ = "ebpm_service_budget"
    __table_args__ = (sa.UniqueConstraint("service_id", "fiscal_year"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    service_id: str = Field(foreign_key="catalog_service.id", max_length=60)
    fiscal_year: int  # the Japanese fiscal year (April to March), by the year it starts in
    amount_yen: int = Field(sa_type=sa.BigInteger)
    entered_by: str = Field(max_length=64)  # the staff principal
    entered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
