from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import JSON, Field, SQLModel

from app.db import BigIntPK, UTCDateTime, utcnow


class DataReceipt(SQLModel, table=True):
    """One receipt of personal data from a third party: the record APPI 法30条 (第三者提供を受ける際の確認)
    requires — who provided it (name, address, representative), how they obtained it, whose data, which items,
    and on what basis. Kept by principal, not by a foreign key: the record outlives the account for the legal
    retention period (施行規則 第23条: 3 years)."""

    __tablename__ = "data_receipt"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    resident_principal: str = Field(max_length=64, index=True)
    source_key: str = Field(max_length=32)
    provider_name: str = Field(max_length=200)
    provider_address: str = Field(max_length=200)
    provider_representative: str = Field(max_length=100)
    how_obtained: str = Field(max_length=300)
    basis: str = Field(max_length=200)
    items: list[str] = Field(default_factory=list, sa_type=JSON)
    # False for the "保存しない" choice: the data was used for the request and not kept.
    kept: bool = True
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
