"""The resident's feed: 柏市's services with their status, and Kashiwa-no-ha events and coupons, computed by the
bank as its own processing under the resident's mandate (recipient `azukari`).

Everything about the resident is read through the consent door (`enforce.use_recorded`), once per purpose and
day: the feed is kept per resident and day (`RecommendFeed`), so one computation is one processing record per
purpose. What the resident did not consent to is not read; the feed then works with what it may use and says,
per part, which items it used and which it is missing. A withdrawal drops the day's feed (`invalidate`), so the
next view is computed again without the withdrawn items.

A part whose profiling rule has no recorded approval of the data ethics board (security anchor G6; app/recommend/
rules.py) reads nothing and is listed without personalisation (`personalised: false`; app/recommend/unpersonalised.py):
`compute_many` is the one place that decides it, for visits and the daily batch alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from app.accounts.models import Resident
from app.catalog.models import CatalogCoupon, CatalogEvent, CatalogService, CatalogVenue, ListingStatus
from app.consent import enforce
from app.consent.models import BANK
from app.household.ages import BirthDate
from app.recommend import rules, unpersonalised
from app.recommend.eligibility import evaluate
from app.recommend.household import ChildInput, HouseholdInput
from app.recommend.models import RecommendFeed
from app.recommend.ranking import score_coupons, score_events
from app.recommend.ranking_types import History, RankingInput
from app.recommend.usage_history import annotate as annotate_usage

SERVICES_PURPOSE = "municipal_recommendation"
EVENTS_PURPOSE = "event_recommendation"
# What each part would like to read; the door returns only what is consented to now.
SERVICE_ITEMS = ("birth_dates", "home_town")
# Read with them when consented, never listed as missing (nothing to urge: it exists only once the resident asked
# 柏市 for their records): a service already used says so, and a check-up done is no longer urged.
SERVICE_EXTRA_ITEMS = ("service_usage_history",)
EVENT_ITEMS = ("birth_dates", "age_bands", "home_town", "health_score", "participation_history")
FEED_LIMIT = 10


def parse_birth(text: str) -> BirthDate:
    parts = [int(part) for part in text.split("-")]
    return BirthDate(parts[0], parts[1], parts[2] if len(parts) > 2 else None)


def _read(session: Session, residents: Sequence[Resident], purpose: str,
          items: tuple[str, ...]) -> dict[uuid.UUID, tuple[dict[str, Any], int]]:
    """{resident id: (the consented values of `items` for the bank's `purpose`, the processing record's number)};
    a resident who may give nothing is left out (no record is written for them)."""
    used = enforce.use_recorded_many(session, residents=residents, recipient=BANK, purpose=purpose, items=items,
                                     via={"method": "recommendation_feed"})
    return {resident_id: (values, record.seq) for resident_id, (values, record) in used.items()}


def _household(values: dict[str, Any]) -> HouseholdInput:
    place = values.get("home_town") or {}
    births = tuple(ChildInput(parse_birth(text)) for text in values.get("birth_dates") or ())
    return HouseholdInput(children=births, city=place.get("city"), town=place.get("town"))


@dataclass
class Catalogue:
    """The catalogue rows a feed is computed from, read once per batch as plain copies (the engines read their
    attributes hundreds of thousands of times; an ORM attribute read costs more than a plain one), the profiling
    rules the board approved (`gate`, read with them), and the eligibility memo shared by the batch's households
    (children born on the same day get the same answer)."""

    services: list[Any]
    venues: list[Any]
    events: list[Any]
    coupons: list[Any]
    gate: rules.Gate
    memo: dict[Any, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, session: Session) -> Catalogue:
        """Only published events and coupons: a partner's draft or withdrawn listing reaches no resident."""
        def rows(model: Any, published_only: bool = False) -> list[SimpleNamespace]:
            statement = select(model).order_by(model.id)
            if published_only:
                statement = statement.where(model.status == ListingStatus.PUBLISHED)
            return _plain(session.exec(statement))

        return cls(rows(CatalogService), rows(CatalogVenue), rows(CatalogEvent, True), rows(CatalogCoupon, True),
                   rules.gate(session))


def _plain(rows: Iterable[SQLModel]) -> list[SimpleNamespace]:
    return [SimpleNamespace(**{column.key: getattr(row, column.key) for column in sa.inspect(row).mapper.column_attrs})
            for row in rows]


def compute(session: Session, resident: Resident, on: date) -> dict[str, Any]:
    """The feed as JSON-ready data (what is stored and rendered)."""
    return compute_many(session, [resident], on)[resident.id]


