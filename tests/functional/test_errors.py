from __future__ import annotations

import pytest

from app import create_app
from app.db import get_database
from tests.factories.accounts import ResidentFactory

pytestmark = pytest.mark.smoke


def test_not_found_in_japanese_and_english(client):
    ja = client.get("/no-such-page")
    assert ja.status_code == 404 and "ページが見つかりません" in ja.get_data(as_text=True)
    en = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert en.status_code == 404 and "Page not found" in en.get_data(as_text=True)


def test_a_body_one_byte_over_the_apps_limit_is_a_413_with_the_message(client, login, csrf):
    """MAX_CONTENT_LENGTH (10 MiB), one byte over: refused from the declared length, before the body is read; a file
    part (streamed to disk, unlike a form field, which has its own smaller memory limit), so only this limit applies."""
    limit = client.application.config["MAX_CONTENT_LENGTH"]
    login(client, ResidentFactory())
    token = csrf(client, "/settings")
    boundary = "azukari-limit-test"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    for size, refused in ((limit, False), (limit + 1, True)):
        body = head + b"x" * (size - len(head) - len(tail)) + tail
        assert len(body) == size
        answer = client.post("/settings/email", data=body,
                             headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        assert (answer.status_code == 413) is refused, (size, answer.status_code)
    assert "ファイルが大きすぎます" in answer.get_data(as_text=True)


def test_htmx_errors_become_a_toast_in_the_toast_region(client, login):
    login(client, ResidentFactory())
    response = client.get("/no-such-component", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#toasts"
    assert response.headers["HX-Reswap"] == "beforeend"
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'role="alert"' in body


def test_an_unexpected_error_is_a_calm_500_page_and_rolls_back(settings, db):
    app = create_app(settings)
    get_database(app).session_factory = get_database(client_app := app).session_factory  # noqa: F841

    @app.route("/boom")
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals")

    from sqlalchemy.orm import sessionmaker
    from sqlmodel import Session

    get_database(app).session_factory = sessionmaker(bind=db.connection(), class_=Session,
                                                     join_transaction_mode="create_savepoint")
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internals" not in body and "もう一度お試しください" in body
