from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from app import auth
from app.accounts import services as accounts
from app.db import get_session
from app.htmx import render

bp = Blueprint("household", __name__)
bp.before_request(auth.require_resident)


@bp.route("/my-data")
def index():  # type: ignore[no-untyped-def]
    """What the bank holds for this resident. Household data arrives with the household issue."""
    resident = current_user._get_current_object()
    return render("household/index.html", tab="data", resident=resident,
                  terms_history=accounts.accepted_terms(get_session(), resident))
