"""The resident's pass (`/pass`): the rotating QR code a partner scans, refreshed by htmx before it changes, and ten
offline codes in the same page for the service worker to keep (templates/pwa/sw.js); renewing the pass voids
every code issued before."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import auth
from app.accounts.forms import EmptyForm
from app.config import current_settings
from app.db import get_session, utcnow
from app.htmx import render, wants_fragment
from app.passes import codes, services
from app.passes.qr import svg

bp = Blueprint("passes", __name__, url_prefix="/pass")
bp.before_request(auth.require_resident)

OFFLINE_HEADER = "X-Azukari-Offline"


def pass_key() -> bytes:
    return codes.pass_key(current_settings().resolved_secret_key())


@bp.route("/")
def show():  # type: ignore[no-untyped-def]
    db, now = get_session(), utcnow()
    fragment = wants_fragment()
    found = services.codes_for(db, current_user._get_current_object(), pass_key(), now, offline=not fragment)
    label = _("Your Azukari pass QR code")
    offline = [(code, codes.grouped(code), svg(code, label)) for code in found.offline]
    response = render("passes/show.html", block="pass_code", current=found.current, grouped=codes.grouped(found.current),
                      qr=svg(found.current, label), refresh_in=max(1, int((found.refresh_at - now).total_seconds())),
                      offline_codes=offline, issued_at=now, expires_at=now + codes.OFFLINE_VALIDITY,
                      scans=services.last_scans(db, current_user._get_current_object()), renew_form=EmptyForm(), tab="home")
    response.headers["Cache-Control"] = "private, no-store"
    if not fragment:
        # The service worker keeps this page for offline use, the last one loaded (templates/pwa/sw.js).
        response.headers[OFFLINE_HEADER] = "pass"
    return response


@bp.route("/renew", methods=["POST"])
def renew():  # type: ignore[no-untyped-def]
    form = EmptyForm()
    if form.validate_on_submit():
        services.renew(get_session(), current_user._get_current_object())
        flash(_("Your pass is renewed. Codes shown before, including saved offline codes, no longer work."), "success")
    return redirect(url_for("passes.show"), code=303)
