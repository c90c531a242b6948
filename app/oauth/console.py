"""The operator's client registry: which recipient's system may ask residents for which offer's items."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import auth
from app.accounts.forms import EmptyForm
from app.consent import catalogue
from app.db import get_session
from app.errors import DomainError
from app.htmx import render
from app.oauth import clients
from app.oauth.scopes import NOTICES
from app.staff.models import StaffRole

bp = Blueprint("clients", __name__, url_prefix="/operator/clients")
bp.before_request(auth.require_staff(StaffRole.OPERATOR.value))


@bp.route("/")
def index(error: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    session = get_session()
    return render("oauth/clients.html", status=status, console="operator", form=EmptyForm(), error=error,
                  clients=clients.all_clients(session), offers=catalogue.active_offers(session),
                  items=clients.registrable_items(session), notices=NOTICES, values=request.form)


@bp.route("/", methods=["POST"])
def register():  # type: ignore[no-untyped-def]
    form = EmptyForm()
    if not form.validate_on_submit():
        return redirect(url_for("clients.index"), code=303)
    session = get_session()
    offer_id = request.form.get("offer", "")
    view = catalogue.offer_view(session, int(offer_id)) if offer_id.isdigit() else None
    if view is None:
        return index(error=_("Choose an offer."), status=422)
    try:
        registration = clients.ClientRegistration(
            client_id=request.form.get("client_id", "").strip(), name=request.form.get("name", "").strip(),
            recipient_key=view.recipient.key, purpose_key=view.purpose.key,
            redirect_uris=request.form.get("redirect_uris", "").split(), scopes=request.form.getlist("scopes"),
            jwks=clients.parse_jwks(request.form.get("jwks", "")), jwks_uri=request.form.get("jwks_uri", "").strip())
        clients.register(session, registration, actor=current_user.principal, ip=request.remote_addr)
    except DomainError as error:
        return index(error=error.message, status=error.status)
    flash(_("Client %(client)s registered.", client=registration.client_id), "success")
    return redirect(url_for("clients.index"), code=303)


@bp.route("/<client_id>/disable", methods=["POST"])
def disable(client_id: str):  # type: ignore[no-untyped-def]
    form = EmptyForm()
    if form.validate_on_submit():
        clients.disable(get_session(), client_id, actor=current_user.principal, ip=request.remote_addr)
        flash(_("Client %(client)s disabled; its tokens are revoked.", client=client_id), "success")
    return redirect(url_for("clients.index"), code=303)
