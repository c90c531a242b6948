"""Loading the catalogue from the project's own data file, reading it, and 柏市's staff editing services.

The app reads only `app/catalog/data/` (a copy of the research file, see SOURCES.md), never `../shared`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, SQLModel, select

from app import audit
from app.audit import EventTag
from app.catalog.labels import eligibility_problems
from app.catalog.models import PLACEHOLDER_DISPLAY, CatalogCoupon, CatalogEvent, CatalogService, CatalogVenue
from app.db import utcnow
from app.errors import Conflict, InvalidFields, NotFound
from app.i18n import bilingual

DATA_DIR = Path(__file__).parent / "data"
CATALOG_FILE = DATA_DIR / "catalog.json"
LABELS_FILE = DATA_DIR / "labels.json"

# What 柏市's staff may change in the console; everything else comes from the data file.
EDITABLE_SERVICE_FIELDS = ("name_ja", "name_en", "description_ja", "description_en", "eligibility",
                           "how_to_apply_ja", "how_to_apply_en", "source_url", "last_checked")


class InvalidServiceEdit(InvalidFields):
    """A staff edit of a service the catalogue refuses, by field."""


# --- the data file -------------------------------------------------------------------------------------------


@cache
def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def catalog_document(path: Path = CATALOG_FILE) -> dict[str, Any]:
    """The whole file (meta and its disclaimer, areas, store categories …), read once per process."""
    return _read_json(path)


def _split(record: dict[str, Any], known: Iterable[str]) -> dict[str, Any]:
    """The record's keys this schema has no column for, kept so that a newer file loses nothing."""
    return {key: value for key, value in record.items() if key not in set(known)}


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"catalogue time without an offset: {value}")
    return parsed


def _age_bounds(record: dict[str, Any]) -> tuple[int | None, int | None]:
    ages = record.get("target_age_months") or {}
    return ages.get("min"), ages.get("max_exclusive")


VENUE_KEYS = ("id", "name_ja", "name_en", "category", "address", "lat", "lng", "coord_precision_m", "coord_source",
              "family_relevance", "facts", "tenants_reported", "sources")


def venue_values(record: dict[str, Any]) -> dict[str, Any]:
    values = {key: record.get(key) for key in VENUE_KEYS}
    for key in ("family_relevance", "facts", "tenants_reported", "sources"):
        values[key] = values[key] or []
    for key in ("name_en", "address", "coord_source"):
        values[key] = values[key] or ""
    return values


SERVICE_KEYS = ("example", "id", "name_ja", "name_en", "category", "fact_scope", "confidence", "eligibility",
                "benefit", "how_to_apply", "source", "notes", "life_stages", "area", "last_checked", "venue_ids",
                "milestones", "birthdate_ranges", "valid_until")


def service_values(record: dict[str, Any]) -> dict[str, Any]:
    sources = record.get("source") or []
    return {
        "id": record["id"], "name_ja": record["name_ja"], "name_en": record.get("name_en") or "",
        "category": record["category"], "fact_scope": record["fact_scope"], "confidence": record["confidence"],
        "eligibility": record.get("eligibility") or {}, "milestones": record.get("milestones") or [],
        "birthdate_ranges": record.get("birthdate_ranges") or [], "valid_until": _date(record.get("valid_until")),
        "benefit": record.get("benefit") or {}, "how_to_apply_ja": record.get("how_to_apply") or "",
        "sources": sources, "source_url": next((s["url"] for s in sources if s.get("url")), ""),
        "notes": record.get("notes") or "", "life_stages": record.get("life_stages") or [],
        "area_id": record.get("area") or "", "venue_ids": record.get("venue_ids") or [],
        "extra": _split(record, SERVICE_KEYS), "example": bool(record.get("example")),
        "last_checked": date.fromisoformat(record["last_checked"]),
    }


EVENT_KEYS = ("example", "id", "title_ja", "title_en", "venue_id", "start", "end", "recurrence", "target_age_months",
              "target_grades", "fee_jpy", "fee_note", "registration", "capacity", "organizer_type", "tags",
              "includes_expectant_parents", "parent_focused", "requires_multiples", "based_on_real_event",
              "based_on_source", "note")


