from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, new_id, utcnow


class Partner(SQLModel, table=True):
    """A partner organisation (a venue or shop) whose staff use the partner console."""

    __tablename__ = "partner"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name_ja: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_ja
