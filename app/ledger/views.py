"""The resident's history (わたしのデータ › 履歴): filter, export, verify; and the operator's ledger check."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import Blueprint, Response, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from app import auth
from app.db import get_session, utcnow
from app.htmx import render
from app.ledger import services
from app.ledger.models import RecordKind
from app.ledger.presentation import (
    BREAK_LABELS,
    KIND_LABELS,
    describe,
    history_csv,
    history_json,
    japan_day_bounds,
)
from app.staff.models import StaffRole

bp = Blueprint("ledger", __name__)
bp.before_request(auth.require_resident)

console_bp = Blueprint("ledger_console", __name__, url_prefix="/operator/ledger")
console_bp.before_request(auth.require_staff(StaffRole.OPERATOR.value))

PAGE_SIZE = 50


@dataclass
class HistoryFilter:
    """The GET form above the list; values that do not parse are ignored and said so."""

    kind: RecordKind | None = None
    day_from: date | None = None
    day_to: date | None = None
    errors: set[str] = field(default_factory=set)  # the fields that did not parse

    @classmethod
    def from_args(cls, args: MultiDict[str, str]) -> HistoryFilter:
        result = cls()
        kind = args.get("kind", "")
        if kind in set(RecordKind):
            result.kind = RecordKind(kind)
        for name, attribute in (("from", "day_from"), ("to", "day_to")):
            raw = args.get(name, "").strip()
            if raw:
                try:
                    setattr(result, attribute, date.fromisoformat(raw))
                except ValueError:
                    result.errors.add(name)
        return result

    def query(self) -> dict[str, str]:
        values = {"kind": self.kind.value if self.kind else "", "from": self.day_from, "to": self.day_to}
        return {key: str(value) for key, value in values.items() if value}

    def entries(self, principal: str, **options: Any) -> list[services.HistoryEntry]:
        since, until = japan_day_bounds(self.day_from, self.day_to)
        return services.history(get_session(), principal, kinds=[self.kind] if self.kind else None, since=since,
                                until=until, **options)


def _principal() -> str:
    return str(current_user.principal)


def _history_page(*, block: str | None, verification: services.Verification | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    history_filter = HistoryFilter.from_args(request.args)
    before = request.args.get("before", type=int)
    entries = history_filter.entries(_principal(), limit=PAGE_SIZE + 1, before_seq=before)
    rows = [describe(entry) for entry in entries[:PAGE_SIZE]]
    older_url = (url_for("ledger.history", **history_filter.query(), before=rows[-1].seq)
                 if len(entries) > PAGE_SIZE else None)
    newest_url = url_for("ledger.history", **history_filter.query()) if before else None
    return render(
        "ledger/history.html", block=block, status=status, tab="data", rows=rows, filter=history_filter,
        kind_labels=KIND_LABELS, older_url=older_url, newest_url=newest_url,
        verification=verification, break_labels=BREAK_LABELS,
    )


@bp.get("/my-data/history")
def history():  # type: ignore[no-untyped-def]
    """The resident's records, newest first; with htmx the filter form swaps only the list."""
    return _history_page(block="history_list")


@bp.post("/my-data/history/verify")
def verify():  # type: ignore[no-untyped-def]
    """Recompute this resident's chain and say in plain words whether it holds (CSRF checked by CSRFProtect)."""
    verification = services.verify_chain(get_session(), _principal())
    return _history_page(block="verify_result", verification=verification)


def _attachment(body: str, *, mimetype: str, extension: str) -> Response:
    response = Response(body, mimetype=mimetype)
    filename = f"azukari-history-{utcnow():%Y%m%d}.{extension}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/my-data/history.csv")
def export_csv():  # type: ignore[no-untyped-def]
    entries = HistoryFilter.from_args(request.args).entries(_principal())
    return _attachment(history_csv(entries), mimetype="text/csv; charset=utf-8", extension="csv")


@bp.get("/my-data/history.json")
def export_json():  # type: ignore[no-untyped-def]
    principal = _principal()
    entries = HistoryFilter.from_args(request.args).entries(principal)
    chain = services.chain_of(get_session(), principal)
    body = history_json(entries, subject=principal, chain_id=chain.id if chain else None, exported_at=utcnow())
    return _attachment(body, mimetype="application/json", extension="json")


# --- operator console -------------------------------------------------------------------------------------


@console_bp.get("/")
def overview():  # type: ignore[no-untyped-def]
    """Every chain verified now; only chain ids and counts are shown, never whose chain it is."""
    db = get_session()
    verifications = services.verify_all(db)
    anchors = [(anchor, services.verify_anchor(anchor)) for anchor in services.latest_anchors(db)]
    totals = {
        "chains": len(verifications),
        "records": sum(v.records for v in verifications),
        "erased": sum(v.erased for v in verifications),
        "broken": sum(1 for v in verifications if not v.ok),
    }
    return render("ledger/console.html", console="operator", totals=totals,
                  broken=[v for v in verifications if not v.ok], anchors=anchors, break_labels=BREAK_LABELS)
