"""The resident's feed: 柏市's services with their status, and Kashiwa-no-ha events and coupons, computed by the
bank as its own processing under the resident's mandate (recipient `azukari`).

Everything about the resident is read through the consent door (`enforce.use_recorded`), once per purpose and
day: the feed is kept per resident and day (`RecommendFeed`), so one computation is one processing record per
purpose. What the resident did not consent to is not read; the feed then works with what it may use and says,
per part, which items it used and which it is missing. A withdrawal drops the day's feed (`invalidate`), so the
next view is computed again without the withdrawn items.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.accounts.models import Resident
from app.catalog.models import CatalogCoupon, CatalogEvent, CatalogService, CatalogVenue
from app.consent import enforce
from app.consent.models import BANK
from app.household.ages import BirthDate
from app.recommend.eligibility import evaluate
from app.recommend.household import ChildInput, HouseholdInput
from app.recommend.models import RecommendFeed
from app.recommend.ranking import score_coupons, score_events
from app.recommend.ranking_types import RankingInput

SERVICES_PURPOSE = "municipal_recommendation"
EVENTS_PURPOSE = "event_recommendation"
# What each part would like to read; the door returns only what is consented to now.
SERVICE_ITEMS = ("birth_dates", "home_town")
EVENT_ITEMS = ("birth_dates", "age_bands", "home_town", "health_score")
FEED_LIMIT = 10


def parse_birth(text: str) -> BirthDate:
    parts = [int(part) for part in text.split("-")]
    return BirthDate(parts[0], parts[1], parts[2] if len(parts) > 2 else None)


def _read(session: Session, resident: Resident, purpose: str, items: tuple[str, ...]) -> tuple[dict[str, Any], int | None]:
    """The consented values of `items` for the bank's `purpose`, and the processing record's number (None when
    nothing may be read: no record is written then)."""
    try:
        values, record = enforce.use_recorded(session, resident=resident, recipient=BANK, purpose=purpose, items=items,
                                              via={"method": "recommendation_feed"})
    except enforce.ConsentRequired:
        return {}, None
    return values, record.seq


def _household(values: dict[str, Any]) -> HouseholdInput:
    place = values.get("home_town") or {}
    births = tuple(ChildInput(parse_birth(text)) for text in values.get("birth_dates") or ())
    return HouseholdInput(children=births, city=place.get("city"), town=place.get("town"))


def compute(session: Session, resident: Resident, on: date) -> dict[str, Any]:
    """The feed as JSON-ready data (what is stored and rendered)."""
    service_values, service_record = _read(session, resident, SERVICES_PURPOSE, SERVICE_ITEMS)
    event_values, event_record = _read(session, resident, EVENTS_PURPOSE, EVENT_ITEMS)
    household = _household(service_values)
    services = session.exec(select(CatalogService).order_by(CatalogService.id)).all()
    results = evaluate(services, household, on) if "birth_dates" in service_values else []
    place = event_values.get("home_town") or {}
    births = tuple(parse_birth(text) for text in event_values.get("birth_dates") or ()) or None
    bands = tuple(event_values.get("age_bands") or ()) or None
    ranking_input = RankingInput(birth_dates=births, age_bands=None if births else bands, town=place.get("town"),
                                 city=place.get("city"), health_score=event_values.get("health_score"))
    venues = session.exec(select(CatalogVenue).order_by(CatalogVenue.id)).all()
    events = score_events(session.exec(select(CatalogEvent).order_by(CatalogEvent.id)).all(), venues, ranking_input, on,
                          FEED_LIMIT) if event_record is not None else []
    coupons = score_coupons(session.exec(select(CatalogCoupon).order_by(CatalogCoupon.id)).all(), venues,
                            ranking_input, on, FEED_LIMIT) if event_record is not None else []
    return _as_json({
        "day": on.isoformat(),
        "services": {
            "results": [_service_dict(result) for result in results],
            "used": _held(service_values), "missing": [k for k in SERVICE_ITEMS if k not in service_values],
            "record": service_record,
        },
        "events": {
            "ranked": [_ranked_dict(item) for item in events], "coupons": [_ranked_dict(item) for item in coupons],
            "used": _held(event_values), "missing": [k for k in EVENT_ITEMS if k not in event_values
                                                      and not (k == "age_bands" and births)],
            "record": event_record,
        },
    })


def _as_json(payload: dict[str, Any]) -> dict[str, Any]:
    """Exactly what the JSON column gives back (tuples become lists), so a kept feed equals a fresh one."""
    return json.loads(json.dumps(payload, ensure_ascii=False))


def _held(values: dict[str, Any]) -> list[str]:
    """The consented items that had something to use (a consented health score the bank does not hold is not
    "used"; it is not "missing" either: consent is not what it lacks)."""
    return sorted(key for key, value in values.items() if value not in (None, [], {}, ""))


def _service_dict(result: Any) -> dict[str, Any]:
    data = asdict(result)
    data["status"] = str(result.status)
    data["soon_from"] = result.soon_from.isoformat() if result.soon_from else None
    data["last_checked"] = result.last_checked.isoformat() if result.last_checked else None
    data["check_reasons"] = [str(code) for code in result.check_reasons]
    return data


def _ranked_dict(item: Any) -> dict[str, Any]:
    return {"id": item.item_id, "kind": item.kind, "score": round(item.score, 4), "venue_id": item.venue_id,
            "reasons": [{"ja": r.ja, "en": r.en, "code": r.code} for r in item.reasons],
            "used": list(item.used), "missing": list(item.missing)}


def feed_for(session: Session, resident: Resident, on: date) -> dict[str, Any]:
    """Today's feed: the kept one, or computed (with its processing records) and kept."""
    kept = session.exec(select(RecommendFeed).where(RecommendFeed.resident_id == resident.id,
                                                    RecommendFeed.day == on)).first()
    if kept is not None:
        return kept.payload
    payload = compute(session, resident, on)
    try:
        with session.begin_nested():
            session.add(RecommendFeed(resident_id=resident.id, day=on, payload=payload))
    except IntegrityError:  # computed at the same moment by another request: theirs is as good
        pass
    return payload


def invalidate(session: Session, resident_id: Any) -> None:
    """Forget the resident's kept feeds (after a withdrawal or a change to the household)."""
    session.execute(delete(RecommendFeed).where(RecommendFeed.resident_id == resident_id))  # type: ignore[arg-type]

