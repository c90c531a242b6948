"""Hostile text in a partner's event and coupon (security.md E4; the payloads and checks of test_hostile_input.py).
The partner's clerk, on a phone, writes script, template and htmx payloads into every free-text field of an event
and a coupon (titles, descriptions, the offer, the conditions), first with a mistake so that the form comes back with
them as values, then saves and publishes them: the console's list, each listing, the poster, the counter's scan page
and its htmx result. A family who lets the bank recommend events sees them in the feed, on the
event's and the coupon's pages, on the poster's check-in page and in わたしのデータ. Everywhere: shown as text, no
dialog, nothing live from a payload, the probe URL never requested, no CSP violation; and afterwards the service
worker's Cache Storage holds only the shell and the kept feed."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, Page, expect

from e2e.conftest import CSP_RECORDER, PHONE, Journey, add_child, sign_up
from e2e.test_hostile_input import ALL, PROBE, Watch, assert_inert, assert_no_personal_page_cached
from e2e.test_partner_scanning import clerk_login

JAPAN = ZoneInfo("Asia/Tokyo")
BANK = "Azukari 情報銀行（運営事業者）"
EVENTS_AND_COUPONS = "柏の葉のイベント・クーポンのご案内"
VENUE = "v_tsite"  # one of the demo partner's two venues


def hostile_title(kind: str) -> str:
    """A title with the payloads that fit in one (200 characters), and a tag to find it by."""
    return (
        f'<img src=x onerror=alert(1)>{{{{7*7}}}}<b hx-get={PROBE} hx-trigger=load>x</b>"><svg onload=alert(1)>'
        f"javascript:alert(1) {kind}-{uuid.uuid4().hex[:6]}"
    )


OFFER = '"><svg onload=alert(1)>{{7*7}}<script>alert(1)</script>'  # the coupon's offer holds 100 characters


def fill_common(clerk: Page, title: str) -> None:
    """What events and coupons share: the titles and descriptions (the payloads), the venue, a child's age range."""
    clerk.get_by_label("タイトル（日本語）").fill(title)
    clerk.get_by_label("タイトル（英語・任意）").fill(ALL)
    clerk.get_by_label("説明（日本語・任意）").fill(ALL)
    clerk.get_by_label("説明（英語・任意）").fill(ALL)
    clerk.get_by_label("会場").select_option(VENUE)
    clerk.get_by_label("下限（歳）").fill("0")
    clerk.get_by_label("上限（歳）").fill("5")


def save_and_publish(clerk: Page, journey: Journey, watch: Watch, kind: str, title: str) -> None:
    clerk.get_by_role("button", name="下書きとして保存").click()
    expect(clerk.get_by_text("下書きとして保存しました")).to_be_visible()
    expect(clerk.get_by_label("タイトル（日本語）")).to_have_value(title)
    expect(clerk.get_by_label("説明（日本語・任意）")).to_have_value(ALL)
    assert_inert(clerk, journey, watch, f"the hostile {kind} draft", [title, ALL])
    clerk.get_by_role("button", name="公開する").click()
    expect(clerk.get_by_text("公開しました")).to_be_visible()


