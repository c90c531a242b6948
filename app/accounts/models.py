from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, new_id, utcnow


def normalise_email(email: str) -> str:
    """The form an address is stored and looked up in."""
    return email.strip().lower()


class Resident(SQLModel, table=True):
    """A resident's account. Personal data entrusted to the bank lives in the domains that use it."""

    __tablename__ = "resident"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    email: str = Field(max_length=254, unique=True)  # stored lower-cased
    # None for an account created by logging in with Smart Life Pass (it may set a password later).
    password_hash: str | None = Field(default=None, max_length=255)
    locale: str | None = Field(default=None, max_length=8)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    password_changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    # Flask-Login
    is_active: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False
    is_authenticated: ClassVar[bool] = True
    is_staff: ClassVar[bool] = False
    role: ClassVar[str] = "resident"

    @property
    def principal(self) -> str:
        return f"resident:{self.id}"

    def get_id(self) -> str:
        return self.principal


class TermsAcceptance(SQLModel, table=True):
    """One row per version of the mandate terms (委任契約約款) a resident accepted, kept as evidence."""

    __tablename__ = "terms_acceptance"
    __table_args__ = (sa.UniqueConstraint("resident_id", "terms_version"),)

    id: int | None = Field(default=None, primary_key=True)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", index=True)
    terms_version: str = Field(max_length=32)
    accepted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LinkedAccount(SQLModel, table=True):
    """A resident's link to an account at an OpenID Connect provider (Smart Life Pass).

    Keyed on (issuer, subject), never on the email: an address can change hands, a subject cannot.
    Tokens are sealed (AES-GCM, see app.crypto); `keep_copy` False is the "保存しない" choice, in which the bank
    keeps only the token and fetches the address and health score each time they are used.
    """

    __tablename__ = "linked_account"
    __table_args__ = (
        sa.UniqueConstraint("issuer", "subject"),
        sa.UniqueConstraint("resident_id", "provider"),
    )

    id: int | None = Field(default=None, primary_key=True)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", index=True)
    provider: str = Field(max_length=32)
    issuer: str = Field(max_length=255)
    subject: str = Field(max_length=255)
    scope: str = Field(default="", max_length=255)
    access_token_sealed: str | None = Field(default=None, sa_type=sa.Text)
    refresh_token_sealed: str | None = Field(default=None, sa_type=sa.Text)
    access_token_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    keep_copy: bool = True
    # Set when the provider stopped honouring the tokens: the resident is asked to connect again.
    needs_relink: bool = False
    linked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
