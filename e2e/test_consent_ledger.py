"""A resident gives 柏市 two coarse items for its service recommendations → the consent and its signed receipt are in
the history → the receipt is checked on the public page → withdrawn → the history shows the withdrawal → all of
the resident's data is exported. On a phone, in Japanese."""

from __future__ import annotations

import io
import re
import zipfile

from playwright.sync_api import Page, expect

from e2e.conftest import Journey

TARO, TARO_PASSWORD = "taro@example.jp", "tsukuba-express-blue"
CITY = "柏市 こども部 子育て支援課"


def test_consent_receipt_ledger_withdrawal_and_export(page: Page, journey: Journey) -> None:
    page.goto("/login")
    page.get_by_label("メールアドレス").fill(TARO)
    page.get_by_label("パスワード").fill(TARO_PASSWORD)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page).to_have_url(re.compile(r"/$"))

    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="同意").click()
    expect(page.get_by_role("heading", name=CITY)).to_be_visible()
    journey.check("consent screen")
    card = page.locator("section.consent-offer").filter(has=page.get_by_role("heading", name=CITY))
    expect(card.get_by_text("柏市の子育てサービスのご案内")).to_be_visible()
    expect(card.get_by_text("365日間")).to_be_visible()

    # Nothing chosen: refused, nothing given (opt-in only).
    card.get_by_role("button", name="選んだ項目に同意する").click()
    expect(page.get_by_text("項目を1つ以上選んでください")).to_be_visible()
    card = page.locator("section.consent-offer").filter(has=page.get_by_role("heading", name=CITY))
    card.get_by_label("児童数").check()
    card.get_by_label("年齢区分").check()
    journey.check("consent chosen")
    card.get_by_role("button", name="選んだ項目に同意する").click()

    expect(page.get_by_role("heading", name="同意の記録")).to_be_visible()
    expect(page.get_by_text("署名は有効です")).to_be_visible()
    expect(page.get_by_text("児童数、年齢区分")).to_be_visible()
    journey.check("receipt")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="署名つきの記録をダウンロード").click()
    receipt_path = download_info.value.path()

    # Anyone can check it on the public page, against the published key; a changed receipt is refused.
    page.get_by_role("link", name="記録を確かめる").click()
    page.get_by_label("または記録のファイル").set_input_files(receipt_path)
    page.get_by_role("button", name="確かめる").click()
    expect(page.get_by_text("有効です：Azukari が発行し")).to_be_visible()
    journey.check("receipt verified")
    tampered = receipt_path.read_text().strip()
    tampered = tampered[:-3] + ("AAA" if not tampered.endswith("AAA") else "BBB")
    page.get_by_label("記録の中身").fill(tampered)
    page.get_by_role("button", name="確かめる").click()
    expect(page.get_by_text("無効です")).to_be_visible()

    page.goto("/my-data/history")
    expect(page.get_by_text(CITY).first).to_be_visible()
    journey.check("history with consent")
    page.get_by_role("button", name="履歴を確認する").click()
    expect(page.locator("#verify-result")).to_contain_text("問題はありません")
    journey.check("history verified")

    page.goto("/consents")
    card = page.locator("section.consent-offer").filter(has=page.get_by_role("heading", name=CITY))
    expect(card.get_by_text("同意済み").first).to_be_visible()
    card.get_by_role("button", name="この目的への同意をすべて撤回").click()
    expect(page.get_by_text("同意を撤回しました")).to_be_visible()
    journey.check("withdrawn")

    page.goto("/my-data/history")
    expect(page.get_by_text("撤回").first).to_be_visible()
    journey.check("history with withdrawal")

    page.goto("/my-data")
    with page.expect_download() as export_info:
        page.get_by_role("link", name="すべてのデータを書き出す").click()
    archive = zipfile.ZipFile(io.BytesIO(export_info.value.path().read_bytes()))
    assert {"README.txt", "account.json", "consents.json", "history.json"} <= set(archive.namelist())
    assert any(name.endswith(".jws") for name in archive.namelist())
    journey.check("my data")
