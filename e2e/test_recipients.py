"""Recipients (issue 5), two browsers: Hanako on her phone connects 柏市's system and the partner's to Azukari
(the bank's consent screen: 児童数・年齢区分・町丁目グループ) → 柏市's system pulls the items and sends a notice →
it is in her inbox with its reason and the provision record → the history shows each provision to 柏市 and the
partner → she stops notices from 柏市 (the consent is withdrawn) → a city officer's next pull is refused, while
the partner still reads."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from e2e.conftest import CSP_RECORDER, Journey
from e2e.server import LiveServer

HANAKO, HANAKO_PASSWORD = "hanako@example.jp", "wakaba-tx13-morning"
CITY = "柏市 こども部 子育て支援課"
PARTNER = "柏の葉デモ協力店"


def connect(page: Page, journey: Journey, start_url: str, items: list[str], label: str) -> None:
    """From the recipient's own site, through the bank's login (if needed) and consent screen, back again."""
    page.goto(start_url)
    journey.check(f"{label} start")
    page.get_by_role("button", name="Azukari と連携する").click()
    if "/login" in page.url:
        page.get_by_label("メールアドレス").fill(HANAKO)
        page.get_by_label("パスワード").fill(HANAKO_PASSWORD)
        page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page).to_have_url(re.compile(r"/oauth/authorize\?"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("データの提供を許可しますか")
    for item in items:
        page.get_by_label(item, exact=True).check()
    journey.check(f"{label} consent screen")
    page.get_by_role("button", name="選んだ項目を許可する").click()
    expect(page.get_by_role("heading", name="Azukari と連携しました")).to_be_visible()
    journey.check(f"{label} connected")


def test_recipients_pull_consented_items_and_send_notices(page: Page, journey: Journey, browser: Browser,
                                                         live_server: LiveServer) -> None:
    city_url, partner_url = live_server.peer_urls["kashiwa-city"], live_server.peer_urls["partner"]

    # The consent screen first refuses an empty choice: nothing is given without a tick.
    page.goto(f"{city_url}/start")
    page.get_by_role("button", name="Azukari と連携する").click()
    page.get_by_label("メールアドレス").fill(HANAKO)
    page.get_by_label("パスワード").fill(HANAKO_PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_text(CITY).first).to_be_visible()
    expect(page.get_by_text("365日間")).to_be_visible()
    page.get_by_role("button", name="選んだ項目を許可する").click()
    expect(page.get_by_role("alert")).to_contain_text("項目を1つ以上選ぶか")
    journey.check("empty choice refused")

    connect(page, journey, f"{city_url}/start", ["児童数", "年齢区分", "町丁目グループ"], "city")
    connect(page, journey, f"{partner_url}/start", ["年齢区分"], "partner")

    # A city officer, at the office (another browser), runs the pull.
    office = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP", timezone_id="Asia/Tokyo")
    office.add_init_script(CSP_RECORDER)
    officer = office.new_page()
    officer.goto(city_url + "/")
    expect(officer.get_by_text("連携している住民（1件）")).to_be_visible()
    officer.get_by_role("button", name="今すぐ取得して案内を送る").click()
    expect(officer.get_by_text("（取得 1件、")).to_be_visible()  # this click's own pull, not the one at linking
    expect(officer.get_by_text("一時預かりのご案内").first).to_be_visible()
    journey.check("officer pulled", page=officer)

    # Hanako finds the notice in her inbox, with why it could be sent.
    page.goto(live_server.url + "/inbox")
    expect(page.get_by_text("一時預かりのご案内").first).to_be_visible()
    journey.check("inbox")
    page.get_by_role("link", name=re.compile("一時預かりのご案内")).first.click()
    expect(page.get_by_text("この案内を送れるのは、あなたが同意したからです")).to_be_visible()
    expect(page.get_by_text(CITY).first).to_be_visible()
    journey.check("notice with its reason")
    page.get_by_role("link", name=re.compile("このお知らせのもとになったデータ提供の記録")).click()
    expect(page).to_have_url(re.compile(r"/my-data/history"))
    journey.check("provision record")

    # Her history shows each provision: to 柏市 and to the partner.
    page.goto(live_server.url + "/my-data/history?kind=provision")
    expect(page.get_by_text(CITY).first).to_be_visible()
    expect(page.get_by_text(PARTNER).first).to_be_visible()
    journey.check("history of provisions")

    # She stops notices from 柏市: its consent is withdrawn.
    page.goto(live_server.url + "/inbox")
    page.get_by_role("link", name=re.compile("一時預かりのご案内")).first.click()
    page.get_by_role("link", name="この送信元からのお知らせを止める").click()
    journey.check("stop notices")
    page.get_by_role("button", name="お知らせを止めて同意を撤回する").click()
    expect(page.get_by_text("同意を撤回しました").first).to_be_visible()
    journey.check("notices stopped")

    # The officer's next pull is refused; the partner still reads what Hanako allowed it.
    officer.get_by_role("button", name="今すぐ取得して案内を送る").click()
    expect(officer.get_by_text("（取得 0件、")).to_be_visible()
    expect(officer.get_by_text("consent_required").first).to_be_visible()
    journey.check("officer refused", page=officer)
    officer.goto(partner_url + "/")
    officer.get_by_role("button", name="今すぐ取得して案内を送る").click()
    expect(officer.get_by_text("（取得 1件、")).to_be_visible()
    journey.check("partner still reads", page=officer)
    office.close()

    # Deleting a notice from the list (htmx) keeps her place: focus moves to the list's heading.
    page.goto(live_server.url + "/inbox")
    before = page.locator(".inbox-item").count()
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".inbox-item").first.get_by_role("button", name=re.compile("削除")).click()
    expect(page.locator(".inbox-item")).to_have_count(before - 1)
    expect(page.locator("#inbox-list-title")).to_be_focused()
    journey.check("notice deleted")

    page.goto(live_server.url + "/consents/connections")
    expect(page.get_by_role("heading", name=re.compile(PARTNER))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("柏市 子育て支援システム"))).to_have_count(0)
    journey.check("connected systems")
