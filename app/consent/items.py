"""How each catalogue item is read from what the resident entrusted. Only the enforcement point calls these.

Each item is derived from one source of rows (the children, the home address, the health scores …). The sources
are loaded for many residents at once, one query each (`resolve_many`: the daily batch of feeds reads 50,000
residents); one resident is the same path with a list of one, so there is a single definition of every item.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.accounts.models import Resident
from app.city_records import usage as city_usage
from app.consent import derived_items
from app.db import in_values
from app.household.address import AddressError, HomeArea, locate_home, town_group
from app.household.ages import describe_child, japan_today
from app.household.models import Child, HealthScore, HomeAddress
from app.household.services import birth_of, born_by
from app.participation import services as participation
from app.recommend import impressions as recommend_impressions
from app.surveys import answers as survey_answers

Loader = Callable[[Session, list[uuid.UUID]], Mapping[uuid.UUID, Any]]


@dataclass(frozen=True)
class Item:
    source: str  # a key of LOADERS
    derive: Callable[[Any, date], Any]  # (the resident's rows from that source or None, the day) → the value


# --- sources ---------------------------------------------------------------------------------------------------


def _load_children(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Child]]:
    rows = session.exec(select(Child).where(in_values(session, col(Child.guardian_id), ids)).order_by(
        col(Child.guardian_id), col(Child.birth_year), col(Child.birth_month), col(Child.birth_day), col(Child.id)))
    found: dict[uuid.UUID, list[Child]] = defaultdict(list)
    for child in rows:
        found[child.guardian_id].append(child)
    return found


def _load_addresses(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, HomeAddress]:
    rows = session.exec(select(HomeAddress).where(in_values(session, col(HomeAddress.resident_id), ids)))
    return {row.resident_id: row for row in rows}


def _load_health(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    latest = (select(HealthScore.resident_id, func.max(HealthScore.day).label("day"))
              .where(in_values(session, col(HealthScore.resident_id), ids)).group_by(col(HealthScore.resident_id)).subquery())
    rows = session.execute(select(HealthScore.resident_id, HealthScore.score).join(
        latest, (col(HealthScore.resident_id) == latest.c.resident_id) & (col(HealthScore.day) == latest.c.day)))
    return {resident_id: score for resident_id, score in rows}


def _load_nothing(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    return {}


def _load_participation(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Any]]:
    # The rows of the window ending today, with a day's slack for a batch that crosses midnight (the loaders get no
    # day); the item's derive cuts the window exactly on its day.
    since = participation.window_start(japan_today() - timedelta(days=1))
    return participation.history_rows(session, ids, since)


def _load_eligibility(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, derived_items.HouseholdFacts]:
    """The children, the home's city and town, and the catalogue's services (read once for the batch)."""
    places = derived_items.load_places(_load_addresses(session, ids), _home_area)
    return derived_items.household_facts(_load_children(session, ids), places,
                                         derived_items.ServiceBook.read(session), ids)


def _load_shown_and_joined(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, derived_items.ShownAndJoined]:
    """What the feed showed, and the participations of the last 25 months (a month's 12-month window and the 4 weeks
    before it, for a release made up to a year after the month)."""
    shown = recommend_impressions.impression_rows(session, ids)
    joined = participation.history_rows(session, ids, japan_today() - timedelta(days=25 * 31))
    return {resident_id: derived_items.ShownAndJoined(shown.get(resident_id, []), joined.get(resident_id, []))
            for resident_id in ids}


# The consent item that covers each interchange kind of an export or a transfer (docs/interchange.md).
KIND_ITEMS: dict[str, str] = {
    "post": "blog_posts", "comment": "blog_posts", "profile": "profile", "interest": "interests",
    "place_visit": "location_history", "activity_segment": "location_history", "location_point": "location_history",
    "calendar_event": "calendar_events", "watch_event": "viewing_history", "my_activity": "activity_history",
    "health_record": "health_records", "workout": "health_records", "activity_summary": "health_records",
    "ecg": "ecg", "clinical_record": "clinical_records",
}


def _load_import_counts(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
    """What each resident keeps of their exports, counted per interchange kind (the finished imports' summaries)."""
    from app.data_imports.models import DataImport, ImportStatus

    found: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    rows = session.exec(select(DataImport.resident_id, DataImport.summary).where(
        in_values(session, col(DataImport.resident_id), ids), DataImport.status == ImportStatus.DONE))
    for resident_id, summary in rows:
        for kind, count in ((summary or {}).get("stored") or {}).items():
            found[resident_id][kind] = found[resident_id].get(kind, 0) + int(count or 0)
    return found


def _held(item_key: str) -> Callable[[dict[str, int] | None, date], dict[str, int] | None]:
    """An export's item as a recipient of `/me` reads it: how many of each kind are held, never the records (they
    move only in a transfer, through `app/consent/transfers.py`)."""

    def derive(counts: dict[str, int] | None, on: date) -> dict[str, int] | None:
        held = {kind: n for kind, n in sorted((counts or {}).items()) if n and KIND_ITEMS.get(kind) == item_key}
        return held or None

    return derive


LOADERS: dict[str, Loader] = {
    "imports": _load_import_counts,
    "children": _load_children,
    "address": _load_addresses,
    "health": _load_health,
    "participation": _load_participation,
    "surveys": survey_answers.submitted_rows,
    "service_usage": city_usage.usage_rows,
    "eligibility": _load_eligibility,
    "impressions": recommend_impressions.impression_rows,
    "shown_and_joined": _load_shown_and_joined,
    "nothing": _load_nothing,
}


# --- items -----------------------------------------------------------------------------------------------------


def _facts(children: list[Child] | None, on: date) -> list[Any]:
    """The children the items speak of on `on` (born by then; not the older siblings counted only for the
    allowance), with their facts."""
    return [describe_child(birth_of(child), on) for child in children or ()
            if not child.counted_for_allowance and born_by(child, on)]


def _children_count(children: list[Child] | None, on: date) -> int:
    return len(_facts(children, on))


def _age_bands(children: list[Child] | None, on: date) -> list[str]:
    return sorted(str(facts.band) if facts.band else "unknown" for facts in _facts(children, on))


def _age_classes(children: list[Child] | None, on: date) -> list[str]:
    return [facts.class_label_ja or "不明" for facts in _facts(children, on)]


def _birth_dates(children: list[Child] | None, on: date) -> list[str]:
    return [f"{c.birth_year:04d}-{c.birth_month:02d}" + (f"-{c.birth_day:02d}" if c.birth_day else "")
            for c in children or () if born_by(c, on)]


@lru_cache(maxsize=4096)
def _locate(postal_code: str, region: str, locality: str, town: str) -> HomeArea | None:
    """Where an address lies in the town list (a pure lookup; cached for the batch, where neighbours repeat)."""
    try:
        return locate_home(postal_code, region, locality, town)
    except AddressError:
        return None


def _home_area(address: HomeAddress | None) -> HomeArea | None:
    """None without an address or for one outside the town list."""
    if address is None:
        return None
    return _locate(address.postal_code, address.region, address.locality, address.town)


def _town_group(address: HomeAddress | None, on: date) -> str | None:
    """A coarse area: the pilot area, the events ring around it, the rest of 柏市, or 流山市."""
    area = _home_area(address)
    return None if area is None else town_group(area)


def _home_town(address: HomeAddress | None, on: date) -> dict[str, str] | None:
    """The city and 町丁目 (no block number), as the town list names them."""
    area = _home_area(address)
    if area is None:
        return None
    return {"city": "kashiwa" if area.is_kashiwa_resident else "nagareyama", "town": area.town}


def _home_address(address: HomeAddress | None, on: date) -> str | None:
    if address is None:
        return None
    return f"〒{address.postal_code} {address.region}{address.locality}{address.town}{address.block}"


def _as_is(value: Any, on: date) -> Any:
    return value


def _participation_history(rows: list[Any] | None, on: date) -> dict[str, Any] | None:
    """Counts by event tag / coupon store category and the events attended, over the last 12 months; None without
    any record in them (app.participation.services.summarize)."""
    summary = participation.summarize(rows or (), on)
    return None if participation.is_empty(summary) else summary


def _service_usage_history(rows: list[Any] | None, on: date) -> list[dict[str, Any]] | None:
    """The records of 柏市's services the resident kept from a disclosure request (service, day, child); None
    without any (app.city_records.usage.history_value)."""
    return city_usage.history_value(rows)


def _ecg(_nothing: None, on: date) -> None:
    return None  # no ECG is held yet (Apple Health import brings them)


ITEMS: dict[str, Item] = {
    "children_count": Item("children", _children_count),
    "age_bands": Item("children", _age_bands),
    "age_classes": Item("children", _age_classes),
    "town_group": Item("address", _town_group),
    "home_town": Item("address", _home_town),
    "birth_dates": Item("children", _birth_dates),
    "home_address": Item("address", _home_address),
    "health_score": Item("health", _as_is),
    "participation_history": Item("participation", _participation_history),
    "ecg": Item("nothing", _ecg),
    "survey_answers": Item("surveys", _as_is),
    "service_usage_history": Item("service_usage", _service_usage_history),
    "eligible_services": Item("eligibility", derived_items.eligible_services),
    "services_used": Item("service_usage", derived_items.services_used),
    "services_shown": Item("impressions", derived_items.services_shown),
    "recommendation_response": Item("shown_and_joined", derived_items.recommendation_response),
    "childcare_satisfaction": Item("surveys", derived_items.childcare_satisfaction),
    **{key: Item("imports", _held(key)) for key in ("health_records", "clinical_records", "location_history",
                                                    "viewing_history", "calendar_events", "blog_posts",
                                                    "activity_history", "profile", "interests")},
}


def resolve_many(session: Session, residents: Iterable[Resident | uuid.UUID], keys: Collection[str],
                 on: date) -> dict[uuid.UUID, dict[str, Any]]:
    """{resident id: {item key: value}} for every resident and key: each source loaded once for all of them."""
    ids = [r.id if isinstance(r, Resident) else r for r in residents]
    sources = {ITEMS[key].source for key in keys}
    loaded = {source: LOADERS[source](session, ids) for source in sources} if ids else {}
    return {resident_id: {key: ITEMS[key].derive(loaded[ITEMS[key].source].get(resident_id), on) for key in keys}
            for resident_id in ids}


def resolve(session: Session, resident: Resident, key: str, on: date) -> Any:
    """One item of one resident (`resolve_many` with one of each)."""
    return resolve_many(session, [resident], [key], on)[resident.id][key]


def participation_history(session: Session, resident: Resident, on: date) -> dict[str, Any] | None:
    """The item `participation_history` of one resident (what `resolve` gives): None without records."""
    return resolve(session, resident, "participation_history", on)
