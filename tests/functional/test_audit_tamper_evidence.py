"""The security log is tamper-evident (issue 14, G3/G6): the database refuses to change or delete audit events and
anchors, the job every five minutes signs chained anchors over the events, and `flask audit verify` names the first anchor
whose events were changed, deleted or inserted behind it (by someone who dropped the triggers: a DBA)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app import audit
from app.audit import AuditAnchor, AuditEvent, EventTag
from app.audit_anchor import ANCHOR_JWS_TYPE, KIND, AuditBreak, make_anchor, verify_audit_log
from app.db import utcnow
from app.jobs import services as jobs
from app.jobs.models import Job, JobStatus
from app.jobs.registry import load_registry
from app.jobs.runner import run_next
from app.ledger.chain import ZERO_HASH
from app.signing import verify

pytestmark = pytest.mark.smoke

REFUSED = "insert-only"


def events(db: Session, count: int, *, minutes_ago: int = 30) -> list[AuditEvent]:
    """`count` approvals recorded `minutes_ago` (settled, so an anchor may cover them)."""
    made = []
    for n in range(count):
        event = audit.record(db, EventTag.ETHICS_APPROVAL, actor="staff:board", subject=f"recipient:r{n}",
                             minutes="議事録 第12回", approved=["recipient", "purpose"])
        event.at = utcnow() - timedelta(minutes=minutes_ago)
        made.append(event)
    db.flush()
    return made


def refused(db: Session, sql: str, **params: object) -> None:
    savepoint = db.begin_nested()
    with pytest.raises(sa.exc.DBAPIError, match=REFUSED):
        db.execute(sa.text(sql), params)
    savepoint.rollback()


def drop_triggers(db: Session) -> None:
    """What a DBA could do (rolled back with the test's transaction)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(sa.text("DROP TRIGGER audit_event_insert_only ON audit_event"))
        db.execute(sa.text("DROP TRIGGER audit_anchor_insert_only ON audit_anchor"))
    else:
        for name in ("audit_event_no_update", "audit_event_no_delete", "audit_anchor_no_update",
                     "audit_anchor_no_delete"):
            db.execute(sa.text(f"DROP TRIGGER {name}"))


def cli(app, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["audit", *args])


def test_the_database_refuses_to_change_or_delete_audit_events_and_anchors(app, db):
    (event,) = events(db, 1)
    with app.app_context():
        anchor = make_anchor(db)
    refused(db, "UPDATE audit_event SET tag = 'accounts:resident:login' WHERE id = :id", id=event.id)
    refused(db, "UPDATE audit_event SET details = '{}' WHERE id = :id", id=event.id)
    refused(db, "DELETE FROM audit_event WHERE id = :id", id=event.id)
    refused(db, "UPDATE audit_anchor SET digest = :d WHERE id = :id", d="0" * 64, id=anchor.id)
    refused(db, "DELETE FROM audit_anchor WHERE id = :id", id=anchor.id)
    if db.get_bind().dialect.name == "postgresql":
        refused(db, "TRUNCATE audit_event")
        refused(db, "TRUNCATE audit_anchor")
    # Inserting stays a plain INSERT.
    events(db, 1)


def test_an_anchor_signs_the_settled_events_and_verifies(app, db):
    made = events(db, 3)
    recent = events(db, 1, minutes_ago=0)  # not settled yet: left for the next anchor
    with app.app_context():
        anchor = make_anchor(db)
        assert anchor is not None and anchor.through_id == made[-1].id
        assert verify(anchor.jws, typ=ANCHOR_JWS_TYPE) == {
            "at": anchor.at.isoformat(timespec="microseconds"), "digest": anchor.digest,
            "prev_digest": ZERO_HASH, "through_id": made[-1].id}
        result = verify_audit_log(db)
    assert result.ok and result.anchors == 1 and result.events == 3 and result.unanchored == len(recent)
    output = cli(app, "verify")
    assert output.exit_code == 0 and output.output.startswith("OK"), output.output


def test_two_anchors_chain_and_a_rerun_without_new_events_makes_none(app, db):
    events(db, 2)
    with app.app_context():
        first = make_anchor(db)
        assert make_anchor(db) is None
        later = events(db, 2)
        second = make_anchor(db)
    assert first.prev_digest == ZERO_HASH
    assert second.prev_digest == first.digest and second.through_id == later[-1].id > first.through_id
    with app.app_context():
        assert verify_audit_log(db).anchors == 2


@pytest.mark.parametrize("tampering", ["update", "delete", "insert"])
def test_tampering_with_the_triggers_dropped_is_named_at_its_anchor(app, db, tampering):
    first_events = events(db, 3)
    with app.app_context():
        first = make_anchor(db)
    second_events = events(db, 3)
    with app.app_context():
        second = make_anchor(db)
    events(db, 2)  # after the last anchor: not vouched for, so not a break either way
    drop_triggers(db)
    victim = second_events[1]
    if tampering == "update":
        db.execute(sa.text("UPDATE audit_event SET details = :d WHERE id = :id"),
                   {"d": '{"minutes": "none"}', "id": victim.id})
    elif tampering == "delete":
        db.execute(sa.text("DELETE FROM audit_event WHERE id = :id"), {"id": victim.id})
    else:  # a back-dated approval slipped in under an id the second anchor covers
        db.execute(sa.delete(AuditEvent).where(AuditEvent.id == victim.id))
        db.execute(sa.insert(AuditEvent).values(id=victim.id, at=victim.at, tag=EventTag.ETHICS_APPROVAL.value,
                                                actor="staff:someone", subject="recipient:forged", details={}))
    db.expire_all()
    with app.app_context():
        result = verify_audit_log(db)
    assert not result.ok and result.broken_anchor == second.id and result.reason == AuditBreak.EVENTS
    assert result.after_id == first.through_id == first_events[-1].id and result.through_id == second.through_id
    output = cli(app, "verify")
    assert output.exit_code == 1 and f"BROKEN  anchor {second.id} " in output.output, output.output


def test_a_removed_anchor_breaks_the_chain_at_its_successor(app, db):
    events(db, 1)
    with app.app_context():
        first = make_anchor(db)
    events(db, 1)
    with app.app_context():
        second = make_anchor(db)
    drop_triggers(db)
    db.execute(sa.text("DELETE FROM audit_anchor WHERE id = :id"), {"id": first.id})
    db.expire_all()
    with app.app_context():
        result = verify_audit_log(db)
    assert not result.ok and result.broken_anchor == second.id and result.reason == AuditBreak.CHAIN


def test_the_anchor_is_a_five_minute_job_and_a_rerun_without_new_events_makes_none(app, db):
    registry = load_registry()
    assert KIND in registry.handlers
    (task,) = [t for t in registry.periodic if t.kind == KIND]
    assert task.every == timedelta(minutes=5)
    events(db, 2)
    db.commit()
    anchors_before = len(db.exec(select(AuditAnchor)).all())
    done = []
    for _ in range(2):
        job = jobs.enqueue(db, KIND)
        db.commit()
        while run_next(app, registry, worker_id="w"):
            pass
        db.expire_all()
        assert db.get(Job, job.id).status == JobStatus.DONE.value
        done.append(db.get(Job, job.id))
    assert len(db.exec(select(AuditAnchor)).all()) == anchors_before + 1
    assert done[0].result["anchor"] is not None and done[1].result == {"anchor": None}
