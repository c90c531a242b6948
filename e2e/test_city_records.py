"""Delegated disclosure on a phone, in Japanese. hanako asks Azukari to request her records of child-raising services
from 柏市: she reads what will happen and what the city will see, gives the mandate, and the live worker sends it to
the `kashiwa-city` peer, which acknowledges (受付) and discloses; she reviews the records, keeps them, and finds them
in わたしのデータ, and reads her signed mandate. taro's request finds no record (不開示). A city officer (password + TOTP)
sees the requests in the municipal console and answers a held one by uploading a CSV file."""

from __future__ import annotations

import re
import time

import requests
from playwright.sync_api import Browser, Page, expect

from app.demo.seed import DEMO_RESIDENTS, DEMO_STAFF
from e2e.conftest import ARTIFACTS, CSP_RECORDER, PHONE, Journey, log_in
from e2e.server import LiveServer
from e2e.test_staff_console import enter_code, staff_login

HANAKO, TARO, EMILY = DEMO_RESIDENTS
OFFICER = next(member for member in DEMO_STAFF if member.role.value == "municipal")
WAIT_SECONDS = 60


def give_mandate(page: Page, journey: Journey, *, name: str, birth_date: str, address: str, label: str) -> None:
    page.goto("/my-data")
    page.get_by_role("link", name="柏市から利用履歴を取り寄せる").click()
    expect(page.get_by_role("heading", name="柏市の利用履歴", level=1)).to_be_visible()
    journey.check(f"{label} start")
    page.get_by_role("link", name="取り寄せを依頼する").click()
    expect(page.get_by_role("heading", name="柏市が見る内容")).to_be_visible()
    page.get_by_label("氏名").fill(name)
    page.get_by_label("生年月日").fill(birth_date)
    page.get_by_label("住所").fill(address)
    journey.check(f"{label} mandate form")
    page.get_by_label("Azukari に、柏市への利用履歴の開示請求を委任します").check()
    page.get_by_role("button", name="依頼を送る").click()
    expect(page).to_have_url(re.compile(r"/city-records/[0-9a-f-]{36}$"))
    expect(page.get_by_text("柏市からの回答を待っています。")).to_be_visible()
    journey.check(f"{label} waiting")


def wait_for(page: Page, text: str) -> None:
    """The worker polls 柏市 (5 s after 受付, then longer); reload until the answer shows."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not page.get_by_text(text).count():
        assert time.monotonic() < deadline, f"no “{text}” after {WAIT_SECONDS} s"
        time.sleep(2)
        page.reload()


def test_hanako_requests_reviews_and_keeps_her_records(page: Page, journey: Journey) -> None:
    log_in(page, HANAKO.email, HANAKO.password)
    give_mandate(page, journey, name="柏の葉 花子", birth_date="1991-06-15", address="千葉県柏市柏の葉二丁目3番地1",
                 label="hanako")
    # The mandate as sent: readable, signed, downloadable.
    page.get_by_role("link", name="委任状を見る").click()
    expect(page.get_by_text("柏市長")).to_be_visible()
    expect(page.get_by_text("子育て関連の行政サービス利用履歴").first).to_be_visible()
    journey.check("hanako mandate")
    page.go_back()

    wait_for(page, "わたしのデータに取り込む")
    expect(page.get_by_text("1歳6か月児健康診査(集団)").first).to_be_visible()  # the catalogue's name
    journey.check("hanako records arrived")
    page.get_by_role("button", name="わたしのデータに取り込む").click()
    expect(page.locator(".toast--success")).to_be_visible()
    journey.check("hanako kept")

    page.goto("/my-data")
    section = page.locator("#city-records")
    expect(section.get_by_text("認可保育園の一時預かり").first).to_be_visible()
    expect(section.get_by_role("button", name=re.compile("削除")).first).to_be_visible()
    journey.check("hanako my data")


def test_taro_is_told_no_record_was_found(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(base_url=live_server.url, **PHONE)
    context.add_init_script(CSP_RECORDER)
    page = context.new_page()
    walk = Journey(page, ARTIFACTS / "city_records" / "test_taro_is_told_no_record_was_found")
    try:
        log_in(page, TARO.email, TARO.password)
        give_mandate(page, walk, name="若柴 太郎", birth_date="1988-02-21", address="千葉県柏市若柴178番地4",
                     label="taro")
        wait_for(page, "柏市は開示しないと決定しました")
        expect(page.get_by_text("該当する記録がありません")).to_be_visible()
        walk.check("taro not disclosed")
    finally:
        context.close()


def test_an_officer_answers_a_held_request_by_csv(browser: Browser, live_server: LiveServer, page: Page,
                                                  journey: Journey) -> None:
    city = live_server.peer_urls["kashiwa-city"]
    requests.post(f"{city}/_test/disclosure", json={"mode": "hold"}, timeout=5).raise_for_status()
    try:
        resident = browser.new_context(base_url=live_server.url, **PHONE)
        resident.add_init_script(CSP_RECORDER)
        phone = resident.new_page()
        log_in(phone, EMILY.email, EMILY.password)  # Emily reads English; the form is the same
        phone.goto("/city-records/new")
        phone.get_by_label("Your full name").fill("Emily Clark")
        phone.get_by_label("Your date of birth").fill("1990-09-09")
        phone.get_by_label("Your address").fill("千葉県柏市柏の葉六丁目1番地")
        phone.get_by_label(re.compile("I mandate Azukari")).check()
        phone.get_by_role("button", name="Send the request").click()
        request_id = phone.url.rsplit("/", 1)[-1]
        wait_for(phone, "Kashiwa City's receipt number")
        wait_for(phone, "柏個開第")

        staff_login(page, OFFICER.email, OFFICER.password)
        enter_code(page, OFFICER.totp_secret)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto("/municipal/city-records/")
        row = page.locator(f"#request-{request_id}")
        expect(row).to_contain_text("Emily Clark")
        journey.check("console list")
        bad = ("request_id,decision,reason,service_id,used_from,used_to,child_birth_date,note\n"
               f"{request_id},disclose,,svc_nyuji_kenshin,2025-05-01,,2025-01-15,乳児健康診査\n"
               f"{request_id},disclose,,svc_no_such,2025-06-01,,,\n")
        page.get_by_label("回答のCSVファイル").set_input_files(
            files=[{"name": "answers.csv", "mimeType": "text/csv", "buffer": bad.encode()}])
        page.get_by_role("button", name="アップロードして回答する").click()
        expect(page.get_by_role("alert")).to_contain_text("3行目")
        journey.check("console refused file")
        good = "\ufeff" + bad.splitlines()[0] + "\n" + bad.splitlines()[1] + "\n"
        page.get_by_label("回答のCSVファイル").set_input_files(
            files=[{"name": "answers.csv", "mimeType": "text/csv", "buffer": good.encode()}])
        page.get_by_role("button", name="アップロードして回答する").click()
        expect(page.locator(".toast--success")).to_be_visible()
        journey.check("console answered")

        phone.goto(f"/city-records/{request_id}")
        expect(phone.get_by_role("button", name="Keep them in my data")).to_be_visible()
        expect(phone.get_by_text("Infant health check-ups (2 individual visits)")).to_be_visible()
        resident.close()
    finally:
        requests.delete(f"{city}/_test/disclosure", timeout=5)
