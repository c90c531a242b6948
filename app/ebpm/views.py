"""柏市 staff's EBPM dashboard (`/municipal/ebpm/`): the released figures only, never a household."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, request
from flask_login import current_user

from app import audit, auth
from app.audit import EventTag
from app.db import get_session
from app.disclosure.control import HIDDEN_LABEL
from app.ebpm import presentation, services
from app.htmx import render
from app.i18n import current_language
from app.staff.models import StaffRole

bp = Blueprint("ebpm", __name__, url_prefix="/municipal/ebpm")
bp.before_request(auth.require_staff(StaffRole.MUNICIPAL.value))
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _release(month: str | None) -> tuple[list[str], Any]:
    db = get_session()
    months = services.released_months(db)
    if month is None:
        month = months[0] if months else None
    elif not _MONTH.fullmatch(month) or month not in months:
        abort(404)
    return months, services.kept(db, month) if month else None


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    months, release = _release(request.args.get("month"))
    hidden = str(HIDDEN_LABEL)
    return render("ebpm/index.html", console="municipal", months=months, release=release, hidden_label=hidden,
                  tables=presentation.tables(release, current_language(), hidden) if release else [],
                  households=presentation.households(release) if release else None)


@bp.get("/<month>.csv")
def export(month: str):  # type: ignore[no-untyped-def]
    _months, release = _release(month)
    response = Response(presentation.csv_body(release), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="ebpm-households-{month}-v{release.version}.csv"'
    if request.method == "GET":  # (a HEAD sends no file)
        audit.record(get_session(), EventTag.EBPM_EXPORT, actor=current_user.principal, ip=auth.client_ip(),
                     month=month, version=release.version)
    return response
