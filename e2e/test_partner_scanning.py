"""At the shop, in two browsers (the resident's phone and the clerk's): hanako shows her pass and the clerk's phone
(Chromium's fake camera playing a video of her code) reads it, the coupon use appears in her わたしのデータ; and a
partner's new event reaches a family's feed, who checks in at the venue (pass typed in; then the event's poster)."""

from __future__ import annotations

import io
import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect

from app.demo.seed import DEMO_RESIDENTS, DEMO_STAFF
from e2e.conftest import CHROMIUM, CHROMIUM_ARGS, CSP_RECORDER, PHONE, Journey, add_child, log_in, sign_up
from e2e.fake_camera import qr_video
from e2e.test_staff_console import enter_code, staff_login

HANAKO = next(r for r in DEMO_RESIDENTS if r.email.startswith("hanako"))
CLERK = next(s for s in DEMO_STAFF if s.role.value == "partner")
JAPAN = ZoneInfo("Asia/Tokyo")
BANK = "Azukari 情報銀行（運営事業者）"
PARKING = "coupon:cp_lalaport_parking"  # at ららぽーと柏の葉, one of the demo partner's venues; valid every day


def test_a_clerk_scans_a_residents_pass_with_the_camera(page: Page, journey: Journey, playwright: Playwright,
                                                        base_url: str, tmp_path: Path) -> None:
    log_in(page, HANAKO.email, HANAKO.password)
    page.get_by_role("link", name="パスを表示").click()
    expect(page.get_by_role("heading", name="わたしのパス", exact=True)).to_be_visible()
    expect(page.get_by_role("img", name="Azukari のパスの QR コード").first).to_be_visible()
    journey.check("pass")
    # The code she shows: one of the page's offline codes (a day long, so the video outlives any minute).
    code = page.locator("[data-offline-code] figcaption").first.text_content() or ""
    video = qr_video(code.replace(" ", ""), tmp_path / "pass.y4m")

    browser = camera_browser(playwright, video)
    try:
        context = browser.new_context(**PHONE, base_url=base_url, permissions=["camera"])
        context.add_init_script(CSP_RECORDER)
        clerk = context.new_page()
        clerk_login(clerk)
        clerk.goto("/partner/scan/")
        expect(clerk.get_by_role("heading", name="パスを読み取る")).to_be_visible()
        journey.check("scan page", page=clerk)
        clerk.get_by_label("1. 何の読み取りですか").select_option(PARKING)
        clerk.get_by_role("button", name="カメラで読み取る").click()
        result = clerk.locator("#scan-result")
        expect(result).to_contain_text("クーポンを使用済みにしました", timeout=15_000)
        expect(result).to_contain_text("駐車サービス")
        expect(result).not_to_contain_text(HANAKO.email)
        journey.check("coupon used", page=clerk)
        clerk.get_by_role("button", name="カメラを止める").click()

        # The same code again, typed (a double tap): counted once. A mistyped code: refused, nothing recorded.
        clerk.get_by_label("パスのコード").fill(code)
        clerk.get_by_role("button", name="パスを確認").click()
        expect(result).to_contain_text("記録は1回だけです")
        clerk.get_by_label("パスのコード").fill(code[:-2] + ("00" if not code.endswith("00") else "11"))
        clerk.get_by_role("button", name="パスを確認").click()
        expect(result).to_contain_text("Azukari のパスではないか")
        journey.check("mistyped code refused", page=clerk)
        context.close()
    finally:
        browser.close()

    page.goto("/my-data")
    expect(page.locator("#participation")).to_contain_text("駐車サービス")
    journey.check("my data with the coupon use")


def clerk_login(page: Page) -> None:
    staff_login(page, CLERK.email, CLERK.password)
    enter_code(page, CLERK.totp_secret)
    expect(page).to_have_url(re.compile(r"/partner/"))


