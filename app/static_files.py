"""Static asset URLs carry a content hash, so browsers and the service worker may cache them for long."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import current_app, url_for


def asset_url(filename: str) -> str:
    hashes: dict[str, str] = current_app.extensions.setdefault("azukari.asset_hashes", {})
    if filename not in hashes:
        path = Path(current_app.static_folder or "static") / filename
        hashes[filename] = hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.exists() else "missing"
    return url_for("static", filename=filename, v=hashes[filename])
