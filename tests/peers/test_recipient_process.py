"""The recipient peers as the runner serves them (a separate process, as `make run` and the functional tests
start them): they come up without a bank, publish their keys and render their pages."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import requests

from tests.peer_services import PeerProcess

NAMES = ["kashiwa-city", "partner"]
HTTP_TIMEOUT = 10


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PeerProcess]:
    # Nothing listens at this issuer: starting must not need the bank.
    environ = {**os.environ, "AZUKARI_ISSUER": "http://127.0.0.1:9"}
    environ.pop("AZUKARI_ENV", None)
    process = PeerProcess(NAMES, tmp_path_factory.mktemp("recipients") / "storage", environ=environ)
    yield process
    process.stop()


@pytest.mark.timeout(120)
def test_the_runner_serves_both_recipients(peers: PeerProcess) -> None:
    assert set(peers.urls) == set(NAMES)
    assert peers.urls["kashiwa-city"].startswith("http://127.0.0.4:")
    assert peers.urls["partner"].startswith("http://127.0.0.5:")
    kids = set()
    for name, base in peers.urls.items():
        assert requests.get(f"{base}/healthz", timeout=HTTP_TIMEOUT).json() == {"peer": name, "status": "ok"}
        [key] = requests.get(f"{base}/.well-known/jwks.json", timeout=HTTP_TIMEOUT).json()["keys"]
        assert key["kty"] == "EC" and key["alg"] == "ES256" and "d" not in key
        kids.add(key["kid"])
        start = requests.get(f"{base}/start", timeout=HTTP_TIMEOUT)
        assert start.status_code == 200 and "Azukari と連携する" in start.text
        staff = requests.get(f"{base}/", timeout=HTTP_TIMEOUT)
        assert staff.status_code == 200
        assert f"{base}/callback" in staff.text and f"{base}/.well-known/jwks.json" in staff.text
    assert len(kids) == 2, "each recipient has its own key"
    assert "柏市 子育て支援システム" in requests.get(peers.urls["kashiwa-city"] + "/start", timeout=HTTP_TIMEOUT).text
