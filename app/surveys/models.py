"""A survey's state, a resident's answers, and the analysts' copy of what was provided to them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from app.db import UTCDateTime, new_id, utcnow


class SurveyStatus:
    DRAFT = "draft"  # loaded, never opened: residents do not see it
    OPEN = "open"
    CLOSED = "closed"  # answers are refused; what was submitted stays with the analysts
    ALL = (DRAFT, OPEN, CLOSED)


class Survey(SQLModel, table=True):
    """One questionnaire file (`app/surveys/data/<key>.toml`) and whether it takes answers; the operator opens and
    closes it."""

    __tablename__ = "survey"
    __table_args__ = (sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name="status_valid"),)

    key: str = Field(primary_key=True, max_length=40)
    status: str = Field(default=SurveyStatus.DRAFT, max_length=10)
    opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    changed_by: str | None = Field(default=None, max_length=64)


class SurveyResponse(SQLModel, table=True):
    """The resident's own answers to one survey (their data, in わたしのデータ): saved at every screen, so they can
    leave and resume; submitted when they say so; editable until the survey closes."""

    __tablename__ = "survey_response"
    __table_args__ = (sa.UniqueConstraint("survey_key", "resident_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    survey_key: str = Field(foreign_key="survey.key", max_length=40)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", index=True)
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # The screen to resume at (index of the question group; the number of groups: the review screen).
    position: int = 0
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SurveyRespondent(SQLModel, table=True):
    """The pseudonym under which a resident's answers reach the analysts: the same for every survey (pre and post
    are paired by it), never their id. Deleted with the account."""

    __tablename__ = "survey_respondent"

    resident_id: uuid.UUID = Field(primary_key=True, foreign_key="resident.id", ondelete="CASCADE")
    pseudonym: str = Field(max_length=32, unique=True)


class SurveySubmission(SQLModel, table=True):
    """What the analysts hold: the answers as provided at the last submission (a provision on the resident's
    ledger), with the household attributes the resident consented to give them. Every analysts' figure is computed
    from these rows only; a withdrawal deletes the resident's rows, so they leave every output."""

    __tablename__ = "survey_submission"
    __table_args__ = (sa.UniqueConstraint("survey_key", "respondent"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_key: str = Field(foreign_key="survey.key", max_length=40)
    respondent: str = Field(max_length=32, index=True)
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # children_count / age_bands when consented to (else absent): the breakdowns the analysts may use.
    attributes: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ledger_seq: int  # the provision record on the resident's chain (the analysts never see whose)
