"""A peer's own database: one SQLite file in its storage folder, and the OAuth tables every server keeps.

Each peer declares its own models (users, households) on its own `DeclarativeBase`; the OAuth tables here are
on `OAuthBase`. `PeerDatabase.create_all` makes both in the peer's file, so nothing is shared between peers
but the schema of these three tables.

Codes and tokens are stored as SHA-256 digests: a copy of the file holds nothing a client could present.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, g
from sqlalchemy import Engine, ForeignKey, Integer, String, Text, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

DATABASE_FILE = "peer.sqlite3"
CLIENT_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
_SESSION_KEY = "peer_db_session"


def digest(secret: str) -> str:
    """How codes, tokens and client secrets are stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def now() -> int:
    return int(time.time())


class OAuthBase(DeclarativeBase):
    pass


class OAuthClient(OAuthBase):
    """A registered client. Rewritten from configuration at every start (the config is the source of truth)."""

    __tablename__ = "oauth_client"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_secret_digest: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(Text)
    redirect_uris: Mapped[str] = mapped_column(Text)  # space-separated; matched exactly
    scope: Mapped[str] = mapped_column(Text)  # the scopes the client may ask for, space-separated
    grant_types: Mapped[str] = mapped_column(Text)

    # authlib's ClientMixin: what the grants and endpoints ask of a client.
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        # None: every authorization request must name its redirect_uri, which is then matched exactly.
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = set(self.scope.split())
        return " ".join(item for item in (scope or "").split() if item in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris.split()

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(digest(client_secret), self.client_secret_digest)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        # A confidential client everywhere: never "none".
        return method in CLIENT_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types.split()


class AuthorizationCode(OAuthBase):
    __tablename__ = "oauth_authorization_code"

    # The code's id is also the grant id shared by every token issued from it (see `OAuthToken.grant_id`).
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_client.client_id"))
    subject: Mapped[str] = mapped_column(String(128))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text, default="")
    nonce: Mapped[str | None] = mapped_column(Text)
    auth_time: Mapped[int] = mapped_column(Integer)
    code_challenge: Mapped[str] = mapped_column(Text)
    code_challenge_method: Mapped[str] = mapped_column(String(8))
    issued_at: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[int] = mapped_column(Integer)
    # Set when the code is exchanged; a second exchange is a replay (the row stays so it can be recognised).
    used_at: Mapped[int | None] = mapped_column(Integer)

    # authlib's AuthorizationCodeMixin (OIDC flavour): what the grants and the ID token read.
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class OAuthToken(OAuthBase):
    """One access token and, with it, at most one refresh token (a refresh makes a new row: rotation)."""

    __tablename__ = "oauth_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Every token descended from one authorization code shares its id: replay and reuse revoke the family.
    grant_id: Mapped[str] = mapped_column(String(64), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_client.client_id"))
    subject: Mapped[str] = mapped_column(String(128))
    scope: Mapped[str] = mapped_column(Text, default="")
    auth_time: Mapped[int] = mapped_column(Integer)
    access_token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
    issued_at: Mapped[int] = mapped_column(Integer)
    expires_in: Mapped[int] = mapped_column(Integer)
    access_token_revoked_at: Mapped[int | None] = mapped_column(Integer)
    refresh_token_revoked_at: Mapped[int | None] = mapped_column(Integer)

    # authlib's TokenMixin: what the resource protector and the grants read.
    def check_client(self, client: Any) -> bool:
        return self.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return self.issued_at + self.expires_in <= now()

    def is_revoked(self) -> bool:
        return self.access_token_revoked_at is not None

    def is_refresh_token_active(self) -> bool:
        return self.refresh_token_digest is not None and self.refresh_token_revoked_at is None


class PeerDatabase:
    """The engine for one peer's SQLite file and a session per request."""

    def __init__(self, app: Flask, folder: Path) -> None:
        self.engine = _sqlite_engine(folder / DATABASE_FILE)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        app.teardown_appcontext(self._close_request_session)

    def create_all(self, *bases: type[DeclarativeBase]) -> None:
        for base in (OAuthBase, *bases):
            base.metadata.create_all(self.engine)

    @property
    def session(self) -> Session:
        """The current request's session (opened on first use, closed at teardown; commit explicitly)."""
        session = g.get(_SESSION_KEY)
        if session is None:
            session = self.sessions()
            setattr(g, _SESSION_KEY, session)
        return session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session outside any request (start-up seeding): committed on success, rolled back on error."""
        with self.sessions.begin() as session:
            yield session

    def _close_request_session(self, _exc: BaseException | None) -> None:
        session = g.pop(_SESSION_KEY, None)
        if session is not None:
            session.close()


def _sqlite_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 30})

    # Take the write lock at BEGIN (the SQLAlchemy recipe): the peer serves requests on several threads, and a
    # read transaction that later writes would otherwise fail with "database is locked" instead of waiting.
    @event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
