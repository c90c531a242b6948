"""Server-side sessions stored in the database (ASVS 7.2.4, 7.3, 7.4).

Flask's default session is a signed cookie that logging out cannot invalidate (flask#3900). Here the
cookie carries only a random token; the row is keyed by the token's SHA-256, so a copy of the table holds
no live session ids. Login and re-authentication rotate the token, logout deletes the row, and a session
idle for 30 minutes or older than 12 hours is gone.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, Request, Response
from flask import session as flask_session
from flask.sessions import SessionInterface, SessionMixin
from sqlmodel import JSON, Field, SQLModel, col, delete
from werkzeug.datastructures import CallbackDict

from app.db import UTCDateTime, get_session, utcnow
from app.security import PUBLIC_PATH_PREFIXES

# last_seen_at is written at most this often for an unchanged session: an idle clock of 30 minutes does
# not need one UPDATE per request.
TOUCH_INTERVAL = timedelta(seconds=60)


class BrowserSession(SQLModel, table=True):
    __tablename__ = "browser_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    # "resident:<uuid>" or "staff:<uuid>" once logged in, so all sessions of a principal can be ended.
    principal: str | None = Field(default=None, index=True, max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class ServerSession(CallbackDict, SessionMixin):
    """The session dict of one request; knows whether it must be written, rotated or destroyed."""

    def __init__(self, initial: dict[str, Any] | None = None, *, token: str | None = None,
                 row: BrowserSession | None = None, expired: bool = False,
                 database_error: sa.exc.OperationalError | None = None) -> None:
        def on_update(session: ServerSession) -> None:
            session.modified = True
            session.accessed = True

        super().__init__(initial or {}, on_update)
        self.token = token
        self.row = row
        self.expired = expired  # an earlier session ran out of time: tell the user why they are logged out
        # The database did not answer when the session was read: the request is answered 503 (raise_if_unreadable)
        # and the cookie is left as it is, so the resident is still logged in once the database is back.
        self.database_error = database_error
        self.modified = False
        self.accessed = False
        self.rotate = False
        self.destroyed = False

    def __getitem__(self, key: str) -> Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        return super().get(key, default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.accessed = True
        return super().setdefault(key, default)

    @property
    def new(self) -> bool:  # type: ignore[override]
        return self.row is None

    def regenerate(self) -> None:
        """Give the session a new id (at login and re-authentication) keeping its data."""
        self.rotate = True
        self.modified = True

    def destroy(self) -> None:
        """Forget the session: its row is deleted; anything stored afterwards goes to a new session."""
        self.clear()
        self.destroyed = True


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def principal_of(data: dict[str, Any]) -> str | None:
    return data.get("_user_id")


class DatabaseSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> ServerSession:
        token = request.cookies.get(self.get_cookie_name(app))
        if not token or request.path.startswith(PUBLIC_PATH_PREFIXES):
            return ServerSession()  # static files and the shell need no session: no database round trip
        db = get_session()
        try:
            row = db.get(BrowserSession, hash_token(token))
            if row is None:
                return ServerSession()
            settings = app.config["AZUKARI"]
            now = utcnow()
            if now - row.last_seen_at > settings.session_idle or now - row.created_at > settings.session_absolute:
                was_logged_in = row.principal is not None
                db.delete(row)
                db.commit()
                return ServerSession(expired=was_logged_in)
        except sa.exc.OperationalError as error:
            # Raised here, outside the request's dispatch, it would bypass the error handlers (a bare 500 with no
            # page): the request goes on without a session, and its first before_request raises it again.
            db.rollback()
            return ServerSession(database_error=error)
        return ServerSession(dict(row.data), token=token, row=row)

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:  # type: ignore[override]
        if session.database_error is not None:
            return  # (the session could not be read: nothing of it is written, the cookie is kept)
        db = get_session()
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        if session.destroyed:
            if session.row is not None:
                # By statement: the row may already be gone (an account deletion ends all its sessions).
                _delete_row(db, session.row.token_hash)
                session.row = None
            if not session:
                db.commit()
                response.delete_cookie(name, domain=domain, path=path, secure=self.get_cookie_secure(app),
                                       httponly=True, samesite=self.get_cookie_samesite(app))
                return
            # What was written after the logout (a goodbye message, the language) starts a new
            # anonymous session under a new id.
        if session.new and not session:
            return  # an anonymous visitor who stored nothing gets no row and no cookie
        now = utcnow()
        set_cookie = False
        if session.row is None or session.rotate:
            if session.row is not None:
                _delete_row(db, session.row.token_hash)
            # A new id (first visit, login, re-authentication, logout) starts a new absolute lifetime.
            session.token = secrets.token_urlsafe(32)
            session.row = BrowserSession(token_hash=hash_token(session.token), created_at=now)
            db.add(session.row)
            set_cookie = True
        row = session.row
        if session.modified or set_cookie:
            row.data = dict(session)
            row.principal = principal_of(session)
            row.last_seen_at = now
        elif now - row.last_seen_at > TOUCH_INTERVAL:
            row.last_seen_at = now
        else:
            return
        db.commit()
        if set_cookie:
            response.set_cookie(
                name,
                session.token,
                domain=domain,
                path=path,
                secure=self.get_cookie_secure(app),
                httponly=True,
                samesite=self.get_cookie_samesite(app),
            )


def _delete_row(db: Any, token_hash: str) -> None:
    db.exec(delete(BrowserSession).where(col(BrowserSession.token_hash) == token_hash))


def end_sessions_of(db: Any, principal: str, *, keep_token_hash: str | None = None) -> int:
    """End every session of a principal (password change, account deletion), optionally but one."""
    statement = delete(BrowserSession).where(col(BrowserSession.principal) == principal)
    if keep_token_hash is not None:
        statement = statement.where(col(BrowserSession.token_hash) != keep_token_hash)
    return db.exec(statement).rowcount  # type: ignore[call-overload]


def current_token_hash() -> str | None:
    from flask import session

    token = getattr(session, "token", None)
    return hash_token(token) if token else None


def purge_expired_sessions(db: Any, *, idle: timedelta, absolute: timedelta) -> int:
    now = utcnow()
    statement = delete(BrowserSession).where(
        sa.or_(col(BrowserSession.last_seen_at) < now - idle, col(BrowserSession.created_at) < now - absolute)
    )
    return db.exec(statement).rowcount  # type: ignore[call-overload]


def raise_if_unreadable() -> None:
    """The first before_request: a session the database could not read becomes the request's OperationalError,
    which the error handlers answer with the 503 page (app/errors.py)."""
    error = getattr(flask_session, "database_error", None)
    if error is not None:
        raise error


def init_app(app: Flask) -> None:
    app.session_interface = DatabaseSessionInterface()
    app.before_request_funcs.setdefault(None, []).insert(0, raise_if_unreadable)
