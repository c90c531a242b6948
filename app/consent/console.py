"""The operator's catalogue console: the ethics board's approvals (recipients, purposes and the profiling rules'
current versions), and which offers reach residents."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlmodel import select
from wtforms import SelectChoice

from app import auth
from app.accounts.forms import EmptyForm
from app.consent import catalogue, special_care
from app.consent.forms import OfferForm, PurposeForm, RecipientForm
from app.consent.models import DataItem, EthicsApproval, Offer, Purpose, Recipient
from app.db import get_session
from app.errors import DomainError, NotFound
from app.htmx import render
from app.recommend import rules
from app.staff.models import StaffRole

bp = Blueprint("catalogue", __name__, url_prefix="/operator/catalogue")
bp.before_request(auth.require_staff(StaffRole.OPERATOR.value))


def _offer_form(db) -> OfferForm:  # type: ignore[no-untyped-def]
    form = OfferForm(prefix="offer")
    form.recipient.choices = [SelectChoice(r.key, r.legal_name) for r in db.exec(select(Recipient).order_by(Recipient.key))]
    form.purpose.choices = [SelectChoice(p.key, p.name_ja) for p in db.exec(select(Purpose).order_by(Purpose.key))]
    # Never a 要配慮 item outside the 指針 Ver3.0 list (B5): it cannot be picked, so it is not a choice.
    form.items.choices = [SelectChoice(i.key, i.name_ja) for i in db.exec(select(DataItem).order_by(DataItem.key))
                          if special_care.pickable(i)]
    return form


@bp.route("/")
def index(recipient_form: RecipientForm | None = None, purpose_form: PurposeForm | None = None,  # type: ignore[no-untyped-def]
          offer_form: OfferForm | None = None, status: int = 200):
    db = get_session()
    approvals = {(a.subject_kind, a.subject_key): a for a in db.exec(select(EthicsApproval))}
    return render(
        "consent/catalogue.html",
        status=status,
        recipient_form=recipient_form or RecipientForm(prefix="recipient"),
        purpose_form=purpose_form or PurposeForm(prefix="purpose"),
        offer_form=offer_form or _offer_form(db),
        console="operator",
        items=list(db.exec(select(DataItem).order_by(DataItem.key))),
        recipients=list(db.exec(select(Recipient).order_by(Recipient.key))),
        purposes=list(db.exec(select(Purpose).order_by(Purpose.key))),
        profiling_rules=rules.current_rules(),
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


@bp.route("/recipients", methods=["POST"])
def add_recipient():  # type: ignore[no-untyped-def]
    form = RecipientForm(prefix="recipient")
    if form.validate_on_submit():
        values = {name: (getattr(form, name).data or "").strip() for name in
                  ("key", "legal_name", "name_en", "kind", "address", "contact", "privacy_policy_url")}
        try:
            catalogue.add_recipient(get_session(), actor=current_user.principal, values=values, ip=auth.client_ip())
        except DomainError as error:
            form.key.errors = [str(error.message)]
        else:
            flash(_("Recipient added. Record the ethics board's approval before offering anything for it."), "success")
            return redirect(url_for("catalogue.index"), code=303)
    return index(recipient_form=form, status=422)


@bp.route("/purposes", methods=["POST"])
def add_purpose():  # type: ignore[no-untyped-def]
    form = PurposeForm(prefix="purpose")
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in
                  ("key", "name_ja", "name_en", "benefit_ja", "benefit_en", "retention_days")}
        try:
            catalogue.add_purpose(get_session(), actor=current_user.principal, values=values, ip=auth.client_ip())
        except DomainError as error:
            form.key.errors = [str(error.message)]
        else:
            flash(_("Purpose added. Record the ethics board's approval before offering anything for it."), "success")
            return redirect(url_for("catalogue.index"), code=303)
    return index(purpose_form=form, status=422)


@bp.route("/offers", methods=["POST"])
def add_offer():  # type: ignore[no-untyped-def]
    db = get_session()
    form = _offer_form(db)
    if form.validate_on_submit():
        try:
            catalogue.add_offer(db, actor=current_user.principal, recipient_key=form.recipient.data,
                                purpose_key=form.purpose.data, items=list(form.items.data), ip=auth.client_ip())
        except DomainError as error:
            form.items.errors = [str(error.message)]
        else:
            flash(_("Offer added. It reaches residents once you offer it."), "success")
            return redirect(url_for("catalogue.index"), code=303)
    return index(offer_form=form, status=422)
