"""An event's printable poster (partner console) and the resident's check-in from it (`/checkin/<token>`), plus the
app's own poster scanner (`/checkin/`) for an installed app whose camera does not open links."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import auth
from app.accounts.forms import EmptyForm
from app.catalog.models import CatalogEvent
from app.catalog.services import event_title
from app.config import current_settings
from app.db import get_session
from app.htmx import render
from app.partners.listings import belongs_to
from app.partners.models import Partner
from app.passes import posters
from app.passes.messages import POSTER_REFUSALS
from app.passes.qr import svg
from app.staff.models import StaffRole

posters_bp = Blueprint("partner_posters", __name__, url_prefix="/partner/posters")
posters_bp.before_request(auth.require_staff(StaffRole.PARTNER.value))

checkin_bp = Blueprint("checkin", __name__, url_prefix="/checkin")
checkin_bp.before_request(auth.require_resident)


def _secret() -> str:
    return current_settings().resolved_secret_key()


@posters_bp.route("/<event_id>")
def poster(event_id: str):  # type: ignore[no-untyped-def]
    db = get_session()
    partner = db.get(Partner, current_user.partner_id)
    event = db.get(CatalogEvent, event_id)
    if partner is None or event is None or not belongs_to(partner, event):
        abort(404)
    url = url_for("checkin.show", token=posters.poster_token(_secret(), partner, event), _external=True)
    return render("passes/poster.html", console="partner", partner=partner, event=event, title=event_title(event),
                  qr=svg(url, _("Check-in QR code for %(event)s", event=event_title(event))), url=url)


@checkin_bp.route("/")
def scanner():  # type: ignore[no-untyped-def]
    return render("passes/checkin_scan.html", tab="home")


@checkin_bp.route("/<token>", methods=["GET", "POST"])
def show(token: str):  # type: ignore[no-untyped-def]
    db, form = get_session(), EmptyForm()
    if form.validate_on_submit():
        done = posters.check_in(db, current_user._get_current_object(), _secret(), token, ip=auth.client_ip())
        if done.accepted and done.event is not None:
            flash(_("You are checked in to %(event)s.", event=event_title(done.event)) if not done.already
                  else _("You were already checked in to %(event)s today.", event=event_title(done.event)), "success")
            return redirect(url_for("checkin.show", token=token), code=303)
        found = done
    else:
        found = posters.read_poster(db, _secret(), token)
    status = 200 if found.accepted else 422 if found.event is not None else 404
    return render("passes/checkin.html", found=found, form=form, tab="home", status=status,
                  title=event_title(found.event) if found.event is not None else "",
                  message=POSTER_REFUSALS.get(found.refusal) if found.refusal else None,
                  checked_in=found.accepted and found.event is not None and _checked_in_today(found.event.id))


def _checked_in_today(event_id: str) -> bool:
    from app.household.ages import japan_today
    from app.participation import services as participation
    from app.participation.models import ParticipationKind

    return participation.recorded_on(get_session(), current_user._get_current_object(), ParticipationKind.EVENT,
                                     event_id, japan_today()) is not None
