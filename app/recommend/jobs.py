"""Daily, early in the morning in Japan: compute and keep every resident's feed for the day, so that opening the
app reads a kept feed instead of computing one (and the day's processing records are written in one pass).

The daily job queues one job per part of the residents (by id), so that every worker process takes a share. A part
goes in chunks of residents, each chunk one transaction with the job's checkpoint: a killed worker resumes after
the last committed chunk, and a resident whose feed is already kept (computed by a visit, or by the killed run) is
skipped, so nobody gets two records for one day from this job.

A profiling rule without the data ethics board's approval of its version (security anchor G6) is not applied: the
part's result names it under `skipped_rules`, and its feeds are listed without personalisation (feed.compute_many).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.accounts.models import Resident
from app.db import insert_ignoring_conflicts, utcnow
from app.household.ages import japan_today
from app.jobs.registry import JobHandler, PeriodicTask
from app.jobs.runner import JobContext
from app.jobs.services import enqueue
from app.recommend.feed import Catalogue, compute_many
from app.recommend.models import RecommendFeed

KIND = "recommend.precompute_feeds"
PART_KIND = "recommend.precompute_feeds_part"
CHUNK = 500
# The day's residents are split into this many parts by id (random UUIDs: even parts), each its own job, so that
# every worker process takes a share: the batch uses as many cores as there are workers.
PARTS = 8

log = logging.getLogger(__name__)


def precompute(ctx: JobContext) -> dict[str, Any]:
    """The day's batch: drop earlier days' feeds (never shown again) and queue one job per part."""
    day = date.fromisoformat(ctx.payload["day"]) if ctx.payload.get("day") else japan_today()
    ctx.session.execute(sa.delete(RecommendFeed).where(col(RecommendFeed.day) < day))
    for part in range(PARTS):
        enqueue(ctx.session, PART_KIND, {"day": day.isoformat(), "part": part, "parts": PARTS},
                started_by=f"job:{ctx.job.id}", unique_key=f"{PART_KIND}@{day.isoformat()}#{part}/{PARTS}")
    return {"day": day.isoformat(), "parts": PARTS}


def precompute_part(ctx: JobContext) -> dict[str, Any]:
    day = date.fromisoformat(ctx.payload["day"])
    low, high = part_bounds(ctx.payload["part"], ctx.payload["parts"])

    def save(after: uuid.UUID, computed: int) -> None:
        ctx.save(stage="computing", checkpoint={"after": str(after), "computed": computed})

    after = ctx.checkpoint.get("after")
    catalogue = Catalogue.read(ctx.session)
    computed = precompute_feeds(ctx.session, day, after=uuid.UUID(after) if after else None, low=low, high=high,
                                computed=ctx.checkpoint.get("computed", 0), save=save, catalogue=catalogue)
    ctx.save(progress=100, stage="done")
    result: dict[str, Any] = {"day": day.isoformat(), "part": ctx.payload["part"], "computed": computed}
    if catalogue.gate.unapproved:
        # Not an error: the feeds are kept, listed without personalisation, until the board's approval is recorded.
        result["skipped_rules"] = list(catalogue.gate.unapproved)
        log.warning("recommend.precompute_feeds: profiling rules without approval skipped: %s",
                    ", ".join(catalogue.gate.unapproved))
    return result


def part_bounds(part: int, parts: int) -> tuple[uuid.UUID, uuid.UUID | None]:
    """The ids of part `part` of `parts`: from the first bound (inclusive) to the next (exclusive; None: the end)."""
    span = (1 << 128) // parts
    return uuid.UUID(int=part * span), (uuid.UUID(int=(part + 1) * span) if part + 1 < parts else None)


def precompute_feeds(db: Session, day: date, *, after: uuid.UUID | None = None, low: uuid.UUID | None = None,
                     high: uuid.UUID | None = None, computed: int = 0,
                     save: Callable[[uuid.UUID, int], None] | None = None, catalogue: Catalogue | None = None) -> int:
    """Compute and keep the feed of every resident without one for `day` whose id is in [low, high) and after
    `after`; `save` commits each chunk (the job's checkpoint). Returns how many feeds were computed, `computed`
    included. `catalogue`: as read by the caller (with the profiling rules' gate), else read here."""
    catalogue = _with_shared_memo(catalogue or Catalogue.read(db), day)
    while residents := _next_chunk(db, day, after, low, high):
        keep_feeds(db, compute_many(db, residents, day, catalogue), day)
        after, computed = residents[-1].id, computed + len(residents)
        if save is not None:
            save(after, computed)
    return computed


# The eligibility memo outlives a part: a worker process takes several parts of the day, and most children of a
# later part were born on a day an earlier part already asked about. Dropped when the day or any service changes.
_SHARED_MEMO: dict[str, Any] = {}


def _with_shared_memo(catalogue: Catalogue, day: date) -> Catalogue:
    key = (day, catalogue.services)  # the services' plain copies compare by every column
    if _SHARED_MEMO.get("key") != key:
        _SHARED_MEMO.clear()
        _SHARED_MEMO.update(key=key, memo={})
    catalogue.memo = _SHARED_MEMO["memo"]
    return catalogue


def _next_chunk(db: Session, day: date, after: uuid.UUID | None, low: uuid.UUID | None = None,
                high: uuid.UUID | None = None) -> list[Resident]:
    """The next residents by id without a feed for `day`."""
    kept = select(RecommendFeed.id).where(col(RecommendFeed.resident_id) == col(Resident.id), RecommendFeed.day == day)
    statement = select(Resident).where(~kept.exists()).order_by(col(Resident.id)).limit(CHUNK)
    if after is not None:
        statement = statement.where(col(Resident.id) > after)
    if low is not None:
        statement = statement.where(col(Resident.id) >= low)
    if high is not None:
        statement = statement.where(col(Resident.id) < high)
    return list(db.exec(statement))


def keep_feeds(db: Session, feeds: dict[uuid.UUID, dict[str, Any]], day: date) -> None:
    """Insert the feeds; one already kept for the resident and day (a visit at the same moment) stays."""
    if not feeds:
        return
    now = utcnow()
    db.execute(insert_ignoring_conflicts(db, RecommendFeed, "resident_id", "day"),
               [{"resident_id": resident_id, "day": day, "payload": payload, "computed_at": now}
                for resident_id, payload in feeds.items()])


JOB_HANDLERS = [JobHandler(KIND, precompute), JobHandler(PART_KIND, precompute_part)]
# Once a day at 04:00 in Japan (19:00 UTC), after the catalogue's overnight edits and before anyone's morning.
PERIODIC_TASKS = [PeriodicTask(KIND, every=timedelta(days=1), offset=timedelta(hours=19), max_attempts=5)]
