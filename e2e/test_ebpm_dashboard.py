"""柏市 staff read the EBPM figures: a synthetic pilot of consenting households is released, an officer opens the
dashboard from the console, reads the figures by area and age class (small ones hidden), and downloads the CSV."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Page, expect

from app.config import PROJECT_ROOT
from e2e.conftest import Journey
from e2e.test_staff_console import DEMO, enter_code, staff_login


def test_an_officer_reads_the_figures_and_downloads_them(page: Page, journey: Journey, live_server) -> None:  # type: ignore[no-untyped-def]
    made = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "demo", "pilot", "--households", "400"],
                          cwd=PROJECT_ROOT, env=live_server.env, check=True, capture_output=True, text=True)
    assert "EBPM" in made.stdout
    city = DEMO["municipal"]
    staff_login(page, city.email, city.password)
    enter_code(page, city.totp_secret)
    expect(page).to_have_url(re.compile(r"/municipal/$"))
    page.get_by_role("main").get_by_role("link", name="集計を見る").click()
    expect(page.get_by_role("heading", name="政策のためのデータ（EBPM）")).to_be_visible()
    expect(page.get_by_role("heading", name="年齢クラス別の世帯")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("町丁目グループ別の世帯"))).to_be_visible()
    journey.check("ebpm-dashboard")
    page.get_by_label("月").select_option(index=0)
    page.get_by_role("button", name="表示する").click()
    expect(page).to_have_url(re.compile(r"/municipal/ebpm/\?month=\d{4}-\d{2}$"))
    page.get_by_text("数値を表で見る").first.click()
    journey.check("ebpm-numbers-table")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSVでダウンロード").click()
    body = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert body.startswith("月,版,表,区分,世帯数") and "町丁目グループ" in body and "年齢クラス" in body
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-|@", body)  # no resident id or address in the file
