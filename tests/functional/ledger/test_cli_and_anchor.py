"""`flask ledger verify` / `flask ledger anchor`, the daily anchor job, and anchors catching a rewritten tail."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.jobs import services as jobs
from app.jobs.models import Job, JobStatus
from app.jobs.registry import load_registry
from app.jobs.runner import run_next
from app.ledger import chain as hashing
from app.ledger.jobs import KIND
from app.ledger.models import LedgerAnchor, LedgerChain, LedgerRecord
from app.ledger.services import make_anchor, verify_chain
from app.ledger.verification import BreakReason, verify_anchor
from tests.factories.accounts import ResidentFactory
from tests.factories.ledger import append_records, new_subject, tamper

pytestmark = pytest.mark.smoke


def invoke(app, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["ledger", *args])


def test_verify_reports_each_chain_and_the_first_broken_record(app, db):
    resident = ResidentFactory()
    append_records(db, resident.principal, 3)
    broken = new_subject()
    records = append_records(db, broken, 4)
    ok = invoke(app, "verify", "--resident", resident.email)
    assert ok.exit_code == 0 and "ok " in ok.output and "3 record(s)" in ok.output, ok.output
    tamper(db, "UPDATE ledger_record SET kind = 'receipt' WHERE id = :id", id=records[1].id)
    everything = invoke(app, "verify")
    assert everything.exit_code == 1
    line = next(line for line in everything.output.splitlines() if broken in line)
    assert line.startswith("BROKEN") and "first broken record seq 2:" in line
    assert invoke(app, "verify", "--resident", broken).exit_code == 1  # a principal works too (deleted accounts)
    assert invoke(app, "verify", "--resident", resident.email).exit_code == 0
    unknown = invoke(app, "verify", "--resident", "nobody@example.jp")
    assert unknown.exit_code != 0 and "no resident" in unknown.output


def test_anchor_command_signs_every_head(app, db):
    subjects = [new_subject(), new_subject()]
    for subject in subjects:
        append_records(db, subject, 2)
    result = invoke(app, "anchor")
    assert result.exit_code == 0, result.output
    anchor = db.exec(select(LedgerAnchor).order_by(LedgerAnchor.id.desc())).first()
    chains = {str(c.id): c for c in db.exec(select(LedgerChain).where(LedgerChain.subject.in_(subjects)))}
    assert {head[0] for head in anchor.heads} >= set(chains)
    assert all([seq, head] == [chains[chain_id].head_seq, chains[chain_id].head_hash]
               for chain_id, seq, head in anchor.heads if chain_id in chains)
    with app.app_context():
        assert verify_anchor(anchor)
        db.expunge(anchor)
        anchor.digest = "0" * 64  # (in memory only) an anchor whose digest does not match what was signed
        assert not verify_anchor(anchor)


def test_a_tail_rewritten_with_recomputed_hashes_is_caught_by_the_signed_anchor(app, db):
    subject = new_subject()
    records = append_records(db, subject, 3)
    with app.app_context():
        make_anchor(db)
    # Rewrite records 2 and 3 consistently (hashes recomputed, links kept) and move the head: only the anchor knows.
    previous = records[0].record_hash
    for record in records[1:]:
        forged = hashing.record_hash(chain_id=record.chain_id, seq=record.seq, kind="deletion", at=record.at,
                                     prev_hash=previous, payload_digest=record.payload_digest)
        tamper(db, "UPDATE ledger_record SET kind = 'deletion', prev_hash = :p, record_hash = :h WHERE id = :id",
               p=previous, h=forged, id=record.id)
        previous = forged
    tamper(db, "UPDATE ledger_chain SET head_hash = :h WHERE subject = :s", h=previous, s=subject)
    with app.app_context():
        result = verify_chain(db, subject)
    assert (result.ok, result.first_broken_seq, result.reason) == (False, 3, BreakReason.REWRITTEN)
    assert result.anchored_seq == 3


def test_the_daily_anchor_is_a_periodic_job(app, db):
    registry = load_registry()
    assert KIND in registry.handlers
    (task,) = [t for t in registry.periodic if t.kind == KIND]
    assert task.every.days == 1
    append_records(db, new_subject(), 1)
    job = jobs.enqueue(db, KIND)
    db.commit()
    before = len(db.exec(select(LedgerAnchor)).all())
    while run_next(app, registry, worker_id="w"):
        pass
    db.expire_all()
    assert db.get(Job, job.id).status == JobStatus.DONE.value
    assert len(db.exec(select(LedgerAnchor)).all()) == before + 1
    assert db.exec(select(LedgerRecord)).first() is not None
