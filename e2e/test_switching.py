"""One-stop switching through the step-by-step wizard (issue 12), on a 360 px phone in Japanese: hanako moves the
seed's four cases, one decision a screen, with the stepper on every step and axe-core on each.

i    Google → ブログサービスA (Blogger's posts, profile, interests): she connects both services from the wizard's
     step (each service's own sign-in and consent, and back to the step), reads the report, agrees, accepts Blog A's
     terms, confirms it is her (her sign-in is no longer fresh) and sends; the receipt is checked; she keeps her data
     at Google.
ii   Google → インターネットTV A with the Maps location history: the posts are shown as 移せません; only Maps could be
     deleted there; she keeps everything at Google.
iii  + Calendar and YouTube viewing: she asks Google to delete; its signed certificate is checked and shown.
iv   Apple Health → ヘルスケアアプリB: she uploads her export from the wizard's link, comes back with the のりかえ tab,
     and after the transfer has Azukari erase its copy: the bank's signed purge certificate is shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect
from sqlmodel import Session, select

from app.accounts.models import Resident
from app.db import utcnow
from app.sessions import BrowserSession
from app.switching import registry
from e2e.conftest import Journey, log_in
from e2e.server import LiveServer
from tests.factories.exports import export_zip

HANAKO, HANAKO_PASSWORD = "hanako@example.jp", "wakaba-tx13-morning"
PHONE_360 = {"width": 360, "height": 740}
WAIT = 45_000
NAMES = {"google": "Google", "apple_health": "Apple ヘルスケア（書き出し）", "blog-a": "ブログサービスA",
         "tv-a": "インターネットTV A", "health-b": "ヘルスケアアプリB"}
PASSWORDS = {"google": "google-hanako-2026", "blog-a": "blog-a-hanako-2026", "tv-a": "tv-a-hanako-2026",
             "health-b": "health-b-hanako-2026"}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:  # type: ignore[type-arg]
    """The smallest phone the resident pages are designed for (docs: 360×740)."""
    return {**browser_context_args, "viewport": PHONE_360}


def check(journey: Journey, label: str) -> None:
    """axe, CSP and the screenshot (Journey.check), and nothing wider than the screen."""
    journey.check(label)
    overflow = journey.page.evaluate(
        "() => [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > "
        "document.documentElement.clientWidth + 1).map(e => e.tagName + '.' + e.className).slice(0, 5)")
    assert not overflow, f"wider than 360 px on {label}: {overflow}"


def expect_step(page: Page, n: int) -> None:
    expect(page.get_by_text(f"ステップ {n}/8")).to_be_visible(timeout=WAIT)
    expect(page.locator('.stepper [aria-current="step"]')).to_have_count(1)
    expect(page.locator(".stepper__step").nth(n - 1)).to_have_attribute("aria-current", "step")


def sign_in_not_fresh(live_server: LiveServer) -> None:
    """Her sign-in was half an hour ago (the bank's session record): sending asks her to confirm it is her."""
    engine = sa.create_engine(live_server.database_url)
    try:
        with Session(engine) as db:
            resident = db.exec(select(Resident).where(Resident.email == HANAKO)).one()
            for row in db.exec(select(BrowserSession).where(BrowserSession.principal == resident.principal)):
                row.data = {**row.data, "auth_at": (utcnow() - timedelta(minutes=30)).isoformat()}
                db.add(row)
            db.commit()
    finally:
        engine.dispose()


def press(page: Page, journey: Journey, button: str, then: Locator, label: str,
          again: Callable[[], None] | None = None) -> bool:
    """Press a button that needs a fresh sign-in; when the bank asks first (step 6: its re-authentication page),
    confirm with the password, and, back where she was, press it again. Whether she was asked."""
    page.get_by_role("button", name=button).click()
    asked = page.get_by_role("heading", name="ご本人の確認", level=1)
    expect(asked.or_(then).first).to_be_visible(timeout=WAIT)
    if not asked.count():
        return False
    check(journey, label)
    page.get_by_label("パスワード").fill(HANAKO_PASSWORD)
    page.get_by_role("button", name="続ける").click()
    expect(page).not_to_have_url(re.compile(r"/reauth"))
    if again is not None:
        again()
    page.get_by_role("button", name=button).click()
    expect(then.first).to_be_visible(timeout=WAIT)
    return True


def choose(page: Page, journey: Journey, case_key: str) -> None:
    """Steps 1 and 2: the old service, the new service, the data (what the new service cannot take: 移せません)."""
    case = registry.CASES[case_key]
    page.goto("/switching")
    expect(page.get_by_role("heading", name="サービスののりかえ", level=1)).to_be_visible()
    if case_key == "i":
        check(journey, "switching tab")
    page.get_by_role("link", name="のりかえを始める").click()
    expect(page.get_by_role("heading", name="どのサービスから移しますか", level=1)).to_be_visible()
    expect_step(page, 1)
    check(journey, f"{case_key} step 1 source")
    page.get_by_role("radio", name=re.compile("^" + re.escape(NAMES[case.source]))).check()
    page.get_by_role("button", name="次へ").click()

    expect(page.get_by_role("heading", name="どのサービスへ移しますか", level=1)).to_be_visible()
    expect_step(page, 2)
    check(journey, f"{case_key} step 2 destination")
    page.get_by_role("radio", name=re.compile("^" + re.escape(NAMES[case.destination]))).check()
    page.get_by_role("button", name="次へ").click()

    expect(page.get_by_role("heading", name="移すデータを選んでください", level=1)).to_be_visible()
    expect_step(page, 2)
    boxes = page.locator('input[name="kinds"]')
    for n in range(boxes.count()):
        box = boxes.nth(n)
        box.set_checked(box.get_attribute("value") in case.kinds)
    if case.destination == "tv-a":  # the posts and comments have no place there: shown, not offered
        expect(page.get_by_text("移せません").first).to_be_visible()
        expect(page.locator('input[value="post"]')).to_have_count(0)
    check(journey, f"{case_key} step 2 data")
    page.get_by_role("button", name="次へ").click()
    expect_step(page, 3)


def connect_here(page: Page, journey: Journey, service: str) -> None:
    """Step 3: connect a service from the wizard (its own sign-in and consent), and back to this step."""
    card = page.locator(f'[data-service="{service}"]')
    if card.get_attribute("data-connected") == "true":
        return
    step_url = page.url
    card.get_by_role("button", name=f"{NAMES[service]} とつなぐ").click()
    expect(page.get_by_role("button", name=re.compile("^(ログイン|許可する)$")).first).to_be_visible(timeout=WAIT)
    if page.get_by_label("パスワード").count():
        page.get_by_label("メールアドレス").fill(HANAKO)
        page.get_by_label("パスワード").fill(PASSWORDS[service])
        page.get_by_role("button", name="ログイン").click()
    page.get_by_role("button", name="許可する").click()
    expect(page).to_have_url(step_url)  # back on the wizard's step, not the tab
    expect(page.get_by_text("連携しました")).to_be_visible()
    expect(page.locator(f'[data-service="{service}"]')).to_have_attribute("data-connected", "true")


def start_and_send(page: Page, journey: Journey, case_key: str, live_server: LiveServer, *,
                   stale_sign_in: bool = False) -> None:
    """Steps 3 to 8: start, the report (agree), the terms, (confirm it is her,) send, progress, done."""
    destination = NAMES[registry.CASES[case_key].destination]
    check(journey, f"{case_key} step 3 connect")
    page.get_by_role("button", name="のりかえを始める").click()
    expect(page).to_have_url(re.compile(r"/switching/jobs/[0-9a-f-]{36}$"))
    expect_step(page, 4)
    # The worker collects; the page checks again by itself until the report is there. Where Azukari asks for the
    # consent to provide here (an upload: before converting it; a push: before sending), she agrees first.
    agree = page.get_by_role("button", name="同意して進む")
    report = page.get_by_role("heading", name="移るもの・移らないもの")
    expect(agree.or_(report).first).to_be_visible(timeout=WAIT)
    if agree.count():
        check(journey, f"{case_key} step 4 consent")
        agree.click()
    expect(report).to_be_visible(timeout=WAIT)
    expect(page.get_by_role("link", name="次へ")).to_be_visible(timeout=WAIT)
    check(journey, f"{case_key} step 4 report")
    page.get_by_role("link", name="次へ").click()

    expect_step(page, 5)
    expect(page.get_by_role("link", name=re.compile(f"{re.escape(destination)} の利用規約.*を読む"))).to_be_visible()
    terms = page.get_by_label(re.compile(f"{re.escape(destination)} の利用規約（.*版）に同意します"))
    terms.check()
    check(journey, f"{case_key} step 5 terms")
    if stale_sign_in:
        sign_in_not_fresh(live_server)

    def terms_again() -> None:  # back on the terms after confirming: she ticks and sends again
        expect_step(page, 5)
        terms.check()

    asked = press(page, journey, f"{destination} に送る", page.get_by_text("アプリを閉じても、のりかえは続きます"),
                  f"{case_key} step 6 confirm it is you", again=terms_again)
    assert asked or not stale_sign_in, "sending did not ask for a fresh sign-in"
    check(journey, f"{case_key} step 7 progress")
    expect(page.get_by_text("すべて届きました").first).to_be_visible(timeout=WAIT)
    expect_step(page, 8)
    expect(page.get_by_role("heading", name=f"{destination} からの受領証")).to_be_visible()
    expect(page.get_by_text(re.compile(r"\d+ 件を受け取りました"))).to_be_visible()
    expect(page.get_by_text(re.compile(f"{re.escape(destination)} の利用規約（.*版）に同意済みです"))).to_be_visible()
    check(journey, f"{case_key} step 8 done")


def keep_at_google(page: Page, journey: Journey, case_key: str) -> None:
    page.get_by_role("button", name="Google にデータを残す").click()
    expect(page.get_by_text("Google にデータを残します。のりかえは完了です。")).to_be_visible()
    expect(page.locator("[data-transfer-state]")).to_have_attribute("data-transfer-state", "complete")
    expect(page.get_by_text("Google にデータを残すことを選びました")).to_be_visible()
    check(journey, f"{case_key} kept at google")


def test_case_i_google_to_blog_a_with_a_fresh_sign_in_before_sending(page: Page, journey: Journey,
                                                                      live_server: LiveServer) -> None:
    log_in(page, HANAKO, HANAKO_PASSWORD)
    choose(page, journey, "i")
    expect(page.get_by_role("heading", name="サービスとつなぐ", level=1)).to_be_visible()
    connect_here(page, journey, "google")
    connect_here(page, journey, "blog-a")
    start_and_send(page, journey, "i", live_server, stale_sign_in=True)
    # Her choice at the end: delete or keep; both are spelled out.
    expect(page.get_by_text("依頼しない限り、何も削除されません")).to_be_visible()
    expect(page.get_by_role("button", name="Google にデータの削除を依頼する")).to_be_visible()
    keep_at_google(page, journey, "i")


def test_case_ii_google_to_tv_a_with_the_location_history(page: Page, journey: Journey,
                                                          live_server: LiveServer) -> None:
    log_in(page, HANAKO, HANAKO_PASSWORD)
    choose(page, journey, "ii")
    connect_here(page, journey, "google")
    connect_here(page, journey, "tv-a")
    start_and_send(page, journey, "ii", live_server)
    # Only Maps moved whole (YouTube's watch history stays, Blogger's posts cannot go to TV A): only Maps would end.
    expect(page.get_by_text("解約・削除するもの：Google マップ。")).to_be_visible()
    keep_at_google(page, journey, "ii")


def test_case_iii_google_to_tv_a_then_google_deletes_with_a_certificate(page: Page, journey: Journey,
                                                                        live_server: LiveServer) -> None:
    log_in(page, HANAKO, HANAKO_PASSWORD)
    choose(page, journey, "iii")
    connect_here(page, journey, "google")
    connect_here(page, journey, "tv-a")
    start_and_send(page, journey, "iii", live_server)
    press(page, journey, "Google にデータの削除を依頼する",
          page.get_by_text("Google にデータの削除を依頼しています").or_(page.get_by_text("削除証明書")),
          "iii confirm it is you before deleting")
    expect(page.get_by_text("署名付きの削除証明書は Azukari が検証済みです")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text("証明書番号")).to_be_visible()
    expect(page.get_by_text(re.compile("Google が、移し終えたサービスの契約を終了しました"))).to_be_visible()
    check(journey, "iii deleted at google with certificate")


def test_case_iv_apple_health_upload_to_health_b_ends_with_the_banks_purge_certificate(
        page: Page, journey: Journey, live_server: LiveServer, tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    archive.write_bytes(export_zip())
    log_in(page, HANAKO, HANAKO_PASSWORD)
    choose(page, journey, "iv")
    expect(page.get_by_role("heading", name="書き出したファイルを用意する", level=1)).to_be_visible()
    check(journey, "iv step 3 upload")
    # The upload page of わたしのデータ, then back with the のりかえ tab to the same step.
    page.get_by_role("link", name=re.compile("アップロード")).first.click()
    expect(page).to_have_url(re.compile(r"/my-data/imports/$"))
    page.get_by_label("書き出したファイル（zip・tgz・json・ics など）").set_input_files(str(archive))
    page.get_by_role("button", name="アップロード", exact=True).click()
    expect(page).to_have_url(re.compile(r"/my-data/imports/[0-9a-f-]{36}$"), timeout=WAIT)
    expect(page.get_by_text("保管済み").first).to_be_visible(timeout=WAIT)
    page.get_by_role("link", name="のりかえ", exact=True).click()
    page.get_by_role("link", name="途中ののりかえを続ける").click()
    expect_step(page, 3)
    expect(page.locator('[data-upload="done"]')).to_be_visible()
    connect_here(page, journey, "health-b")
    start_and_send(page, journey, "iv", live_server)
    press(page, journey, "Azukari の保管データを消去する",
          page.get_by_text("Azukari の保管データを消去しました。署名付きの証明書は下にあります。"),
          "iv confirm it is you before erasing")
    expect(page.get_by_text("保管していた書き出しのデータと変換済みのデータを消去し")).to_be_visible()
    expect(page.get_by_text("証明書番号")).to_be_visible()
    check(journey, "iv purged with the banks certificate")
    page.get_by_role("button", name="端末から削除しました").click()
    expect(page.get_by_text("本人の申告です")).to_be_visible()
    check(journey, "iv deleted on the device")
