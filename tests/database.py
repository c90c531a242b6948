"""Databases for the tests: migrate with Alembic, reset, and create separate ones for multi-process tests."""

from __future__ import annotations

import secrets
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from app.config import PROJECT_ROOT


def run_migrations(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            config = Config(str(PROJECT_ROOT / "alembic.ini"))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def reset_database(database_url: str) -> None:
    """An empty database for this run (the throwaway PostgreSQL may be reused across runs)."""
    engine = sa.create_engine(database_url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
                connection.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


def make_fresh_database(database_url: str, tmp_path: Path) -> str:
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / f'fresh-{secrets.token_hex(4)}.db'}"
    else:
        name = f"azukari_{secrets.token_hex(6)}"
        admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        url = sa.engine.make_url(database_url).set(database=name).render_as_string(hide_password=False)
    run_migrations(url)
    return url


def drop_fresh_database(url: str) -> None:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    admin.dispose()
