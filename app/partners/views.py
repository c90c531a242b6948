from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from app import auth
from app.db import get_session
from app.htmx import render
from app.partners.models import Partner
from app.staff.models import StaffRole

bp = Blueprint("partners", __name__, url_prefix="/partner")
bp.before_request(auth.require_staff(StaffRole.PARTNER.value))


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    partner = get_session().get(Partner, current_user.partner_id)
    return render("partners/index.html", console="partner", partner=partner)
