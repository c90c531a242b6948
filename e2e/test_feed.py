"""The feed, as a parent in 若柴 sees it: a new account linked to Smart Life Pass (the address), a 10-month-old and
a 4-year-old typed in わたしのデータ, the bank's two recommendation consents on 同意, then the feed: services with
their statuses and reasons, one service, an event added to the calendar (.ics), and the feed again offline. On a
phone, in Japanese."""

from __future__ import annotations

import re
import uuid
from datetime import date
from pathlib import Path

from icalendar import Calendar
from playwright.sync_api import BrowserContext, Page, expect

from e2e.conftest import Journey, add_child, sign_up

PASSWORD = "wakashiba-feed-journey-2026"
SLP_ID, SLP_PASSWORD = "taro@example.jp", "slp-taro-2026"
BANK = "Azukari 情報銀行（運営事業者）"
PURPOSES = {"柏市の子育てサービスのご案内": ["子どもの生年月日", "町丁目"],
            "柏の葉のイベント・クーポンのご案内": ["年齢区分", "子どもの生年月日", "町丁目", "健康スコア"]}


def months_before(today: date, months: int) -> tuple[str, str]:
    total = today.year * 12 + today.month - 1 - months
    return str(total // 12), str(total % 12 + 1)


def test_a_family_in_wakashiba_reads_its_feed_online_and_offline(page: Page, context: BrowserContext,
                                                                 journey: Journey) -> None:
    email = f"feed-{uuid.uuid4().hex[:8]}@example.jp"
    sign_up(page, email, PASSWORD)
    journey.check("home before anything")

    # The address comes from Smart Life Pass.
    page.goto("/settings/connections")
    page.locator("section.card").filter(has=page.get_by_role("heading", name="Smart Life Pass")) \
        .get_by_role("button", name="連携する").click()
    if "/reauth" in page.url:
        page.get_by_label("パスワード").fill(PASSWORD)
        page.get_by_role("button", name=re.compile("続ける|Continue")).click()
    expect(page.get_by_role("heading", name="Smart Life Pass にログイン")).to_be_visible()
    page.get_by_label("ログインID（メールアドレス）").fill(SLP_ID)
    page.get_by_label("パスワード").fill(SLP_PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    page.get_by_role("button", name="許可する").click()

    # Two children: 10 months and 4 years old.
    page.goto("/my-data")
    expect(page.get_by_text("若柴178番地4")).to_be_visible()
    today = date.today()
    add_child(page, "はると", *months_before(today, 10))
    add_child(page, "ゆい", *months_before(today, 4 * 12 + 5))
    journey.check("my-data two children")

    # The bank's own two offers on 同意: every item ticked by the resident.
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="同意").click()
    for purpose, items in PURPOSES.items():
        card = page.locator("section.consent-offer").filter(has=page.get_by_role("heading", name=BANK)) \
            .filter(has_text=purpose)
        for item in items:
            card.get_by_label(item, exact=True).check()
        card.get_by_role("button", name="選んだ項目に同意する").click()
        expect(page.get_by_role("heading", name="同意の記録")).to_be_visible()
        page.goto("/consents")
    journey.check("consents given")

    # Home shows the feed card; the full list is /feed.
    page.goto("/")
    expect(page.locator("#feed-panel")).to_be_visible()
    journey.check("home with feed")
    page.goto("/feed")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    daretsu = page.locator(".feed-card").filter(has=page.get_by_role("link", name="こども誰でも通園制度"))
    expect(daretsu.first).to_be_visible()
    expect(page.locator(".feed-card .chip").first).to_be_visible()
    daretsu.first.locator("summary").click()
    expect(daretsu.first.get_by_text("子どもの生年月日")).to_be_visible()
    journey.check("feed services")
    page.locator("details.feed-others > summary").click()
    journey.check("feed others open")

    daretsu.first.get_by_role("link", name="こども誰でも通園制度").click()
    expect(page).to_have_url(re.compile(r"/feed/services/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("こども誰でも通園制度")
    journey.check("service detail")

    # Events through the tab (htmx swaps the panel), one event, its calendar file.
    page.goto("/feed")
    page.locator(".feed-tabs").get_by_role("link", name=re.compile("Events|イベント")).click()
    expect(page.locator('.feed-tabs a[aria-current="page"]')).to_have_attribute("href", re.compile("tab=events"))
    journey.check("feed events")
    page.locator(".feed-card").filter(has=page.locator(".feed-card__when")).first.locator(".feed-card__title").click()
    expect(page).to_have_url(re.compile(r"/feed/events/"))
    expect(page.get_by_role("link", name=re.compile("openstreetmap|地図|map", re.I)).first).to_be_visible()
    journey.check("event detail")
    with page.expect_download() as info:
        page.locator('a[href$=".ics"]').click()
    ics = Calendar.from_ical(Path(info.value.path()).read_bytes())
    event = next(iter(ics.walk("VEVENT")))
    assert event.get("UID") and event.get("DTSTART") and event.get("SUMMARY") and event.get("URL")

    # "参加した": kept in わたしのデータ (the feed uses it only with the history's consent, not given here).
    page.get_by_role("button", name="参加した").click()
    expect(page.get_by_text("参加を記録しました。")).to_be_visible()
    journey.check("event joined")
    page.goto("/my-data#participation")
    expect(page.locator("#participation-list li").first).to_be_visible()

    page.goto("/feed?tab=coupons")
    journey.check("feed coupons")

    # Offline: the last feed loaded is still there (kept by the service worker).
    page.goto("/feed")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.reload()
    page.wait_for_function("caches.open('azukari-personal-feed').then(c => c.match('/feed')).then(Boolean)")
    context.set_offline(True)
    page.reload()
    expect(page.locator(".feed-card").first).to_be_visible()
    expect(page.locator("#offline-banner")).to_be_visible()
    journey.check("feed offline")
    page.goto("/")
    expect(page.locator("#feed-panel")).to_be_visible()
    context.set_offline(False)
