"""Signed anchors over the security log (`audit_event`), and their verification.

Recording an event stays one plain INSERT (no chain head, no lock): the events are chained afterwards, in id order,
by a job every five minutes. Each anchor covers the events after the previous anchor's `through_id` up to its own:

- digest = SHA-256( prev_digest (hex, ASCII) ‖ canonical JSON of each event in id order )
  where an event is {"actor", "at", "details", "id", "ip", "subject", "tag"}, `at` as in the ledger (UTC with
  microseconds) and canonical JSON is `app.signing.canonical_json`; prev_digest is 64 zeros for the first anchor;
- jws = compact JWS (ES256, typ "audit-anchor+jws") over {"at", "digest", "prev_digest", "through_id"}.

These functions are frozen: changing them breaks the verification of every anchor already made.

Which events an anchor may cover: ids come from a sequence when a row is inserted, not when its transaction commits,
so an event with a smaller id can still commit after a larger one. An anchor therefore covers only events older than
`SETTLE` and, on PostgreSQL, older than the start of every transaction still open in the database (less `SETTLE`,
for clock skew between the app and the database). Should an event still commit under an anchor, verification
reports that anchor as broken: a false alarm is possible in theory, a silent gap is not. Events after the last anchor
are not vouched for yet (at most five minutes plus `SETTLE`); `flask audit verify` counts them.

The events and the anchors are insert-only in the database (triggers, see the "audit anchors" migration); the
anchors catch what the triggers cannot: a DBA, or anyone else who can drop a trigger, changing the log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.audit import AuditAnchor, AuditEvent
from app.db import utcnow
from app.jobs.registry import JobHandler, PeriodicTask
from app.jobs.runner import JobContext
from app.ledger.chain import ZERO_HASH, timestamp
from app.signing import BadSignature, canonical_json, sign, verify

ANCHOR_JWS_TYPE = "audit-anchor+jws"
KIND = "audit.anchor"
SETTLE = timedelta(minutes=1)  # (clock skew between app and database; open transactions are waited for anyway)
BATCH = 1000

EVENT_COLUMNS = (AuditEvent.id, AuditEvent.at, AuditEvent.tag, AuditEvent.actor, AuditEvent.subject, AuditEvent.ip,
                 AuditEvent.details)


def _events(session: Session, after: int, through: int) -> Iterator[dict[str, Any]]:
    """The events after `after` up to `through`, in id order, read from the database (columns, never objects this
    session may hold), a batch at a time."""
    while True:
        rows = session.execute(
            select(*EVENT_COLUMNS).where(col(AuditEvent.id) > after, col(AuditEvent.id) <= through)
            .order_by(col(AuditEvent.id)).limit(BATCH)
        ).all()
        for id_, at, tag, actor, subject, ip, details in rows:
            yield {"actor": actor, "at": timestamp(at), "details": details, "id": id_, "ip": ip, "subject": subject,
                   "tag": tag}
        if len(rows) < BATCH:
            return
        after = rows[-1][0]


def events_digest(session: Session, prev_digest: str, after: int, through: int) -> tuple[str, int]:
    """The digest of the events after `after` up to `through` chained to `prev_digest`, and how many there are."""
    digest = hashlib.sha256(prev_digest.encode("ascii"))
    count = 0
    for event in _events(session, after, through):
        digest.update(canonical_json(event))
        count += 1
    return digest.hexdigest(), count


def _signed_payload(anchor: AuditAnchor) -> dict[str, Any]:
    return {"at": timestamp(anchor.at), "digest": anchor.digest, "prev_digest": anchor.prev_digest,
            "through_id": anchor.through_id}


def _cutoff(session: Session, now: datetime, settle: timedelta) -> datetime:
    """Events older than this have committed (or never will), as far as the database can tell."""
    cutoff = now - settle
    if session.get_bind().dialect.name == "postgresql":
        # Other sessions' transactions; a role without pg_read_all_stats sees only its own role's (the app's).
        oldest = session.execute(sa.text(
            "SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
        )).scalar()
        if oldest is not None:
            cutoff = min(cutoff, oldest - settle)
    return cutoff


def last_anchor(session: Session) -> AuditAnchor | None:
    return session.exec(select(AuditAnchor).order_by(col(AuditAnchor.id).desc()).limit(1)).first()


def make_anchor(session: Session, *, settle: timedelta = SETTLE) -> AuditAnchor | None:
    """Anchor the settled events after the last anchor (in the caller's transaction); None when there are none.
    Two runs at once cannot fork the chain: `prev_digest` is unique, so the second one fails and is retried."""
    last = last_anchor(session)
    after, prev_digest = (last.through_id, last.digest) if last else (0, ZERO_HASH)
    at = utcnow()
    through = session.execute(
        select(sa.func.max(AuditEvent.id)).where(col(AuditEvent.id) > after,
                                                 col(AuditEvent.at) < _cutoff(session, at, settle))
    ).scalar()
    if through is None:
        return None
    digest, _ = events_digest(session, prev_digest, after, through)
    anchor = AuditAnchor(at=at, through_id=through, digest=digest, prev_digest=prev_digest, jws="")
    anchor.jws = sign(_signed_payload(anchor), typ=ANCHOR_JWS_TYPE)
    session.add(anchor)
    session.flush()
    return anchor


class AuditBreak(StrEnum):
    EVENTS = "events"  # the events under the anchor no longer give its digest (changed, deleted or inserted)
    CHAIN = "chain"  # the anchor does not follow the previous one (an anchor removed, changed or inserted)
    SIGNATURE = "signature"  # the anchor's signature is invalid or does not say what its row says


BREAK_DESCRIPTIONS = {
    AuditBreak.EVENTS: "an event it covers was changed, deleted or inserted afterwards",
    AuditBreak.CHAIN: "it does not follow the previous anchor (an anchor was removed, changed or inserted)",
    AuditBreak.SIGNATURE: "its signature is invalid or does not match the anchor",
}


@dataclass(frozen=True)
class AuditVerification:
    ok: bool
    anchors: int  # anchors checked (up to and including the broken one)
    events: int  # events under those anchors
    unanchored: int  # events after the last anchor: not vouched for yet
    broken_anchor: int | None = None
    reason: AuditBreak | None = None
    after_id: int | None = None  # the broken anchor covers the events after this id …
    through_id: int | None = None  # … up to this one

    @property
    def description(self) -> str:
        if self.ok:
            return "ok"
        return (f"anchor {self.broken_anchor} (events {self.after_id + 1}–{self.through_id}): "  # type: ignore[operator]
                f"{BREAK_DESCRIPTIONS[self.reason]}")  # type: ignore[index]


def _check(session: Session, anchor: AuditAnchor, prev_digest: str, after: int) -> tuple[AuditBreak | None, int]:
    """What is wrong with `anchor`, following an anchor with `prev_digest` through `after` (None: nothing), and
    how many events it covers."""
    try:
        signed = verify(anchor.jws, typ=ANCHOR_JWS_TYPE)
    except BadSignature:
        return AuditBreak.SIGNATURE, 0
    if signed != _signed_payload(anchor):
        return AuditBreak.SIGNATURE, 0
    if anchor.prev_digest != prev_digest or anchor.through_id <= after:
        return AuditBreak.CHAIN, 0
    digest, count = events_digest(session, prev_digest, after, anchor.through_id)
    return (AuditBreak.EVENTS if digest != anchor.digest else None), count


def verify_audit_log(session: Session) -> AuditVerification:
    """Recompute every anchor from the events, in order, and report the first that no longer holds."""
    prev_digest, after, anchors, events = ZERO_HASH, 0, 0, 0
    for anchor in session.exec(select(AuditAnchor).order_by(col(AuditAnchor.id))):
        anchors += 1
        reason, count = _check(session, anchor, prev_digest, after)
        if reason is not None:
            return AuditVerification(ok=False, anchors=anchors, events=events, unanchored=0, broken_anchor=anchor.id,
                                     reason=reason, after_id=after, through_id=anchor.through_id)
        prev_digest, after, events = anchor.digest, anchor.through_id, events + count
    unanchored = session.execute(select(sa.func.count(col(AuditEvent.id))).where(col(AuditEvent.id) > after)).scalar() or 0
    return AuditVerification(ok=True, anchors=anchors, events=events, unanchored=unanchored)


def anchor_job(ctx: JobContext) -> dict[str, Any]:
    made = make_anchor(ctx.session)  # committed with the job's result; a rerun with no new events makes none
    if made is None:
        return {"anchor": None}
    return {"anchor": made.id, "through_id": made.through_id, "digest": made.digest}


JOB_HANDLERS = [JobHandler(KIND, anchor_job)]
# Every five minutes (a run without new events makes no anchor), off the hour's housekeeping: what an intruder could
# change unseen is at most the last six minutes of the log (security anchor G3).
PERIODIC_TASKS = [PeriodicTask(KIND, every=timedelta(minutes=5), offset=timedelta(seconds=150), max_attempts=5)]
