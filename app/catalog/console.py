"""柏市's staff keep the services up to date in the municipal console (`/municipal/services`).

Plain forms (POST, CSRF, 303 after a save, 422 with the form again on a mistake); guarded like the rest of the
municipal console, so only staff with the `municipal` role reach them.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import auth
from app.catalog import labels, services
from app.catalog.forms import ServiceForm
from app.catalog.models import CatalogService
from app.db import get_session
from app.errors import Conflict
from app.htmx import render
from app.principals import parse_principal
from app.staff.models import StaffMember, StaffRole

bp = Blueprint("catalog_console", __name__, url_prefix="/municipal/services")
bp.before_request(auth.require_staff(StaffRole.MUNICIPAL.value))


def _editor_name(row: CatalogService) -> str:
    """Who edited the service last, by their display name (the row keeps the principal)."""
    parsed = parse_principal(row.edited_by or "")
    member = get_session().get(StaffMember, parsed[1]) if parsed and parsed[0] == "staff" else None
    return member.display_name if member is not None else (row.edited_by or "")


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    rows = services.services_list(get_session())
    confidence = request.args.get("confidence", "")
    shown = [row for row in rows if row.confidence == confidence] if confidence in labels.CONFIDENCE else rows
    counts = {level: sum(1 for row in rows if row.confidence == level) for level in labels.CONFIDENCE}
    return render("catalog/services.html", console="municipal", services=shown, total=len(rows), counts=counts,
                  confidence=confidence if confidence in labels.CONFIDENCE else "", labels=labels,
                  disclaimer=services.catalog_document().get("meta", {}).get("disclaimer_ja", ""))


def _edit_page(row: CatalogService, form: ServiceForm, *, status: int = 200, form_error: str = ""):  # type: ignore[no-untyped-def]
    return render("catalog/service_edit.html", console="municipal", service=row, form=form, labels=labels,
                  age_lines=labels.describe_age(row.age_rule), editor=_editor_name(row), form_error=form_error,
                  status=status)


@bp.route("/<service_id>", methods=["GET", "POST"])
def edit(service_id: str):  # type: ignore[no-untyped-def]
    db = get_session()
    row = services.service(db, service_id)
    form = ServiceForm.for_service(row)
    if not form.is_submitted():
        return _edit_page(row, form)
    if not form.validate():
        return _edit_page(row, form, status=422, form_error=_("Some of what you entered cannot be saved. Please "
                                                              "check the marked fields."))
    try:
        _row, changed = services.update_service(db, actor=current_user.principal, service_id=row.id,
                                                values=form.values(), ip=auth.client_ip(),
                                                expected_version=form.expected_version())
    except Conflict:
        return _edit_page(row, form, status=409, form_error=_(
            "Someone else saved this service while you were editing. Open it again to see their changes, then "
            "make yours."))
    except services.InvalidServiceEdit as error:
        for name, problems in error.problems.items():
            getattr(form, name).errors = problems
        return _edit_page(row, form, status=422, form_error=str(error.message))
    flash(_("The service is saved.") if changed else _("Nothing was changed."),
          "success")
    return redirect(url_for("catalog_console.index"), code=303)
