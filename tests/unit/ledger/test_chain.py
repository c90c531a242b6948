"""The chain's rules, on the test database: append, history, erasure, and tampering found at exactly that row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app.db import utcnow
from app.ledger import chain as hashing
from app.ledger.models import LedgerChain, LedgerPayload, LedgerRecord, RecordKind
from app.ledger.services import append, erase_payloads, history, verify_all, verify_chain
from app.ledger.verification import BreakReason
from tests.factories.ledger import append_records, new_subject, tamper

pytestmark = pytest.mark.smoke


def test_records_chain_one_to_the_next_and_verify(db):
    subject = new_subject()
    records = append_records(db, subject, 4)
    assert [r.seq for r in records] == [1, 2, 3, 4]
    assert records[0].prev_hash == hashing.ZERO_HASH
    assert all(b.prev_hash == a.record_hash for a, b in zip(records, records[1:], strict=False))
    chain = db.exec(select(LedgerChain).where(LedgerChain.subject == subject)).one()
    assert (chain.head_seq, chain.head_hash) == (4, records[-1].record_hash)
    result = verify_chain(db, subject)
    assert result.ok and result.records == 4 and result.first_broken_seq is None and result.chain_id == chain.id


def test_the_digest_is_salted_and_the_payload_is_stored_as_json_reads_it_back(db):
    subject = new_subject()
    first = append(db, subject=subject, kind=RecordKind.CONSENT, payload={"items": ("a", "b"), "n": 1})
    second = append(db, subject=subject, kind=RecordKind.CONSENT, payload={"items": ["a", "b"], "n": 1})
    assert first.payload_digest != second.payload_digest  # same content, different salt
    assert db.get(LedgerPayload, first.id).body == {"items": ["a", "b"], "n": 1}
    assert verify_chain(db, subject).ok


def test_a_payload_json_cannot_hold_is_refused_and_nothing_is_written(db):
    subject = new_subject()
    with pytest.raises(TypeError):
        append(db, subject=subject, kind=RecordKind.PROCESSING, payload={"when": utcnow()})
    assert db.exec(select(LedgerChain).where(LedgerChain.subject == subject)).first() is None


def test_a_failed_transaction_leaves_no_record(db):
    subject = new_subject()
    append_records(db, subject, 1)
    savepoint = db.begin_nested()
    append(db, subject=subject, kind=RecordKind.PROVISION, payload={"recipient_name": "X"})
    savepoint.rollback()
    assert [e.record.seq for e in history(db, subject)] == [1]
    assert verify_chain(db, subject).ok


def test_history_is_newest_first_and_filters(db):
    subject, other = new_subject(), new_subject()
    now = utcnow()
    append(db, subject=subject, kind=RecordKind.RECEIPT, payload={"provider_name": "P"}, at=now - timedelta(days=3))
    append(db, subject=subject, kind=RecordKind.PROVISION, payload={"recipient_name": "R"}, at=now - timedelta(days=2))
    append(db, subject=subject, kind=RecordKind.PROCESSING, payload={}, at=now - timedelta(days=1))
    append_records(db, other, 2)
    assert [e.record.seq for e in history(db, subject)] == [3, 2, 1]
    assert [e.record.kind for e in history(db, subject, kinds=[RecordKind.PROVISION])] == ["provision"]
    assert [e.record.seq for e in history(db, subject, since=now - timedelta(days=2, hours=1))] == [3, 2]
    assert [e.record.seq for e in history(db, subject, until=now - timedelta(days=2))] == [1]
    assert [e.record.seq for e in history(db, subject, limit=1, before_seq=3)] == [2]
    assert history(db, new_subject()) == []


def test_erasing_payloads_keeps_the_chain_and_it_still_verifies(db):
    subject, other = new_subject(), new_subject()
    append_records(db, subject, 3)
    append_records(db, other, 2)
    assert erase_payloads(db, subject) == 3
    assert [e.payload for e in history(db, subject)] == [None, None, None]
    assert len(db.exec(select(LedgerRecord).join(LedgerChain).where(LedgerChain.subject == subject)).all()) == 3
    result = verify_chain(db, subject)
    assert result.ok and result.records == 3 and result.erased == 3
    assert all(e.payload for e in history(db, other))  # another resident's payloads are untouched
    # The chain goes on after an erasure (the account deletion's own record follows it).
    append(db, subject=subject, kind=RecordKind.DELETION, payload={"action": "account.deleted"})
    assert verify_chain(db, subject).ok


FIELD_EDITS = {
    "kind": "UPDATE ledger_record SET kind = 'provision' WHERE id = :id",
    "at": "UPDATE ledger_record SET at = :at WHERE id = :id",
    "prev_hash": "UPDATE ledger_record SET prev_hash = :forged WHERE id = :id",
    "payload_digest": "UPDATE ledger_record SET payload_digest = :forged WHERE id = :id",
    "record_hash": "UPDATE ledger_record SET record_hash = :forged WHERE id = :id",
}


@pytest.mark.parametrize("field", sorted(FIELD_EDITS))
def test_editing_one_field_of_record_k_is_reported_at_k(db, field):
    subject = new_subject()
    records = append_records(db, subject, 5)
    tamper(db, FIELD_EDITS[field], id=records[2].id, forged="f" * 64, at="2025-01-01 00:00:00.000000")
    result = verify_chain(db, subject)
    assert (result.ok, result.first_broken_seq, result.reason) == (False, 3, BreakReason.ALTERED)


def test_editing_the_payload_of_record_k_is_reported_at_k(db):
    subject = new_subject()
    records = append_records(db, subject, 5)
    value = "CAST(:body AS json)" if db.get_bind().dialect.name == "postgresql" else ":body"
    tamper(db, f"UPDATE ledger_payload SET body = {value} WHERE record_id = :id", id=records[1].id,  # noqa: S608
           body='{"description": "step 2", "items": ["address", "health_score"], "n": 2}')
    result = verify_chain(db, subject)
    assert (result.first_broken_seq, result.reason) == (2, BreakReason.PAYLOAD_ALTERED)


def test_rewriting_record_k_with_a_recomputed_hash_is_still_reported_at_k(db):
    subject = new_subject()
    records = append_records(db, subject, 5)
    k = records[2]
    forged = hashing.record_hash(chain_id=k.chain_id, seq=k.seq, kind="provision", at=k.at, prev_hash=k.prev_hash,
                                 payload_digest=k.payload_digest)
    tamper(db, "UPDATE ledger_record SET kind = 'provision', record_hash = :h WHERE id = :id", h=forged, id=k.id)
    result = verify_chain(db, subject)
    assert (result.first_broken_seq, result.reason) == (3, BreakReason.REWRITTEN)


def test_rewriting_the_last_record_is_caught_by_the_head(db):
    subject = new_subject()
    records = append_records(db, subject, 3)
    last = records[-1]
    forged = hashing.record_hash(chain_id=last.chain_id, seq=3, kind="consent", at=last.at, prev_hash=last.prev_hash,
                                 payload_digest=last.payload_digest)
    tamper(db, "UPDATE ledger_record SET kind = 'consent', record_hash = :h WHERE id = :id", h=forged, id=last.id)
    assert verify_chain(db, subject).first_broken_seq == 3


@pytest.mark.parametrize(("deleted", "reported"), [(2, 2), (4, 4)])
def test_a_deleted_record_is_reported_where_the_sequence_breaks(db, deleted, reported):
    subject = new_subject()
    records = append_records(db, subject, 4)
    target = records[deleted - 1]
    tamper(db, "DELETE FROM ledger_payload WHERE record_id = :id", id=target.id)
    tamper(db, "DELETE FROM ledger_record WHERE id = :id", id=target.id)
    result = verify_chain(db, subject)
    assert (result.first_broken_seq, result.reason) == (reported, BreakReason.MISSING)


def test_verify_all_names_only_the_broken_chain(db):
    good, bad = new_subject(), new_subject()
    append_records(db, good, 2)
    records = append_records(db, bad, 3)
    tamper(db, "UPDATE ledger_record SET kind = 'deletion' WHERE id = :id", id=records[0].id)
    results = {v.subject: v for v in verify_all(db)}
    assert results[good].ok and results[good].records == 2
    assert (results[bad].ok, results[bad].first_broken_seq) == (False, 1)


def test_an_empty_subject_verifies_with_no_records(db):
    result = verify_chain(db, new_subject())
    assert result.ok and result.records == 0 and result.chain_id is None


def test_append_many_writes_one_record_per_chain_that_verifies_with_single_appends(db):
    from app.ledger.services import NewRecord, append_many, lock_chains

    subjects = [new_subject() for _ in range(3)]
    append(db, subject=subjects[0], kind=RecordKind.CONSENT, payload={"n": 0})
    chains = lock_chains(db, subjects)
    records = append_many(db, [NewRecord(chains[s], RecordKind.PROCESSING, {"n": i}) for i, s in enumerate(subjects)])
    assert [r.seq for r in records] == [2, 1, 1] and all(r.id is not None for r in records)
    append(db, subject=subjects[0], kind=RecordKind.CONSENT, payload={"n": 3})  # the head moved: a single append follows
    assert all(verify_chain(db, s).ok for s in subjects)
    assert [e.payload for e in history(db, subjects[0])] == [{"n": 3}, {"n": 0}, {"n": 0}]
    with pytest.raises(ValueError):
        append_many(db, [NewRecord(chains[subjects[1]], RecordKind.PROCESSING, {}),
                         NewRecord(chains[subjects[1]], RecordKind.PROCESSING, {})])
