"""Catalogue rows for the ranking tests: the shipped file as SimpleNamespace rows (the loader's own value functions,
so the rows have exactly CatalogEvent's / CatalogCoupon's / CatalogVenue's attributes), and builders for made-up ones.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

from app.catalog.services import (
    CATALOG_FILE,
    LABELS_FILE,
    coupon_values,
    event_values,
    store_category_names,
    venue_values,
)

JST = timezone(timedelta(hours=9))
CATALOG: dict[str, Any] = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
_CATEGORY_NAMES = store_category_names(CATALOG, json.loads(LABELS_FILE.read_text(encoding="utf-8")))

VENUES = tuple(SimpleNamespace(**venue_values(record)) for record in CATALOG["venues"])
EVENTS = tuple(SimpleNamespace(**event_values(record)) for record in CATALOG["events"])
COUPONS = tuple(SimpleNamespace(**coupon_values(record, _CATEGORY_NAMES)) for record in CATALOG["coupons"])
EVENTS_BY_ID = {event.id: event for event in EVENTS}
COUPONS_BY_ID = {coupon.id: coupon for coupon in COUPONS}

# 柏の葉キャンパス駅 and a point about 4 km south-east of it (柏駅 side), outside the 3 km ring.
STATION = (35.893419, 139.952506)
OUTSIDE_RING = (35.862, 139.971)


def venue(venue_id: str, lat: float | None = STATION[0], lng: float | None = STATION[1],
          precision_m: int | None = 30) -> SimpleNamespace:
    return SimpleNamespace(id=venue_id, lat=lat, lng=lng, coord_precision_m=precision_m)


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=JST)


def event(event_id: str, venue_id: str = "v_test", *, start: datetime | None = None, end: datetime | None = None,
          min_months: int | None = 0, max_months: int | None = None, tags: tuple[str, ...] = ("indoor",),
          grades: dict[str, str] | None = None, recurrence: str | None = None, parent_focused: bool = False,
          requires_multiples: bool = False, expectant: bool = False) -> SimpleNamespace:
    return SimpleNamespace(
        id=event_id, venue_id=venue_id, starts_at=start, ends_at=end, recurrence=recurrence,
        target_age_min_months=min_months, target_age_max_months_exclusive=max_months, target_grades=grades,
        tags=list(tags), parent_focused=parent_focused, requires_multiples=requires_multiples,
        includes_expectant_parents=expectant,
    )


def coupon(coupon_id: str, venue_id: str = "v_test", *, category: str = "cafe", min_months: int | None = 0,
           max_months: int | None = None, trigger: str | None = None, valid_from: date | None = None,
           valid_to: date | None = None, parent_focused: bool = False) -> SimpleNamespace:
    return SimpleNamespace(
        id=coupon_id, venue_id=venue_id, merchant_category=category, merchant_category_ja="カフェ",
        merchant_category_en="Café", target_age_min_months=min_months, target_age_max_months_exclusive=max_months,
        trigger=trigger, parent_focused=parent_focused, valid_from=valid_from, valid_to=valid_to,
    )
