"""The partner console (`/partner/`): the partner's events and coupons — create, edit, publish, withdraw.

Plain forms (POST, CSRF, 303 after a change with a flash, 422 with the form again on a mistake, 409 when a colleague
saved in between or the status cannot change so). Guarded for the `partner` role; every row goes through
`app.partners.listings`, which answers "not found" for anything that is not the member's partner's to see.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlmodel import Session, select

from app import auth
from app.catalog.models import CatalogCoupon, CatalogEvent, CatalogVenue, ListingStatus
from app.db import get_session
from app.disclosure.control import HIDDEN_LABEL
from app.errors import Conflict, Forbidden
from app.htmx import render
from app.i18n import bilingual
from app.partners import images, listings
from app.partners import report as weekly_report
from app.partners.forms import DISCOUNT_CHOICES, FORMS, REGISTRATION_CHOICES, ListingForm
from app.partners.models import ListingImage, Partner
from app.recommend.ranking_age import target_ages
from app.recommend.ranking_text import target_en, target_ja
from app.staff.models import StaffRole

bp = Blueprint("partners", __name__, url_prefix="/partner")
bp.before_request(auth.require_staff(StaffRole.PARTNER.value))

KINDS = {"events": listings.EVENT, "coupons": listings.COUPON}
KINDS_RULE = "<any(events, coupons):kinds>"
STATUS_LABELS = {ListingStatus.DRAFT: _l("Draft"), ListingStatus.PUBLISHED: _l("Published"),
                 ListingStatus.WITHDRAWN: _l("Withdrawn")}
STATUS_CHIPS = {ListingStatus.DRAFT: "chip--pending", ListingStatus.PUBLISHED: "chip--ok",
                ListingStatus.WITHDRAWN: "chip--muted"}
FORM_ERROR = _l("Some of what you entered cannot be saved. Please check the marked fields.")


def _partner(required: bool = True) -> Partner | None:
    partner_id = getattr(current_user, "partner_id", None)
    partner = get_session().get(Partner, partner_id) if partner_id else None
    if partner is None and required:
        raise Forbidden()  # a partner member not attached to a partner: nothing to show
    return partner


def _venues(db: Session) -> dict[str, CatalogVenue]:
    return {venue.id: venue for venue in db.exec(select(CatalogVenue))}


def age_text(row: CatalogEvent | CatalogCoupon) -> str:
    """The target ages as residents read them (0〜6歳 / 0–6 years)."""
    target = target_ages(row.target_age_min_months, row.target_age_max_months_exclusive)
    return bilingual(target_ja(target), target_en(target))


def _context(db: Session, partner: Partner | None) -> dict[str, Any]:
    return {"console": "partner", "partner": partner, "venues": _venues(db), "status_labels": STATUS_LABELS,
            "status_chips": STATUS_CHIPS, "age_text": age_text}


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    db = get_session()
    partner = _partner(required=False)
    found = listings.listings_of(db, partner) if partner is not None else listings.PartnerListings([], [])
    return render("partners/index.html", listings=found, **_context(db, partner))


def _form_page(db: Session, partner: Partner, kind: str, form: ListingForm | None, row: Any = None, *,
               status: int = 200, form_error: str = ""):  # type: ignore[no-untyped-def]
    # `status` is the HTTP status; the template's own names never include it (it would shadow render's argument).
    return render("partners/listing.html", status=status, kind=kind, kinds=f"{kind}s", form=form, row=row,
                  read_only=row is not None and not listings.is_own(partner, row), form_error=form_error,
                  discount_choices=DISCOUNT_CHOICES, registration_choices=REGISTRATION_CHOICES,
                  picture=images.image_of(db, kind, row.id) if row is not None else None, **_context(db, partner))


def _cleaned_picture(form: ListingForm) -> tuple[bytes, int, int] | None:
    """The uploaded picture, checked and re-encoded (app/partners/images.py); its problem goes on the field."""
    upload = form.picture.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    try:
        return images.clean(upload.read(images.MAX_BYTES + 1))
    except images.BadImage as error:
        form.picture.errors = [str(error.message)]
        return None


@bp.route("/pictures/<uuid:image_id>")
def picture(image_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """A picture of the partner's own listing, whatever its status (the public one is at /media/…)."""
    partner = _partner()
    held = get_session().get(ListingImage, image_id)
    if held is None or partner is None or held.partner_id != partner.id:
        abort(404)
    return Response(held.data, mimetype="image/webp", headers={"Cache-Control": "private, no-store"})


def _prepared_form(db: Session, partner: Partner, kind: str) -> ListingForm:
    form = FORMS[kind]()
    form.prepare(partner, _venues(db))
    return form


