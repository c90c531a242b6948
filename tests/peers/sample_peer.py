"""A throwaway peer for testing the peer framework itself, before any real peer exists.

It listens on 127.0.0.42, an address no registered peer uses, with port 0 so the operating system picks a free
port at bind time: the runner reports the real port, so there is no window in which another process can take
a port the test chose in advance.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, current_app, jsonify, render_template_string, session

from app.peers import PeerSpec
from app.peers.base import create_peer_app, peer_storage

NAME = "sample"
HOST = "127.0.0.42"

PAGE = """{% extends "peers/base.html" %}
{% block content %}<p class="sample">sample peer</p>{% endblock %}"""


def create_app(*, storage_dir: Path) -> Flask:
    """The sample peer: a page on the shared layout, a session counter, and what the framework told it."""
    app = create_peer_app(NAME, storage_dir=storage_dir, import_name=__name__)

    @app.get("/")
    def index() -> str:
        return render_template_string(PAGE)

    @app.get("/session")
    def count_visits() -> Response:
        session["visits"] = int(session.get("visits", 0)) + 1
        return jsonify(visits=session["visits"])

    @app.get("/about")
    def about() -> Response:
        return jsonify(base_url=current_app.config["PEER_BASE_URL"], storage=str(peer_storage(current_app)))

    return app


# `__name__` rather than a literal, so the factory resolves however pytest imported this module.
SPECS: tuple[PeerSpec, ...] = (
    PeerSpec(NAME, HOST, 0, f"{__name__}:create_app", "Sample peer for the framework's own tests"),
)
