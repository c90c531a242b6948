"""The database: engine and sessions per app, one unit of work per request, shared column types.

Views never commit: the request's session is committed once after the view returned
(`commit_request_session`) and rolled back when an exception reached the edge.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel

# Constraint names are deterministic so migrations can name what they alter or drop.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


# 64-bit ids for tables that grow without bound (SQLite's INTEGER PRIMARY KEY is already 64-bit).
BigIntPK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def insert_ignoring_conflicts(session: Session, model: Any, *index_elements: str) -> Any:
    """INSERT … ON CONFLICT (index_elements) DO NOTHING for `model`, in the session's dialect (PostgreSQL or
    SQLite): a row that exists already stays, and two inserts at once make one row."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(model).on_conflict_do_nothing(index_elements=list(index_elements))


def in_values(session: Session, column: Any, values: Iterable[Any]) -> Any:
    """`column IN values` for a batch (hundreds of ids): on PostgreSQL `column = ANY(:array)`, one parameter, so the
    statement is the same whatever the count (cached, and cheap for the driver to send); elsewhere an IN list."""
    values = list(values)
    if session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


class UTCDateTime(sa.TypeDecorator):
    """Timestamps are aware UTC in Python whatever the database stores (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Database:
    """Engine and session factory of one app. Tests rebind `session_factory` to a savepointed connection."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        # JSON columns through orjson: the daily batch writes 50,000 feeds of ~25 KB, which the standard json
        # module spent a fifth of the batch's time encoding. Non-str keys become strings, as json.dumps made them.
        options: dict[str, Any] = {"echo": echo, "pool_pre_ping": True, "json_serializer": _json_dumps,
                                   "json_deserializer": orjson.loads}
        if url.startswith("sqlite"):
            options["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            options.update(pool_size=5, max_overflow=10)
        self.engine = sa.create_engine(url, **options)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin_immediate)
        self.session_factory = sessionmaker(bind=self.engine, class_=Session, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def new_session(self) -> Session:
        return self.session_factory()

    def dispose(self) -> None:
        self.engine.dispose()


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling is switched off so that BEGIN IMMEDIATE below is ours.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock at BEGIN: a read that later upgrades to a write would fail with
    # "database is locked" instead of waiting when the web process and the worker both write.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def init_app(app: Flask, database: Database) -> None:
    app.extensions["azukari.db"] = database
    app.after_request(commit_request_session)
    app.teardown_appcontext(close_request_session)


def get_database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["azukari.db"]


def get_session() -> Session:
    """The request's (or app context's) session, opened on first use."""
    if "db_session" not in g:
        g.db_session = get_database().new_session()
    return g.db_session


def rollback_request_session() -> None:
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def commit_request_session(response: Any) -> Any:
    """Commit the request's unit of work once the view returned; a failure here becomes a 500."""
    session = g.get("db_session")
    if session is not None and session.in_transaction():
        session.commit()
    return response


def close_request_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
