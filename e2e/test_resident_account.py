"""A resident's account from start to end: sign up → terms → log out → log in → English → new password →
delete the account. On a phone, in Japanese first."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import Journey

PASSWORD = "kashiwa-e2e-journey-2026"
NEW_PASSWORD = "tsukuba-express-leaf-2027"


def log_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン", exact=True).click()


def test_resident_signs_up_switches_language_changes_password_and_leaves(page: Page, journey: Journey) -> None:
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.jp"

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    journey.check("landing")

    page.get_by_role("link", name="アカウントを作成").first.click()
    expect(page).to_have_url(re.compile(r"/signup$"))
    journey.check("signup")

    # Bad input first: a common password is refused with a clear message and nothing is lost.
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill("password1234")
    page.get_by_role("button", name="アカウントを作成する").click()
    expect(page.locator(".field__error")).to_be_visible()
    expect(page.get_by_label("メールアドレス")).to_have_value(email)
    journey.check("signup-weak-password")

    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="アカウントを作成する").click()
    expect(page).to_have_url(re.compile(r"/terms$"))
    journey.check("terms")

    # Nothing is pre-checked: agreeing without the box is refused.
    page.get_by_role("button", name="同意してはじめる").click()
    expect(page.locator(".field__error")).to_be_visible()
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="同意してはじめる").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("navigation", name="メインメニュー")).to_be_visible()
    journey.check("home")

    for tab, path in (("わたしのデータ", "/my-data"), ("同意", "/consents"), ("のりかえ", "/switching")):
        page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name=tab).click()
        expect(page).to_have_url(re.compile(re.escape(path) + "$"))
        journey.check(f"tab {path}")

    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="設定").click()
    journey.check("settings")
    page.locator("#session-title ~ form").get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    journey.check("logged-out")

    log_in(page, email, "not-my-password-123")
    expect(page.get_by_role("alert")).to_be_visible()
    journey.check("login-wrong-password")
    log_in(page, email, PASSWORD)
    expect(page).to_have_url(re.compile(r"/$"))

    page.goto("/settings")
    page.get_by_label("English").check()
    page.get_by_role("button", name="言語を保存").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Settings")).to_be_visible()
    journey.check("settings-english")

    page.get_by_role("link", name="Change password").click()
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_text("Your password has been changed")).to_be_visible()
    journey.check("password-changed")

    page.get_by_role("link", name="Delete my account").click()
    journey.check("delete-account")
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="Delete my account").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("Your account has been deleted")).to_be_visible()
    journey.check("deleted")

    # The account is gone: its credentials no longer work (same answer as a wrong password).
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("not correct")
