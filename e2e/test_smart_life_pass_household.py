"""A new resident arrives through Smart Life Pass: log in there → address and health score in わたしのデータ → two
children typed by hand → MyNa Portal import with the differences resolved → 保存しない → unlink (after setting a
password, since Smart Life Pass was the only way in). On a phone, in Japanese; the peers are separate processes
on other sites (127.0.0.2 / .3)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.conftest import Journey, add_child

SORA = "sora@example.jp"
SLP_PASSWORD = "slp-sora-2026"
MYNA_PIN = "5678"
NEW_PASSWORD = "wakaba-hill-lantern-2027"


def sign_in_at_smart_life_pass(page: Page, journey: Journey, label: str) -> None:
    expect(page.get_by_role("heading", name="Smart Life Pass にログイン")).to_be_visible()
    journey.check(f"slp-login {label}")
    page.get_by_label("ログインID（メールアドレス）").fill(SORA)
    page.get_by_label("パスワード").fill(SLP_PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", name="情報提供の確認")).to_be_visible()
    journey.check(f"slp-consent {label}")
    page.get_by_role("button", name="許可する").click()


def test_smart_life_pass_login_household_and_mynaportal(page: Page, journey: Journey) -> None:
    page.goto("/login")
    journey.check("login")
    page.get_by_role("button", name="Smart Life Pass でログイン").click()
    sign_in_at_smart_life_pass(page, journey, "first")

    # A new account: the terms first, then straight to わたしのデータ.
    expect(page).to_have_url(re.compile(r"/terms"))
    page.get_by_role("checkbox").check()
    page.get_by_role("button", name="同意してはじめる").click()
    expect(page).to_have_url(re.compile(r"/my-data"))
    expect(page.get_by_text("若柴227番地1")).to_be_visible()
    expect(page.get_by_text("実証エリア")).to_be_visible()
    expect(page.locator(".score__number")).to_be_visible()
    journey.check("my-data linked")

    # Bad input first: a birth date in the future is refused and nothing is lost.
    page.get_by_role("link", name="子どもを追加").click()
    page.get_by_label("生まれた年").fill("2099")
    page.get_by_label("月", exact=True).select_option("1")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".field__error")).to_contain_text("未来")
    expect(page.get_by_label("生まれた年")).to_have_value("2099")
    journey.check("child future refused")
    page.get_by_role("link", name="キャンセル").click()

    add_child(page, "ひなた", "2021", "6")  # a slip: MyNa Portal says May
    add_child(page, "あおい", "2024", "4")  # no day: the school year then depends on it
    expect(page.get_by_text("日も入力してください")).to_be_visible()
    journey.check("two children")

    page.get_by_role("button", name="マイナポータルから取り込む").click()
    expect(page.get_by_role("heading", name="マイナポータルにログイン")).to_be_visible()
    journey.check("myna login")
    page.get_by_label("ログインID").fill(SORA)
    page.get_by_label("利用者証明用電子証明書の暗証番号（数字4桁）").fill(MYNA_PIN)
    page.get_by_role("button", name="ログイン", exact=True).click()
    journey.check("myna consent")
    page.get_by_role("button", name="許可する").click()
    expect(page.get_by_role("heading", name="マイナポータルから取り込んだ内容の確認")).to_be_visible()
    expect(page.get_by_text("入力した内容").first).to_be_visible()
    journey.check("myna review")
    page.get_by_role("button", name="保存", exact=True).click()  # nothing chosen: refused, nothing merged
    expect(page.get_by_role("alert")).to_contain_text("どちらを使うか")
    for group in page.locator("fieldset").all():
        group.get_by_label("マイナポータルの日付を使う").check()
    journey.check("myna review chosen")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page).to_have_url(re.compile(r"/my-data"))
    expect(page.get_by_text("2021年5月12日")).to_be_visible()
    expect(page.get_by_text("2024年4月1日")).to_be_visible()
    expect(page.get_by_text("マイナポータルから").first).to_be_visible()
    journey.check("children from myna")

    page.goto("/settings")
    page.get_by_role("link", name="外部サービスとの連携").click()
    journey.check("connections")
    page.get_by_label(re.compile("^保存しない")).check()
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_text("保存しない設定にしました")).to_be_visible()
    page.goto("/my-data")
    expect(page.get_by_text("若柴227番地1")).to_be_visible()
    expect(page.get_by_text("「保存しない」設定です")).to_be_visible()
    journey.check("my-data no copy")

    # Smart Life Pass is this account's only way in: unlinking asks for a password first.
    page.goto("/settings/connections")
    page.get_by_role("link", name="連携を解除").click()
    expect(page.get_by_role("alert")).to_contain_text("先にパスワードを設定")
    journey.check("unlink blocked")
    page.get_by_role("link", name="パスワードを設定").click()
    # Within minutes of logging in no step-up is asked (the functional tests cover the step-up through
    # Smart Life Pass); later, this account confirms at Smart Life Pass, having no password.
    if page.get_by_role("button", name="Smart Life Pass で本人確認").is_visible():
        journey.check("reauth with slp")
        page.get_by_role("button", name="Smart Life Pass で本人確認").click()
        sign_in_at_smart_life_pass(page, journey, "reauth")
    page.get_by_label("新しいパスワード").fill(NEW_PASSWORD)
    page.get_by_role("button", name="新しいパスワードを保存").click()
    expect(page.get_by_text("パスワードを変更しました")).to_be_visible()

    page.goto("/settings/connections")
    page.get_by_role("link", name="連携を解除").click()
    journey.check("unlink confirm")
    page.get_by_role("button", name="連携を解除").click()
    expect(page.get_by_text("アクセス権を取り消し")).to_be_visible()
    journey.check("unlinked")
    page.goto("/my-data")
    expect(page.get_by_role("link", name="Smart Life Pass と連携する")).to_be_visible()
    expect(page.get_by_text("2021年5月12日")).to_be_visible()  # the children stay
    journey.check("my-data after unlink")
