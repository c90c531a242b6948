"""One-stop switching (issue 11), on a phone in Japanese: Hanako connects Google and ブログサービスA to Azukari (each
service's own sign-in and consent), prepares the move of her Blogger posts, profile and interests (pattern 2: the
bank fetches and delivers), reads what moves and what does not, agrees to the provision, sends it, and sees the
destination's receipt checked item by item, asks Google to delete (its signed certificate is checked and shown) —
then finds her posts on ブログサービスA."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.conftest import Journey, log_in
from e2e.server import LiveServer

HANAKO, HANAKO_PASSWORD = "hanako@example.jp", "wakaba-tx13-morning"


def connect(page: Page, journey: Journey, service: str, password: str, label: str) -> None:
    """From のりかえ, through the service's own sign-in and consent, back to のりかえ."""
    page.goto("/switching")
    page.locator("li", has_text=service).get_by_role("button").click()
    page.get_by_label("メールアドレス").fill(HANAKO)
    page.get_by_label("パスワード").fill(password)
    journey.check(f"{label} sign-in")
    page.get_by_role("button", name="ログイン").click()
    journey.check(f"{label} consent")
    page.get_by_role("button", name="許可する").click()
    expect(page).to_have_url(re.compile(r"/switching$"))
    expect(page.get_by_text("連携しました")).to_be_visible()


def test_hanako_moves_her_blog_to_blog_a(page: Page, journey: Journey, live_server: LiveServer) -> None:
    log_in(page, HANAKO, HANAKO_PASSWORD)
    page.get_by_role("link", name="のりかえ").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("サービスののりかえ")
    journey.check("switching")

    connect(page, journey, "Google", "google-hanako-2026", "google")
    connect(page, journey, "ブログサービスA", "blog-a-hanako-2026", "blog-a")
    expect(page.locator("li", has_text="ブログサービスA").get_by_text("連携済み")).to_be_visible()
    journey.check("both connected")

    page.get_by_label(re.compile("Blogger の投稿")).check()
    page.get_by_label("サービスのつなぎ方").select_option("2")
    page.get_by_role("button", name="のりかえを準備する").click()
    expect(page).to_have_url(re.compile(r"/switching/jobs/"))
    # The worker fetches from Google; the page checks again by itself until the report is there.
    expect(page.get_by_role("heading", name="移るもの・移らないもの")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("row", name=re.compile("ブログの投稿"))).to_be_visible()
    journey.check("pre-transfer report")

    page.get_by_role("button", name="同意して進む").click()
    page.get_by_label(re.compile("ブログサービスA の利用規約")).check()
    journey.check("terms before sending")
    page.get_by_role("button", name="ブログサービスA に送る").click()
    expect(page.get_by_text("アプリを閉じても、のりかえは続きます")).to_be_visible()
    expect(page.get_by_text("すべて届きました")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="ブログサービスA からの受領証")).to_be_visible()
    journey.check("verified with receipt")

    # Only now, and only because she asks: Google ends Blogger and YouTube and deletes, with a signed certificate.
    expect(page.get_by_text("依頼しない限り、何も削除されません")).to_be_visible()
    page.get_by_role("button", name="Google にデータの削除を依頼する").click()
    expect(page.get_by_text("署名付きの削除証明書は Azukari が検証済みです")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("証明書番号")).to_be_visible()
    journey.check("deleted at google with certificate")

    # At ブログサービスA (still signed in there from the connection): the posts arrived.
    page.goto(live_server.peer_urls["blog-a"] + "/")
    expect(page.get_by_role("heading", name="受け取ったデータ")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Azukari からの送信\s*（完了）"))).to_be_visible()
    expect(page.locator("dt", has_text="記事")).to_be_visible()
    journey.check("blog-a received")