def event_values(record: dict[str, Any]) -> dict[str, Any]:
    low, high = _age_bounds(record)
    return {
        "id": record["id"], "title_ja": record["title_ja"], "title_en": record.get("title_en") or "",
        "venue_id": record["venue_id"], "starts_at": _datetime(record.get("start")),
        "ends_at": _datetime(record.get("end")), "recurrence": record.get("recurrence"),
        "target_age_min_months": low, "target_age_max_months_exclusive": high,
        "target_grades": record.get("target_grades"), "fee_jpy": record.get("fee_jpy"),
        "fee_note": record.get("fee_note") or "", "registration": record.get("registration") or "",
        "capacity": record.get("capacity"), "organizer_type": record.get("organizer_type") or "",
        "tags": record.get("tags") or [],
        **{flag: bool(record.get(flag)) for flag in ("includes_expectant_parents", "parent_focused",
                                                     "requires_multiples", "based_on_real_event")},
        "based_on_source": record.get("based_on_source") or "", "note": record.get("note") or "",
        "extra": _split(record, EVENT_KEYS), "example": bool(record.get("example")),
    }


COUPON_KEYS = ("example", "merchant_display", "id", "title_ja", "title_en", "venue_id", "floor", "merchant_category",
               "tenant_examples", "discount", "conditions", "target_age_months", "trigger", "reported_by",
               "parent_focused", "valid_from", "valid_to", "note")


