"""The ledger migration carries the 法30条 receipts of `data_receipt` over into verifiable chains (and back)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session

from app.db import UTCDateTime
from app.ledger.services import history, verify_all
from tests.database import drop_fresh_database, make_fresh_database
from tests.test_migrations import alembic_config

pytestmark = pytest.mark.smoke
BEFORE_LEDGER = "91bcf4d934bb"


def receipt(principal: str, at: datetime, items: list[str]) -> dict[str, object]:
    return {"resident_principal": principal, "source_key": "smart-life-pass", "provider_name": "SLP",
            "provider_address": "柏市", "provider_representative": "代表", "how_obtained": "本人から",
            "basis": "同意", "items": items, "kept": True, "received_at": at, "details": {"n": 1}}


def test_receipts_become_chains_that_verify(database_url, tmp_path):
    url = make_fresh_database(database_url, tmp_path)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), BEFORE_LEDGER)
        types = {"items": sa.JSON(), "details": sa.JSON(), "received_at": UTCDateTime(), "kept": sa.Boolean()}
        table = sa.table("data_receipt", *(sa.column(name, types.get(name, sa.String()))
                                           for name in receipt("", datetime.now(UTC), [])))
        with engine.begin() as connection:
            connection.execute(table.insert(), [
                receipt("resident:a", datetime(2026, 11, 1, 9, 0, 0, 123456, tzinfo=UTC), ["email"]),
                receipt("resident:a", datetime(2026, 11, 2, 9, 0, tzinfo=UTC), ["address", "health_score"]),
                receipt("resident:b", datetime(2026, 11, 3, 9, 0, tzinfo=UTC), ["email"]),
            ])
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "head")
        with Session(engine) as session:
            results = {v.subject: v for v in verify_all(session)}
            assert results["resident:a"].ok and results["resident:a"].records == 2
            assert results["resident:b"].ok and results["resident:b"].records == 1
            entries = history(session, "resident:a")
            assert [e.payload["items"] for e in entries] == [["address", "health_score"], ["email"]]
            assert entries[1].payload["provider_name"] == "SLP" and entries[1].payload["details"] == {"n": 1}
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), BEFORE_LEDGER)
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM data_receipt")).scalar() == 3
    finally:
        engine.dispose()
        drop_fresh_database(url)
