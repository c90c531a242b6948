from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from app import auth
from app.accounts import services as accounts
from app.accounts.terms import current_terms
from app.db import get_session
from app.htmx import render

bp = Blueprint("consent", __name__)
bp.before_request(auth.require_resident)


@bp.route("/consents")
def index():  # type: ignore[no-untyped-def]
    """The mandate (委任契約) the resident gave; consents per recipient and purpose join it later."""
    resident = current_user._get_current_object()
    history = accounts.accepted_terms(get_session(), resident)
    return render("consent/index.html", tab="consent", terms=current_terms(), mandate=history[0] if history else None)
