"""What every template can use: asset URLs, the language, the navigation of each kind of user."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.config import current_settings
from app.i18n import LANGUAGE_NAMES, current_language
from app.static_files import asset_url

# The resident's bottom tab bar (UI.md): endpoint, key, label, icon name.
RESIDENT_TABS = [
    ("home.index", "home", _l("Home"), "home"),
    ("household.index", "data", _l("My data"), "data"),
    ("consent.index", "consent", _l("Consent"), "consent"),
    ("switching.index", "switching", _l("Switch"), "switch"),
    ("settings.index", "settings", _l("Settings"), "settings"),
]

CONSOLE_NAMES = {
    "operator": _l("Operator console"),
    "municipal": _l("Kashiwa City console"),
    "partner": _l("Partner console"),
    "analysts": _l("Pilot analysts' console"),
}


def _context() -> dict[str, Any]:
    shared = {"support_email": current_settings().support_email, "asset_url": asset_url}
    if not has_request_context():  # a mail rendered outside a request
        return {**shared, "language": current_language()}
    return {
        **shared,
        "language": current_language(),
        "language_names": LANGUAGE_NAMES,
        "resident_tabs": RESIDENT_TABS,
        "console_names": CONSOLE_NAMES,
        "is_resident": current_user.is_authenticated and not current_user.is_staff,
        "is_staff": current_user.is_authenticated and current_user.is_staff,
        "current_path": request.full_path.rstrip("?"),
    }


def hash_short(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:12]


def init_app(app: Flask) -> None:
    app.context_processor(_context)
    app.jinja_env.filters["hash_short"] = hash_short
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
