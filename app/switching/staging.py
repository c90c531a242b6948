"""Staging: what arrives for a job (from the source's API, the intake API or the stored export) becomes its items.

Each interchange item of a chosen kind is converted to the destination's format and kept as canonical JSON with
its digest, once per id (a repeated push or page changes nothing). An item the format cannot take is kept as its
id and kind only, so the report can count it as lost. Nothing here reads a resident's stored data: that is
`app/consent/transfers.py`, which hands its batches to `stage_items`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from app.switching import canonical
from app.switching.converters import converter_for
from app.switching.models import TransferItem, TransferJob
from app.switching.sources import google_api, ids

MAX_ITEM_ID = 300


def stage_items(session: Session, job: TransferJob, items: Iterable[dict[str, Any]], *,
                kinds: Iterable[str] | None = None) -> set[str]:
    """Convert and keep the job's kinds (or those of them in `kinds`) among `items` (interchange dicts); returns the
    ids that were new (a repeat changes nothing)."""
    converter = converter_for(job.format)
    chosen = set(job.kinds) & set(kinds if kinds is not None else job.kinds)
    rows: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    for item in items:
        kind = item.get("kind")
        if kind not in chosen:
            skipped[str(kind)] += 1
            continue
        converted = converter.convert(item)
        item_id = converted["id"] if converted is not None else ids.delivered_id(item)
        if len(item_id) > MAX_ITEM_ID:
            skipped["id_too_long"] += 1
            continue
        if converted is None:
            rows.append({"job_id": job.id, "item_id": item_id, "kind": kind, "taken": False})
            continue
        try:
            body = canonical.canonical(converted)
        except canonical.NotCanonical:  # a value JSON cannot carry exactly (a lone surrogate …): left out, counted
            skipped["not_canonical"] += 1
            continue
        rows.append({"job_id": job.id, "item_id": item_id, "kind": kind, "taken": True,
                     "sha256": canonical.digest(converted), "body": body.decode("utf-8"), "size": len(body)})
    _count(job, "skipped", skipped)
    return _insert_new(session, rows)


def stage_google(session: Session, job: TransferJob, resources: Iterable[dict[str, Any]], *,
                 kinds: Iterable[str] | None = None) -> tuple[int, int]:
    """Google API-shaped resources (pulled, or pushed to the intake API) → interchange items → staged. A resource
    counts as new when its first item is (a timeline visit brings its child visits along). Returns (new, repeated);
    what was new is added to the job's `intake_counts` per Google kind, so a source's stated totals can be checked."""
    per_resource: list[tuple[str, list[dict[str, Any]]]] = []
    unsupported: Counter[str] = Counter()
    unreadable: Counter[str] = Counter()
    for resource in resources:
        native = str(resource.get("kind", ""))[:40]
        try:
            per_resource.append((native, google_api.to_interchange_all(resource)))
        except google_api.AdapterError as error:
            unsupported[f"{error.code}:{native}"] += 1
            unreadable[native] += 1
    _count(job, "skipped", unsupported)
    # A record we cannot read still arrived: the source's totals count it (the report lists it as skipped).
    _count(job, "intake_counts", unreadable)
    new_ids = stage_items(session, job, [item for _native, items in per_resource for item in items], kinds=kinds)
    arrived: Counter[str] = Counter(native for native, items in per_resource if ids.delivered_id(items[0]) in new_ids)
    _count(job, "intake_counts", arrived)
    new = sum(arrived.values())
    return new, len(per_resource) + sum(unsupported.values()) - new


def _count(job: TransferJob, field: str, more: Counter[str]) -> None:
    if more:
        current: dict[str, int] = dict(getattr(job, field))
        setattr(job, field, {**current, **{key: current.get(key, 0) + n for key, n in more.items()}})


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    insert: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(TransferItem)
    new: set[str] = set()
    for start in range(0, len(rows), 500):
        result = session.execute(insert.values(rows[start:start + 500]).on_conflict_do_nothing(
            index_elements=["job_id", "item_id"]).returning(TransferItem.item_id))
        new.update(item_id for (item_id,) in result)
    return new


def counts(session: Session, job: TransferJob) -> dict[str, dict[str, int]]:
    """{"taken": {kind: n}, "lost": {kind: n}, "bytes": {kind: n}} of what is staged."""
    found: dict[str, dict[str, int]] = {"taken": {}, "lost": {}, "bytes": {}}
    rows = session.execute(select(TransferItem.kind, TransferItem.taken, func.count(), func.coalesce(func.sum(
        TransferItem.size), 0)).where(TransferItem.job_id == job.id).group_by(TransferItem.kind, TransferItem.taken))
    for kind, taken, number, size in rows:
        found["taken" if taken else "lost"][kind] = int(number)
        if taken:
            found["bytes"][kind] = int(size)
    return found


def manifest_entries(session: Session, job: TransferJob, *, released_only: bool = False) -> list[dict[str, str]]:
    """The manifest's items (id and digest of each taken item, or of those the consent door released), sorted by
    id; no body is read."""
    query = select(TransferItem.item_id, TransferItem.sha256).where(TransferItem.job_id == job.id,
                                                                    col(TransferItem.taken))
    rows = session.execute(query.where(col(TransferItem.released)) if released_only else query)
    # Sorted here, not in SQL: PostgreSQL's collation would order the ids differently from the destinations.
    return sorted(({"id": item_id, "sha256": sha} for item_id, sha in rows), key=lambda entry: entry["id"])


def purge(session: Session, job: TransferJob) -> int:
    result = session.execute(sa.delete(TransferItem).where(col(TransferItem.job_id) == job.id))
    return int(getattr(result, "rowcount", 0) or 0)
