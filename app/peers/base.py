"""The app factory every peer service builds on.

A peer is a separate site from the bank and from every other peer, so each one gets what a real outside party
would have of its own: a session cookie name, a secret, a storage folder, security headers and a page layout.
Nothing is shared with the bank's app; a peer never imports the bank's database or settings.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from pathlib import Path

from flask import Flask, Response, current_app, jsonify, request

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
# Peer templates live under `peers/` so a peer's own templates (`peers/<name>/...`) never shadow the bank's.
TEMPLATE_FOLDER = PACKAGE_DIR / "templates"
STATIC_FOLDER = PACKAGE_DIR / "static"

# No inline script or style anywhere: peer pages use the stylesheet from their own static route.
# No `form-action`: a provider must be able to post a form back to the bank (OAuth `form_post`).
CONTENT_SECURITY_POLICY = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

# Names become a folder and a cookie name, so keep them to a safe alphabet.
_PEER_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
SECRET_FILE = "secret_key"


def create_peer_app(
    name: str,
    *,
    storage_dir: Path,
    secret_key: str | None = None,
    import_name: str = __name__,
) -> Flask:
    """Build the Flask app for the peer `name`, storing its files under `storage_dir/<name>/`.

    `secret_key` is for tests that want a fixed key; otherwise one is generated once into the peer's folder,
    so sessions survive a restart of the runner just as they would at a real party.
    `import_name` is the calling peer's module, so Flask names the app (and its logger) after the peer.
    """
    if not _PEER_NAME.match(name):
        raise ValueError(f"peer name {name!r} must be lowercase letters, digits and hyphens")
    folder = _prepare_storage(Path(storage_dir), name)
    app = Flask(
        import_name,
        instance_path=str(folder),
        template_folder=str(TEMPLATE_FOLDER),
        static_folder=str(STATIC_FOLDER),
        static_url_path="/static",
    )
    app.config.update(
        PEER_NAME=name,
        PEER_STORAGE=str(folder),
        # Set by the runner once the server is bound (with port 0 the real port is only known then).
        PEER_BASE_URL=None,
        SECRET_KEY=secret_key if secret_key is not None else _load_or_create_secret(folder / SECRET_FILE),
        SESSION_COOKIE_NAME=f"{name}-session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Peers are plain http on loopback; a Secure cookie would never come back.
        SESSION_COOKIE_SECURE=False,
        MAX_CONTENT_LENGTH=10 * 1024 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=0,
    )
    if not app.config["SECRET_KEY"]:
        raise ValueError(f"peer {name!r} needs a non-empty secret key")

    @app.context_processor
    def _peer_context() -> dict[str, object]:
        return {"peer_name": name}

    app.add_url_rule("/healthz", "healthz", _healthz, methods=["GET"])
    app.after_request(_security_headers)
    return app


def peer_storage(app: Flask) -> Path:
    """The peer's own folder (exists, mode 0700): the place for its SQLite file and anything else it keeps."""
    return Path(app.config["PEER_STORAGE"])


def _healthz() -> Response:
    response = jsonify(peer=current_app.config["PEER_NAME"], status="ok")
    response.headers["Cache-Control"] = "no-store"
    return response


def _security_headers(response: Response) -> Response:
    """Headers a careful outside party would send; a peer may override any of them per response."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # Authorization codes travel in query strings; never leak them to another site.
    headers.setdefault("Referrer-Policy", "no-referrer")
    # Everything but the stylesheet is personal or carries a token (OAuth requires no-store on tokens).
    if not request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")
    return response


def _prepare_storage(storage_dir: Path, name: str) -> Path:
    folder = (storage_dir / name).resolve()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _load_or_create_secret(path: Path) -> str:
    """Read the peer's secret, creating it (mode 0600, never world-readable even briefly) on first use."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_text(encoding="utf-8").strip()
        if not secret:
            raise ValueError(f"{path} is empty; delete it to generate a new secret") from None
        return secret
    secret = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret)
    log.info("generated a secret key for the peer at %s", path)
    return secret
