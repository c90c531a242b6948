"""How a ledger record reads to a resident (who, what, when, why) and the two exports (CSV, JSON).

Labels are lazy gettext strings keyed by the codes the payloads carry; an unknown code is shown as stored.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from app.i18n import TIMEZONE
from app.ledger.chain import timestamp
from app.ledger.models import RecordKind
from app.ledger.services import HistoryEntry
from app.ledger.verification import BreakReason
from app.signing import canonical_json

KIND_LABELS = {
    RecordKind.PROCESSING: _l("Used by Azukari"),
    RecordKind.PROVISION: _l("Given to another party"),
    RecordKind.RECEIPT: _l("Received from another service"),
    RecordKind.CONSENT: _l("Consent"),
    RecordKind.TRANSFER: _l("Moving your data"),
    RecordKind.DELETION: _l("Deletion"),
}

ITEM_LABELS = {
    "email": _l("email address"),
    "address": _l("address"),
    "health_score": _l("health score"),
    "children.birth_date": _l("children's birth dates"),
    "children.given_name": _l("children's given names"),
}

ACTION_LABELS = {
    "household.children_from_mynaportal": _l("Stored the children you confirmed from MyNa Portal"),
    "account.deleted": _l("Your account was deleted and the details of earlier records were erased"),
    "city_records.imported": _l("Stored the records from Kashiwa City that you chose to keep"),
}

# A CONSENT record's `event` (app.consent.decisions).
EVENT_LABELS = {
    "given": _l("Consent given"),
    "withdrawn": _l("Consent withdrawn"),
    "renewed": _l("Consent renewed"),
}

# For residents, in plain words (the command line has its own in app.ledger.verification).
BREAK_LABELS = {
    BreakReason.ALTERED: _l("This record was changed after it was written."),
    BreakReason.PAYLOAD_ALTERED: _l("The details of this record were changed after it was written."),
    BreakReason.REWRITTEN: _l("This record does not match what the next record or the signed daily record says "
                              "about it."),
    BreakReason.MISSING: _l("This record is missing."),
    BreakReason.UNACCOUNTED: _l("This record was added outside the history."),
}

HASH_RULES = (
    "payload_digest = SHA-256(salt as ASCII hex + canonical JSON of payload); "
    "record_hash = SHA-256(canonical JSON of {at, chain, kind, payload: payload_digest, prev: prev_hash, seq}); "
    "canonical JSON = sorted keys, separators (',', ':'), UTF-8; at = UTC ISO 8601 with microseconds; "
    "prev_hash of seq 1 = 64 zeros"
)


@dataclass(frozen=True)
class HistoryRow:
    """One record as the history page shows it."""

    seq: int
    at: datetime
    kind: str
    kind_label: str
    who: str | None
    items: list[str]
    purpose: str | None
    consent_id: str | None
    what: str | None
    erased: bool
    not_kept: bool


def item_label(key: str) -> str:
    return str(ITEM_LABELS.get(key, key))


def kind_label(kind: str) -> str:
    try:
        return str(KIND_LABELS[RecordKind(kind)])
    except ValueError:
        return kind


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _what(payload: dict[str, Any]) -> str | None:
    action, event = payload.get("action"), payload.get("event")
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    if event in EVENT_LABELS:
        return str(EVENT_LABELS[event])
    return _released_in(payload.get("via")) or _text(payload.get("description"))


def _released_in(via: Any) -> str | None:
    """Which statistics a provision of aggregates counted the resident in (app/ebpm, app/partners/report.py)."""
    if not isinstance(via, dict):
        return None
    if via.get("release") == "EBPM monthly release":
        return str(_l("Counted in the EBPM statistics for %(month)s (version %(version)s); only totals are released",
                      month=_text(via.get("month")), version=_text(via.get("version"))))
    if via.get("report") == "partner weekly report":
        return str(_l("Counted in the partner's weekly report of the week of %(week)s; only totals are shown",
                      week=_text(via.get("week"))))
    return None


def _consent_reference(payload: dict[str, Any]) -> str | None:
    references = payload.get("consent_receipts")
    if isinstance(references, list) and references:
        return ", ".join(str(r) for r in references)
    return _text(payload.get("consent_id") or payload.get("receipt_id"))


def describe(entry: HistoryEntry) -> HistoryRow:
    """The record in words. The writer's own names win (`item_names`, `purpose_name`), then ours, then the codes."""
    record, payload = entry.record, entry.payload or {}
    items = payload.get("items") if isinstance(payload.get("items"), list) else []
    names = payload.get("item_names") if isinstance(payload.get("item_names"), dict) else {}
    return HistoryRow(
        seq=record.seq,
        at=record.at,
        kind=record.kind,
        kind_label=kind_label(record.kind),
        who=_text(payload.get("recipient_name") or payload.get("provider_name")),
        items=[str(names.get(item) or item_label(str(item))) for item in items],
        purpose=_text(payload.get("purpose_name") or payload.get("purpose") or payload.get("basis")),
        consent_id=_consent_reference(payload),
        what=_what(payload),
        erased=entry.payload is None,
        not_kept=record.kind == RecordKind.RECEIPT and payload.get("kept") is False,
    )


def japan_day_bounds(day_from: Any, day_to: Any) -> tuple[datetime | None, datetime | None]:
    """A period given as Japanese dates → [start of the first day, start of the day after the last) in UTC."""
    zone = ZoneInfo(TIMEZONE)
    since = datetime.combine(day_from, time(0), zone).astimezone(UTC) if day_from else None
    until = datetime.combine(day_to + timedelta(days=1), time(0), zone).astimezone(UTC) if day_to else None
    return since, until


# --- exports ----------------------------------------------------------------------------------------------

CSV_COLUMNS = ("seq", "at_utc", "kind", "kind_label", "who", "items", "purpose", "consent_id", "what", "payload",
               "prev_hash", "payload_digest", "record_hash")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def history_csv(entries: list[HistoryEntry]) -> str:
    """UTF-8 with a BOM, so that Excel opens the Japanese correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        row, record = describe(entry), entry.record
        writer.writerow([_cell(value) for value in (
            record.seq, record.at.astimezone(UTC).isoformat(timespec="seconds"), record.kind, row.kind_label,
            row.who, "、".join(row.items), row.purpose, row.consent_id, row.what,
            canonical_json(entry.payload).decode() if entry.payload is not None else "",
            record.prev_hash, record.payload_digest, record.record_hash,
        )])
    return "\ufeff" + buffer.getvalue()


def history_json(entries: list[HistoryEntry], *, subject: str, chain_id: Any, exported_at: datetime) -> str:
    """Everything needed to recompute the chain elsewhere: the hashes, each payload and its salt."""
    document = {
        "subject": subject,
        "chain_id": str(chain_id) if chain_id else None,
        "exported_at": exported_at.astimezone(UTC).isoformat(timespec="seconds"),
        "hash_rules": HASH_RULES,
        "records": [
            {
                "seq": e.record.seq,
                "at": timestamp(e.record.at),  # exactly as hashed
                "kind": e.record.kind,
                "prev_hash": e.record.prev_hash,
                "payload_digest": e.record.payload_digest,
                "record_hash": e.record.record_hash,
                "salt": e.salt,
                "payload": e.payload,
            }
            for e in entries
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)
