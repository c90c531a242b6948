"""Monthly releases of EBPM aggregates (docs/ebpm.md, "Releases").

A release counts the households that consent to `kashiwa_ebpm × ebpm_statistics` when it is made, reads their items
as of the month's last day through the consent door (one provision record on each counted household's ledger,
naming the release), and keeps only the figures as they may be shown (app/disclosure/control.py). Who each cell
counted is kept inside the bank (`EbpmReleaseCell`), and a recomputation of a month is refused when a cell shown by
it and by an earlier release of the month counts households differing by 1–9: subtracting would show them.

One release holds every indicator of the month, so each counted household has one provision record per release:
the population the others are rates of (consenting households by 町丁目 group (exclusive), by 年齢クラス (one count per
class of the household's children: overlapping) and by number of children (exclusive)), and the uptake of each
service among the eligible households, also by whether the feed showed it (app/ebpm/uptake.py), participation around
a first recommendation and satisfaction (app/ebpm/outcomes.py).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from app import months
from app.accounts.models import Resident
from app.catalog.models import CatalogService
from app.consent import enforce
from app.disclosure import audit, control
from app.ebpm import outcomes, uptake
from app.ebpm.models import EbpmRelease, EbpmReleaseCell
from app.errors import DomainError

RECIPIENT = "kashiwa_ebpm"
PURPOSE = "ebpm_statistics"
MONTHLY = "monthly"  # the release's indicator: every table of the month
HOUSEHOLD_ITEMS = ("town_group", "age_classes", "children_count")
ITEMS = HOUSEHOLD_ITEMS + uptake.ITEMS + ("services_shown",) + outcomes.ITEMS
UNKNOWN = "unknown"
ALL = "all"  # the table of one cell: every counted household


class ReleaseUnsafe(DomainError):
    status = 500
    message = _l("A hidden figure of this release could be worked out from the others, so it was not made. "
                 "Please tell the operator.")


class ReleaseRefused(DomainError):
    status = 409
    message = _l("This release would differ from an earlier release of the same month by fewer than 10 households "
                 "in a figure, which would reveal them. It was not made.")


class RulesNotApproved(DomainError):
    """The release applies the eligibility rules (`eligible_services`): a profiling rule, which the data ethics board
    approves per version (G6, app/recommend/rules.py)."""

    status = 409
    message = _l("The eligibility rules this release applies await the data ethics board's approval of their current "
                 "version, so no release was made. The operator records the approval in the catalogue console.")


def previous_month(day: date) -> str:
    """The month before the one of `day` (the one a release made on `day` is about)."""
    return months.shift(months.month_key(day), -1)


# --- the figures ---------------------------------------------------------------------------------------------------


def children_bucket(count: int | None) -> str:
    if not count:
        return "0"
    return "3+" if count >= 3 else str(count)


def household_cells(values: Mapping[uuid.UUID, Mapping[str, Any]]) -> dict[str, dict[str, set[str]]]:
    """{table: {cell: the households (resident ids) it counts}} from each household's consented items. An item a
    household did not consent to counts as `unknown` in its table (it is still one of the households)."""
    cells: dict[str, dict[str, set[str]]] = {ALL: {ALL: set()}, "town_group": defaultdict(set),
                                             "age_classes": defaultdict(set), "children_count": defaultdict(set)}
    for resident_id, items in values.items():
        key = str(resident_id)
        cells[ALL][ALL].add(key)
        cells["town_group"][items.get("town_group") or UNKNOWN].add(key)
        if "children_count" in items:
            cells["children_count"][children_bucket(items["children_count"])].add(key)
        else:
            cells["children_count"][UNKNOWN].add(key)
        for label in dict.fromkeys(items.get("age_classes") or ()):
            cells["age_classes"][label].add(key)
    return {table: dict(found) for table, found in cells.items()}


EXCLUSIVE = (ALL, "town_group", "children_count")  # every counted household in exactly one cell


def _counts(cells: Mapping[str, Mapping[str, set[str]]], table: str) -> list[tuple[str, int]]:
    return sorted((key, len(members)) for key, members in cells[table].items())


def tables_of(cells: Mapping[str, Mapping[str, set[str]]]) -> dict[str, control.Table]:
    """The tables as they may be shown: exclusive ones with complementary suppression, overlapping ones over the
    households with children (one household may be in several classes)."""
    with_children = len(set().union(*cells["age_classes"].values())) if cells["age_classes"] else 0
    tables = {name: control.exclusive_table(_counts(cells, name)) for name in EXCLUSIVE}
    tables["age_classes"] = control.overlapping_table(_counts(cells, "age_classes"), with_children)
    return tables


def payload_of(tables: Mapping[str, control.Table]) -> dict[str, Any]:
    """What a release keeps of its tables (only the figures as they may be shown)."""
    return {name: {"total": table.total, "suppressed": table.suppressed, "exclusive": table.exclusive,
                   "cells": [{"key": str(cell.key), "count": cell.count, "percent": cell.percent}
                             for cell in table.cells]}
            for name, table in tables.items()}


# --- releases ------------------------------------------------------------------------------------------------------


def released_months(session: Session, indicator: str = MONTHLY) -> list[str]:
    """The months with a release, newest first."""
    return list(session.exec(select(EbpmRelease.month).where(EbpmRelease.indicator == indicator).distinct()
                             .order_by(col(EbpmRelease.month).desc())))


def kept(session: Session, month: str, indicator: str = MONTHLY) -> EbpmRelease | None:
    """The latest release of the month, if any."""
    return session.exec(select(EbpmRelease).where(EbpmRelease.month == month, EbpmRelease.indicator == indicator)
                        .order_by(col(EbpmRelease.version).desc())).first()


def release(session: Session, month: str, *, recompute: bool = False, now: datetime | None = None) -> EbpmRelease:
    """The month's release: the kept one, or (none kept, or `recompute`) made now.
    Raises ReleaseRefused, with nothing read or recorded, when a recomputation would difference an earlier release,
    and RulesNotApproved before anything is read when the eligibility rules' version has no approval."""
    earlier = kept(session, month)
    if earlier is not None and not recompute:
        return earlier
    from app.recommend import rules  # (the recommend package imports the consent and catalog ones, as this does)

    if not rules.gate(session).allows(rules.ELIGIBILITY):
        raise RulesNotApproved()
    with session.begin_nested():  # a refusal takes the reads and their ledger records back with it
        residents = list(session.exec(select(Resident).order_by(col(Resident.created_at), col(Resident.id))))
        read = enforce.use_recorded_many(
            session, residents=residents, recipient=RECIPIENT, purpose=PURPOSE, items=list(ITEMS), now=now,
            on=months.last_day(month), via={"release": "EBPM monthly release", "indicator": MONTHLY, "month": month,
                                      "version": str(earlier.version + 1 if earlier else 1)})
        values = {resident_id: values for resident_id, (values, _record) in read.items()}
        measured = set(session.exec(select(CatalogService.id).where(
            col(CatalogService.category).in_(uptake.MEASURED_CATEGORIES))))
        outcome_cells, outcome_pairs = outcomes.cells_and_values(values, month)
        cells = household_cells(values) | uptake.cells_of(values, month, measured) | outcome_cells
        tables = tables_of(cells)
        uptake_tables, uptake_exclusive = uptake.tables_of(cells)
        _audit({name: _counts(cells, name) for name in EXCLUSIVE} | uptake_exclusive, tables | uptake_tables)
        payload = payload_of(tables | uptake_tables) | outcomes.payload_of(outcome_pairs)
        _refuse_differencing(session, month, MONTHLY, cells, payload)
        made = EbpmRelease(month=month, indicator=MONTHLY, version=earlier.version + 1 if earlier else 1,
                           definition=",".join(ITEMS), households=len(read), payload=payload)
        session.add(made)
        session.flush()
        session.execute(sa.insert(EbpmReleaseCell), [
            {"release_id": made.id, "table_key": table, "cell_key": key, "members": sorted(members)}
            for table, found in cells.items() for key, members in found.items()])
    return made


