"""「参加した」 / 「使った」 on a card's detail page, and removing a record (from that page or from わたしのデータ).

Every action is a plain form (303 back with a flash) that htmx enhances: htmx gets back only the small region it
came from (the detail page's button, or わたしのデータ's list), told apart by `HX-Target`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField

from app import auth
from app.accounts.forms import EmptyForm
from app.db import get_session
from app.household.ages import japan_today
from app.htmx import hx_redirect, render, wants_fragment
from app.participation import services
from app.participation.models import Participation, ParticipationKind

bp = Blueprint("participation", __name__)
bp.before_request(auth.require_resident)

RECORD_TARGET = "participation-record"  # the detail page's region
LIST_TARGET = "participation-list"  # わたしのデータ's list
KINDS = {"events": ParticipationKind.EVENT, "coupons": ParticipationKind.COUPON}
DETAIL_ENDPOINTS = {ParticipationKind.EVENT: ("recommend.event_detail", "event_id"),
                    ParticipationKind.COUPON: ("recommend.coupon_detail", "coupon_id")}


class RemoveForm(FlaskForm):
    # Where a plain form goes back to: the card's detail page or わたしのデータ (never a URL from the request).
    back = HiddenField()


def _resident():  # type: ignore[no-untyped-def]
    return current_user._get_current_object()


def _detail_url(kind: str, item_id: str) -> str:
    endpoint, argument = DETAIL_ENDPOINTS[kind]
    return url_for(endpoint, **{argument: item_id})


def _kind(kinds: str) -> str:
    kind = KINDS.get(kinds)
    if kind is None:
        raise services.UnknownItem()
    return kind


def _from(target: str) -> bool:
    return wants_fragment() and request.headers.get("HX-Target") == target


def _record_region(kind: str, item_id: str):  # type: ignore[no-untyped-def]
    return render("participation/_record.html", block="participation_record", card={"kind": kind, "id": item_id})


def _list_region():  # type: ignore[no-untyped-def]
    return render("participation/_history.html", block="participation_list",
                  participations=services.history_views(get_session(), _resident()))


@bp.post("/participation/<any(events, coupons):kinds>/<item_id>")
def record(kinds: str, item_id: str):  # type: ignore[no-untyped-def]
    """The resident joined this event / used this coupon today (again the same day: nothing changes)."""
    kind = _kind(kinds)
    if EmptyForm().validate_on_submit():
        services.record(get_session(), _resident(), kind, item_id, japan_today(), ip=auth.client_ip())
        if not _from(RECORD_TARGET):
            flash(_("Recorded: you joined this event.") if kind == ParticipationKind.EVENT
                  else _("Recorded: you used this coupon."), "success")
    if _from(RECORD_TARGET):
        return _record_region(kind, item_id)
    return hx_redirect(_detail_url(kind, item_id))


@bp.post("/participation/<uuid:participation_id>/delete")
def remove(participation_id: uuid.UUID):  # type: ignore[no-untyped-def]
    db, resident = get_session(), _resident()
    participation = services.participation_of(db, resident, participation_id)
    kind, item_id = participation.kind, participation.item_id
    form = RemoveForm()
    if form.validate_on_submit():
        services.remove(db, resident, participation_id, ip=auth.client_ip())
        if not wants_fragment():
            flash(_("The record is deleted."), "success")
    if _from(RECORD_TARGET):
        return _record_region(kind, item_id)
    if _from(LIST_TARGET):
        return _list_region()
    if form.back.data == "detail":
        return hx_redirect(_detail_url(kind, item_id))
    return hx_redirect(url_for("household.index", _anchor="participation"))


@dataclass(frozen=True)
class RecordState:
    """What the detail page's region shows: today's record (then 「取り消す」), or the button and the last day."""

    kind: str
    item_id: str
    today: Participation | None
    last: Participation | None

    @property
    def record_url(self) -> str:
        return url_for("participation.record", kinds=f"{self.kind}s", item_id=self.item_id)


@bp.app_template_global()
def participation_state(kind: Any, item_id: Any) -> RecordState | None:
    """For templates/participation/_record.html: None for anything but an event or coupon of a logged-in resident."""
    if kind not in ParticipationKind.ALL or not item_id:
        return None
    if not (current_user.is_authenticated and not current_user.is_staff):
        return None
    db, resident = get_session(), _resident()
    today = services.recorded_on(db, resident, kind, str(item_id), japan_today())
    last = today or services.last_recorded(db, resident, kind, str(item_id))
    return RecordState(kind=kind, item_id=str(item_id), today=today, last=last)
