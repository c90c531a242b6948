"""End-to-end journeys in Debian Chromium against a live bank (gunicorn + worker) on a fresh database.

Every page a journey visits goes through `Journey.check`: axe-core, injected with `page.evaluate` under the
real CSP, must find no serious or critical violation; no `securitypolicyviolation` may have fired; and the
page is screenshotted into e2e/artifacts/ (ignored by git) to be looked at.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect

from app.config import PROJECT_ROOT, normalise_database_url
from e2e.server import LiveServer
from tests.database import drop_fresh_database, make_fresh_database

ARTIFACTS = PROJECT_ROOT / "e2e" / "artifacts"
AXE_PATH = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "ja-JP",
    "timezone_id": "Asia/Tokyo",
}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

# Recorded in every document before any of its own scripts run (CDP, so not subject to the CSP).
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


def database_for_run(tmp_path: Path) -> str:
    base = os.environ.get("TEST_DATABASE_URL")
    return make_fresh_database(normalise_database_url(base) if base else "sqlite://", tmp_path)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("live")
    server = LiveServer(database_for_run(workdir), workdir)
    server.start_peers()
    server.seed()  # after the peers: the seed registers the recipient peers' URLs as OAuth clients
    server.start()
    yield server
    server.stop()
    drop_fresh_database(server.database_url)


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    return live_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, **PHONE}


@pytest.fixture
def context(context: BrowserContext) -> BrowserContext:
    context.add_init_script(CSP_RECORDER)
    return context


class Journey:
    """Walks one user journey: checks and screenshots each page it reaches."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.step = 0
        self.console_csp: list[str] = []
        self.checked: list[str] = []
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()
        page.on("console", self._on_console)

    def _on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            where = message.location or {}
            self.console_csp.append(f"{self.page.url} ({where.get('url')}:{where.get('lineNumber')}): {message.text[:160]}")

    def check(self, label: str, *, page: Page | None = None) -> None:
        """axe-core (serious/critical fail), CSP violations (any fails), then a full-page screenshot."""
        page = page or self.page
        page.wait_for_load_state("load")
        self.step += 1
        name = f"{self.step:02d}-{re.sub(r'[^a-z0-9]+', '-', label.lower()).strip('-')}"
        page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)
        violations = run_axe(page)
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert not serious, f"axe on {label} ({page.url}):\n" + json.dumps(
            [{"id": v["id"], "impact": v["impact"], "help": v["help"],
              "nodes": [n["target"] for n in v["nodes"]][:5]} for v in serious], indent=1, ensure_ascii=False)
        csp = page.evaluate("window.__cspViolations || []") + self.console_csp
        assert not csp, f"CSP violations on {label} ({page.url}): {csp}"
        self.checked.append(label)


def log_in(page: Page, email: str, password: str) -> None:
    """A resident's password login, landing on ホーム."""
    page.goto("/login")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page).to_have_url(re.compile(r"/$"))


def sign_up(page: Page, email: str, password: str) -> None:
    """A new resident: the account, then the terms accepted, landing on ホーム."""
    page.goto("/signup")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="アカウントを作成する").click()
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="同意してはじめる").click()
    expect(page).to_have_url(re.compile(r"/$"))


def add_child(page: Page, nickname: str, year: str, month: str) -> None:
    """わたしのデータ → 子どもを追加, by year and month (the journeys' households)."""
    page.get_by_role("link", name="子どもを追加").click()
    page.get_by_label("呼び名（任意）").fill(nickname)
    page.get_by_label("生まれた年").fill(year)
    page.get_by_label("月", exact=True).select_option(month)
    page.get_by_role("button", name="保存").click()
    expect(page).to_have_url(re.compile(r"/my-data"))


def run_axe(page: Page) -> list[dict[str, Any]]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_PATH.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async (tags) => (await axe.run(document,"
        " {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})).violations",
        AXE_TAGS,
    )
    return list(result)


@pytest.fixture
def journey(page: Page, request: pytest.FixtureRequest) -> Iterator[Journey]:
    module = Path(request.node.fspath).stem.removeprefix("test_")
    walk = Journey(page, ARTIFACTS / module / re.sub(r"[^\w.-]+", "-", request.node.name).strip("-"))
    yield walk
    assert not walk.console_csp, f"CSP violations: {walk.console_csp}"
