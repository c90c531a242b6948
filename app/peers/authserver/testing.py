"""Test controls: switches that make a peer misbehave, and a view of the tokens it issued.

Peers never run in production; these exist so the bank's defences against a slow, broken or lying party can be
tested against a real server. They answer loopback clients only, and POSTs must be JSON (a cross-site form or a
simple request from a browser page cannot send that without a CORS preflight, which no peer answers).
"""

from __future__ import annotations

import functools
import ipaddress
import threading
import time
from collections.abc import Callable, Collection
from datetime import datetime, tzinfo
from typing import Any, ParamSpec, TypeVar

from flask import Flask, Response, abort, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from app.peers.authserver.storage import OAuthToken, PeerDatabase

# Shared by every peer: switches that slow an endpoint down or make it answer nonsense.
SLOW = "slow"
GARBAGE = "garbage"
DEFAULT_SLOW_SECONDS = 8.0
MAX_SLOW_SECONDS = 120.0
GARBAGE_BODY = "<html><body>502 Bad Gateway (this is not JSON)</body></html>"

P = ParamSpec("P")
R = TypeVar("R")


class Switches:
    """The peer-wide misbehaviour: one mode (or none), kept until changed, and how long `slow` waits."""

    def __init__(self, modes: Collection[str]) -> None:
        self.modes = frozenset(modes) | {SLOW, GARBAGE}
        self._lock = threading.Lock()
        self._mode: str | None = None
        self._slow_seconds = DEFAULT_SLOW_SECONDS

    @property
    def mode(self) -> str | None:
        with self._lock:
            return self._mode

    @property
    def slow_seconds(self) -> float:
        with self._lock:
            return self._slow_seconds

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {"misbehave": self._mode, "slow_seconds": self._slow_seconds, "modes": sorted(self.modes)}

    def update(self, body: dict[str, Any]) -> None:
        """Apply `{"misbehave": <mode or null>, "slow_seconds": <number>}`; either key may be left out."""
        mode = body.get("misbehave", self.mode)
        if mode is not None and mode not in self.modes:
            raise ValueError(f"unknown misbehaviour {mode!r}; known: {', '.join(sorted(self.modes))}")
        seconds = body.get("slow_seconds", self.slow_seconds)
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= MAX_SLOW_SECONDS:
            raise ValueError(f"slow_seconds must be a number from 0 to {MAX_SLOW_SECONDS:.0f}")
        with self._lock:
            self._mode = mode
            self._slow_seconds = float(seconds)

    def reset(self) -> None:
        with self._lock:
            self._mode = None
            self._slow_seconds = DEFAULT_SLOW_SECONDS

    def affected(self, view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
        """Decorate an endpoint that `slow` delays and `garbage` replaces with a non-JSON 200."""

        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            mode = self.mode
            if mode == SLOW:
                time.sleep(self.slow_seconds)
            elif mode == GARBAGE:
                return Response(GARBAGE_BODY, status=200, content_type="application/json")
            return view(*args, **kwargs)

        return wrapper


def loopback_only(view: Callable[P, R]) -> Callable[P, R]:
    """Refuse (404, as if absent) a test control to anyone but a loopback client."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            abort(404)
        if request.method == "POST" and not request.is_json:
            abort(415)
        return view(*args, **kwargs)

    return wrapper


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(Response('{"error": "the body must be a JSON object"}', 400, content_type="application/json"))
    return body


def bad_request(message: str) -> tuple[Response, int]:
    return jsonify(error=message), 400


def add_test_controls(app: Flask, db: PeerDatabase, switches: Switches, *, timezone: tzinfo) -> None:
    """`/_test/switches` (GET, POST, DELETE) and `/_test/tokens` (GET)."""

    @app.route("/_test/switches", methods=["GET", "POST", "DELETE"])
    @loopback_only
    def test_switches() -> ResponseReturnValue:
        if request.method == "POST":
            try:
                switches.update(json_body())
            except ValueError as exc:
                return bad_request(str(exc))
        elif request.method == "DELETE":
            switches.reset()
        return jsonify(switches.state())

    @app.get("/_test/tokens")
    @loopback_only
    def test_tokens() -> ResponseReturnValue:
        rows = db.session.scalars(select(OAuthToken).order_by(OAuthToken.id)).all()
        return jsonify(
            [
                {
                    "client_id": row.client_id,
                    "sub": row.subject,
                    "scope": row.scope,
                    "access_token_revoked": row.access_token_revoked_at is not None,
                    # No refresh token issued counts as not revoked: there is nothing to revoke.
                    "refresh_token_revoked": row.refresh_token_revoked_at is not None,
                    "issued_at": datetime.fromtimestamp(row.issued_at, timezone).isoformat(),
                }
                for row in rows
            ]
        )
