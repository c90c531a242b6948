"""The schema comes from Alembic revisions only, and they match the models (`alembic check`)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.config import PROJECT_ROOT
from tests.database import drop_fresh_database, make_fresh_database

pytestmark = pytest.mark.smoke


def alembic_config(connection: sa.Connection) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.attributes["connection"] = connection
    return config


def test_models_and_migrations_do_not_drift(app, database_url):
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"}
        )
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ; write a revision: {diff}"


def test_there_is_one_head_and_revision_files_are_date_prefixed():
    script = ScriptDirectory.from_config(Config(str(PROJECT_ROOT / "alembic.ini")))
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        filename = revision.path.rsplit("/", 1)[-1]
        assert filename[:8].isdigit() and filename[8] == "_", filename


def test_upgrade_downgrade_upgrade_on_an_empty_database(database_url, tmp_path):
    url = make_fresh_database(database_url, tmp_path)  # upgraded to head
    try:
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        with engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
        with engine.connect() as connection:
            assert "resident" in sa.inspect(connection).get_table_names()
        engine.dispose()
    finally:
        drop_fresh_database(url)


def test_constraint_names_follow_the_convention(app, database_url):
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        for table in ("resident", "staff_member", "terms_acceptance"):
            assert inspector.get_pk_constraint(table)["name"] in (f"pk_{table}", None)  # SQLite keeps no PK names
            for fk in inspector.get_foreign_keys(table):
                assert fk["name"] in (None, f"fk_{table}_{fk['constrained_columns'][0]}_{fk['referred_table']}")
    engine.dispose()
