"""Recording, listing and removing a resident's participations, and the summary the ranking reads.

Every function takes the session and the acting resident: another resident's record is "not found" (object-level
authorization, never a hint that it exists). Nothing here commits (one unit of work per request).

The summary is the shape of `app.recommend.ranking_types.History` (counts by event tag or coupon store category, the
events attended), JSON-ready: the consent door hands it out as the item `participation_history`, and only there.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from app import audit
from app.accounts.models import Resident
from app.audit import EventTag
from app.catalog.models import CatalogCoupon, CatalogEvent, ListingStatus
from app.catalog.services import coupon_title, event_title, listing_categories
from app.db import in_values, insert_ignoring_conflicts, new_id, utcnow
from app.errors import DomainError, NotFound
from app.household.ages import days_in_month, japan_today
from app.household.events import announce_change
from app.ledger.models import RecordKind
from app.ledger.services import append
from app.participation.models import Participation, ParticipationKind, ParticipationSource

HISTORY_MONTHS = 12  # the window of the consent item: "in the last 12 months"
ITEM_KEY = "participation_history"  # the consent catalogue's item
ITEM_NAME_JA = "イベント参加・クーポン利用の履歴"


class UnknownItem(DomainError):
    status = 404
    message = _l("We could not find this event or coupon. It may have been removed from the list.")


class FutureParticipation(DomainError):
    status = 422
    message = _l("A participation can only be recorded for today or a past day.")


class UnknownParticipation(NotFound):
    message = _l("We could not find this record. It may have been removed already.")


# --- writing ---------------------------------------------------------------------------------------------------


def _catalogue_row(session: Session, kind: str, item_id: str) -> CatalogEvent | CatalogCoupon:
    model = {ParticipationKind.EVENT: CatalogEvent, ParticipationKind.COUPON: CatalogCoupon}.get(kind)
    row = session.get(model, item_id) if model is not None and item_id else None
    # Only a published listing can be joined or used: a partner's draft or withdrawn one is as good as missing.
    if row is None or row.status != ListingStatus.PUBLISHED:
        raise UnknownItem()
    return row


def _existing(session: Session, resident: Resident, kind: str, item_id: str, on: date) -> Participation | None:
    return session.exec(
        select(Participation).where(Participation.resident_id == resident.id, Participation.kind == kind,
                                    Participation.item_id == item_id, Participation.occurred_on == on)
        .execution_options(populate_existing=True)
    ).first()


def record(session: Session, resident: Resident, kind: str, item_id: str, on: date, *,
           source: str = ParticipationSource.RESIDENT, ip: str | None = None) -> Participation:
    """Record that the resident joined the event / used the coupon `item_id` on the day `on` (Japan date).

    Idempotent per (resident, kind, item, day): recording again returns the record already there, unchanged, and
    audits nothing. A new record drops the day's kept feed (`household_changed`, as any change to what the
    resident entrusted). Two requests at once insert one row (INSERT … ON CONFLICT DO NOTHING, on PostgreSQL and
    SQLite alike). Raises UnknownItem for an id the catalogue does not have or has not published, FutureParticipation
    for a day after today in Japan."""
    row = _catalogue_row(session, kind, item_id)
    if on > japan_today():
        raise FutureParticipation()
    result = session.execute(
        insert_ignoring_conflicts(session, Participation, "resident_id", "kind", "item_id", "occurred_on")
        .values(id=new_id(), resident_id=resident.id, kind=kind, item_id=row.id, venue_id=row.venue_id,
                categories=listing_categories(row), occurred_on=on, source=source, recorded_at=utcnow())
        .returning(col(Participation.id))
    )
    inserted = result.first() is not None  # nothing comes back when the day's record was already there
    participation = _existing(session, resident, kind, row.id, on)
    assert participation is not None  # inserted now, or by an earlier (committed or own) request
    if inserted:
        # Which event or coupon (and when) stays out of the audit log: a record the resident deletes is gone.
        audit.record(session, EventTag.PARTICIPATION_RECORD, actor=resident.principal, ip=ip, kind=kind, source=source)
        # What the resident entrusted changed: the day's kept feed (read with it, if consented) is dropped.
        announce_change(session, resident.id)
    return participation


def participation_of(session: Session, resident: Resident, participation_id: uuid.UUID) -> Participation:
    """The resident's own record; another resident's is as good as missing."""
    participation = session.get(Participation, participation_id)
    if participation is None or participation.resident_id != resident.id:
        raise UnknownParticipation()
    return participation


def remove(session: Session, resident: Resident, participation_id: uuid.UUID, *, ip: str | None = None) -> Participation:
    """Delete one of the resident's records (gone for good; the ledger says a record was deleted, not which).

    Returns the deleted record (detached) so a caller can say what it was. Raises UnknownParticipation for an id
    that is not the resident's (already removed, or another resident's)."""
    participation = participation_of(session, resident, participation_id)
    session.delete(participation)
    session.flush()
    append(session, subject=resident.principal, kind=RecordKind.DELETION,
           payload={"items": [ITEM_KEY], "item_names": {ITEM_KEY: ITEM_NAME_JA}, "by": "resident", "rows": 1})
    audit.record(session, EventTag.PARTICIPATION_REMOVE, actor=resident.principal, ip=ip, kind=participation.kind)
    announce_change(session, resident.id)
    return participation


# --- reading ---------------------------------------------------------------------------------------------------


def history_of(session: Session, resident: Resident) -> list[Participation]:
    """Every record of the resident, newest first."""
    return list(session.exec(
        select(Participation).where(Participation.resident_id == resident.id)
        .order_by(col(Participation.occurred_on).desc(), col(Participation.recorded_at).desc(), col(Participation.id))
    ))


def recorded_on(session: Session, resident: Resident, kind: str, item_id: str, on: date) -> Participation | None:
    """The resident's record of this item on this day, if any (the detail page's button shows it)."""
    return session.exec(
        select(Participation).where(Participation.resident_id == resident.id, Participation.kind == kind,
                                    Participation.item_id == item_id, Participation.occurred_on == on)
    ).first()


def last_recorded(session: Session, resident: Resident, kind: str, item_id: str) -> Participation | None:
    """The resident's latest record of this item, on any day."""
    return session.exec(
        select(Participation).where(Participation.resident_id == resident.id, Participation.kind == kind,
                                    Participation.item_id == item_id)
        .order_by(col(Participation.occurred_on).desc())
    ).first()


