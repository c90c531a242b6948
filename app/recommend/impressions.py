"""What the feed showed each resident, kept per item and month (`RecommendImpression`): the evidence for 柏市's
"shown vs used" and participation-uplift statistics, read only through the consent door (app/consent/items.py).

A service counts as shown when its card says it is for the household now or soon (eligible, soon, to check); events
and coupons when their card is listed. Recording is the bank's note of its own output: one statement per page,
a row already there for the month left as it is.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

from sqlmodel import Session, col, select

from app.db import in_values, insert_ignoring_conflicts
from app.months import month_key
from app.recommend.models import RecommendImpression

SHOWN_STATUSES = ("eligible", "soon", "check")


class Shown(NamedTuple):
    kind: str
    item_id: str
    categories: tuple[str, ...]


class Impression(NamedTuple):
    kind: str
    item_id: str
    categories: list[str]
    month: str
    first_shown_on: date


def record(session: Session, resident_id: uuid.UUID, shown: Iterable[Shown], on: date) -> None:
    """That the feed showed these items on `on` (a row of the month already there is left as it is)."""
    record_days(session, resident_id, [(item, on) for item in dict.fromkeys(shown)])


def record_days(session: Session, resident_id: uuid.UUID, shown: Iterable[tuple[Shown, date]]) -> None:
    """`record` for items shown on different days, in one statement (the earliest day of a month first)."""
    rows = [{"resident_id": resident_id, "kind": item.kind, "item_id": item.item_id,
             "categories": list(item.categories), "month": month_key(day), "first_shown_on": day}
            for item, day in sorted(shown, key=lambda pair: pair[1])]
    if rows:
        session.execute(insert_ignoring_conflicts(session, RecommendImpression, "resident_id", "kind", "item_id",
                                                  "month"), rows)


def impression_rows(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Impression]]:
    """{resident id: their impressions} in one query (the consent items' loader)."""
    rows = session.exec(select(RecommendImpression).where(in_values(session, col(RecommendImpression.resident_id), ids)))
    found: dict[uuid.UUID, list[Impression]] = defaultdict(list)
    for row in rows:
        found[row.resident_id].append(Impression(row.kind, row.item_id, list(row.categories), row.month,
                                                 row.first_shown_on))
    return found


def shown_of(services: Any, events: Iterable[Any], coupons: Iterable[Any]) -> list[Shown]:
    """What a feed page listed: `services` {status: cards}, then the event and coupon cards (each card has its
    kind, id and categories)."""
    cards = [card for status in SHOWN_STATUSES for card in services.get(status, ())] + [*events, *coupons]
    return [Shown(card.kind, card.id, tuple(card.categories)) for card in cards]