def _audit(exclusive: Mapping[str, list[tuple[str, int]]], tables: Mapping[str, control.Table]) -> None:
    """ReleaseUnsafe unless every hidden cell of every exclusive table ({name: its true counts, in its order}) can be
    anything over a range of at least 10 given what is shown (app/disclosure/audit.py, by linear programming): the
    suppression rules' own proof, run on each release before it is kept."""
    for name, counts in exclusive.items():
        table = tables[name]
        if table.hidden_cells and not table.suppressed and not audit.protected(audit.feasible_ranges(counts, table)):
            raise ReleaseUnsafe()


def shown_cells(payload: Mapping[str, Any]) -> set[tuple[str, str]]:
    """The (table, cell) whose count a release shows (a hidden one is not known to its readers)."""
    return {(table, cell["key"]) for table, figures in payload.items() for cell in figures["cells"]
            if cell["count"] is not None}


def _refuse_differencing(session: Session, month: str, indicator: str, cells: Mapping[str, Mapping[str, set[str]]],
                         payload: Mapping[str, Any]) -> None:
    """ReleaseRefused when a cell shown by the new release and by an earlier release of the month counts
    households that differ by 1–9 (subtracting the two figures would be about them). A cell hidden in either is
    left out: its count was never known."""
    new_shown = shown_cells(payload)
    new = {(table, key): members for table, found in cells.items() for key, members in found.items()}
    for release in session.exec(select(EbpmRelease).where(EbpmRelease.month == month,
                                                          EbpmRelease.indicator == indicator)):
        both = shown_cells(release.payload) & new_shown
        rows = session.execute(select(EbpmReleaseCell.table_key, EbpmReleaseCell.cell_key, EbpmReleaseCell.members)
                               .where(EbpmReleaseCell.release_id == release.id))
        old = {(table, key): set(members) for table, key, members in rows}
        for cell in both:
            if 0 < len(old.get(cell, set()) ^ new.get(cell, set())) < control.THRESHOLD:
                raise ReleaseRefused()
