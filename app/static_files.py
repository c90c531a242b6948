"""Static asset URLs carry a content hash, so browsers and the service worker may cache them for long; the text
assets go compressed (Flask-Compress, configured in `create_app` for these types only)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, current_app, request, url_for


def asset_url(filename: str) -> str:
    hashes: dict[str, str] = current_app.extensions.setdefault("azukari.asset_hashes", {})
    if filename not in hashes:
        path = Path(current_app.static_folder or "static") / filename
        hashes[filename] = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.exists() else "missing"
    return url_for("static", filename=filename, v=hashes[filename])


def init_app(app: Flask) -> None:
    """Registered after Flask-Compress, so it runs before it: a static file is read into memory (they are small)
    instead of streamed, and then compressed whole (br or gzip) — Flask-Compress's streaming path leaves the file
    open, and does not offer gzip."""

    @app.after_request
    def buffer_static_text(response: Response) -> Response:
        if request.endpoint == "static" and response.status_code == 200 and \
                response.mimetype in app.config["COMPRESS_MIMETYPES"]:
            response.direct_passthrough = False
            response.make_sequence()  # the file is closed with the response
        return response
