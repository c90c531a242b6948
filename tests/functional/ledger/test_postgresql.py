"""On PostgreSQL: the chain rows are append-only for the application (triggers), and parallel appends neither fork
nor leave gaps — 50 residents at once and 20 records for one resident at once, each on its own connection."""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from app.ledger.models import RecordKind
from app.ledger.services import append
from tests.conftest import make_test_settings
from tests.factories.ledger import append_records, new_subject

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                                reason="PostgreSQL only (set TEST_DATABASE_URL)")

REFUSED = "append-only|only advances|does not follow|not allowed"


def refused(db: Session, sql: str, **params: object) -> None:
    savepoint = db.begin_nested()
    with pytest.raises(sa.exc.DBAPIError, match=REFUSED):
        db.execute(sa.text(sql), params)
    savepoint.rollback()


def test_the_application_cannot_change_or_delete_chain_rows(db):
    subject = new_subject()
    records = append_records(db, subject, 3)
    first, chain_id = records[0], records[0].chain_id
    refused(db, "UPDATE ledger_record SET kind = 'provision' WHERE id = :id", id=first.id)
    refused(db, "DELETE FROM ledger_record WHERE id = :id", id=first.id)
    refused(db, "TRUNCATE ledger_record CASCADE")
    refused(db, "UPDATE ledger_payload SET salt = 'x' WHERE record_id = :id", id=first.id)
    refused(db, "UPDATE ledger_chain SET head_seq = 1, head_hash = :h WHERE id = :id", h=first.record_hash, id=chain_id)
    refused(db, "UPDATE ledger_chain SET subject = 'resident:someone-else' WHERE id = :id", id=chain_id)
    refused(db, "DELETE FROM ledger_chain WHERE id = :id", id=chain_id)
    # A record that does not follow its predecessor's hash is refused too (no fork written behind the ledger's back).
    refused(db, "INSERT INTO ledger_record (chain_id, seq, kind, at, prev_hash, payload_digest, record_hash) "
                "VALUES (:c, 4, 'processing', now(), :p, :p, :p)", c=chain_id, p="a" * 64)
    # Erasure is the one change allowed, on the payload table.
    db.execute(sa.text("DELETE FROM ledger_payload WHERE record_id = :id"), {"id": first.id})


def test_anchors_are_append_only(app, db):
    from app.ledger.services import make_anchor

    append_records(db, new_subject(), 1)
    with app.app_context():
        anchor = make_anchor(db)
    refused(db, "UPDATE ledger_anchor SET digest = :d WHERE id = :id", d="0" * 64, id=anchor.id)
    refused(db, "DELETE FROM ledger_anchor WHERE id = :id", id=anchor.id)


def test_parallel_appends_neither_fork_nor_leave_gaps_then_flask_ledger_verify_agrees(fresh_database_url, tmp_path: Path):
    engine = sa.create_engine(fresh_database_url, poolclass=NullPool)  # each thread its own connection
    residents = [new_subject() for _ in range(50)]
    busy = new_subject()
    jobs = [(subject, RecordKind.PROVISION) for subject in residents] + [(busy, RecordKind.PROCESSING)] * 20
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def one(subject: str, kind: RecordKind) -> None:
        try:
            with Session(engine) as session:
                start.wait(timeout=30)
                append(session, subject=subject, kind=kind, payload={"recipient_name": "柏市", "items": ["address"]})
                session.commit()
        except BaseException as error:  # collected and re-raised in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=one, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors

    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT c.subject, r.seq, c.head_seq FROM ledger_record r JOIN ledger_chain c ON c.id = r.chain_id"
        )).all()
        chains = connection.execute(sa.text("SELECT subject FROM ledger_chain")).scalars().all()
    engine.dispose()
    by_subject: dict[str, list[int]] = {}
    for subject, seq, head in rows:
        by_subject.setdefault(subject, []).append(seq)
        assert head == (20 if subject == busy else 1)
    assert Counter(chains) == Counter([*residents, busy])  # one chain each: the busy resident's did not fork
    assert sorted(by_subject[busy]) == list(range(1, 21))  # no gap, no duplicate
    assert all(by_subject[subject] == [1] for subject in residents)

    from app import create_app
    from app.db import get_database

    app = create_app(make_test_settings(fresh_database_url, tmp_path / "instance"))
    try:
        result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    finally:
        get_database(app).dispose()
    assert result.exit_code == 0, result.output
    assert "51 chain(s) checked, 0 broken" in result.output
    assert "20 record(s)" in result.output
