"""The operator's catalogue console: the ethics board's approvals, and which offers reach residents."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import select

from app import auth
from app.accounts.forms import EmptyForm
from app.consent import catalogue
from app.consent.models import DataItem, EthicsApproval, Offer, Purpose, Recipient
from app.db import get_session
from app.errors import DomainError, NotFound
from app.htmx import render
from app.staff.models import StaffRole

bp = Blueprint("catalogue", __name__, url_prefix="/operator/catalogue")
bp.before_request(auth.require_staff(StaffRole.OPERATOR.value))


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    db = get_session()
    approvals = {(a.subject_kind, a.subject_key): a for a in db.exec(select(EthicsApproval))}
    return render(
        "consent/catalogue.html",
        console="operator",
        items=list(db.exec(select(DataItem).order_by(DataItem.key))),
        recipients=list(db.exec(select(Recipient).order_by(Recipient.key))),
        purposes=list(db.exec(select(Purpose).order_by(Purpose.key))),
        offers=catalogue.all_offers(db),
        approvals=approvals,
        form=EmptyForm(),
        today=date.today().isoformat(),
    )


@bp.route("/approvals", methods=["POST"])
def record_approval():  # type: ignore[no-untyped-def]
    kind, key = request.form.get("kind", ""), request.form.get("key", "")
    minutes_ref = (request.form.get("minutes_ref") or "").strip()
    try:
        approved_on = date.fromisoformat(request.form.get("approved_on", ""))
    except ValueError:
        flash(_("Enter the date of the board's decision."), "error")
        return redirect(url_for("catalogue.index"), code=303)
    if not minutes_ref or len(minutes_ref) > 100:
        flash(_("Enter the reference of the board's minutes."), "error")
        return redirect(url_for("catalogue.index"), code=303)
    try:
        catalogue.record_approval(get_session(), actor=current_user.principal, kind=kind, key=key,
                                  approved_on=approved_on, minutes_ref=minutes_ref, ip=auth.client_ip())
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("The ethics board's approval is recorded."), "success")
    return redirect(url_for("catalogue.index"), code=303)


@bp.route("/offers/<int:offer_id>/<any(activate, deactivate):action>", methods=["POST"])
def set_offer(offer_id: int, action: str):  # type: ignore[no-untyped-def]
    db = get_session()
    offer = db.get(Offer, offer_id)
    if offer is None:
        raise NotFound()
    try:
        catalogue.activate_offer(db, actor=current_user.principal, offer=offer, active=action == "activate",
                                 ip=auth.client_ip())
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Offered to residents.") if offer.active else _("No longer offered. Consents already given stay until "
                                                                 "withdrawn or expired, but no new ones are asked."),
              "success")
    return redirect(url_for("catalogue.index"), code=303)
