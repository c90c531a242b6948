"""The authorization server's tables. Codes and tokens are kept as SHA-256 digests: a copy of the database holds
nothing a client could present."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from app.db import BigIntPK, UTCDateTime, utcnow


class OAuthClient(SQLModel, table=True):
    """A recipient's system, registered by the operator. It reads for one purpose of one approved recipient."""

    __tablename__ = "oauth_client"

    client_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)  # the system's name as residents see it, e.g. 柏市 子育て支援システム
    recipient_key: str = Field(foreign_key="consent_recipient.key", max_length=40)
    purpose_key: str = Field(foreign_key="consent_purpose.key", max_length=40)
    redirect_uris: list[str] = Field(default_factory=list, sa_type=JSON)
    scopes: list[str] = Field(default_factory=list, sa_type=JSON)  # the items (and `notices`) it may ask for
    jwks: dict[str, Any] | None = Field(default=None, sa_type=JSON)  # its public keys, or …
    jwks_uri: str = Field(default="", max_length=300)  # … where it publishes them
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str = Field(max_length=64)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    # authlib's ClientMixin: what the grants and endpoints ask of a client.
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # every request names its redirect_uri, which is then matched exactly

    def get_allowed_scope(self, scope: str | None) -> str:
        return " ".join(s for s in (scope or "").split() if s in self.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        from app.oauth.hardening import redirect_uri_matches

        return redirect_uri_matches(self.redirect_uris, redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        return False  # no shared secrets: private_key_jwt only

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "private_key_jwt"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


class AuthorizationCode(SQLModel, table=True):
    """One authorization: its id is also the id of the token family that descends from it."""

    __tablename__ = "oauth_authorization_code"

    id: str = Field(primary_key=True, max_length=40)
    code_digest: str = Field(max_length=64, unique=True)
    client_id: str = Field(foreign_key="oauth_client.client_id", max_length=64, index=True)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", index=True)
    redirect_uri: str = Field(max_length=500)
    scope: str = Field(max_length=500)
    code_challenge: str = Field(max_length=128)
    code_challenge_method: str = Field(max_length=8)
    consent_receipt_id: uuid.UUID | None = None
    issued_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> None:
        return None

    def get_auth_time(self) -> None:
        return None


class OAuthToken(SQLModel, table=True):
    """An access token and (usually) its refresh token. A refresh makes a new row of the same family (`grant_id`)
    and marks the old refresh token rotated; revoking a family revokes every row of it."""

    __tablename__ = "oauth_token"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigIntPK)
    grant_id: str = Field(max_length=40, index=True)
    client_id: str = Field(foreign_key="oauth_client.client_id", max_length=64, index=True)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", index=True)
    scope: str = Field(max_length=500)
    access_token_digest: str = Field(max_length=64, unique=True)
    refresh_token_digest: str | None = Field(default=None, max_length=64, unique=True)
    issued_at: datetime = Field(sa_type=UTCDateTime)
    access_expires_at: datetime = Field(sa_type=UTCDateTime)
    # The family's absolute end, carried unchanged through every rotation (RFC 9700 §4.14.2).
    refresh_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    refresh_rotated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_reason: str = Field(default="", max_length=40)

    def check_client(self, client: OAuthClient) -> bool:
        return self.client_id == client.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int((self.access_expires_at - self.issued_at).total_seconds())

    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self) -> bool:
        return self.access_expires_at <= utcnow()

    def scope_list(self) -> list[str]:
        return self.scope.split()


class ClientAssertionUse(SQLModel, table=True):
    """A private_key_jwt assertion's jti, kept until the assertion expires, so it is accepted once."""

    __tablename__ = "oauth_client_assertion"
    __table_args__ = (sa.PrimaryKeyConstraint("client_id", "jti"),)

    client_id: str = Field(max_length=64)
    jti: str = Field(max_length=200)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class PairwiseSubject(SQLModel, table=True):
    """The resident's identifier as one recipient sees it: random, different for each recipient, so two
    recipients cannot join what they hold on a common key."""

    __tablename__ = "oauth_pairwise_subject"
    __table_args__ = (sa.UniqueConstraint("recipient_key", "resident_id"),)

    subject: str = Field(primary_key=True, max_length=64)
    recipient_key: str = Field(max_length=40)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", index=True)
