from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.jobs.registry import registry_for
from app.jobs.runner import run_next
from tests.functional.consent.conftest import loaded_catalogue  # noqa: F401  (fixture: the ledger's item names)


def start(client: FlaskClient, token: str, *, size: int, filename: str = "export.zip", keep_sensitive: bool = False):  # type: ignore[no-untyped-def]
    data = {"csrf_token": token, "filename": filename, "size": str(size)}
    if keep_sensitive:
        data["keep_sensitive"] = "y"
    return client.post("/my-data/imports/", data=data, headers={"Accept": "application/json"})


def send(client: FlaskClient, token: str, url: str, offset: int, body: bytes):  # type: ignore[no-untyped-def]
    return client.patch(url, data=body, headers={"Upload-Offset": str(offset), "X-CSRFToken": token,
                                                 "Accept": "application/json",
                                                 "Content-Type": "application/offset+octet-stream"})


def upload_whole(client: FlaskClient, token: str, body: bytes, *, chunk: int = 700, keep_sensitive: bool = False) -> dict:
    """Start and send `body` in chunks, as the page's script does; returns the last JSON state."""
    state = start(client, token, size=len(body), keep_sensitive=keep_sensitive).get_json()
    offset = 0
    while offset < len(body):
        response = send(client, token, state["upload_url"], offset, body[offset:offset + chunk])
        assert response.status_code == 200, response.get_data(as_text=True)
        state = response.get_json()
        offset = state["offset"]
    return state


@pytest.fixture
def run_jobs(app: Flask) -> Callable[[], int]:
    def _run() -> int:
        count = 0
        while run_next(app, registry_for(app), worker_id="test"):
            count += 1
        return count

    return _run
