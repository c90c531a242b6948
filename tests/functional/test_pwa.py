from __future__ import annotations

import pytest
from PIL import Image

from app.config import PROJECT_ROOT

pytestmark = pytest.mark.smoke


def status_of(client, url: str) -> int:
    with client.get(url) as response:  # static files are streamed: close them
        return response.status_code


def test_the_manifest_makes_an_installable_standalone_app(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["display"] == "standalone" and manifest["start_url"].startswith("/")
    assert manifest["scope"] == "/" and manifest["lang"] == "ja"
    icons = {(icon["sizes"], icon["purpose"]): icon["src"] for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= set(icons)
    for (sizes, _purpose), src in icons.items():
        assert status_of(client, src) == 200
        with Image.open(PROJECT_ROOT / src.split("?")[0].lstrip("/")) as image:
            width, height = image.size
        assert f"{width}x{height}" == sizes


def test_the_service_worker_is_served_from_the_root_and_never_cached_stale(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    body = response.get_data(as_text=True)
    assert "/offline" in body and "azukari-shell-" in body
    # Every precached URL exists and none is a personal page.
    for line in body.splitlines():
        if line.startswith("const SHELL ="):
            import json

            shell = json.loads(line.split("=", 1)[1].strip().rstrip(";"))
    assert shell
    for url in shell:
        assert status_of(client, url) == 200, url
        assert not url.startswith(("/settings", "/my-data", "/consents", "/jobs"))


def test_the_offline_page_speaks_both_languages_and_holds_nothing_personal(client):
    response = client.get("/offline")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "オフライン" in body and "offline" in body
    assert "csrf" not in body.lower()  # the same page for everyone, so it can be cached


def test_static_assets_carry_a_content_hash(client):
    page = client.get("/login").get_data(as_text=True)
    assert "/static/css/app.css?v=" in page and "/static/vendor/htmx.min.js?v=" in page