def store_category_names(document: dict[str, Any], labels: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Category id → (Japanese, English): the file's store_categories, completed by labels.json."""
    names = {row["id"]: (row.get("name_ja") or "", "") for row in document.get("store_categories", [])}
    for key, extra in labels.get("store_categories", {}).items():
        name_ja, name_en = names.get(key, ("", ""))
        names[key] = (name_ja or extra.get("name_ja", ""), extra.get("name_en", "") or name_en)
    return names


def coupon_values(record: dict[str, Any], category_names: dict[str, tuple[str, str]]) -> dict[str, Any]:
    low, high = _age_bounds(record)
    category = record["merchant_category"]
    name_ja, name_en = category_names.get(category, ("", ""))
    return {
        "id": record["id"], "title_ja": record["title_ja"], "title_en": record.get("title_en") or "",
        "venue_id": record["venue_id"], "floor": record.get("floor") or "", "merchant_category": category,
        "merchant_category_ja": name_ja, "merchant_category_en": name_en,
        "merchant_display": record["merchant_display"],
        "is_placeholder": record["merchant_display"] == PLACEHOLDER_DISPLAY,
        "brand_examples": list(record.get("tenant_examples") or []), "discount": record.get("discount") or {},
        "conditions": record.get("conditions") or "", "target_age_min_months": low,
        "target_age_max_months_exclusive": high, "trigger": record.get("trigger"),
        "reported_by": record.get("reported_by") or "", "parent_focused": bool(record.get("parent_focused")),
        "valid_from": _date(record.get("valid_from")), "valid_to": _date(record.get("valid_to")),
        "note": record.get("note") or "", "extra": _split(record, COUPON_KEYS), "example": bool(record.get("example")),
    }


# --- loading -------------------------------------------------------------------------------------------------


def _upsert(session: Session, model: type[SQLModel], rows: list[dict[str, Any]], counts: dict[str, int],
            section: str) -> None:
    for values in rows:
        existing = session.get(model, values["id"])
        if existing is None:
            session.add(model(**values))
            counts[section] += 1
        elif existing.edited_at is not None:  # type: ignore[attr-defined]
            counts["kept as edited"] += 1
        else:
            changed = [key for key, value in values.items() if getattr(existing, key) != value]
            for key in changed:
                setattr(existing, key, values[key])
            if changed:
                session.add(existing)
                counts["updated"] += 1


def load_catalog(session: Session, path: Path = CATALOG_FILE, labels_path: Path = LABELS_FILE) -> dict[str, int]:
    """Bring the database in line with the catalogue file, keeping the file's ids as primary keys. Idempotent.

    A missing row is added; a row nobody edited is updated to the file; a row someone edited (staff in the
    municipal console: `edited_at` is set) is left exactly as it is — a reload never overwrites an edit. Rows that
    are no longer in the file stay (recommendations already shown may refer to them). Returns how many rows of
    each kind were added, and how many were updated or kept as edited.
    """
    document, labels = json.loads(path.read_text(encoding="utf-8")), _read_json(labels_path)
    venue_ids = {venue["id"] for venue in document.get("venues", [])}
    for record in [*document.get("events", []), *document.get("coupons", [])]:
        if record["venue_id"] not in venue_ids:
            raise ValueError(f"{record['id']}: unknown venue {record['venue_id']}")
    counts = {"venues": 0, "services": 0, "events": 0, "coupons": 0, "updated": 0, "kept as edited": 0}
    # Venues first, flushed: events and coupons refer to them.
    _upsert(session, CatalogVenue, [venue_values(r) for r in document.get("venues", [])], counts, "venues")
    session.flush()
    category_names = store_category_names(document, labels)
    _upsert(session, CatalogService, [service_values(r) for r in document.get("services", [])], counts, "services")
    _upsert(session, CatalogEvent, [event_values(r) for r in document.get("events", [])], counts, "events")
    _upsert(session, CatalogCoupon, [coupon_values(r, category_names) for r in document.get("coupons", [])], counts,
            "coupons")
    session.flush()
    return counts


# --- reading -------------------------------------------------------------------------------------------------


def services_list(session: Session) -> list[CatalogService]:
    return list(session.exec(select(CatalogService).order_by(CatalogService.category, CatalogService.id)))


def service(session: Session, service_id: str) -> CatalogService:
    row = session.get(CatalogService, service_id)
    if row is None:
        raise NotFound()
    return row


def venues(session: Session) -> list[CatalogVenue]:
    return list(session.exec(select(CatalogVenue).order_by(CatalogVenue.id)))


def events(session: Session) -> list[CatalogEvent]:
    return list(session.exec(select(CatalogEvent).order_by(CatalogEvent.starts_at, CatalogEvent.id)))


def coupons(session: Session) -> list[CatalogCoupon]:
    return list(session.exec(select(CatalogCoupon).order_by(CatalogCoupon.id)))


def event_title(event: CatalogEvent) -> str:
    """The title residents see, in their language: an example carries (例) / (example)."""
    return bilingual(event.display_title_ja, event.display_title_en)


def listing_categories(row: CatalogEvent | CatalogCoupon) -> list[str]:
    """What an event or coupon counts as for participation and recommendations: the event's tags, or [the coupon's
    store category]."""
    if isinstance(row, CatalogEvent):
        return [str(tag) for tag in dict.fromkeys(row.tags or ()) if tag]
    return [row.merchant_category] if row.merchant_category else []


def coupon_title(coupon: CatalogCoupon) -> str:
    """The title residents see: a placeholder by its store category only, never a brand's name."""
    return bilingual(coupon.display_title_ja, coupon.display_title_en)


# --- staff edits ---------------------------------------------------------------------------------------------


def _validated(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(EDITABLE_SERVICE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    problems: dict[str, list[str]] = {}
    if "eligibility" in values and (found := eligibility_problems(values["eligibility"])):
        problems["eligibility"] = found
    if "last_checked" in values and not isinstance(values["last_checked"], date):
        problems["last_checked"] = [str(_l("Enter the date as YYYY-MM-DD."))]
    if problems:
        raise InvalidServiceEdit(problems)
    return values


def update_service(session: Session, *, actor: str, service_id: str, values: dict[str, Any], ip: str | None = None,
                   expected_version: int | None = None) -> tuple[CatalogService, list[str]]:
    """Apply a staff member's edit; returns the service and the names of the fields that changed.

    The edit marks the row (`edited_by`, `edited_at`), so `load_catalog` never overwrites it, and is an audit event
    naming the fields (not their values: the row keeps those). A form posted from an older version (another
    member saved in between) is refused with Conflict. Saving without a change records nothing.
    """
    # Locked and re-read (the session may hold an older copy): two members saving at once on PostgreSQL serialise
    # here, and the second sees the first one's version.
    row = session.get(CatalogService, service_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise NotFound()
    if expected_version is not None and expected_version != row.version:
        raise Conflict()
    changed = [key for key, value in _validated(values).items() if getattr(row, key) != value]
    if not changed:
        return row, []
    for key in changed:
        setattr(row, key, values[key])
    row.edited_by, row.edited_at, row.version = actor, utcnow(), row.version + 1
    session.add(row)
    audit.record(session, EventTag.CATALOG_SERVICE_EDIT, actor=actor, ip=ip, service=service_id, fields=changed)
    return row, changed

