from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import JSON, Field, SQLModel

from app.db import UTCDateTime, new_id, utcnow


class Partner(SQLModel, table=True):
    """A partner organisation (a venue or shop) whose staff use the partner console.

    `key` is the partner's name in the consent catalogue (its recipient key, where it is one) and in the source of
    the data it hands the bank (`partner:<key>` on a participation). `venue_ids` are the catalogue venues where its
    staff may publish events and coupons and check residents in."""

    __tablename__ = "partner"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    key: str = Field(max_length=40, sa_column_kwargs={"unique": True})
    name_ja: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    # What the bank's APPI 法30条 record of a receipt from this partner names (the legal name is `name_ja`).
    address: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    representative: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    venue_ids: list[str] = Field(default_factory=list, sa_type=JSON, sa_column_kwargs={"server_default": "[]"})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_ja
