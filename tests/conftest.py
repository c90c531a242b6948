"""Shared fixtures: one migrated database per run, a rolled-back transaction per test.

The database is PostgreSQL when TEST_DATABASE_URL is set (`make test` starts a throwaway cluster) and a
temporary SQLite file otherwise. The schema is built with `alembic upgrade head`, never `create_all`.
Each test runs inside an outer transaction on one connection; the app's sessions (requests, the session
store) and the test's own session join it through savepoints, and everything is rolled back afterwards.
"""

from __future__ import annotations

import os
import re
import secrets
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from app import create_app
from app.config import Settings
from app.db import get_database, utcnow
from app.sessions import BrowserSession, hash_token
from tests.database import drop_fresh_database, make_fresh_database, reset_database, run_migrations
from tests.factories import TEST_SECRET_KEY, bind_session


def make_test_settings(database_url: str, instance_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "azukari_env": "test",
        "database_url": database_url,
        "secret_key": TEST_SECRET_KEY,
        "instance_path": instance_path,
        "password_hash_profile": "fast",
        "public_url": "http://localhost",
        "mail_backend": "outbox",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from app.config import normalise_database_url

    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = normalise_database_url(url)
        reset_database(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture
def fresh_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A separate, migrated, committed database for tests with several processes (worker, live server)."""
    url = make_fresh_database(database_url, tmp_path)
    try:
        yield url
    finally:
        drop_fresh_database(url)


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_test_settings(database_url, tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="session")
def app(settings: Settings) -> Iterator[Flask]:
    run_migrations(settings.database_url)
    application = create_app(settings)
    yield application
    get_database(application).dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """The test's session; the app's sessions share its connection and transaction."""
    database = get_database(app)
    connection = database.engine.connect()
    outer = connection.begin()
    original_factory = database.session_factory
    database.session_factory = sessionmaker(
        bind=connection, class_=Session, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    session = database.session_factory()
    bind_session(session)
    try:
        yield session
    finally:
        bind_session(None)
        session.close()
        database.session_factory = original_factory
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app: Flask, db: Session) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def other_client(app: Flask, db: Session) -> FlaskClient:
    """A second browser, for tests with two users."""
    return app.test_client()


def session_cookie_name(app: Flask) -> str:
    return app.config["SESSION_COOKIE_NAME"]


def login_as(client: FlaskClient, db: Session, user: Any, *, authenticated_ago: timedelta = timedelta(0)) -> str:
    """Give `client` a server-side session logged in as `user` (resident or staff); returns the token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(BrowserSession(
        token_hash=hash_token(token),
        principal=user.principal,
        data={"_user_id": user.principal, "_fresh": True, "auth_at": (now - authenticated_ago).isoformat()},
        created_at=now,
        last_seen_at=now,
    ))
    db.flush()
    client.set_cookie(session_cookie_name(client.application), token, domain="localhost")
    return token


@pytest.fixture
def login(db: Session):  # type: ignore[no-untyped-def]
    def _login(client: FlaskClient, user: Any, **kwargs: Any) -> str:
        return login_as(client, db, user, **kwargs)

    return _login


CSRF_PATTERN = re.compile(r'"X-CSRFToken": "([^"]+)"')
PER_RESPONSE = re.compile(r'"X-CSRFToken": "[^"]*"|value="[^"]*"|nonce="[^"]*"')


def comparable_page(response: Any, *emails: str) -> str:
    """A page without what differs on every response (CSRF tokens, field values, the script nonce) and with the
    e-mail addresses replaced: two answers that must not tell accounts apart compare equal."""
    text = PER_RESPONSE.sub("", response.get_data(as_text=True))
    for email in emails:
        text = text.replace(email, "EMAIL")
    return text


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a page as a browser would."""
    response = client.get(path, follow_redirects=True)
    match = CSRF_PATTERN.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def csrf():  # type: ignore[no-untyped-def]
    return csrf_token


def new_uuid() -> uuid.UUID:
    return uuid.uuid4()
