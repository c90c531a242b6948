from __future__ import annotations

from flask import Blueprint, redirect
from flask_login import current_user

from app import auth
from app.db import get_session
from app.htmx import render
from app.inbox import services as inbox
from app.recommend.views import feed_context
from app.surveys import services as surveys

bp = Blueprint("home", __name__)


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    """Visitors see what Azukari is; residents their home tab; staff go to their console."""
    if not current_user.is_authenticated:
        return render("home/landing.html")
    if current_user.is_staff:
        from app.staff.views import console_url

        return redirect(console_url(current_user), code=303)
    refusal = auth.require_resident()
    if refusal is not None:
        return refusal
    db, resident = get_session(), current_user._get_current_object()
    latest_notices = inbox.notices_of(db, resident, limit=inbox.LATEST_ON_HOME)
    return render("home/index.html", tab="home", latest_notices=latest_notices, surveys=surveys.waiting_for(db, resident),
                  notice_senders=inbox.senders_of(db, latest_notices), unread_notices=inbox.unread_count(db, resident),
                  **feed_context(db, resident))