@bp.route(f"/{KINDS_RULE}/new", methods=["GET", "POST"])
def new(kinds: str):  # type: ignore[no-untyped-def]
    db, partner, kind = get_session(), _partner(), KINDS[kinds]
    assert partner is not None
    form = _prepared_form(db, partner, kind)
    if not form.is_submitted():
        return _form_page(db, partner, kind, form)
    valid = form.validate()  # before the picture: validating clears every field's errors
    cleaned = _cleaned_picture(form)
    if not valid or form.picture.errors:
        return _form_page(db, partner, kind, form, status=422, form_error=str(FORM_ERROR))
    try:
        row = listings.create(db, partner, current_user.principal, kind, form.values(), ip=auth.client_ip())
    except listings.InvalidListing as error:
        form.show_problems(error.problems)
        return _form_page(db, partner, kind, form, status=422, form_error=str(error.message))
    if cleaned is not None:
        images.put(db, partner_id=partner.id, kind=kind, listing_id=row.id, cleaned=cleaned)
    flash(_("The event is saved as a draft. Residents see it once you publish it.") if kind == listings.EVENT
          else _("The coupon is saved as a draft. Residents see it once you publish it."), "success")
    return redirect(url_for("partners.edit", kinds=kinds, listing_id=row.id), code=303)


@bp.route(f"/{KINDS_RULE}/<listing_id>", methods=["GET", "POST"])
def edit(kinds: str, listing_id: str):  # type: ignore[no-untyped-def]
    db, partner, kind = get_session(), _partner(), KINDS[kinds]
    assert partner is not None
    row = listings.listing(db, partner, kind, listing_id)
    if not listings.is_own(partner, row):
        if request.method == "POST":
            raise listings.ReadOnlyListing()
        return _form_page(db, partner, kind, None, row)
    form = _prepared_form(db, partner, kind)
    if not form.is_submitted():
        form.fill(row)  # type: ignore[attr-defined]
        return _form_page(db, partner, kind, form, row)
    valid = form.validate()  # before the picture: validating clears every field's errors
    cleaned = _cleaned_picture(form)
    if not valid or form.picture.errors:
        return _form_page(db, partner, kind, form, row, status=422, form_error=str(FORM_ERROR))
    try:
        _row, changed = listings.update(db, partner, current_user.principal, kind, row.id, form.values(),
                                        expected_version=form.expected_version(), ip=auth.client_ip())
    except Conflict:
        return _form_page(db, partner, kind, form, row, status=409, form_error=_(
            "Someone else saved this while you were editing. Open it again to see their changes, then make yours."))
    except listings.InvalidListing as error:
        form.show_problems(error.problems)
        return _form_page(db, partner, kind, form, row, status=422, form_error=str(error.message))
    if cleaned is not None:
        images.put(db, partner_id=partner.id, kind=kind, listing_id=row.id, cleaned=cleaned)
        changed = True
    elif form.remove_picture.data and images.image_of(db, kind, row.id) is not None:
        images.remove(db, kind, row.id)
        changed = True
    flash(_("Your changes are saved.") if changed else _("Nothing was changed."), "success")
    return redirect(url_for("partners.edit", kinds=kinds, listing_id=row.id), code=303)


@bp.post(f"/{KINDS_RULE}/<listing_id>/<any(publish, withdraw):action>")
def change_status(kinds: str, listing_id: str, action: str):  # type: ignore[no-untyped-def]
    db, partner, kind = get_session(), _partner(), KINDS[kinds]
    assert partner is not None
    change = listings.publish if action == "publish" else listings.withdraw
    try:
        row = change(db, partner, current_user.principal, kind, listing_id, ip=auth.client_ip())
    except listings.InvalidTransition as error:
        row = listings.listing(db, partner, kind, listing_id)
        form = _prepared_form(db, partner, kind)
        form.fill(row)  # type: ignore[attr-defined]
        return _form_page(db, partner, kind, form, row, status=409, form_error=str(error.message))
    if action == "publish":
        flash(_("Published: residents whose families it suits can see it from now on."), "success")
    else:
        flash(_("Withdrawn: residents no longer see it. You can publish it again."), "success")
    return redirect(url_for("partners.edit", kinds=kinds, listing_id=row.id), code=303)


@bp.route("/report")
def report():  # type: ignore[no-untyped-def]
    """This week's release of the report (made on the first view of the week; app/partners/report.py)."""
    db = get_session()
    partner = _partner()
    assert partner is not None
    released = weekly_report.release(db, partner)
    return render("partners/report.html", released=released, data=released.payload, kinds=KIND_TITLES,
                  week_dates=[date.fromisoformat(week) for week in released.payload["weeks"]],
                  group_label=weekly_report.group_label, hidden_label=HIDDEN_LABEL, **_context(db, partner))


KIND_TITLES = {"check_in": _l("Check-ins at your events"), "redeem": _l("Coupon uses")}