@dataclass(frozen=True)
class ParticipationView:
    """A record as わたしのデータ lists it: the catalogue's title in the resident's language (a placeholder coupon
    by its store category, never a brand: `coupon_title`)."""

    participation: Participation
    title: str

    @property
    def is_event(self) -> bool:
        return self.participation.kind == ParticipationKind.EVENT


def history_views(session: Session, resident: Resident) -> list[ParticipationView]:
    records = history_of(session, resident)
    events = {row.id: row for row in _rows(session, CatalogEvent, records, ParticipationKind.EVENT)}
    coupons = {row.id: row for row in _rows(session, CatalogCoupon, records, ParticipationKind.COUPON)}
    views = []
    for participation in records:
        if participation.kind == ParticipationKind.EVENT and participation.item_id in events:
            title = event_title(events[participation.item_id])
        elif participation.kind == ParticipationKind.COUPON and participation.item_id in coupons:
            title = coupon_title(coupons[participation.item_id])
        else:  # a catalogue row that is gone: what the record itself says
            title = "、".join(participation.categories) or participation.item_id
        views.append(ParticipationView(participation, title))
    return views


def _rows(session: Session, model: Any, records: list[Participation], kind: str) -> list[Any]:
    ids = sorted({p.item_id for p in records if p.kind == kind})
    return list(session.exec(select(model).where(col(model.id).in_(ids)))) if ids else []


# --- the summary (what the consent item gives) -----------------------------------------------------------------


def window_start(on: date, months: int = HISTORY_MONTHS) -> date:
    """The first day of the `months` months ending on `on`: the day after the same day `months` earlier (clamped
    to the month's end). On 2026-11-26 the last 12 months are 2025-11-27 … 2026-11-26."""
    year, month_index = divmod(on.month - 1 - months, 12)
    year, month = on.year + year, month_index + 1
    return date(year, month, min(on.day, days_in_month(year, month))) + timedelta(days=1)


@dataclass(frozen=True)
class SummaryRow:
    """The columns a summary reads (a Participation has them too)."""

    kind: str
    item_id: str
    categories: list[str]
    occurred_on: date


def summarize(rows: Iterable[Any], on: date, months: int = HISTORY_MONTHS) -> dict[str, Any]:
    """{"counts": {category: times}, "attended_event_ids": [...]} over the rows in the window ending on `on`
    (sorted keys and ids, so equal histories are equal JSON). Pure: rows are Participation or SummaryRow."""
    start = window_start(on, months)
    counts: Counter[str] = Counter()
    attended: set[str] = set()
    for row in rows:
        if not start <= row.occurred_on <= on:
            continue
        counts.update(dict.fromkeys(row.categories or (), 1))
        if row.kind == ParticipationKind.EVENT:
            attended.add(row.item_id)
    return {"counts": {key: counts[key] for key in sorted(counts)}, "attended_event_ids": sorted(attended)}


def is_empty(summary: dict[str, Any]) -> bool:
    return not summary["counts"] and not summary["attended_event_ids"]


def history_rows(session: Session, resident_ids: Iterable[uuid.UUID], since: date,
                 until: date | None = None) -> dict[uuid.UUID, list[SummaryRow]]:
    """{resident id: the rows a summary reads, from `since` (through `until`)}, in one query; residents without
    rows are absent. The ids go as one array parameter on PostgreSQL (`app.db.in_values`)."""
    ids = list(dict.fromkeys(resident_ids))
    if not ids:
        return {}
    statement = (select(Participation.resident_id, Participation.kind, Participation.item_id, Participation.categories,
                        Participation.occurred_on)
                 .where(in_values(session, col(Participation.resident_id), ids), col(Participation.occurred_on) >= since))
    if until is not None:
        statement = statement.where(col(Participation.occurred_on) <= until)
    grouped: dict[uuid.UUID, list[SummaryRow]] = {}
    for resident_id, kind, item_id, categories, occurred_on in session.execute(statement):
        grouped.setdefault(resident_id, []).append(SummaryRow(kind, item_id, list(categories or ()), occurred_on))
    return grouped


def summary(session: Session, resident: Resident, on: date, months: int = HISTORY_MONTHS) -> dict[str, Any]:
    """The resident's history over the last `months` months ending on `on` (empty counts and ids without any)."""
    return summaries(session, [resident.id], on, months).get(resident.id) or summarize((), on, months)


def summaries(session: Session, resident_ids: Iterable[uuid.UUID], on: date,
              months: int = HISTORY_MONTHS) -> dict[uuid.UUID, dict[str, Any]]:
    """`summary` for many residents in one query: {resident id: summary}; a resident without records in the
    window is absent."""
    rows = history_rows(session, resident_ids, window_start(on, months), on)
    return {resident_id: summarize(found, on, months) for resident_id, found in rows.items()}
