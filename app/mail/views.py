"""The development mailbox: every mail the bank queued, readable at /dev/mail (outbox backend only)."""

from __future__ import annotations

from flask import Blueprint

from app.db import get_session
from app.errors import NotFound
from app.htmx import render
from app.mail.models import MailMessage
from app.mail.services import outbox

bp = Blueprint("mail", __name__, url_prefix="/dev/mail")


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    return render("mail/outbox.html", messages=outbox(get_session()))


@bp.route("/<int:message_id>")
def show(message_id: int):  # type: ignore[no-untyped-def]
    message = get_session().get(MailMessage, message_id)
    if message is None:
        raise NotFound()
    return render("mail/message.html", message=message)
