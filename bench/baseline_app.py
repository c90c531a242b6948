"""The app gunicorn serves in the feed benchmark: the bank's own app plus one bench-only page, so the feed and its
baseline run in the same processes with the same configuration.

GET /bench/baseline is "a logged-in session lookup and one query": the same guard as /feed (`auth.require_resident`:
the server-side session, the resident and the terms check), then one SELECT, and a page in the app's resident
layout (as every page of the app is: header, navigation, CSP nonce), with nothing in it but the count. What the
feed costs beyond it is the feed's own: reading the kept feed, the catalogue rows it names, the cards.
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask_login import current_user
from sqlmodel import col, func, select

from app import auth, create_app
from app.db import get_session
from app.household.models import Child

bp = Blueprint("bench", __name__, url_prefix="/bench", template_folder="templates")
bp.before_request(auth.require_resident)


@bp.route("/baseline")
def baseline() -> str:
    count = get_session().exec(select(func.count()).select_from(Child).where(col(Child.guardian_id) == current_user.id)).one()
    return render_template("bench/baseline.html", count=count)


def create_bench_app() -> Flask:
    app = create_app()
    app.register_blueprint(bp)
    return app
