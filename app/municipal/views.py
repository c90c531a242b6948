from __future__ import annotations

from flask import Blueprint

from app import auth
from app.htmx import render
from app.staff.models import StaffRole

bp = Blueprint("municipal", __name__, url_prefix="/municipal")
bp.before_request(auth.require_staff(StaffRole.MUNICIPAL.value))


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    return render("municipal/index.html", console="municipal")
