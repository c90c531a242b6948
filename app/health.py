"""GET /healthz: the process is up and the database answers (for load balancers and the test runner)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify

from app.db import get_session

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz() -> Response:
    try:
        get_session().execute(sa.text("SELECT 1"))
    except Exception:
        response = jsonify(status="unavailable")
        response.status_code = 503
        return response
    return jsonify(status="ok")
