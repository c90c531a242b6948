"""Keys of clients registered with a jwks_uri: fetched within a size cap and a time budget, rotated keys found,
stale keys trusted for an hour at most, and in production never fetched from a private address."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.oauth import client_auth
from tests.functional.oauth.conftest import new_key


class KeyServer:
    """A client's server publishing its key set on loopback; `body`, `delay` and `status` say how it behaves."""

    def __init__(self) -> None:
        self.body, self.delay, self.status, self.hits = b"", 0.0, 200, 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.hits += 1
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                for start in range(0, len(outer.body), 1024):
                    self.wfile.write(outer.body[start:start + 1024])
                    time.sleep(outer.delay)

            def log_message(self, *_: object) -> None:
                pass

            def handle(self) -> None:
                # The bank hangs up on a body that is too large or too slow: what the test wants.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    super().handle()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, *keys) -> None:  # type: ignore[no-untyped-def]
        self.body = json.dumps({"keys": [key.as_dict(private=False) for key in keys]}).encode()


@pytest.fixture
def key_server() -> Iterator[KeyServer]:
    server = KeyServer()
    client_auth.JWKS_CACHE.clear()
    yield server
    server.server.shutdown()
    server.server.server_close()
    client_auth.JWKS_CACHE.clear()


def test_a_rotated_key_is_fetched_again(app, key_server) -> None:  # type: ignore[no-untyped-def]
    old, new = new_key(), new_key()
    key_server.publish(old)
    with app.app_context():
        assert client_auth.JWKS_CACHE.fetch(key_server.url)["keys"][0]["kid"] == old.kid
        assert client_auth.JWKS_CACHE.fresh(key_server.url) is not None
        assert client_auth.JWKS_CACHE.fresh(key_server.url, force=True) is not None  # refetch at most every 30 s
        key_server.publish(new)
        assert client_auth.JWKS_CACHE.fetch(key_server.url)["keys"][0]["kid"] == new.kid


def test_too_large_too_slow_or_not_a_key_set_is_refused(app, key_server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(client_auth, "JWKS_TIMEOUT_SECONDS", 1)
    with app.app_context():
        for body, delay in ((b'{"keys": [' + b" " * (70 * 1024) + b"]}", 0.0), (b'{"keys": []}' + b" " * 8000, 0.2),
                            (b'{"nope": 1}', 0.0), (b"<html>", 0.0)):
            key_server.body, key_server.delay = body, delay
            with pytest.raises(client_auth.InvalidClientError):
                client_auth.JWKS_CACHE.fetch(key_server.url)


def test_stale_keys_are_served_for_an_hour_at_most(app, key_server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    key_server.publish(new_key())
    with app.app_context():
        client_auth.JWKS_CACHE.fetch(key_server.url)
        key_server.status = 500
        assert client_auth.JWKS_CACHE.fetch(key_server.url)["keys"]  # the server is down: the last set, for now
        later = time.monotonic() + client_auth.JWKS_STALE_SECONDS + 1
        monkeypatch.setattr(client_auth.time, "monotonic", lambda: later)
        with pytest.raises(client_auth.InvalidClientError):
            client_auth.JWKS_CACHE.fetch(key_server.url)


def test_production_never_fetches_from_a_private_address(app, key_server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    key_server.publish(new_key())
    settings = app.config["AZUKARI"]
    monkeypatch.setattr(type(settings), "is_production", property(lambda _self: True))
    with app.app_context(), pytest.raises(client_auth.InvalidClientError):
        client_auth.JWKS_CACHE.fetch(key_server.url)
    assert key_server.hits == 0
