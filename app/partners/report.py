"""The partner's weekly report: how many people checked in at its events and used its coupons, by week and by the age
group of their youngest child, through the disclosure-control module (app/disclosure/control.py).

What it counts is the partner's own record of its scans and poster check-ins (`pass_scan`), never the residents'
participation history. The age group is the resident's data: it is read through the consent door, for the partner
and the purpose `partner_statistics` (item `age_bands`), only for residents who consented; the others are counted
as 「年齢区分の提供なし」. The door writes one provision record on the ledger of each resident it read.

So that viewing the report does not write a record at every visit, the report is a weekly release: computed once
per partner and week (on the first view from Monday on), over the eight complete weeks before, and kept
(`partner_report`, only the figures as they may be shown). A resident who withdraws consent is not read again;
releases already made stay as they were (they identify no one).

Tables, by the rules of app/disclosure/control.py: for each kind, people per week is an overlapping table (one
person may come in several weeks, so the weeks add up to nothing); each week's age groups are an exclusive table
whose total is that week's people (a week under 10 is hidden whole, its groups too).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts.models import Resident
from app.consent import enforce
from app.disclosure import control
from app.household.ages import AGE_BAND_LABEL_EN, AGE_BAND_LABEL_JA, AgeBand, japan_today
from app.partners.models import Partner, PartnerReport
from app.passes.models import PassScan, ScanAction

PURPOSE = "partner_statistics"
ITEM = "age_bands"
WEEKS = 8
JAPAN_OFFSET = timedelta(hours=9)
NOT_SHARED = "not_shared"
GROUPS = (*[band.value for band in AgeBand], NOT_SHARED)
KINDS = (ScanAction.CHECK_IN, ScanAction.REDEEM)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def group_label(key: str, language: str) -> str:
    if key == NOT_SHARED:
        return "年齢区分の提供なし" if language != "en" else "Age group not shared"
    band = AgeBand(key)
    return AGE_BAND_LABEL_EN[band] if language == "en" else AGE_BAND_LABEL_JA[band]


def youngest_group(bands: list[str] | None) -> str:
    """The age group of the household's youngest child, from the item's values ("unknown" and none: not shared)."""
    order = {band.value: i for i, band in enumerate(AgeBand)}
    known = [band for band in bands or () if band in order]
    return min(known, key=order.__getitem__) if known else NOT_SHARED


def _scans(session: Session, partner: Partner, start: date, end: date) -> list[tuple[uuid.UUID, str, date]]:
    """(resident, action, Japan date) of the partner's scans on days start … end - 1."""
    since = datetime.combine(start, datetime.min.time(), tzinfo=UTC) - JAPAN_OFFSET
    until = datetime.combine(end, datetime.min.time(), tzinfo=UTC) - JAPAN_OFFSET
    rows = session.exec(select(PassScan.resident_id, PassScan.action, PassScan.scanned_at)
                        .where(PassScan.partner_id == partner.id, col(PassScan.scanned_at) >= since,
                               col(PassScan.scanned_at) < until)).all()
    return [(resident_id, action, (at + JAPAN_OFFSET).date()) for resident_id, action, at in rows]


def _table_json(table: control.Table) -> dict[str, Any]:
    return {"total": table.total, "suppressed": table.suppressed,
            "cells": [{"key": str(cell.key), "count": cell.count} for cell in table.cells]}


def compute(session: Session, partner: Partner, week_of: date) -> dict[str, Any]:
    """The release for the week starting `week_of` (a Monday): the eight weeks before it, as they may be shown.
    Reads the age groups through the door (provision records for the residents read)."""
    weeks = [week_of - timedelta(weeks=n) for n in range(WEEKS, 0, -1)]
    scans = _scans(session, partner, weeks[0], week_of)
    ids = sorted({resident_id for resident_id, _action, _day in scans})
    residents = list(session.exec(select(Resident).where(col(Resident.id).in_(ids)))) if ids else []
    read = enforce.use_recorded_many(session, residents=residents, recipient=partner.key, purpose=PURPOSE,
                                     items=[ITEM], via={"report": "partner weekly report", "week": week_of.isoformat()})
    group_of = {resident.id: youngest_group((read.get(resident.id) or ({}, None))[0].get(ITEM)) for resident in residents}
    people: dict[str, dict[date, set[uuid.UUID]]] = {kind: defaultdict(set) for kind in KINDS}
    for resident_id, action, day in scans:
        people[action][monday(day)].add(resident_id)
    kinds: dict[str, Any] = {}
    for kind in KINDS:
        everyone = set().union(*people[kind].values()) if people[kind] else set()
        overview = control.overlapping_table([(week.isoformat(), len(people[kind][week])) for week in weeks], len(everyone))
        by_week = {}
        for week in weeks:
            counts = dict.fromkeys(GROUPS, 0)
            for resident_id in people[kind][week]:
                counts[group_of.get(resident_id, NOT_SHARED)] += 1
            by_week[week.isoformat()] = _table_json(control.exclusive_table(list(counts.items())))
        kinds[kind] = {"overview": _table_json(overview), "by_week": by_week}
    return {"week_of": week_of.isoformat(), "weeks": [week.isoformat() for week in weeks], "groups": list(GROUPS),
            "kinds": kinds, "consented": len(read)}


def release(session: Session, partner: Partner, today: date | None = None) -> PartnerReport:
    """This week's release for the partner: the kept one, or computed now and kept."""
    week_of = monday(today or japan_today())
    kept = session.exec(select(PartnerReport).where(PartnerReport.partner_id == partner.id,
                                                    PartnerReport.week_of == week_of)).first()
    if kept is not None:
        return kept
    try:
        # The reads (and their ledger records) and the release together: a colleague's view at the same moment
        # makes the release once, and the loser's records go with its savepoint.
        with session.begin_nested():
            report = PartnerReport(partner_id=partner.id, week_of=week_of, payload=compute(session, partner, week_of))
            session.add(report)
            session.flush()
    except IntegrityError:
        report = session.exec(select(PartnerReport).where(PartnerReport.partner_id == partner.id,
                                                          PartnerReport.week_of == week_of)).one()
    return report
