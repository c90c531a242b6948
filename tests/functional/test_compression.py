"""Static text assets go compressed (the first load on a phone: htmx, CSS, JS); pages and API answers never do, so
that a secret in them (a CSRF token, personal data) cannot be guessed from compressed sizes next to reflected input
(BREACH)."""

from __future__ import annotations

import gzip

import brotli
from flask import Flask
from flask.testing import FlaskClient

from app.static_files import asset_url


def test_htmx_and_the_stylesheet_are_served_compressed(app: Flask, client: FlaskClient) -> None:
    with app.test_request_context():
        urls = [asset_url("vendor/htmx.min.js"), asset_url("css/app.css")]
    for url in urls:
        with client.get(url) as plain:
            expected = plain.data
        for accepted, decompress in (("gzip, deflate, br, zstd", brotli.decompress), ("gzip", gzip.decompress)):
            with client.get(url, headers={"Accept-Encoding": accepted}) as packed:
                assert packed.headers["Content-Encoding"] in accepted and "Accept-Encoding" in packed.headers["Vary"]
                assert decompress(packed.data) == expected and len(packed.data) < len(expected) / 2


def test_pages_and_api_answers_are_never_compressed(client: FlaskClient) -> None:
    for path in ("/login", "/api/v1/openapi.json"):
        answer = client.get(path, headers={"Accept-Encoding": "gzip, br"})
        assert answer.status_code == 200 and "Content-Encoding" not in answer.headers, path
