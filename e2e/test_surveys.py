"""The pre-pilot survey on a phone, in Japanese: hanako finds it on her home tab, gives the pilot analysts her
consent to receive her answers, answers half of it, leaves, comes back where she stopped, finishes, checks and sends
it. Then the pilot analyst (password + TOTP) sees the counts (the demo's 24 households and hanako), a chart, and
downloads the answers as CSV that Excel opens (UTF-8 with a BOM), with hanako's answers in it."""

from __future__ import annotations

import csv
import io
import re

import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect

from app.demo.seed import DEMO_RESIDENTS, DEMO_STAFF
from e2e.conftest import Journey
from e2e.server import LiveServer
from e2e.test_staff_console import enter_code, staff_login

HANAKO = DEMO_RESIDENTS[0]
ANALYST = next(member for member in DEMO_STAFF if member.role.value == "analyst")
TITLE = "柏の葉スマートシティ実証 事前アンケート"
ANALYSTS = "柏の葉スマートシティ実証 分析チーム（デモ）"
TEXT = "一時預かりの空きがすぐ分かると助かります。"


def answer_screen(page: Page, text: str = TEXT) -> None:
    """Every question on the screen: the first choice, 4 of 5, 8 of 10, a line of `text`. Re-read after each answer:
    an answer may bring a question of the same screen in (htmx swaps the screen's questions)."""
    done: set[str] = set()
    while True:
        questions = page.locator("#survey-questions .question")
        pending = [questions.nth(i) for i in range(questions.count())
                   if questions.nth(i).get_attribute("id") not in done]
        if not pending:
            return
        question = pending[0]
        done.add(question.get_attribute("id") or "")
        answer(question, text)
        page.wait_for_load_state("networkidle")


def answer(question: Locator, text: str = TEXT) -> None:
    textarea = question.locator("textarea")
    if textarea.count():
        textarea.fill(text)
        return
    if question.locator(".nps").count():  # the 0–10 buttons: the label is what shows (the input is transparent on it)
        question.locator(".nps__choice").nth(8).click()
        expect(question.locator("input").nth(8)).to_be_checked()
        return
    inputs = question.locator("input")
    index = 3 if inputs.count() == 5 and question.locator("input[type=radio]").count() == 5 else 0
    inputs.nth(index).check()


def submissions(server: LiveServer, survey_key: str = "pre_pilot") -> int:
    """How many residents sent the survey so far (the demo's 24 households, hanako, and any other journey's)."""
    engine = sa.create_engine(server.database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text("SELECT count(*) FROM survey_submission WHERE survey_key = :key"),
                                          {"key": survey_key}).scalar_one())
    finally:
        engine.dispose()


def test_a_resident_answers_the_pre_survey_and_the_analyst_sees_the_results(page: Page, journey: Journey,
                                                                           live_server: LiveServer) -> None:
    page.goto("/login")
    page.get_by_label("メールアドレス").fill(HANAKO.email)
    page.get_by_label("パスワード").fill(HANAKO.password)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="アンケートのお願い")).to_be_visible()
    journey.check("home with the survey")
    page.get_by_role("link", name="アンケートに答える").click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.get_by_role("heading", name="はじめに同意をお願いします")).to_be_visible()
    journey.check("survey needs consent")

    # The consent page, at the analysts' request: the answers item (and nothing else) is enough.
    page.get_by_role("link", name="同意の画面へ").click()
    card = page.locator("section.consent-offer").filter(has=page.get_by_role("heading", name=ANALYSTS))
    card.get_by_label("アンケートの回答", exact=True).check()
    card.get_by_role("button", name="選んだ項目に同意する").click()
    expect(page.get_by_text("署名は有効です")).to_be_visible()

    page.goto("/surveys/")
    journey.check("survey list")
    page.get_by_role("link", name="開く").first.click()
    page.get_by_role("link", name="回答をはじめる").click()
    total = int(page.locator("#survey-progress").get_attribute("max") or 0)
    expect(page.get_by_text(f"画面 1 / {total}")).to_be_visible()
    journey.check("screen 1")

    # Forward with nothing answered: each missing answer named, and nothing lost.
    page.get_by_role("button", name="次へ").click()
    expect(page.get_by_text("回答が必要な質問があります").first).to_be_visible()
    journey.check("screen 1 errors")
    answer_screen(page)
    page.get_by_role("button", name="次へ").click()
    expect(page.get_by_text(f"画面 2 / {total}")).to_be_visible()
    answer_screen(page)
    page.get_by_role("button", name="次へ").click()
    expect(page.get_by_text(f"画面 3 / {total}")).to_be_visible()
    journey.check("screen 3")

    # She leaves; the home tab still asks, and the survey resumes where she stopped.
    page.goto("/")
    page.get_by_role("link", name="アンケートに答える").click()
    expect(page.get_by_text(f"画面 3 / {total} で中断しています")).to_be_visible()
    journey.check("survey resume")
    page.get_by_role("link", name="続きから答える").click()
    expect(page.get_by_text(f"画面 3 / {total}")).to_be_visible()
    while page.get_by_role("button", name="次へ").count():
        answer_screen(page)
        page.get_by_role("button", name="次へ").click()
        page.wait_for_load_state("load")
        if page.get_by_role("button", name="回答を確認する").count():
            answer_screen(page)
            page.get_by_role("button", name="回答を確認する").click()
            break
    expect(page.get_by_role("heading", name="回答の確認")).to_be_visible()
    expect(page.get_by_text(TEXT).first).to_be_visible()
    journey.check("review")
    page.get_by_role("button", name="送信する").click()
    expect(page.get_by_text("ご回答ありがとうございました").first).to_be_visible()
    expect(page.get_by_text("送信済み").first).to_be_visible()
    journey.check("sent")

    # The provision is in her history.
    page.goto("/my-data/history")
    expect(page.get_by_text(ANALYSTS).first).to_be_visible()

    # The analyst.
    page.context.clear_cookies()
    staff_login(page, ANALYST.email, ANALYST.password)
    enter_code(page, ANALYST.totp_secret)
    expect(page).to_have_url(re.compile(r"/analysts/$"))
    expect(page.get_by_text(TITLE).first).to_be_visible()
    journey.check("analysts list")
    page.get_by_role("link", name=re.compile("結果を見る")).first.click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    sent = submissions(live_server)
    assert sent >= 25  # the demo's 24 households and hanako (and whoever another journey had answer)
    expect(page.get_by_text(str(sent)).first).to_be_visible()
    expect(page.locator("svg[role=img]").first).to_be_visible()
    journey.check("analysts report")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("回答一覧.*CSV")).click()
    raw = download_info.value.path().read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == sent and any(TEXT in row.values() for row in rows)
