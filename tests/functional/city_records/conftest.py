"""Fixtures for delegated disclosure: the real `kashiwa-city` peer as its own process, the bank's public keys served
over HTTP (the peer fetches them: the bank under test is the Flask test client, which listens nowhere), the bank
pointed at the peer, residents reading in English (the msgids), and helpers that drive the worker's steps."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from app.accounts.models import Resident
from app.city_records import services, sync
from app.city_records.models import CityRecordRequest
from app.config import Settings
from app.db import utcnow
from app.signing import public_jwks
from tests.factories.accounts import ResidentFactory
from tests.functional.catalog.conftest import loaded_catalog  # noqa: F401  (fixture)
from tests.peer_services import BANK_ORIGIN, REDIRECT_URIS, PeerProcess

HANAKO = {"name": "柏の葉 花子", "birth_date": date(1991, 6, 15), "address": "千葉県柏市柏の葉二丁目3番地1"}
NOBODY = {"name": "柏 太郎", "birth_date": date(1980, 1, 1), "address": "千葉県柏市柏5丁目10番1号"}


class KeyServer:
    """Serves one JSON document (the bank's JWKS) at any path, on a free loopback port."""

    def __init__(self, document: dict[str, Any]) -> None:
        body = json.dumps(document).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def city_peer(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PeerProcess]:
    with app.app_context():
        keys = KeyServer(public_jwks())
    environ = {**os.environ, **REDIRECT_URIS, "AZUKARI_ISSUER": BANK_ORIGIN, "AZUKARI_JWKS_URI": keys.url}
    environ.pop("AZUKARI_ENV", None)
    process = PeerProcess(["kashiwa-city"], tmp_path_factory.mktemp("city-peer") / "storage", environ=environ)
    yield process
    process.stop()
    keys.stop()


@pytest.fixture
def city(city_peer: PeerProcess, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The peer's URL, with the bank pointed at it; its disclosure controls reset after the test."""
    url = city_peer.urls["kashiwa-city"]
    monkeypatch.setattr(settings, "kashiwa_city_url", url)
    yield url
    requests.delete(f"{url}/_test/disclosure", timeout=5)


def control(city_url: str, **values: Any) -> None:
    answer = requests.post(f"{city_url}/_test/disclosure", json=values, timeout=5)
    assert answer.status_code == 200, answer.text


def received(city_url: str) -> list[dict[str, Any]]:
    return list(requests.get(f"{city_url}/_test/disclosure/requests", timeout=5).json())


@pytest.fixture
def resident(client: FlaskClient, login, loaded_catalog) -> Resident:  # type: ignore[no-untyped-def]  # noqa: F811
    resident = ResidentFactory(locale="en")
    login(client, resident)
    return resident


@pytest.fixture
def other_resident(other_client: FlaskClient, login, loaded_catalog) -> Resident:  # type: ignore[no-untyped-def]  # noqa: F811
    resident = ResidentFactory(locale="en")
    login(other_client, resident)
    return resident


def start(app: Flask, db: Session, settings: Settings, resident: Resident, who: dict[str, Any] = HANAKO,
          years: int = 3) -> CityRecordRequest:
    with app.test_request_context():
        request = services.start(db, settings, resident, name=who["name"], birth_date=who["birth_date"],
                                 address=who["address"], years=years)
        db.flush()
    return request


def step(app: Flask, db: Session, settings: Settings, request_id: uuid.UUID) -> str:
    """Make the request's next step due and take it, as the worker would."""
    row = db.get(CityRecordRequest, request_id)
    assert row is not None
    if row.next_sync_at is None:
        return "nothing"
    row.next_sync_at = utcnow() - timedelta(seconds=1)
    db.add(row)
    db.commit()
    with app.app_context():
        return sync.sync_one(db, settings, request_id)


def drive(app: Flask, db: Session, settings: Settings, request_id: uuid.UUID, *, until: set[str],
          steps: int = 6) -> CityRecordRequest:
    """Take steps until the request reaches one of the states `until`."""
    for _ in range(steps):
        row = db.get(CityRecordRequest, request_id)
        assert row is not None
        db.refresh(row)
        if row.state in until:
            return row
        step(app, db, settings, request_id)
    row = db.get(CityRecordRequest, request_id)
    db.refresh(row)
    assert row.state in until, (row.state, row.last_sync_error)
    return row
