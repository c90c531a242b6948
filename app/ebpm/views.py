"""柏市 staff's EBPM dashboard (`/municipal/ebpm/`): the released figures only, never a household; and the budgets
staff enter for the cost per user."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import col, select

from app import audit, auth
from app.audit import EventTag
from app.catalog.models import CatalogService
from app.db import get_session
from app.disclosure.control import HIDDEN_LABEL
from app.ebpm import budgets, outcomes, presentation, services, uptake
from app.ebpm.forms import BudgetForm
from app.htmx import render
from app.i18n import current_language
from app.partners.listings import store_categories
from app.staff.models import StaffRole

bp = Blueprint("ebpm", __name__, url_prefix="/municipal/ebpm")
bp.before_request(auth.require_staff(StaffRole.MUNICIPAL.value))
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
FEATURED_SERVICE = "svc_ichiji_azukari_hoikuen"  # the service the page opens on (the pilot's question)


def _release(month: str | None) -> tuple[list[str], Any]:
    db = get_session()
    months = services.released_months(db)
    if month is None:
        month = months[0] if months else None
    elif not _MONTH.fullmatch(month) or month not in months:
        abort(404)
    return months, services.kept(db, month) if month else None


def _service_names(language: str) -> dict[str, str]:
    rows = get_session().exec(select(CatalogService).order_by(col(CatalogService.id)))
    return {row.id: (row.name_en or row.name_ja) if language == "en" else row.name_ja for row in rows}


def _filters(release: Any) -> presentation.Filters:
    """The chosen service, area group and age class: only values of the predefined dimensions (anything else is
    ignored); one of the group and the class at a time, since the release has no table crossing them."""
    offered = presentation.uptake_services(release)
    service = request.args.get("service", FEATURED_SERVICE)
    area = request.args.get("area") or None
    age_class = request.args.get("age_class") or None
    area = area if area in presentation.TOWN_GROUPS else None
    age_class = age_class if age_class in presentation.AGE_CLASSES and area is None else None
    return presentation.Filters(service if service in offered else None, area, age_class)


TREND_MONTHS = 12


def _recent(months: list[str], shown: Any) -> list[Any]:
    """The kept releases of the 12 released months up to the one shown (already read), oldest first (`months`:
    newest first)."""
    db = get_session()
    chosen = [month for month in months if month <= shown.month][:TREND_MONTHS]
    return [shown if month == shown.month else services.kept(db, month) for month in reversed(chosen)]


def _budget_form(names: dict[str, str], release: Any) -> BudgetForm:
    form = BudgetForm()
    form.service_id.choices = [(key, name) for key, name in names.items()]
    if release is not None and not form.is_submitted():
        form.fiscal_year.data = uptake.fiscal_year(release.month)
    return form


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    months, release = _release(request.args.get("month"))
    return _page(release, months)


def _page(release: Any, months: list[str], form: BudgetForm | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    hidden = str(HIDDEN_LABEL)
    language = current_language()
    names = _service_names(language)
    context: dict[str, Any] = {"console": "municipal", "months": months, "release": release, "hidden_label": hidden,
                               "names": names, "budget_form": form or _budget_form(names, release)}
    if release is not None:
        filters = _filters(release)
        db = get_session()
        trend = presentation.trend(_recent(months, release), filters.service) if filters.service else []
        context.update(
            filters=filters, town_groups=presentation.TOWN_GROUPS, age_classes=presentation.AGE_CLASSES,
            language=language, tables=presentation.tables(release, language, hidden),
            households=presentation.households(release),
            overview=presentation.overview(release, names, language, filters),
            detail=presentation.service_uptake(release, filters.service, names.get(filters.service, filters.service),
                                               language, hidden, filters) if filters.service else None,
            trend=trend,
            trend_chart=presentation.rate_chart("uptake-trend", str(_("Uptake month by month (all areas)")), trend, hidden),
            overview_ids=presentation.uptake_services(release), filter_label=presentation.filter_label(filters, language),
            fiscal_year=uptake.fiscal_year(release.month),
            costs=budgets.costs(release, budgets.of_year(db, uptake.fiscal_year(release.month))),
            first_recommended=presentation.first_recommended_month(release),
            participation=presentation.outcome_rows(release, outcomes.PARTICIPATION, language, store_categories()),
            satisfaction=presentation.outcome_rows(release, outcomes.SATISFACTION, language))
    return render("ebpm/index.html", status=status, **context)


@bp.post("/budgets")
def enter_budget():  # type: ignore[no-untyped-def]
    months, release = _release(request.args.get("month"))
    form = _budget_form(_service_names(current_language()), release)
    if not form.validate():
        return _page(release, months, form, status=422)
    budgets.enter(get_session(), current_user.principal, service_id=form.service_id.data,
                  fiscal_year=form.fiscal_year.data, amount_yen=form.amount_yen.data, ip=auth.client_ip())
    flash(_("The budget is saved."), "success")
    target = url_for("ebpm.index", month=release.month if release else None, service=form.service_id.data)
    return redirect(target + "#costs", code=303)


@bp.get("/<month>.csv")
def export(month: str):  # type: ignore[no-untyped-def]
    _months, release = _release(month)
    db = get_session()
    costs = budgets.costs(release, budgets.of_year(db, uptake.fiscal_year(release.month)))
    response = Response(presentation.csv_body(release, _service_names("ja"), costs, store_categories()),
                        mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="ebpm-{month}-v{release.version}.csv"'
    if request.method == "GET":  # (a HEAD sends no file)
        audit.record(db, EventTag.EBPM_EXPORT, actor=current_user.principal, ip=auth.client_ip(),
                     month=month, version=release.version)
    return response
