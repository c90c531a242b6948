"""Passkey pages and their JSON steps (static/js/passkeys.js drives navigator.credentials; without script or
WebAuthn the buttons stay hidden and the password is the way in).

- `/settings/passkeys`: the resident's passkeys, add one (after a fresh re-authentication), remove one;
- `/login/passkey/options` + `/login/passkey`: log in with any passkey of this site the phone holds;
- `/reauth/passkey/options` + `/reauth/passkey`: confirm it is you with one of yours.

Each options call keeps one challenge in the server-side session for its purpose; the answer takes it out first.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import Blueprint, Response, flash, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from app import auth
from app.config import current_settings
from app.db import get_session, utcnow
from app.errors import DomainError, json_error
from app.htmx import render
from app.passkeys import services
from app.passkeys.forms import PasskeyNameForm

bp = Blueprint("passkeys", __name__)  # the resident's own: /settings/…
bp.before_request(auth.require_resident)
login_bp = Blueprint("passkey_login", __name__)  # anyone: /login/passkey…
CHALLENGE_KEY = "passkey_challenge"
CHALLENGE_MINUTES = 5


def _keep_challenge(purpose: str, challenge: bytes) -> None:
    session[CHALLENGE_KEY] = {"purpose": purpose, "value": bytes_to_base64url(challenge), "at": utcnow().isoformat()}


def _take_challenge(purpose: str) -> bytes | None:
    """The challenge kept for `purpose`, once (None: none, another purpose's, or older than 5 minutes)."""
    kept = session.pop(CHALLENGE_KEY, None)
    if not isinstance(kept, dict) or kept.get("purpose") != purpose:
        return None
    if datetime.fromisoformat(kept["at"]) < utcnow() - timedelta(minutes=CHALLENGE_MINUTES):
        return None
    return base64url_to_bytes(kept["value"])


def _options(body: str) -> Response:
    return Response(body, mimetype="application/json", headers={"Cache-Control": "no-store"})


# --- the resident's passkeys ---------------------------------------------------------------------------------------


@bp.route("/settings/passkeys")
@auth.reauth_required
def index():  # type: ignore[no-untyped-def]
    return render("passkeys/index.html", tab="settings", form=PasskeyNameForm(),
                  passkeys=services.passkeys_of(get_session(), current_user._get_current_object()))


@bp.post("/settings/passkeys/options")
def register_options():  # type: ignore[no-untyped-def]
    if not auth.recently_authenticated():
        return jsonify(error=_("Please confirm it is you again, then add the passkey.")), 403
    try:
        body, challenge = services.registration_options(get_session(), current_user._get_current_object(),
                                                        current_settings())
    except DomainError as error:
        return json_error(error)
    _keep_challenge("register", challenge)
    return _options(body)


@bp.post("/settings/passkeys")
def register():  # type: ignore[no-untyped-def]
    db = get_session()
    try:
        if not auth.recently_authenticated():
            raise services.PasskeyRefused()
        body = services.parse_body(request.get_data())
        services.register(db, current_user._get_current_object(), current_settings(), credential=body["credential"],
                          challenge=_take_challenge("register"), name=str(body.get("name") or ""), ip=auth.client_ip())
    except DomainError as error:
        db.rollback()
        return json_error(error)
    flash(_("The passkey is added. Next time, you can log in with it."), "success")
    return jsonify(redirect=url_for("passkeys.index")), 201


@bp.post("/settings/passkeys/<uuid:passkey_id>/delete")
@auth.reauth_required
def remove(passkey_id: uuid.UUID):  # type: ignore[no-untyped-def]
    services.remove(get_session(), current_user._get_current_object(), passkey_id, ip=auth.client_ip())
    flash(_("The passkey is removed. Remove it from your phone's password manager too."), "success")
    return redirect(url_for("passkeys.index"), code=303)


# --- logging in and confirming it is you ---------------------------------------------------------------------------


@login_bp.post("/login/passkey/options")
def login_options():  # type: ignore[no-untyped-def]
    body, challenge = services.authentication_options(current_settings())
    _keep_challenge("login", challenge)
    return _options(body)


@login_bp.post("/login/passkey")
def login():  # type: ignore[no-untyped-def]
    db = get_session()
    try:
        body = services.parse_body(request.get_data())
        resident = services.authenticate(db, current_settings(), credential=body["credential"],
                                         challenge=_take_challenge("login"), ip=auth.client_ip())
    except DomainError as error:
        return json_error(error)  # (the request's commit keeps the failure's count and audit event)
    auth.begin_session(resident)
    return jsonify(redirect=auth.safe_next(str(body.get("next") or ""), url_for("home.index")))


@bp.post("/reauth/passkey/options")
def reauth_options():  # type: ignore[no-untyped-def]
    mine = services.passkeys_of(get_session(), current_user._get_current_object())
    if not mine:
        return jsonify(error=_("You have no passkey yet.")), 409
    body, challenge = services.authentication_options(current_settings(), mine)
    _keep_challenge("reauth", challenge)
    return _options(body)


@bp.post("/reauth/passkey")
def reauth():  # type: ignore[no-untyped-def]
    db = get_session()
    try:
        body = services.parse_body(request.get_data())
        services.authenticate(db, current_settings(), credential=body["credential"],
                              challenge=_take_challenge("reauth"), resident=current_user._get_current_object(),
                              ip=auth.client_ip())
    except DomainError as error:
        return json_error(error)
    auth.mark_authenticated()
    return jsonify(redirect=auth.safe_next(str(body.get("next") or ""), url_for("settings.index")))