def test_a_partners_hostile_event_and_coupon_are_shown_as_text(
    page: Page, journey: Journey, browser: Browser, base_url: str
) -> None:
    watch = Watch()
    watch.attach(page)
    event_title, coupon_title = hostile_title("event"), hostile_title("coupon")
    now = datetime.now(JAPAN)
    starts, ends = now + timedelta(minutes=30), now + timedelta(minutes=90)
    if starts.date() != now.date():  # late at night: an event running now, from a minute ago
        starts, ends = now - timedelta(minutes=1), now + timedelta(minutes=1)

    desk = browser.new_context(**PHONE, base_url=base_url)
    desk.add_init_script(CSP_RECORDER)
    clerk = desk.new_page()
    watch.attach(clerk)
    clerk_login(clerk)

    # The event: first without its start, so that the form comes back (422) with the payloads as its values.
    clerk.goto("/partner/events/new")
    fill_common(clerk, event_title)
    clerk.get_by_label("終了（日本時間）").fill(ends.strftime("%Y-%m-%dT%H:%M"))
    clerk.get_by_role("button", name="下書きとして保存").click()
    expect(clerk.get_by_label("タイトル（日本語）")).to_have_value(event_title)
    expect(clerk.get_by_label("タイトル（英語・任意）")).to_have_value(ALL)
    assert_inert(clerk, journey, watch, "the hostile event form refused", [ALL])
    clerk.get_by_label("開始（日本時間）").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    save_and_publish(clerk, journey, watch, "event", event_title)
    listings = [clerk.url]
    assert_inert(clerk, journey, watch, "the hostile event published", [event_title])
    clerk.get_by_role("link", name="チェックイン用ポスター").click()
    expect(clerk.get_by_role("img", name=re.compile("チェックイン用 QR コード"))).to_be_visible()
    assert_inert(clerk, journey, watch, "the hostile event's poster", [event_title])
    poster_url = (clerk.locator(".poster__url").text_content() or "").strip()

    # The coupon: its offer and conditions too.
    clerk.goto("/partner/coupons/new")
    fill_common(clerk, coupon_title)
    clerk.get_by_label("店舗の種類").select_option(index=1)
    clerk.get_by_label("特典の種類").select_option("other")
    clerk.get_by_label("特典", exact=True).fill(OFFER)
    clerk.get_by_label("利用条件（任意）").fill(ALL)
    clerk.get_by_label("利用開始日（任意）").fill(now.date().isoformat())
    save_and_publish(clerk, journey, watch, "coupon", coupon_title)
    listings.append(clerk.url)
    expect(clerk.get_by_label("特典", exact=True)).to_have_value(OFFER)
    expect(clerk.get_by_label("利用条件（任意）")).to_have_value(ALL)
    assert_inert(clerk, journey, watch, "the hostile coupon published", [coupon_title])
    clerk.goto("/partner/")
    assert_inert(clerk, journey, watch, "the console's lists", [event_title, coupon_title])

    # A family with a 2-year-old who lets the bank recommend events and coupons.
    sign_up(page, f"e2e-hostile-listings-{uuid.uuid4().hex[:8]}@example.jp", "kashiwanoha-hostile-listings-26")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.goto("/my-data")
    add_child(page, "ひなた", str(now.year - 2), str(now.month))
    page.goto("/consents")
    card = (
        page.locator("section.consent-offer")
        .filter(has=page.get_by_role("heading", name=BANK))
        .filter(has_text=EVENTS_AND_COUPONS)
    )
    for item in ("年齢区分", "子どもの生年月日"):
        card.get_by_label(item, exact=True).check()
    card.get_by_role("button", name="選んだ項目に同意する").click()
    expect(page.get_by_role("heading", name="同意の記録")).to_be_visible()

    page.goto("/feed?tab=events")
    assert_inert(page, journey, watch, "the feed's events", [event_title])
    page.get_by_role("link", name=event_title).click()
    expect(page).to_have_url(re.compile(r"/feed/events/"))
    assert_inert(page, journey, watch, "the hostile event's page", [event_title, ALL])
    page.goto("/feed?tab=coupons")
    assert_inert(page, journey, watch, "the feed's coupons", [coupon_title])
    page.get_by_role("link", name=coupon_title).click()
    expect(page).to_have_url(re.compile(r"/feed/coupons/"))
    assert_inert(page, journey, watch, "the hostile coupon's page", [coupon_title, ALL])

    # At the venue: the poster's check-in page, then the clerk's scan of her pass (the result is swapped by htmx).
    page.goto(poster_url)
    assert_inert(page, journey, watch, "check in from the hostile poster", [event_title])
    page.get_by_role("button", name="チェックイン").click()
    expect(page.get_by_text(f"{event_title} にチェックインしました")).to_be_visible()
    assert_inert(page, journey, watch, "checked in to the hostile event", [event_title])
    page.goto("/pass/")
    code = (page.locator("#pass-code .pass__text").text_content() or "").replace("入力用のコード：", "").strip()
    clerk.goto("/partner/scan/")
    assert_inert(clerk, journey, watch, "the scan page's hostile choices", [])
    clerk.get_by_label("1. 何の読み取りですか").select_option(label=event_title)
    clerk.get_by_label("パスのコード").fill(code)
    clerk.get_by_role("button", name="パスを確認").click()
    expect(clerk.locator("#scan-result")).to_contain_text("本日このイベントにチェックイン済みです")
    assert_inert(clerk, journey, watch, "the scan result for the hostile event", [event_title])
    for listing in listings:  # withdrawn: the journeys after this one see the feed without them
        clerk.goto(listing)
        clerk.get_by_role("button", name="撤回").click()
        expect(clerk.get_by_text("取り下げました").first).to_be_visible()
    desk.close()

    response = page.goto("/my-data")
    assert response is not None and "no-store" in response.headers.get("cache-control", "")
    expect(page.locator("#participation")).to_contain_text(event_title)
    assert_inert(page, journey, watch, "my data with the hostile event", [event_title])
    assert_no_personal_page_cached(page, ["/my-data", "/consents", "/feed/events/", "/feed/coupons/", "/checkin/"])