def compute_many(session: Session, residents: Sequence[Resident], on: date,
                 catalogue: Catalogue | None = None) -> dict[uuid.UUID, dict[str, Any]]:
    """`compute` for many residents: two reads through the consent door for all of them (one record per resident
    and purpose), then each feed. The G6 gate: a part whose profiling rule is not approved reads nothing (no
    processing record) and is listed the same for everyone."""
    catalogue = catalogue or Catalogue.read(session)
    eligibility, ranking = catalogue.gate.allows(rules.ELIGIBILITY), catalogue.gate.allows(rules.FEED_RANKING)
    service_reads = (_read(session, residents, SERVICES_PURPOSE, SERVICE_ITEMS + SERVICE_EXTRA_ITEMS) if eligibility
                     else {})
    event_reads = _read(session, residents, EVENTS_PURPOSE, EVENT_ITEMS) if ranking else {}
    listed_services = None if eligibility else _unpersonalised_services(catalogue, on)
    listed_events = None if ranking else _unpersonalised_events(catalogue, on)
    return {resident.id: {
        "day": on.isoformat(),
        "services": _services(catalogue, service_reads.get(resident.id), on) if eligibility else listed_services,
        "events": _events(catalogue, event_reads.get(resident.id), on) if ranking else listed_events,
    } for resident in residents}


def _unpersonalised_services(catalogue: Catalogue, on: date) -> dict[str, Any]:
    return {"results": unpersonalised.services(catalogue.services, on), "used": [], "missing": [], "record": None,
            "personalised": False}


def _unpersonalised_events(catalogue: Catalogue, on: date) -> dict[str, Any]:
    return {"ranked": unpersonalised.events(catalogue.events, catalogue.venues, on, FEED_LIMIT),
            "coupons": unpersonalised.coupons(catalogue.coupons, catalogue.venues, on, FEED_LIMIT),
            "used": [], "missing": [], "record": None, "personalised": False}


def _services(catalogue: Catalogue, service_read: tuple[dict[str, Any], int] | None, on: date) -> dict[str, Any]:
    service_values, service_record = service_read or ({}, None)
    household = _household(service_values)
    results = evaluate(catalogue.services, household, on, memo=catalogue.memo) if "birth_dates" in service_values else []
    # JSON-native as built (lists, strings, numbers): a kept feed read back equals a fresh one, which a test checks.
    return {
        "results": annotate_usage([_service_dict(result) for result in results],
                                  service_values.get("service_usage_history"),
                                  list(service_values.get("birth_dates") or ())),
        "used": _held(service_values), "missing": [k for k in SERVICE_ITEMS if k not in service_values],
        "record": service_record, "personalised": True,
    }


def _events(catalogue: Catalogue, event_read: tuple[dict[str, Any], int] | None, on: date) -> dict[str, Any]:
    event_values, event_record = event_read or ({}, None)
    place = event_values.get("home_town") or {}
    births = tuple(parse_birth(text) for text in event_values.get("birth_dates") or ()) or None
    bands = tuple(event_values.get("age_bands") or ()) or None
    ranking_input = RankingInput(birth_dates=births, age_bands=None if births else bands, town=place.get("town"),
                                 city=place.get("city"), health_score=event_values.get("health_score"),
                                 history=_history(event_values))
    events = score_events(catalogue.events, catalogue.venues, ranking_input, on, FEED_LIMIT) if event_read else []
    coupons = score_coupons(catalogue.coupons, catalogue.venues, ranking_input, on, FEED_LIMIT) if event_read else []
    return {
        "ranked": [_ranked_dict(item) for item in events], "coupons": [_ranked_dict(item) for item in coupons],
        "used": _held(event_values), "missing": [k for k in EVENT_ITEMS if k not in event_values
                                                  and not (k == "age_bands" and births)],
        "record": event_record, "personalised": True,
    }


def _history(values: dict[str, Any]) -> History | None:
    """The participation history when consented to (empty when there is none yet: it was read, nothing matched)."""
    if "participation_history" not in values:
        return None
    summary = values["participation_history"] or {}
    return History(counts=dict(summary.get("counts") or {}),
                   attended_event_ids=frozenset(summary.get("attended_event_ids") or ()))


def _held(values: dict[str, Any]) -> list[str]:
    """The consented items that had something to use (a consented health score the bank does not hold is not
    "used"; it is not "missing" either: consent is not what it lacks)."""
    return sorted(key for key, value in values.items() if value not in (None, [], {}, ""))


def _service_dict(result: Any) -> dict[str, Any]:
    # Field by field, not dataclasses.asdict: its deep copy was a third of the batch's time.
    return {"service_id": result.service_id, "status": str(result.status),
            "soon_from": result.soon_from.isoformat() if result.soon_from else None,
            "check_reasons": [str(code) for code in result.check_reasons],
            "reasons": [{"ja": reason.ja, "en": reason.en} for reason in result.reasons],
            "child_indexes": list(result.child_indexes), "source_url": result.source_url,
            "last_checked": result.last_checked.isoformat() if result.last_checked else None}


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


def catalogue_changed(session: Session, on: date) -> None:
    """Forget every resident's kept feed of the day `on` (a partner published, withdrew or edited a published
    listing): the next visit computes the feed again from the catalogue as it is now. Earlier days' feeds are never
    shown again, so only that day's go."""
    session.execute(delete(RecommendFeed).where(RecommendFeed.day == on))  # type: ignore[arg-type]


def rules_approved(session: Session) -> None:
    """Forget every kept feed (the data ethics board's approval of a profiling rule was recorded): a feed listed
    without personalisation while the rule waited is computed again, with it, at the next visit."""
    session.execute(delete(RecommendFeed))
