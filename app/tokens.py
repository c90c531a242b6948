"""Single-use action tokens sent by mail (password reset, staff invitation).

Only the SHA-256 of a token is stored; consuming one is an atomic UPDATE, so a link works exactly once.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Field, Session, SQLModel, col, select

from app.db import UTCDateTime, new_id, utcnow
from app.errors import DomainError
from app.sessions import hash_token


class TokenPurpose(StrEnum):
    PASSWORD_RESET = "password_reset"
    STAFF_INVITE = "staff_invite"


class InvalidToken(DomainError):
    status = 400
    message = _l("This link is invalid or has expired. Please ask for a new one.")


class ActionToken(SQLModel, table=True):
    __tablename__ = "action_token"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    purpose: str = Field(max_length=32)
    principal: str = Field(max_length=64, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


def issue(session: Session, *, purpose: TokenPurpose, principal: str, ttl: timedelta) -> str:
    """A new token for `principal`; earlier unused tokens of the same purpose stop working."""
    now = utcnow()
    session.exec(
        sa.update(ActionToken)
        .where(col(ActionToken.principal) == principal, col(ActionToken.purpose) == purpose.value,
               col(ActionToken.used_at).is_(None))
        .values(used_at=now)
    )
    raw = secrets.token_urlsafe(32)
    session.add(ActionToken(token_hash=hash_token(raw), purpose=purpose.value, principal=principal,
                            expires_at=now + ttl))
    session.flush()
    return raw


def peek(session: Session, raw: str, *, purpose: TokenPurpose) -> str:
    """The principal of a live token, without using it (to show the form behind a link)."""
    token = session.exec(select(ActionToken).where(ActionToken.token_hash == hash_token(raw))).first()
    if token is None or token.purpose != purpose.value or token.used_at is not None or token.expires_at <= utcnow():
        raise InvalidToken()
    return token.principal


def consume(session: Session, raw: str, *, purpose: TokenPurpose) -> str:
    """Use a token once and return its principal; a second use, or an expired token, is refused."""
    now = utcnow()
    result = session.exec(
        sa.update(ActionToken)
        .where(col(ActionToken.token_hash) == hash_token(raw), col(ActionToken.purpose) == purpose.value,
               col(ActionToken.used_at).is_(None), col(ActionToken.expires_at) > now)
        .values(used_at=now)
        .returning(ActionToken.principal)
    ).first()
    if result is None:
        raise InvalidToken()
    return result[0]
