"""Uploads are limited per account and per address (429 with Retry-After), and one resident's excess leaves
another's uploads alone."""

from __future__ import annotations

import io

from tests.factories.accounts import ResidentFactory
from tests.factories.exports import export_zip
from tests.functional.data_imports.conftest import send, start


def test_starting_uploads_is_limited_per_account_only_for_that_account(client, other_client, db, login, csrf,  # type: ignore[no-untyped-def]
                                                                        settings, monkeypatch) -> None:
    monkeypatch.setattr(settings, "uploads_per_account", 2)
    login(client, ResidentFactory())
    token = csrf(client, "/my-data/imports/")
    assert [start(client, token, size=100).status_code for _ in range(2)] == [201, 201]
    refused = start(client, token, size=100)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert "error" in refused.get_json()
    login(other_client, ResidentFactory())
    assert start(other_client, csrf(other_client, "/my-data/imports/"), size=100).status_code == 201


def test_starting_uploads_is_limited_per_address(client, db, login, csrf, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(settings, "uploads_per_ip", 2)
    for status in (201, 201, 429):
        login(client, ResidentFactory())  # a new account each time: the address is what is counted
        assert start(client, csrf(client, "/my-data/imports/"), size=100).status_code == status


def test_chunks_are_limited_per_account_and_the_upload_resumes_after(client, db, login, csrf, settings,  # type: ignore[no-untyped-def]
                                                                     monkeypatch) -> None:
    monkeypatch.setattr(settings, "upload_chunks_per_account", 2)
    login(client, ResidentFactory())
    token = csrf(client, "/my-data/imports/")
    body = export_zip()
    state = start(client, token, size=len(body)).get_json()
    assert send(client, token, state["upload_url"], 0, body[:100]).status_code == 200
    assert send(client, token, state["upload_url"], 100, body[100:200]).status_code == 200
    refused = send(client, token, state["upload_url"], 200, body[200:300])
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    # Nothing was lost: the server still says where to go on from.
    assert client.get(state["upload_url"], headers={"Accept": "application/json"}).get_json()["offset"] == 200


def test_the_no_script_form_gets_a_429_page_too(client, db, login, csrf, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(settings, "uploads_per_account", 0)
    login(client, ResidentFactory())
    token = csrf(client, "/my-data/imports/")
    response = client.post("/my-data/imports/", data={"csrf_token": token, "export": (io.BytesIO(export_zip()), "export.zip")},
                           content_type="multipart/form-data")
    assert response.status_code == 429 and response.headers["Retry-After"]
