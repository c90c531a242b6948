"""A resident who forgot the password gets a link by mail (the development mailbox), sets a new password
once, and logs in with it; the link does not work a second time."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.conftest import Journey

EMAIL = "taro@example.jp"
NEW_PASSWORD = "wakashiba-morning-walk-2026"


def test_forgotten_password_is_reset_through_the_mailed_link(page: Page, journey: Journey) -> None:
    page.goto("/login")
    page.get_by_role("link", name="パスワードをお忘れの方").click()
    journey.check("forgot")
    page.get_by_label("メールアドレス").fill(EMAIL)
    page.get_by_role("button", name="リンクを送る").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    journey.check("forgot-sent")

    page.goto("/dev/mail/")
    page.get_by_role("link", name=re.compile(EMAIL)).first.click()
    link = page.get_by_role("link", name=re.compile(r"\/password\/reset\/"))
    reset_url = link.get_attribute("href")
    link.click()
    journey.check("reset-form")

    page.get_by_label("新しいパスワード").fill("short")
    page.get_by_role("button", name="新しいパスワードを保存").click()
    expect(page.locator(".field__error")).to_be_visible()
    journey.check("reset-too-short")

    page.get_by_label("新しいパスワード").fill(NEW_PASSWORD)
    page.get_by_role("button", name="新しいパスワードを保存").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.get_by_label("メールアドレス").fill(EMAIL)
    page.get_by_label("パスワード").fill(NEW_PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page).to_have_url(re.compile(r"/$"))
    journey.check("logged-in-with-new-password")

    assert reset_url is not None
    page.goto(reset_url)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert "/password/reset/" in page.url
    expect(page.get_by_role("link", name=re.compile("新しいリンク|new link"))).to_be_visible()
    journey.check("reset-link-used")