def camera_browser(playwright: Playwright, video: Path) -> Browser:
    """A Chromium whose camera plays `video` (the phone held up to a QR code)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])


def test_a_partners_new_event_reaches_a_family_who_checks_in_at_the_venue(page: Page, journey: Journey,
                                                                          playwright: Playwright, base_url: str,
                                                                          tmp_path: Path) -> None:
    title = f"親子でクリスマスリース作り {uuid.uuid4().hex[:4]}"
    email, password = f"wreath-{uuid.uuid4().hex[:8]}@example.jp", "kashiwanoha-wreath-26"
    now = datetime.now(JAPAN)
    starts, ends = now + timedelta(minutes=30), now + timedelta(minutes=90)
    if starts.date() != now.date():  # late at night: an event running now, from a minute ago
        starts, ends = now - timedelta(minutes=1), now + timedelta(minutes=1)

    clerk_browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        context = clerk_browser.new_context(**PHONE, base_url=base_url)
        context.add_init_script(CSP_RECORDER)
        clerk = context.new_page()
        clerk_login(clerk)
        clerk.goto("/partner/")
        journey.check("partner home", page=clerk)
        clerk.get_by_role("link", name="イベントを作成").click()
        clerk.get_by_label("タイトル（日本語）").fill(title)
        clerk.get_by_label("会場").select_option("v_tsite")
        clerk.get_by_label("開始（日本時間）").fill(starts.strftime("%Y-%m-%dT%H:%M"))
        clerk.get_by_label("終了（日本時間）").fill(ends.strftime("%Y-%m-%dT%H:%M"))
        clerk.get_by_label("下限（歳）").fill("0")
        clerk.get_by_label("上限（歳）").fill("5")
        clerk.get_by_label("画像（任意）").set_input_files(files=[{"name": "wreath.png", "mimeType": "image/png",
                                                              "buffer": picture_png()}])
        journey.check("new event form", page=clerk)
        clerk.get_by_role("button", name="下書きとして保存").click()
        expect(clerk.get_by_text("下書きとして保存しました")).to_be_visible()
        clerk.get_by_role("button", name="公開する").click()
        expect(clerk.get_by_text("公開しました")).to_be_visible()
        journey.check("event published", page=clerk)
        clerk.get_by_role("link", name="チェックイン用ポスター").click()
        expect(clerk.get_by_role("img", name=re.compile("チェックイン用 QR コード"))).to_be_visible()
        journey.check("poster", page=clerk)
        poster_url = (clerk.locator(".poster__url").text_content() or "").strip()

        # A family with a 2-year-old who lets the bank recommend events sees it, with its picture.
        sign_up(page, email, password)
        page.goto("/my-data")
        add_child(page, "ひなた", str(now.year - 2), str(now.month))
        page.goto("/consents")
        card = page.locator("section.consent-offer").filter(has=page.get_by_role("heading", name=BANK)) \
            .filter(has_text="柏の葉のイベント・クーポンのご案内")
        for item in ("年齢区分", "子どもの生年月日"):
            card.get_by_label(item, exact=True).check()
        card.get_by_role("button", name="選んだ項目に同意する").click()
        expect(page.get_by_role("heading", name="同意の記録")).to_be_visible()
        page.goto("/feed?tab=events")
        page.get_by_role("link", name=title).click()
        expect(page.locator(".listing-picture img")).to_be_visible()
        journey.check("the new event with its picture")

        # At the entrance she scans the poster with the app's own scanner (her phone's camera sees the poster).
        phone = camera_browser(playwright, qr_video(poster_url, tmp_path / "poster.y4m"))
        try:
            her = phone.new_context(**PHONE, base_url=base_url, permissions=["camera"])
            her.add_init_script(CSP_RECORDER)
            mine = her.new_page()
            log_in(mine, email, password)
            mine.goto("/pass/")
            mine.get_by_role("link", name="チェックイン用のポスターを読み取る").click()
            journey.check("poster scanner", page=mine)
            mine.get_by_role("button", name="カメラで読み取る").click()
            expect(mine.get_by_role("heading", name=title)).to_be_visible(timeout=15_000)
            journey.check("check in from the poster", page=mine)
            mine.get_by_role("button", name="チェックイン").click()
            expect(mine.get_by_text(f"{title} にチェックインしました")).to_be_visible()
            journey.check("checked in from the poster", page=mine)
            her.close()
        finally:
            phone.close()

        # Later the clerk scans her pass for the same event: it says she is already in.
        page.goto("/pass/")
        code = page.locator("#pass-code .pass__text").text_content() or ""
        clerk.goto("/partner/scan/")
        clerk.get_by_label("1. 何の読み取りですか").select_option(label=title)
        clerk.get_by_label("パスのコード").fill(code.replace("入力用のコード：", "").strip())
        clerk.get_by_role("button", name="パスを確認").click()
        expect(clerk.locator("#scan-result")).to_contain_text("チェックインしました")
        expect(clerk.locator("#scan-result")).to_contain_text("本日このイベントにチェックイン済みです")
        journey.check("checked in at the till", page=clerk)
        clerk.get_by_role("link", name="集計").click()
        expect(clerk.get_by_role("heading", name="週ごとの集計")).to_be_visible()
        journey.check("weekly report", page=clerk)
        context.close()
    finally:
        clerk_browser.close()

    page.goto("/my-data")
    expect(page.locator("#participation")).to_contain_text(title)
    expect(page.get_by_text("柏の葉デモ協力店 から").first).to_be_visible()  # the receipts on the ledger
    journey.check("my data with the check-in")


def picture_png() -> bytes:
    image = Image.new("RGB", (1200, 800), (30, 107, 58))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_offline_the_pass_shows_its_saved_codes_one_at_a_time(page: Page, context: BrowserContext,
                                                                journey: Journey) -> None:
    log_in(page, HANAKO.email, HANAKO.password)
    page.goto("/pass/")
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")
    page.reload()
    page.wait_for_function("caches.open('azukari-personal-pass').then(c => c.match('/pass/')).then(Boolean)")
    saved = [text.strip() for text in page.locator("[data-offline-code] figcaption").all_text_contents()]
    assert len(saved) == 10 and len(set(saved)) == 10
    expect(page.locator("#pass-offline")).to_be_hidden()  # online: the rotating code

    context.set_offline(True)
    page.reload()
    offline = page.locator("#pass-offline")
    expect(offline).to_be_visible()
    expect(page.locator("#pass-online")).to_be_hidden()
    shown = offline.locator("[data-offline-code]:visible figcaption")
    expect(shown).to_have_text(saved[0])
    expect(offline).to_contain_text("1 / 10")
    journey.check("pass offline")
    offline.get_by_role("button", name="このコードは使いました（次のコードを表示）").click()
    expect(shown).to_have_text(saved[1])
    expect(offline).to_contain_text("2 / 10")
    context.set_offline(False)
