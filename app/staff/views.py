"""Staff login (password, then TOTP), invitation acceptance and TOTP enrollment."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta
from typing import Any

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, flash, redirect, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import auth
from app.accounts.passwords import WeakPassword
from app.accounts.services import InvalidCredentials
from app.config import current_settings
from app.db import get_session, utcnow
from app.errors import RateLimited, rate_limited_message
from app.htmx import render
from app.sessions import hash_token
from app.staff import forms, services
from app.staff.models import StaffMember, StaffRole
from app.tokens import InvalidToken

bp = Blueprint("staff", __name__, url_prefix="/staff")

# How long the password step stays valid while the member finds the authenticator app.
PENDING_LOGIN_TTL = timedelta(minutes=5)

CONSOLES = {
    StaffRole.OPERATOR.value: "operator.index",
    StaffRole.MUNICIPAL.value: "municipal.index",
    StaffRole.PARTNER.value: "partners.index",
    StaffRole.ANALYST.value: "analysts.index",
}


def console_url(member: Any) -> str:
    return url_for(CONSOLES[member.role])


def _pending_member(key: str) -> StaffMember | None:
    """The member who passed the first step in this browser session, if it is recent enough."""
    pending = session.get(key)
    if not pending:
        return None
    if utcnow() - datetime.fromisoformat(pending["at"]) > PENDING_LOGIN_TTL:
        session.pop(key, None)
        return None
    member = get_session().get(StaffMember, uuid.UUID(pending["id"]))
    if member is None or not member.active or pending.get("pw") != _password_mark(member):
        return None  # disabled, or re-invited (a new password) since the first step
    return member


def _password_mark(member: StaffMember) -> str | None:
    return hash_token(member.password_hash)[:16] if member.password_hash else None


def _set_pending(key: str, member: StaffMember) -> None:
    session[key] = {"id": str(member.id), "at": utcnow().isoformat(), "pw": _password_mark(member)}


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated and current_user.is_staff:
        return redirect(console_url(current_user), code=303)
    form = forms.StaffLoginForm()
    error_message, status, retry_after = None, 200, None
    if form.validate_on_submit():
        try:
            member = services.check_password(get_session(), current_settings(), email=form.email.data,
                                             password=form.password.data, ip=auth.client_ip())
        except InvalidCredentials as error:
            error_message, status = str(error.message), 422
        except RateLimited as error:
            error_message, status, retry_after = rate_limited_message(error), 429, error.retry_after
        else:
            if member.totp_secret is None:
                _set_pending("staff_enrolling", member)
                return redirect(url_for("staff.enroll"), code=303)
            _set_pending("staff_pending", member)
            return redirect(url_for("staff.code"), code=303)
    elif form.errors:
        status = 422
    response = render("staff/login.html", form=form, error_message=error_message, status=status,
                      session_expired=getattr(session, "expired", False))
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.route("/login/code", methods=["GET", "POST"])
def code():  # type: ignore[no-untyped-def]
    member = _pending_member("staff_pending")
    if member is None:
        flash(_("Please start again with your email address and password."), "info")
        return redirect(url_for("staff.login"), code=303)
    form = forms.CodeForm()
    status, retry_after = 200, None
    if form.validate_on_submit():
        try:
            services.check_code(get_session(), current_settings(), member=member, code=form.code.data, ip=auth.client_ip())
        except services.InvalidCode as error:
            form.code.errors = [str(error.message)]
        except RateLimited as error:
            session.pop("staff_pending", None)
            form.code.errors = [rate_limited_message(error)]
            status, retry_after = 429, error.retry_after
        else:
            auth.begin_session(member)
            return redirect(console_url(member), code=303)
    if form.errors and status == 200:
        status = 422
    response = render("staff/code.html", form=form, status=status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):  # type: ignore[no-untyped-def]
    db = get_session()
    try:
        member = services.member_for_invitation(db, token=token)
    except InvalidToken as error:
        return render("accounts/reset_invalid.html", message=str(error.message), status=400)
    form = forms.SetPasswordForm()
    if form.validate_on_submit():
        try:
            member = services.accept_invitation(db, token=token, password=form.password.data, ip=auth.client_ip())
        except WeakPassword as error:
            form.password.errors = list(error.problems)
        else:
            _set_pending("staff_enrolling", member)
            return redirect(url_for("staff.enroll"), code=303)
    return render("staff/invite.html", form=form, member=member, status=422 if form.errors else 200)


@bp.route("/enroll", methods=["GET", "POST"])
def enroll():  # type: ignore[no-untyped-def]
    """Set up the authenticator app: scan the QR code (or type the key), then confirm one code."""
    member = _pending_member("staff_enrolling")
    if member is None:
        flash(_("Please start again with your email address and password."), "info")
        return redirect(url_for("staff.login"), code=303)
    db, settings = get_session(), current_settings()
    form = forms.CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.confirm_enrollment(db, settings, member=member, code=form.code.data, ip=auth.client_ip())
        except services.InvalidCode as error:
            form.code.errors = [str(error.message)]
        except RateLimited as error:
            form.code.errors = [rate_limited_message(error)]
            status = 429
        else:
            session.pop("staff_enrolling", None)
            auth.begin_session(member)
            flash(_("Two-step login is set up."), "success")
            return redirect(console_url(member), code=303)
    secret = services.pending_secret(settings, member=member) or services.begin_enrollment(db, settings, member=member)
    if form.errors and status == 200:
        status = 422
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret or ""), 4))
    return render("staff/enroll.html", form=form, member=member, secret=grouped, status=status)


@bp.route("/enroll/qr.svg")
def enroll_qr():  # type: ignore[no-untyped-def]
    member = _pending_member("staff_enrolling")
    secret = services.pending_secret(current_settings(), member=member) if member else None
    if member is None or secret is None:
        return Response(status=404)
    uri = services.provisioning_uri(current_settings(), member=member, secret=secret)
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return Response(buffer.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})

