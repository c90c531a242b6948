"""At the shop, in two browsers (the resident's phone and the clerk's): hanako shows her pass and the clerk's phone
(Chromium's fake camera playing a video of her code) reads it, the coupon use appears in her わたしのデータ; and a
partner's new event reaches a family's feed, who checks in at the venue (pass typed in; then the event's poster)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, Playwright, expect

from app.demo.seed import DEMO_RESIDENTS, DEMO_STAFF
from e2e.conftest import CHROMIUM, CHROMIUM_ARGS, CSP_RECORDER, PHONE, Journey, add_child
from e2e.fake_camera import qr_video
from e2e.test_staff_console import enter_code, staff_login

HANAKO = next(r for r in DEMO_RESIDENTS if r.email.startswith("hanako"))
CLERK = next(s for s in DEMO_STAFF if s.role.value == "partner")
JAPAN = ZoneInfo("Asia/Tokyo")
BANK = "Azukari 情報銀行（運営事業者）"
PARKING = "coupon:cp_lalaport_parking"  # at ららぽーと柏の葉, one of the demo partner's venues; valid every day


def test_a_clerk_scans_a_residents_pass_with_the_camera(page: Page, journey: Journey, playwright: Playwright,
                                                        base_url: str, tmp_path: Path) -> None:
    page.goto("/login")
    page.get_by_label("メールアドレス").fill(HANAKO.email)
    page.get_by_label("パスワード").fill(HANAKO.password)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page).to_have_url(re.compile(r"/$"))
    page.get_by_role("link", name="パスを表示").click()
    expect(page.get_by_role("heading", name="わたしのパス", exact=True)).to_be_visible()
    expect(page.get_by_role("img", name="Azukari のパスの QR コード").first).to_be_visible()
    journey.check("pass")
    # The code she shows: one of the page's offline codes (a day long, so the video outlives any minute).
    code = page.locator("[data-offline-code] figcaption").first.text_content() or ""
    video = qr_video(code.replace(" ", ""), tmp_path / "pass.y4m")

    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        context = browser.new_context(**PHONE, base_url=base_url, permissions=["camera"])
        context.add_init_script(CSP_RECORDER)
        clerk = context.new_page()
        staff_login(clerk, CLERK.email, CLERK.password)
        enter_code(clerk, CLERK.totp_secret)
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


def test_a_partners_new_event_reaches_a_family_who_checks_in_at_the_venue(page: Page, journey: Journey,
                                                                          playwright: Playwright, base_url: str) -> None:
    title = f"親子でクリスマスリース作り {uuid.uuid4().hex[:4]}"
    now = datetime.now(JAPAN)
    starts, ends = now + timedelta(minutes=30), now + timedelta(minutes=90)
    if starts.date() != now.date():  # late at night: an event running now, from a minute ago
        starts, ends = now - timedelta(minutes=1), now + timedelta(minutes=1)

    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        context = browser.new_context(**PHONE, base_url=base_url)
        context.add_init_script(CSP_RECORDER)
        clerk = context.new_page()
        staff_login(clerk, CLERK.email, CLERK.password)
        enter_code(clerk, CLERK.totp_secret)
        clerk.goto("/partner/")
        journey.check("partner home", page=clerk)
        clerk.get_by_role("link", name="イベントを作成").click()
        clerk.get_by_label("タイトル（日本語）").fill(title)
        clerk.get_by_label("会場").select_option("v_tsite")
        clerk.get_by_label("開始（日本時間）").fill(starts.strftime("%Y-%m-%dT%H:%M"))
        clerk.get_by_label("終了（日本時間）").fill(ends.strftime("%Y-%m-%dT%H:%M"))
        clerk.get_by_label("下限（歳）").fill("0")
        clerk.get_by_label("上限（歳）").fill("5")
        journey.check("new event form", page=clerk)
        clerk.get_by_role("button", name="下書きとして保存").click()
        expect(clerk.get_by_text("下書きとして保存しました")).to_be_visible()
        clerk.get_by_role("button", name="公開する").click()
        expect(clerk.get_by_text("公開しました")).to_be_visible()
        journey.check("event published", page=clerk)

        # A family with a 2-year-old who lets the bank recommend events sees it.
        page.goto("/signup")
        page.get_by_label("メールアドレス").fill(f"lease-{uuid.uuid4().hex[:8]}@example.jp")
        page.get_by_label("パスワード").fill("kashiwanoha-wreath-26")
        page.get_by_role("button", name="アカウントを作成する").click()
        page.get_by_role("checkbox").check()
        page.get_by_role("button", name="同意してはじめる").click()
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
        expect(page.get_by_role("link", name=title)).to_be_visible()
        journey.check("feed with the new event")

        # At the venue: her pass, typed in by the clerk.
        page.goto("/pass/")
        code = page.locator("#pass-code .pass__text").text_content() or ""
        clerk.goto("/partner/scan/")
        clerk.get_by_label("1. 何の読み取りですか").select_option(label=title)
        clerk.get_by_label("パスのコード").fill(code.replace("入力用のコード：", "").strip())
        clerk.get_by_role("button", name="パスを確認").click()
        expect(clerk.locator("#scan-result")).to_contain_text("チェックインしました")
        journey.check("checked in", page=clerk)

        # The poster of the event: scanning it on the same day says she is already checked in.
        clerk.goto("/partner/")
        clerk.get_by_role("link", name=re.compile(re.escape(title))).click()
        clerk.get_by_role("link", name="チェックイン用ポスター").click()
        expect(clerk.get_by_role("img", name=re.compile("チェックイン用 QR コード"))).to_be_visible()
        journey.check("poster", page=clerk)
        poster_url = clerk.locator(".poster__url").text_content() or ""
        context.close()
    finally:
        browser.close()

    page.goto(poster_url.strip())
    expect(page.get_by_text("本日チェックイン済みです")).to_be_visible()
    journey.check("poster after the check-in")
    page.goto("/my-data")
    expect(page.locator("#participation")).to_contain_text(title)
    expect(page.get_by_text("柏の葉デモ協力店 から")).to_be_visible()  # the receipt on the ledger
    journey.check("my data with the check-in")
