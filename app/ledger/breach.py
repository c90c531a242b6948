"""The breach query (APPI 漏えい等の報告, security-anchors I): for a component and a time window, which residents'
data it used or received, and which items — read from the ledger, where every use and provision is recorded with
who it went to and through what (`recipient`, and `via`: the OAuth client, the method, the endpoint, the release).

A component is matched against the record's recipient and every value of its `via`: an OAuth client id
("kashiwa-city"), a method ("resource_api", "recommendation_feed", "survey_submission"), an endpoint
("/api/v1/me"), a release ("EBPM monthly release"). A record whose payload was erased (a deleted account) is
counted as its subject with no items.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.ledger.models import LedgerChain, LedgerPayload, LedgerRecord, RecordKind

USES = (RecordKind.PROCESSING.value, RecordKind.PROVISION.value)


@dataclass
class Affected:
    subject: str  # the resident's principal
    items: set[str] = field(default_factory=set)
    records: int = 0
    first: datetime | None = None
    last: datetime | None = None


def matches(body: dict[str, Any], component: str) -> bool:
    via = body.get("via") if isinstance(body.get("via"), dict) else {}
    return component == body.get("recipient") or component in {str(value) for value in via.values()}


def affected(session: Session, component: str, since: datetime, until: datetime) -> list[Affected]:
    """The residents whose data `component` used or was given in [since, until), by subject."""
    rows = session.execute(
        select(LedgerChain.subject, LedgerRecord.at, LedgerPayload.body)
        .join(LedgerChain, col(LedgerChain.id) == col(LedgerRecord.chain_id))
        .outerjoin(LedgerPayload, col(LedgerPayload.record_id) == col(LedgerRecord.id))
        .where(col(LedgerRecord.kind).in_(USES), col(LedgerRecord.at) >= since, col(LedgerRecord.at) < until)
        .order_by(col(LedgerRecord.at)))
    found: dict[str, Affected] = defaultdict(lambda: Affected(""))
    for subject, at, body in rows:
        if not matches(body or {}, component):
            continue
        entry = found[subject]
        entry.subject = subject
        entry.items.update(str(item) for item in (body or {}).get("items") or ())
        entry.records += 1
        entry.first = entry.first or at
        entry.last = at
    return sorted(found.values(), key=lambda entry: entry.subject)


def report(component: str, since: datetime, until: datetime, entries: list[Affected]) -> dict[str, Any]:
    """The query's answer as JSON-ready data: each resident, and how many residents each item concerns."""
    items: dict[str, int] = defaultdict(int)
    for entry in entries:
        for item in entry.items:
            items[item] += 1
    return {"component": component, "since": since.isoformat(), "until": until.isoformat(),
            "residents": [{"subject": e.subject, "items": sorted(e.items), "records": e.records,
                           "first": e.first.isoformat() if e.first else None,
                           "last": e.last.isoformat() if e.last else None} for e in entries],
            "items": dict(sorted(items.items()))}
