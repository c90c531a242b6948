"""The resident's pages for delegated disclosure (/city-records/): what it is and a new request, a request's page
(timeline, deadline, what arrived, keep or decline, cancel), the mandate (page and JSON), deleting a kept record.

Plain forms (POST, CSRF, 303 back with a flash); another resident's request is 404.
"""

from __future__ import annotations

import json
import uuid

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import auth
from app.accounts.forms import EmptyForm
from app.city_records import mandate, services
from app.city_records.deadline import days_left, is_overdue
from app.city_records.forms import RequestForm
from app.city_records.states import LABELS, OPEN, WAITING_FOR_CITY, RequestState
from app.config import current_settings
from app.db import get_session
from app.errors import DomainError
from app.household import services as household
from app.htmx import render
from app.i18n import current_language

bp = Blueprint("city_records", __name__, url_prefix="/city-records")
bp.before_request(auth.require_resident)

S = RequestState
DECIDED = {S.DECIDED_DISCLOSE, S.DECIDED_NOT_DISCLOSE, S.DELIVERED, S.IMPORTED, S.DISCARDED}


def _resident():  # type: ignore[no-untyped-def]
    return current_user._get_current_object()


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    db, resident = get_session(), _resident()
    requests = services.requests_of(db, resident)
    return render("city_records/index.html", tab="data", requests=requests, labels=LABELS,
                  open_request=next((r for r in requests if r.state in OPEN), None))


@bp.route("/new", methods=["GET", "POST"])
def new():  # type: ignore[no-untyped-def]
    db, resident = get_session(), _resident()
    open_request = services.open_request_of(db, resident)
    if open_request is not None:
        flash(_("You already have a request in progress."), "info")
        return redirect(url_for("city_records.show", request_id=open_request.id), 303)
    form = RequestForm()
    if request.method == "GET":
        # The address Azukari holds (from Smart Life Pass), for the resident to check; typed when there is none.
        form.address.data = household.address_line(db, resident) or ""
    if form.validate_on_submit():
        try:
            created = services.start(db, current_settings(), resident, name=form.name.data, birth_date=form.birth_date.data,
                                     address=form.address.data, years=int(form.years.data), ip=auth.client_ip())
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Your request is on its way to Kashiwa City."), "success")
            return redirect(url_for("city_records.show", request_id=created.id), 303)
    status = 422 if form.is_submitted() else 200
    return render("city_records/new.html", tab="data", form=form, status=status)


def _page_context(found):  # type: ignore[no-untyped-def]
    state = found.request_state
    return {
        "req": found, "state": state, "labels": LABELS, "timeline": services.timeline(found),
        "waiting": state in WAITING_FOR_CITY, "can_cancel": services.can_cancel(found),
        "overdue": is_overdue(found.deadline_on, decided=state in DECIDED or state == S.CANCELED),
        "days_left": days_left(found.deadline_on),
        "delivered": services.delivered_views(get_session(), found, current_language()) if state == S.DELIVERED else [],
        "form": EmptyForm(),
    }


@bp.route("/<uuid:request_id>")
def show(request_id: uuid.UUID):  # type: ignore[no-untyped-def]
    found = services.request_of(get_session(), _resident(), request_id)
    return render("city_records/show.html", tab="data", **_page_context(found))


@bp.route("/<uuid:request_id>/mandate")
def mandate_page(request_id: uuid.UUID):  # type: ignore[no-untyped-def]
    found = services.request_of(get_session(), _resident(), request_id)
    return render("city_records/mandate.html", tab="data", req=found, mandate=mandate.contents(found.mandate_jws))


@bp.route("/<uuid:request_id>/mandate.json")
def mandate_json(request_id: uuid.UUID):  # type: ignore[no-untyped-def]
    found = services.request_of(get_session(), _resident(), request_id)
    document = {"mandate": mandate.contents(found.mandate_jws), "jws": found.mandate_jws, "typ": mandate.TYP,
                "verify_with": current_settings().absolute_url("/.well-known/jwks.json")}
    body = json.dumps(document, ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="azukari-mandate-{found.id}.json"'})


def _act(request_id: uuid.UUID, action, done: str):  # type: ignore[no-untyped-def]
    if EmptyForm().validate_on_submit():
        action(get_session(), _resident(), request_id, ip=auth.client_ip())
        flash(done, "success")
    return redirect(url_for("city_records.show", request_id=request_id), 303)


@bp.post("/<uuid:request_id>/cancel")
def cancel(request_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _act(request_id, services.cancel, _("The request is canceled. Kashiwa City is told."))


@bp.post("/<uuid:request_id>/keep")
def keep(request_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _act(request_id, services.keep, _("The records are kept in your data."))


@bp.post("/<uuid:request_id>/decline")
def decline(request_id: uuid.UUID):  # type: ignore[no-untyped-def]
    return _act(request_id, services.decline, _("The records are not kept. Azukari deleted its copy."))


@bp.post("/usage/<uuid:usage_id>/delete")
def delete_usage(usage_id: uuid.UUID):  # type: ignore[no-untyped-def]
    if EmptyForm().validate_on_submit():
        services.delete_usage(get_session(), _resident(), usage_id, ip=auth.client_ip())
        flash(_("The record is deleted."), "success")
    return redirect(url_for("household.index", _anchor="city-records"), 303)
