"""柏市 staff read the EBPM figures: a synthetic pilot of consenting households is released, an officer opens the
dashboard from the console, reads where 一時預かり reaches the eligible households (by area group, age class and whether
the feed showed it; small figures hidden), participation around recommendations and satisfaction, filters by 年齢クラス,
enters a budget for the cost per household, and downloads the CSV."""

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
    made = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "demo", "pilot", "--households", "1000"],
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
    uptake = page.get_by_role("table", name="地域別の利用率")
    expect(uptake).to_be_visible()
    expect(uptake.get_by_role("row", name=re.compile("柏の葉実証エリア"))).to_contain_text("%")
    expect(page.get_by_role("img", name=re.compile("地域別の利用率"))).to_be_visible()
    by_month = page.get_by_role("table", name="月ごとの利用率（すべての地域）")
    expect(by_month.get_by_role("row")).to_have_count(4)  # the heading and the pilot's three months
    shown = page.get_by_role("table", name="おすすめ表示の有無別の利用率")
    expect(shown.get_by_role("row", name=re.compile("おすすめに表示された世帯"))).to_contain_text("%")
    expect(page.get_by_role("table", name="初めてのおすすめの前後の参加回数")).to_be_visible()
    satisfaction = page.get_by_role("table", name="実証前後の満足度")
    expect(satisfaction.get_by_role("row", name=re.compile("子育て情報"))).to_contain_text("→")
    journey.check("ebpm-dashboard")
    page.get_by_label("年齢クラス", exact=True).select_option(label="2歳児クラス")
    page.get_by_role("button", name="表示する").click()
    expect(page).to_have_url(re.compile(r"age_class=2"))
    by_class = page.get_by_role("table", name="年齢クラス別の利用率")
    expect(by_class.get_by_role("row")).to_have_count(2)  # the heading and 2歳児クラス only
    expect(page.get_by_role("table", name=re.compile("すべてのサービス — 2歳児クラス"))).to_be_visible()
    journey.check("ebpm-filtered-by-age-class")
    page.get_by_text("予算を入力する").click()
    page.get_by_label("サービス", exact=True).last.select_option(label="認可保育園の一時預かり")
    page.get_by_label("予算（円）").fill("12000000")
    page.get_by_role("button", name="予算を保存する").click()
    expect(page.get_by_role("status").or_(page.get_by_role("alert")).first).to_contain_text("予算を保存しました")
    expect(page.get_by_role("table", name=re.compile("利用世帯あたりの費用"))).to_contain_text("12,000,000")
    journey.check("ebpm-cost-per-household")
    page.get_by_text("数値を表で見る").first.click()
    with page.expect_download() as download:
        page.get_by_role("link", name="CSVでダウンロード").click()
    body = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert body.startswith("月,版,表,サービス,区分,世帯数,うち利用した世帯") and "町丁目グループ" in body
    assert "利用率（町丁目グループ）,認可保育園の一時預かり,柏の葉実証エリア" in body and "12000000" in body
    assert "利用率（おすすめ表示の有無）" in body and "満足度（平均：前→後、変化）" in body
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-|@", body)  # no resident id or address in the file
