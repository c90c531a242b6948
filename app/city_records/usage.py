"""The records 柏市 disclosed, as data: checking a delivered record, keeping it, and what the consent item
`service_usage_history` gives (the only way the recommendations see them; the feed's use is
app.recommend.usage_history).

A record names a catalogue service (`app/catalog/data/catalog.json` ids), the day it was used (or a span), the child
it is about when it is about one (by birth date, matched to the household's children), and a note. Anything shaped
like a 個人番号 makes a record unreadable: the bank never takes one in, not even by accident.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.city_records.models import ServiceUsage
from app.db import in_values

MAX_RECORDS = 1000
NOTE_LIMIT = 200
SERVICE_ID = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
# Twelve digits in a row, however separated (after NFKC, so full-width digits count): the shape of a 個人番号.
MY_NUMBER_SHAPE = re.compile(r"(?<!\d)(?:\d[\s\-‐－]?){11}\d(?!\d)")


class RecordProblem(ValueError):
    """A delivered record that cannot be taken: `field` names the part, `code` what is wrong."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


def looks_like_my_number(text: str) -> bool:
    return bool(MY_NUMBER_SHAPE.search(unicodedata.normalize("NFKC", text)))


def _day(value: Any, field: str, *, required: bool = False) -> date | None:
    if value in (None, ""):
        if required:
            raise RecordProblem(field, "missing")
        return None
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-")
    try:
        year, month, day = (int(part) for part in text.split("-"))
        return date(year, month, day)
    except (ValueError, TypeError):
        raise RecordProblem(field, "not_a_date") from None


def clean_record(raw: dict[str, Any], *, period: tuple[date, date] | None = None,
                 known_services: Iterable[str] | None = None) -> dict[str, Any]:
    """One record as the bank keeps it (JSON-ready), or RecordProblem."""
    service_id = str(raw.get("service_id") or "").strip()
    if not service_id:
        raise RecordProblem("service_id", "missing")
    if not SERVICE_ID.match(service_id) or (known_services is not None and service_id not in known_services):
        raise RecordProblem("service_id", "unknown_service")
    used_from = _day(raw.get("used_from") or raw.get("used_on"), "used_from", required=True)
    used_to = _day(raw.get("used_to"), "used_to")
    assert used_from is not None
    if used_to is not None and used_to < used_from:
        raise RecordProblem("used_to", "before_start")
    if period is not None and not (period[0] <= used_from <= period[1]):
        raise RecordProblem("used_from", "outside_period")
    child = _day(raw.get("child_birth_date"), "child_birth_date")
    if child is not None and child > used_from:
        raise RecordProblem("child_birth_date", "after_use")
    note = str(raw.get("note") or "").strip()
    if len(note) > NOTE_LIMIT:
        raise RecordProblem("note", "too_long")
    if looks_like_my_number(note):
        raise RecordProblem("note", "my_number")
    return {"service_id": service_id, "used_from": used_from.isoformat(),
            "used_to": used_to.isoformat() if used_to else None,
            "child_birth_date": child.isoformat() if child else None, "note": note}


def clean_records(raws: list[dict[str, Any]], *, period: tuple[date, date] | None = None,
                  known_services: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Every record, or RecordProblem for the first that cannot be taken (nothing is taken then)."""
    if len(raws) > MAX_RECORDS:
        raise RecordProblem("records", "too_many")
    known = set(known_services) if known_services is not None else None
    cleaned = [clean_record(raw, period=period, known_services=known) for raw in raws]
    return sorted(cleaned, key=lambda r: (r["used_from"], r["service_id"], r["child_birth_date"] or "", r["note"]))


# --- the resident's rows ---------------------------------------------------------------------------------------


def usage_of(session: Session, resident_id: uuid.UUID) -> list[ServiceUsage]:
    """The resident's records, newest first."""
    return list(session.exec(select(ServiceUsage).where(ServiceUsage.resident_id == resident_id).order_by(
        col(ServiceUsage.used_from).desc(), col(ServiceUsage.service_id), col(ServiceUsage.id))))


def store(session: Session, resident_id: uuid.UUID, request_id: uuid.UUID | None, records: list[dict[str, Any]]) -> int:
    """Keep the records as the resident's; one already kept (an overlapping earlier request) is not kept twice.
    Returns how many rows were added. `request_id`: the disclosure request they came with (None for the demo
    pilot, which has no exchange with 柏市)."""
    def key(service_id: str, used_from: date, used_to: date | None, child: date | None) -> tuple[Any, ...]:
        return service_id, used_from, used_to, child

    held = {key(u.service_id, u.used_from, u.used_to, u.child_birth_date) for u in usage_of(session, resident_id)}
    added = 0
    for record in records:
        values = (record["service_id"], date.fromisoformat(record["used_from"]),
                  date.fromisoformat(record["used_to"]) if record.get("used_to") else None,
                  date.fromisoformat(record["child_birth_date"]) if record.get("child_birth_date") else None)
        if key(*values) in held:
            continue
        held.add(key(*values))
        session.add(ServiceUsage(resident_id=resident_id, service_id=values[0], used_from=values[1], used_to=values[2],
                                 child_birth_date=values[3], note=record.get("note") or "", request_id=request_id))
        added += 1
    session.flush()
    return added


# --- the consent item (read only by app.consent.items) ---------------------------------------------------------


def usage_rows(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[tuple[str, date, date | None]]]:
    """{resident id: [(service id, used from, child's birth date)]} in one query; residents without rows absent."""
    rows = session.execute(select(ServiceUsage.resident_id, ServiceUsage.service_id, ServiceUsage.used_from,
                                  ServiceUsage.child_birth_date)
                           .where(in_values(session, col(ServiceUsage.resident_id), ids)))
    found: dict[uuid.UUID, list[tuple[str, date, date | None]]] = defaultdict(list)
    for resident_id, service_id, used_from, child in rows:
        found[resident_id].append((service_id, used_from, child))
    return found


def history_value(rows: list[tuple[str, date, date | None]] | None) -> list[dict[str, Any]] | None:
    """The item's value: each use as {service_id, used_on, child_birth_date}, sorted; None without any."""
    if not rows:
        return None
    return [{"service_id": service_id, "used_on": used_on.isoformat(),
             "child_birth_date": child.isoformat() if child else None}
            for service_id, used_on, child in sorted(rows, key=lambda r: (r[0], r[1], r[2] or date.min))]
