from __future__ import annotations

from flask import Blueprint

from app import auth
from app.htmx import render

bp = Blueprint("switching", __name__)
bp.before_request(auth.require_resident)


@bp.route("/switching")
def index():  # type: ignore[no-untyped-def]
    return render("switching/index.html", tab="switching")
