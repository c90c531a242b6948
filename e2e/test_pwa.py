"""The installable app: Chromium reports it installable, the service worker controls the pages, and when the
server is down the offline page shows, never a cached personal page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Playwright, expect

from app.demo.seed import DEMO_RESIDENTS
from e2e.conftest import CHROMIUM, CHROMIUM_ARGS, CSP_RECORDER, PHONE, Journey, database_for_run
from e2e.server import LiveServer
from tests.database import drop_fresh_database


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A bank of its own: this test stops it to go offline."""
    server = LiveServer(database_for_run(tmp_path), tmp_path)
    server.seed()
    server.start(worker=False)
    yield server
    server.stop()
    drop_fresh_database(server.database_url)


@pytest.fixture
def persistent_context(playwright: Playwright, own_server: LiveServer, tmp_path: Path) -> Iterator[BrowserContext]:
    # Installability is only judged in a persistent (non-incognito) profile.
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
        base_url=own_server.url, **PHONE,
    )
    context.add_init_script(CSP_RECORDER)
    yield context
    context.close()


def test_installable_and_offline_without_leaking_personal_pages(
    persistent_context: BrowserContext, own_server: LiveServer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    page = persistent_context.pages[0] if persistent_context.pages else persistent_context.new_page()
    journey = Journey(page, Path(__file__).parent / "artifacts" / "pwa" / request.node.name)

    page.goto("/")
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.active.state)") in ("activating", "activated")
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    cdp = persistent_context.new_cdp_session(page)
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert errors == [], errors
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == [], manifest["errors"]
    journey.check("landing-controlled-by-service-worker")

    # A resident looks at a personal page ...
    page.goto("/login")
    hanako = DEMO_RESIDENTS[0]
    page.get_by_label("メールアドレス").fill(hanako.email)
    page.get_by_label("パスワード").fill(hanako.password)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page).to_have_url(re.compile(r"/$"))
    page.goto("/settings")
    expect(page.get_by_text("hanako@example.jp")).to_be_visible()
    shell_cached = page.evaluate("caches.keys()")
    assert any(name.startswith("azukari-shell-") for name in shell_cached)

    # ... then the server goes away: the offline page shows, and nothing personal was kept to show instead.
    own_server.stop()
    page.goto("/settings")
    expect(page.get_by_role("heading", name="オフラインです")).to_be_visible()
    assert "hanako@example.jp" not in page.content()
    journey.check("offline-page")
    page.goto("/")
    expect(page.get_by_role("heading", name="オフラインです")).to_be_visible()
