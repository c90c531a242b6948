"""The peer registry and the peer app factory, without any server."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from app.peers import DEFAULT_PEER_PORT, PEERS, PeerSpec, peer_port, peer_spec, registered_peers
from app.peers.base import CONTENT_SECURITY_POLICY, create_peer_app, peer_storage

RESERVED = [
    ("smart-life-pass", "127.0.0.2"),
    ("mynaportal", "127.0.0.3"),
    ("kashiwa-city", "127.0.0.4"),
    ("partner", "127.0.0.5"),
    ("google", "127.0.0.6"),
    ("blog-a", "127.0.0.7"),
    ("tv-a", "127.0.0.8"),
    ("health-b", "127.0.0.9"),
]


@pytest.mark.smoke
def test_registry_reserves_names_and_addresses_in_order() -> None:
    assert [(spec.name, spec.host) for spec in PEERS] == RESERVED
    assert {spec.port for spec in PEERS} == {DEFAULT_PEER_PORT} == {5100}
    assert all(isinstance(spec, PeerSpec) and spec.description for spec in PEERS)
    # No peer may sit on the bank's address.
    assert not {spec.host for spec in PEERS} & {"localhost", "127.0.0.1"}


@pytest.mark.smoke
def test_peer_port_comes_from_the_environment() -> None:
    assert peer_port({}) == 5100
    assert {spec.port for spec in registered_peers({"PEER_PORT": "5200"})} == {5200}
    assert peer_spec("tv-a", registered_peers({"PEER_PORT": "5200"})).base_url == "http://127.0.0.8:5200"
    with pytest.raises(ValueError, match="PEER_PORT"):
        peer_port({"PEER_PORT": "fifty"})
    with pytest.raises(ValueError, match="PEER_PORT"):
        peer_port({"PEER_PORT": "70000"})
    with pytest.raises(KeyError):
        peer_spec("no-such-peer")


@pytest.mark.smoke
def test_peer_app_has_its_own_cookie_secret_and_storage(tmp_path: Path) -> None:
    app = create_peer_app("blog-a", storage_dir=tmp_path)
    assert app.config["SESSION_COOKIE_NAME"] == "blog-a-session"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert peer_storage(app) == (tmp_path / "blog-a").resolve()
    assert stat.S_IMODE(peer_storage(app).stat().st_mode) == 0o700

    secret_file = tmp_path / "blog-a" / "secret_key"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert app.config["SECRET_KEY"] == secret_file.read_text()
    # The secret survives a restart, and another peer gets a different one.
    assert create_peer_app("blog-a", storage_dir=tmp_path).config["SECRET_KEY"] == app.config["SECRET_KEY"]
    assert create_peer_app("tv-a", storage_dir=tmp_path).config["SECRET_KEY"] != app.config["SECRET_KEY"]


@pytest.mark.smoke
def test_a_given_secret_is_used_and_not_written(tmp_path: Path) -> None:
    app = create_peer_app("partner", storage_dir=tmp_path, secret_key="x" * 32)
    assert app.config["SECRET_KEY"] == "x" * 32
    assert not (tmp_path / "partner" / "secret_key").exists()


@pytest.mark.smoke
@pytest.mark.parametrize("name", ["", "Sample", "../bank", "a b", "a/b", "-x"])
def test_peer_names_are_safe_path_and_cookie_segments(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="peer name"):
        create_peer_app(name, storage_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.smoke
def test_healthz_and_headers(tmp_path: Path) -> None:
    client = create_peer_app("google", storage_dir=tmp_path).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"peer": "google", "status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"

    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert missing.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY

    assert client.post("/healthz").status_code == 405
    stylesheet = client.get("/static/peers/peer.css")
    assert stylesheet.status_code == 200
    assert "no-store" not in stylesheet.headers.get("Cache-Control", "")
    stylesheet.close()
