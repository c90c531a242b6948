"""The resident's consent screen (同意), receipts, and the public receipt check."""

from __future__ import annotations

import json
import uuid

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import auth, signing
from app.accounts import services as accounts
from app.accounts.forms import EmptyForm
from app.accounts.terms import current_terms
from app.config import current_settings
from app.consent import catalogue, decisions
from app.consent import receipts as receipts_module
from app.consent.models import Sensitivity
from app.db import get_session, utcnow
from app.errors import DomainError, NotFound
from app.htmx import hx_redirect, render

bp = Blueprint("consent", __name__)
bp.before_request(auth.require_resident)
public_bp = Blueprint("receipts", __name__)


def _resident():  # type: ignore[no-untyped-def]
    return current_user._get_current_object()


def _view(offer_id: int, *, active_only: bool = False) -> catalogue.OfferView:
    """New consents only for an active offer; a given consent can be withdrawn or renewed whatever the offer."""
    view = catalogue.offer_view(get_session(), offer_id)
    if view is None or (active_only and not view.offer.active):
        raise NotFound()
    return view


@bp.route("/consents")
def index():  # type: ignore[no-untyped-def]
    """Each request for data, with the recipient's legal name, purpose, benefit, retention and items."""
    db, resident = get_session(), _resident()
    history = accounts.accepted_terms(db, resident)
    now = utcnow()
    offers = []
    for view in catalogue.offer_views(db):
        grants = decisions.grants_for(db, resident, view.recipient.key, view.purpose.key)
        live = {key for key, grant in grants.items() if decisions.is_live(grant, now)}
        if not view.offer.active and not any(g.granted for g in grants.values()):
            continue  # a stopped offer is shown only to those who still hold a consent under it
        expiry = min((g.expires_at for k, g in grants.items() if k in live and g.expires_at), default=None)
        expired = [k for k, g in grants.items() if g.granted and not decisions.is_live(g, now)]
        offers.append({"view": view, "live": live, "expiry": expiry, "expired": expired,
                       "expiring": bool(expiry and expiry - now <= decisions.REMIND_BEFORE)})
    return render("consent/index.html", tab="consent", terms=current_terms(),
                  mandate=history[0] if history else None, offers=offers, form=EmptyForm(),
                  special=Sensitivity.SPECIAL.value)


def _special_care_step_up(view: catalogue.OfferView, items: list[str]):  # type: ignore[no-untyped-def]
    """要配慮 items are consented to (or renewed) only after a fresh login: the redirect to it, or None."""
    special = {i.key for i in view.items if i.sensitivity == Sensitivity.SPECIAL}
    return auth.reauth_required(lambda: None)() if special & set(items) else None


@bp.route("/consents/<int:offer_id>/grant", methods=["POST"])
def grant(offer_id: int):  # type: ignore[no-untyped-def]
    view = _view(offer_id, active_only=True)
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("consent.index"), code=303)
    items = [item.key for item in view.items] if request.form.get("all") else request.form.getlist("items")
    guard = _special_care_step_up(view, items)
    if guard is not None:
        return guard
    try:
        receipt = decisions.grant(get_session(), current_settings(), resident=_resident(), view=view, items=items,
                                  special_confirmed=request.form.get("special_confirmed") == "y", ip=auth.client_ip())
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Consent given to %(recipient)s. Your receipt is ready.", recipient=view.recipient.legal_name),
              "success")
        return hx_redirect(url_for("consent.receipt", receipt_id=receipt.id))
    return hx_redirect(url_for("consent.index") + f"#offer-{offer_id}")


@bp.route("/consents/<int:offer_id>/withdraw", methods=["POST"])
def withdraw(offer_id: int):  # type: ignore[no-untyped-def]
    view = _view(offer_id)
    if EmptyForm().validate_on_submit():
        items = request.form.getlist("items") or None
        receipt = decisions.withdraw(get_session(), current_settings(), resident=_resident(), view=view, items=items,
                                     ip=auth.client_ip())
        if receipt is not None:
            flash(_("Consent withdrawn. %(recipient)s can no longer receive these items.",
                    recipient=view.recipient.legal_name), "success")
    return hx_redirect(url_for("consent.index") + f"#offer-{offer_id}")


@bp.route("/consents/<int:offer_id>/renew", methods=["POST"])
def renew(offer_id: int):  # type: ignore[no-untyped-def]
    view = _view(offer_id, active_only=True)  # renewing asks again: only while the offer is made
    if EmptyForm().validate_on_submit():
        granted = decisions.grants_for(get_session(), _resident(), view.recipient.key, view.purpose.key)
        guard = _special_care_step_up(view, [key for key, g in granted.items() if g.granted])
        if guard is not None:
            return guard
        try:
            receipt = decisions.renew(get_session(), current_settings(), resident=_resident(), view=view,
                                      special_confirmed=request.form.get("special_confirmed") == "y", ip=auth.client_ip())
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            if receipt is not None:
                flash(_("Consent renewed for another year."), "success")
    return hx_redirect(url_for("consent.index") + f"#offer-{offer_id}")


@bp.route("/consents/receipts")
def receipts():  # type: ignore[no-untyped-def]
    return render("consent/receipts.html", tab="consent", receipts=decisions.receipts_of(get_session(), _resident()))


def _own_receipt(receipt_id: uuid.UUID):  # type: ignore[no-untyped-def]
    receipt = decisions.receipt_of(get_session(), _resident(), receipt_id)
    if receipt is None:
        raise NotFound()
    return receipt


@bp.route("/consents/receipts/<uuid:receipt_id>")
def receipt(receipt_id: uuid.UUID):  # type: ignore[no-untyped-def]
    receipt = _own_receipt(receipt_id)
    try:
        verified = signing.verify(receipt.jws) == receipt.body
    except signing.BadSignature:
        verified = False
    return render("consent/receipt.html", tab="consent", receipt=receipt, verified=verified,
                  body_json=json.dumps(receipt.body, ensure_ascii=False, indent=2))


@bp.route("/consents/receipts/<uuid:receipt_id>.jws")
def receipt_jws(receipt_id: uuid.UUID):  # type: ignore[no-untyped-def]
    receipt = _own_receipt(receipt_id)
    return Response(receipt.jws, mimetype="application/jose",
                    headers={"Content-Disposition": f'attachment; filename="consent-receipt-{receipt.id}.jws"'})


@public_bp.route("/receipts/verify", methods=["GET", "POST"])
def verify():  # type: ignore[no-untyped-def]
    """Anyone may check a receipt: paste the JWS; the answer says whether the bank's key signed it, and what."""
    form = EmptyForm()
    result, body = None, None
    if form.validate_on_submit():
        token = (request.form.get("jws") or "").strip()
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            token = upload.read(65536).decode("utf-8", errors="replace").strip()
        try:
            body = signing.verify(token, typ=receipts_module.RECEIPT_TYPE)
        except signing.BadSignature:
            result = "invalid"
        else:
            result = "valid"
    return render("consent/verify.html", form=form, result=result,
                  body_json=json.dumps(body, ensure_ascii=False, indent=2) if body else None,
                  status=422 if result == "invalid" else 200)


RECEIPT_EVENTS = {"given": _l("Consent given"), "withdrawn": _l("Consent withdrawn"), "renewed": _l("Consent renewed")}


@bp.app_template_global()
def receipt_event(event: str) -> str:
    return str(RECEIPT_EVENTS.get(event, event))
