"""The resident's inbox (お知らせ): the list, one notice, read / delete, and stopping a sender.

Every action is a plain form (303 back to the list) that htmx enhances: from the list, htmx gets the list back
as a fragment (with the top bar's unread count swapped out of band).
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from flask import Blueprint, flash, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import auth
from app.accounts.forms import EmptyForm
from app.config import current_settings
from app.db import get_session
from app.htmx import hx_redirect, render, wants_fragment
from app.inbox import services
from app.inbox.models import Notice

bp = Blueprint("inbox", __name__)
bp.before_request(auth.require_resident)

TAB = "inbox"  # not a tab of the bottom bar: the top bar's inbox link is the current one
LIST_TARGET = "inbox-list"


def _resident():  # type: ignore[no-untyped-def]
    return current_user._get_current_object()


def _list_page():  # type: ignore[no-untyped-def]
    db, resident = get_session(), _resident()
    notices = services.notices_of(db, resident)
    return render("inbox/index.html", block="inbox_list", tab=TAB, notices=notices,
                  senders=services.senders_of(db, notices), unread=services.unread_count(db, resident),
                  fragment=wants_fragment())


def _from_the_list() -> bool:
    """An htmx action on the list swaps the list; any other request (a plain form, the detail page) redirects."""
    return wants_fragment() and request.headers.get("HX-Target") == LIST_TARGET


@bp.get("/inbox")
def index():  # type: ignore[no-untyped-def]
    """Newest first; unread ones say so in words, not only in colour."""
    return _list_page()


def _ledger_url(notice: Notice) -> str | None:
    """The history page's page that starts at the record (seq < before), scrolled to it."""
    seq = notice.ledger_seq
    if seq is None:
        return None
    return url_for("ledger.history", before=seq + 1, _anchor=f"record-{seq}")


@bp.get("/inbox/<uuid:notice_id>")
def show(notice_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Opening a notice marks it read."""
    db, resident = get_session(), _resident()
    notice = services.notice_of(db, resident, notice_id)
    services.mark_read(db, resident, notice)
    basis = services.basis_of(db, resident, notice)
    if services.is_from_bank(notice):  # about the resident's own request: its link stays inside the app
        return render("inbox/show.html", tab=TAB, notice=notice, basis=basis, own_link=notice.link_url,
                      from_bank=True, link="", form=EmptyForm(), can_stop=False)
    # The API checked the link; checked again here so that nothing else ever becomes an href.
    link = notice.link_url if services.is_safe_link(notice.link_url) else ""
    return render("inbox/show.html", tab=TAB, notice=notice, basis=basis, link=link,
                  link_host=urlsplit(link).hostname if link else None,
                  ledger_url=_ledger_url(notice), can_stop=services.consents_to(
                      db, resident, notice.recipient_key, notice.purpose_key), form=EmptyForm())


@bp.post("/inbox/<uuid:notice_id>/read")
def read(notice_id: uuid.UUID):  # type: ignore[no-untyped-def]
    db, resident = get_session(), _resident()
    notice = services.notice_of(db, resident, notice_id)
    if EmptyForm().validate_on_submit():
        services.mark_read(db, resident, notice)
        db.flush()
    if _from_the_list():
        return _list_page()
    return hx_redirect(url_for("inbox.index", _anchor=f"notice-{notice_id}"))


@bp.post("/inbox/<uuid:notice_id>/delete")
def delete(notice_id: uuid.UUID):  # type: ignore[no-untyped-def]
    db, resident = get_session(), _resident()
    notice = services.notice_of(db, resident, notice_id)
    if EmptyForm().validate_on_submit():
        services.delete_notice(db, resident, notice)
        flash(_("Notice deleted."), "success")
    if _from_the_list():
        return _list_page()
    return hx_redirect(url_for("inbox.index"))


@bp.route("/inbox/senders/<recipient_key>/<purpose_key>/stop", methods=["GET", "POST"])
def stop_sender(recipient_key: str, purpose_key: str):  # type: ignore[no-untyped-def]
    """GET: what stopping means (it withdraws the consent). POST: withdraw it."""
    db, resident = get_session(), _resident()
    view = services.sender_offer(db, recipient_key, purpose_key)
    form = EmptyForm()
    if request.method == "POST":
        if form.validate_on_submit():
            receipt = services.stop_sender(db, current_settings(), resident=resident, recipient_key=recipient_key,
                                           purpose_key=purpose_key, ip=auth.client_ip())
            if receipt is not None:
                flash(_("Notices from %(sender)s are stopped and your consent is withdrawn. They no longer receive "
                        "your data.", sender=view.recipient.legal_name), "success")
            else:
                flash(_("Notices from %(sender)s were already stopped.", sender=view.recipient.legal_name), "info")
        return hx_redirect(url_for("inbox.index"))
    grants = services.consents_to(db, resident, recipient_key, purpose_key)
    return render("inbox/stop.html", tab=TAB, view=view, consents=grants, form=form)


@bp.app_template_global()
def inbox_unread() -> int | None:
    """The logged-in resident's unread count for the top bar (None for anyone else); once per request."""
    if not (current_user.is_authenticated and not current_user.is_staff):
        return None
    if "inbox_unread" not in g:
        g.inbox_unread = services.unread_count(get_session(), _resident())
    return int(g.inbox_unread)
