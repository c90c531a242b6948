"""The feed's parts when their profiling rule has no approval of the data ethics board (security anchor G6,
app/recommend/rules.py): the same catalogue, listed without anything about the household.

Services are listed by category (status `listed`: no eligibility is claimed); events by their next date, coupons by
the end of their validity. Only facts about the items filter them: over, expired or not yet valid, a venue outside
the 3 km ring, a birthday coupon (which needs a birthday to mean anything). The dicts have the shapes of
`feed._service_dict` and `feed._ranked_dict`, with nothing used and nothing missing (a consent would change
nothing while the rule waits).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from app.household.address import EVENTS_RING_KM, station_distance_km
from app.recommend.ranking import HORIZON_DAYS
from app.recommend.ranking_age import parse_trigger
from app.recommend.ranking_events import next_occurrence
from app.recommend.ranking_text import date_en, date_ja

LISTED = "listed"  # a service's status when no eligibility rule was applied


def _in_ring(venues: Iterable[Any]) -> set[str]:
    return {venue.id for venue in venues if venue.lat is not None and venue.lng is not None
            and station_distance_km(venue.lat, venue.lng) <= EVENTS_RING_KM}


def services(rows: Iterable[Any], on: date) -> list[dict[str, Any]]:
    """Every service not ended by `on`, by category."""
    listed = sorted((row for row in rows if row.valid_until is None or row.valid_until >= on),
                    key=lambda row: (row.category, row.id))
    return [{"service_id": row.id, "status": LISTED, "soon_from": None, "check_reasons": [], "reasons": [],
             "child_indexes": [], "source_url": row.source_url,
             "last_checked": row.last_checked.isoformat() if row.last_checked else None} for row in listed]


def _item(item_id: str, kind: str, venue_id: str, reasons: list[dict[str, str]]) -> dict[str, Any]:
    return {"id": item_id, "kind": kind, "score": 0.0, "venue_id": venue_id, "reasons": reasons, "used": [],
            "missing": []}


def events(rows: Iterable[Any], venues: Iterable[Any], on: date, limit: int) -> list[dict[str, Any]]:
    """The events still ahead (or on) at venues in the ring, soonest first."""
    ring, found = _in_ring(venues), []
    for row in rows:
        occurrence = next_occurrence(row.starts_at, row.ends_at, row.recurrence, on, HORIZON_DAYS)
        if row.venue_id in ring and occurrence is not None:
            found.append((occurrence.day, row.id, row.venue_id, occurrence))
    found.sort(key=lambda entry: (entry[0], entry[1]))
    return [_item(item_id, "event", venue_id, [dict(zip(("ja", "en"), occurrence.describe(), strict=True),
                                                     code="date")])
            for _day, item_id, venue_id, occurrence in found[:limit]]


def coupons(rows: Iterable[Any], venues: Iterable[Any], on: date, limit: int) -> list[dict[str, Any]]:
    """The coupons valid on `on` at venues in the ring, those ending first first (open-ended ones last)."""
    ring = _in_ring(venues)
    valid = [row for row in rows if row.venue_id in ring and not (row.valid_from and row.valid_from > on)
             and not (row.valid_to and row.valid_to < on) and (parse_trigger(row.trigger or "") or ("",))[0] != "birthday"]
    valid.sort(key=lambda row: (row.valid_to or date.max, row.id))
    return [_item(row.id, "coupon", row.venue_id,
                  [{"ja": f"{date_ja(row.valid_to)}まで使えます。", "en": f"Valid until {date_en(row.valid_to)}.",
                    "code": "validity"}] if row.valid_to else [])
            for row in valid[:limit]]
