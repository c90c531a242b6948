"""Audit events with a fixed vocabulary (`source:subject:action`), written by services.

Each event is a row (for the operator and breach queries) and one structured log line on the
`azukari.security` logger. Details never hold secrets: no passwords, tokens, codes or health values.

The rows are insert-only (database triggers, see the "audit anchors" migration) and a signed anchor every five minutes
(`AuditAnchor`, app/audit_anchor.py) vouches for every row up to its `through_id`, so a changed, deleted or
back-dated row is found by `flask audit verify`. Recording stays one plain INSERT: no chain head, no lock.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, Session, SQLModel

from app.db import BigIntPK, UTCDateTime, utcnow

security_log = logging.getLogger("azukari.security")


def init_logging() -> None:
    """The security events as JSON lines on stderr (gunicorn and the worker pass it to the platform's log), once
    per process; nothing is added when the process configured the logger itself."""
    if security_log.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    security_log.addHandler(handler)
    security_log.setLevel(logging.INFO)
    security_log.propagate = False


class EventTag(StrEnum):
    RESIDENT_SIGNUP = "accounts:resident:signup"
    RESIDENT_LOGIN = "accounts:resident:login"
    RESIDENT_LOGIN_FAILED = "accounts:resident:login_failed"
    RESIDENT_LOGIN_THROTTLED = "accounts:resident:login_throttled"
    RESIDENT_LOGOUT = "accounts:resident:logout"
    RESIDENT_REAUTH = "accounts:resident:reauth"
    PASSKEY_ADDED = "accounts:passkey:add"
    PASSKEY_REMOVED = "accounts:passkey:remove"
    PASSKEY_FAILED = "accounts:passkey:failed"
    RESIDENT_PASSWORD_CHANGE = "accounts:resident:password_change"
    RESIDENT_PASSWORD_RESET_REQUEST = "accounts:resident:password_reset_request"
    RESIDENT_PASSWORD_RESET = "accounts:resident:password_reset"
    RESIDENT_EMAIL_CHANGE = "accounts:resident:email_change"
    RESIDENT_LOCALE_CHANGE = "accounts:resident:locale_change"
    RESIDENT_DELETE = "accounts:resident:delete"
    TERMS_ACCEPT = "accounts:terms:accept"
    ACCOUNT_LINK = "accounts:link:create"
    ACCOUNT_UNLINK = "accounts:link:delete"
    LINK_REFUSED = "accounts:link:refused"
    LINK_COPY_CHANGE = "accounts:link:copy_change"
    OAUTH_CALLBACK_REFUSED = "accounts:oauth:callback_refused"
    HOUSEHOLD_IMPORT = "household:children:import"
    ETHICS_APPROVAL = "consent:catalogue:ethics_approval"
    CATALOGUE_ADD = "consent:catalogue:add"
    OFFER_ACTIVATE = "consent:offer:activate"
    OFFER_DEACTIVATE = "consent:offer:deactivate"
    CONSENT_GRANT = "consent:decision:grant"
    CONSENT_WITHDRAW = "consent:decision:withdraw"
    CONSENT_RENEW = "consent:decision:renew"
    CATALOG_SERVICE_EDIT = "catalog:service:edit"
    PARTICIPATION_RECORD = "participation:history:record"
    PARTICIPATION_REMOVE = "participation:history:remove"
    SURVEY_OPEN = "surveys:survey:open"
    SURVEY_CLOSE = "surveys:survey:close"
    SURVEY_SUBMIT = "surveys:response:submit"
    SURVEY_WITHDRAW = "surveys:response:withdraw"
    SURVEY_EXPORT = "surveys:results:export"
    LISTING_CREATE = "partners:listing:create"
    LISTING_UPDATE = "partners:listing:update"
    LISTING_PUBLISH = "partners:listing:publish"
    LISTING_WITHDRAW = "partners:listing:withdraw"
    PASS_SCAN = "passes:scan:accepted"
    PASS_SCAN_REFUSED = "passes:scan:refused"
    POSTER_CHECK_IN = "passes:poster:check_in"
    POSTER_CHECK_IN_REFUSED = "passes:poster:refused"
    OAUTH_CLIENT_REGISTER = "oauth:client:register"
    OAUTH_CLIENT_DISABLE = "oauth:client:disable"
    OAUTH_AUTHORIZE = "oauth:grant:authorize"
    OAUTH_DENY = "oauth:grant:deny"
    OAUTH_DISCONNECT = "oauth:grant:disconnect"
    OAUTH_TOKEN_THROTTLED = "oauth:token:throttled"
    STAFF_CREATE = "staff:member:create"
    STAFF_INVITE_ACCEPT = "staff:member:invite_accept"
    STAFF_TOTP_ENROLL = "staff:member:totp_enroll"
    STAFF_LOGIN = "staff:member:login"
    STAFF_LOGIN_FAILED = "staff:member:login_failed"
    STAFF_LOGOUT = "staff:member:logout"
    STAFF_DISABLE = "staff:member:disable"
    STAFF_ENABLE = "staff:member:enable"
    STAFF_REINVITE = "staff:member:reinvite"
    ACCESS_DENIED = "auth:access:denied"
    JOB_RETRY = "jobs:job:retry"
    CITY_RECORDS_REQUEST = "city_records:request:create"
    CITY_RECORDS_SENT = "city_records:request:sent"
    CITY_RECORDS_ACCEPTED = "city_records:request:accepted"
    CITY_RECORDS_DECIDED = "city_records:request:decided"
    CITY_RECORDS_DELIVERED = "city_records:request:delivered"
    CITY_RECORDS_IMPORTED = "city_records:request:imported"
    CITY_RECORDS_DISCARDED = "city_records:request:discarded"
    CITY_RECORDS_CANCELED = "city_records:request:canceled"
    CITY_RECORDS_CITY_TOLD = "city_records:request:city_told"
    CITY_RECORDS_UPLOAD = "city_records:answers:upload"
    CITY_RECORDS_USAGE_DELETE = "city_records:usage:delete"
    DATA_IMPORT_START = "data_imports:import:start"
    DATA_IMPORT_DONE = "data_imports:import:done"
    DATA_IMPORT_FAILED = "data_imports:import:failed"
    DATA_IMPORT_CANCEL = "data_imports:import:cancel"
    DATA_IMPORT_DELETE = "data_imports:import:delete"
    EBPM_EXPORT = "ebpm:release:export"
    EBPM_BUDGET = "ebpm:budget:enter"


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    tag: str = Field(max_length=64, index=True)
    # Principals as "resident:<uuid>" / "staff:<uuid>"; never an email or a name.
    actor: str | None = Field(default=None, max_length=64, index=True)
    subject: str | None = Field(default=None, max_length=64, index=True)
    ip: str | None = Field(default=None, max_length=45)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class AuditAnchor(SQLModel, table=True):
    """A signed digest of the audit events after the previous anchor's `through_id` up to this one's, chained by
    `prev_digest` (64 zeros for the first). Insert-only, like the events."""

    __tablename__ = "audit_anchor"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    through_id: int = Field(sa_type=sa.BigInteger, unique=True)
    digest: str = Field(max_length=64)
    prev_digest: str = Field(max_length=64, unique=True)  # one successor per anchor: concurrent runs cannot fork
    jws: str  # compact JWS (ES256, typ "audit-anchor+jws") over {"at", "digest", "prev_digest", "through_id"}


def record(
    session: Session,
    tag: EventTag,
    *,
    actor: str | None = None,
    subject: str | None = None,
    ip: str | None = None,
    **details: Any,
) -> AuditEvent:
    event = AuditEvent(tag=tag.value, actor=actor, subject=subject or actor, ip=ip, details=details)
    session.add(event)
    # json.dumps escapes control characters, so a CRLF in any value cannot forge a second log line.
    security_log.info(
        json.dumps(
            {"at": event.at.isoformat(), "event": tag.value, "actor": actor, "subject": event.subject,
             "ip": ip, **details},
            ensure_ascii=False,
            default=str,
        )
    )
    return event
