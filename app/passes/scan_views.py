"""The partner's scanning page (`/partner/scan`): choose the event or coupon, then scan the resident's pass with the
phone's camera (static/js/scanner.js, jsQR) or type its code. One form, POSTed as is without JavaScript; with htmx
only the result region is swapped, so the clerk stays ready for the next customer."""

from __future__ import annotations

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from app import auth
from app.catalog.services import coupon_title, event_title
from app.db import get_session
from app.errors import NotFound
from app.household.ages import japan_today
from app.htmx import render
from app.partners.models import Partner
from app.passes import services
from app.passes.messages import REFUSALS
from app.passes.models import ScanAction
from app.passes.views import pass_key
from app.staff.models import StaffRole

bp = Blueprint("partner_scan", __name__, url_prefix="/partner/scan")
bp.before_request(auth.require_staff(StaffRole.PARTNER.value))

ACTIONS = {"event": ScanAction.CHECK_IN, "coupon": ScanAction.REDEEM}


class ScanForm(FlaskForm):
    target = SelectField(_l("Event or coupon"), validators=[DataRequired(_l("Choose an event or coupon first."))])
    code = StringField(_l("Pass code"), validators=[DataRequired(_l("Scan the pass or type its code.")), Length(max=80)])


def _partner() -> Partner:
    partner = get_session().get(Partner, current_user.partner_id)
    if partner is None:
        raise NotFound()
    return partner


def _targets(partner: Partner) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Today's events and coupons of the partner, as (form value, title): the template groups them."""
    today, db = japan_today(), get_session()
    events = [(f"event:{row.id}", event_title(row)) for row in services.scannable_events(db, partner, today)]
    coupons = [(f"coupon:{row.id}", coupon_title(row)) for row in services.scannable_coupons(db, partner, today)]
    return events, coupons


@bp.route("/", methods=["GET", "POST"])
def index():  # type: ignore[no-untyped-def]
    partner = _partner()
    events, coupons = _targets(partner)
    form = ScanForm()
    form.target.choices = [("", "")] + events + coupons  # what validation accepts; the template draws the groups
    result, message = None, None
    if form.is_submitted() and form.validate():
        kind, _sep, item_id = form.target.data.partition(":")
        result = services.scan(get_session(), partner=partner, staff_principal=current_user.principal,
                               staff_id=current_user.id, key=pass_key(), code_text=form.code.data,
                               action=ACTIONS.get(kind, ScanAction.CHECK_IN), item_id=item_id, ip=auth.client_ip())
        message = REFUSALS[result.refusal] if result.refusal else None
        form.code.data = ""  # ready for the next customer; the chosen event or coupon stays
    status = 422 if (form.is_submitted() and form.errors) or (result is not None and not result.accepted) else 200
    return render("passes/scan.html", block="scan_result", console="partner", partner=partner, form=form,
                  events=events, coupons=coupons, result=result, message=message, item_title=_title(result), status=status,
                  submitted=request.method == "POST")


def _title(result: services.ScanResult | None) -> str:
    if result is None or result.item is None:
        return ""
    return event_title(result.item) if result.action == ScanAction.CHECK_IN else coupon_title(result.item)
