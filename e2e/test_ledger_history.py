"""The resident's verifiable history on a 360 px phone: from わたしのデータ to the history, filter (htmx),
check the chain, and the exports offered as downloads."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from app.demo.seed import DEMO_RESIDENTS
from e2e.conftest import Journey

HANAKO = DEMO_RESIDENTS[0]


def test_resident_reads_filters_and_checks_her_history(page: Page, journey: Journey) -> None:
    page.set_viewport_size({"width": 360, "height": 780})
    page.goto("/login")
    page.get_by_label("メールアドレス").fill(HANAKO.email)
    page.get_by_label("パスワード").fill(HANAKO.password)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page).to_have_url(re.compile(r"/$"))

    page.goto("/my-data")
    page.get_by_role("link", name=re.compile("履歴をすべて見る")).click()
    expect(page).to_have_url(re.compile(r"/my-data/history$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("データの履歴")
    journey.check("history")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone

    page.get_by_label("記録の種類").select_option("consent")
    page.get_by_role("button", name="表示する").click()
    expect(page).to_have_url(re.compile(r"kind=consent"))
    expect(page.locator("#history-list .chip").first).to_have_text("同意")
    journey.check("history-consent-only")

    page.get_by_role("button", name="履歴を確認する").click()
    expect(page.locator("#verify-result .notice--success")).to_contain_text("履歴に問題はありません")
    journey.check("history-verified")

    expect(page.get_by_role("link", name=re.compile("CSV"))).to_have_attribute("download", "")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("JSON")).click()
    assert download.value.suggested_filename.startswith("azukari-history-")
