"""Who is asking: principals (residents and staff), login/logout of a browser session, and the guards
each blueprint installs (`require_resident`, `require_staff`) plus step-up re-authentication."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from app.config import current_settings
from app.db import get_session, utcnow
from app.errors import Forbidden, error_response
from app.htmx import hx_redirect, is_htmx
from app.principals import parse_principal


def load_principal(principal: str) -> Any:
    from app.accounts.models import Resident
    from app.staff.models import StaffMember

    parsed = parse_principal(principal)
    if parsed is None:
        return None
    kind, key = parsed
    if kind == "resident":
        return get_session().get(Resident, key)
    if kind == "staff":
        member = get_session().get(StaffMember, key)
        return member if member is not None and member.is_active else None
    return None


def begin_session(user: Any) -> None:
    """Log `user` in on this browser with a fresh session id; the anonymous session's data is dropped."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user)
    mark_authenticated()


def mark_authenticated() -> None:
    """Record a (re-)authentication now and rotate the session id (ASVS 7.2.4, 7.5.1)."""
    session["auth_at"] = utcnow().isoformat()
    session.regenerate()  # type: ignore[attr-defined]


def end_session() -> None:
    """Log out: the server-side session is deleted; only the chosen language survives, on a new id."""
    locale = session.get("locale") or getattr(current_user, "locale", None)
    logout_user()
    session.destroy()  # type: ignore[attr-defined]
    if locale:
        session["locale"] = locale


def client_ip() -> str | None:
    return request.remote_addr


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site may be a post-login destination (no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def _to_login(endpoint: str) -> Any:
    target = url_for(endpoint, next=request.full_path.rstrip("?") if request.method == "GET" else None)
    if is_htmx():
        response = hx_redirect(target)
        response.status_code = 401
        return response
    return redirect(target, code=303)


def require_resident() -> Any:
    """Blueprint guard: a logged-in resident who has accepted the current terms."""
    if not current_user.is_authenticated:
        return _to_login("accounts.login")
    if current_user.is_staff:  # no staff role opens a resident's page
        return refuse_access()
    if request.endpoint not in TERMS_EXEMPT_ENDPOINTS and not _has_current_terms():
        return hx_redirect(url_for("settings.terms", next=request.full_path.rstrip("?")))
    return None


TERMS_EXEMPT_ENDPOINTS = {"settings.terms", "accounts.logout", "accounts.set_language"}


def _has_current_terms() -> bool:
    """An acceptance is never taken back, so once seen it is kept in the (server-side) session under the terms'
    version: later requests skip the query, and a new version of the terms asks again."""
    from app.accounts import services

    if "terms_ok" not in g:
        version = services.current_terms().version
        g.terms_ok = session.get(ACCEPTED_TERMS_KEY) == version
        if not g.terms_ok and services.has_accepted_current_terms(get_session(), current_user._get_current_object()):
            session[ACCEPTED_TERMS_KEY] = version
            g.terms_ok = True
    return bool(g.terms_ok)


ACCEPTED_TERMS_KEY = "terms_accepted"


def refuse_access() -> Any:
    """403, and an audit event that stays: a response (not an exception) lets the request's work commit."""
    from app import audit

    audit.record(get_session(), audit.EventTag.ACCESS_DENIED, actor=current_user.principal, ip=client_ip(),
                 path=request.path)
    return error_response(Forbidden.status, str(Forbidden.message))


def require_staff(*roles: str) -> Callable[[], Any]:
    """Blueprint guard factory: a logged-in staff member holding one of `roles`."""

    def guard() -> Any:
        if not current_user.is_authenticated:
            return _to_login("staff.login")
        if not current_user.is_staff or current_user.role not in roles:
            return refuse_access()
        return None

    return guard


def authenticated_at() -> datetime | None:
    raw = session.get("auth_at")
    return datetime.fromisoformat(raw) if raw else None


def recently_authenticated() -> bool:
    """Whether the user (re-)authenticated within the re-authentication window."""
    at = authenticated_at()
    return at is not None and utcnow() - at <= timedelta(minutes=current_settings().reauth_minutes)


def reauth_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Step-up: the wrapped view runs only if the user authenticated within the last few minutes."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not recently_authenticated():
            back = request.full_path.rstrip("?") if request.method == "GET" else request.referrer or "/"
            return hx_redirect(url_for("settings.reauth", next=safe_next(path_of(back), "/settings")))
        return view(*args, **kwargs)

    return wrapper


def path_of(url: str) -> str:
    """The path and query of a URL (what a same-site redirect may use)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def init_app(app: Flask) -> None:
    from app.extensions import login_manager

    login_manager.init_app(app)
    login_manager.user_loader(load_principal)
    # Server-side sessions, timeouts and rotation replace Flask-Login's IP/agent fingerprint and cookie.
    login_manager.session_protection = None
    login_manager.login_view = "accounts.login"
