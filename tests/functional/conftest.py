"""Fixtures for functional tests that talk to the peer services over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from app.config import Settings
from tests.peer_services import PeerProcess, ProviderBrowser

PEER_NAMES = ["smart-life-pass", "mynaportal"]


@pytest.fixture(scope="session")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PeerProcess]:
    """Smart Life Pass and MyNa Portal as one separate process for the test session."""
    process = PeerProcess(PEER_NAMES, tmp_path_factory.mktemp("peers") / "storage")
    yield process
    process.stop()


@pytest.fixture
def linked_settings(settings: Settings, peers: PeerProcess, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The bank pointed at the live peers (the providers are read from the settings on each request)."""
    monkeypatch.setattr(settings, "smart_life_pass_issuer", peers.urls["smart-life-pass"])
    if "mynaportal" in peers.urls:
        monkeypatch.setattr(settings, "mynaportal_issuer", peers.urls["mynaportal"])
    yield settings
    for name in peers.urls:
        peers.switch(name, None)


@pytest.fixture
def idp_browser() -> ProviderBrowser:
    return ProviderBrowser()


def post_form(client: FlaskClient, path: str, csrf_from: str, **data: str):  # type: ignore[no-untyped-def]
    from tests.conftest import csrf_token

    return client.post(path, data={"csrf_token": csrf_token(client, csrf_from), **data})
