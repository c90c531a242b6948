from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, new_id, utcnow


class StaffRole(StrEnum):
    OPERATOR = "operator"  # 情報銀行 運営
    MUNICIPAL = "municipal"  # 柏市 子育て支援
    PARTNER = "partner"  # a partner's staff, bound to one partner
    ANALYST = "analyst"  # 実証 分析チーム: the surveys' results, nothing about any one resident


class StaffMember(SQLModel, table=True):
    __tablename__ = "staff_member"
    __table_args__ = (
        sa.CheckConstraint("(role = 'partner') = (partner_id IS NOT NULL)", name="partner_staff_has_partner"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    display_name: str = Field(max_length=100)
    role: str = Field(max_length=16)
    partner_id: uuid.UUID | None = Field(default=None, foreign_key="partner.id", ondelete="RESTRICT")
    # None until the invitation is accepted.
    password_hash: str | None = Field(default=None, max_length=255)
    # TOTP seeds are sealed (app.crypto); the pending one waits for its first code.
    totp_secret: str | None = Field(default=None, max_length=255)
    totp_pending: str | None = Field(default=None, max_length=255)
    # The last time step accepted, so a code cannot be used twice.
    totp_last_counter: int | None = None
    active: bool = True
    locale: str | None = Field(default=None, max_length=8)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, max_length=64)

    is_anonymous: ClassVar[bool] = False
    is_authenticated: ClassVar[bool] = True
    is_staff: ClassVar[bool] = True

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def principal(self) -> str:
        return f"staff:{self.id}"

    def get_id(self) -> str:
        return self.principal

    @property
    def staff_role(self) -> StaffRole:
        return StaffRole(self.role)

    @property
    def enrolled(self) -> bool:
        return self.password_hash is not None and self.totp_secret is not None
