"""A resident adds a passkey on their phone (Chromium's virtual authenticator, through the CDP WebAuthn domain), logs
out, logs in with it, and confirms it is them with it before a sensitive change."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from e2e.conftest import Journey, sign_up

PASSWORD = "kashiwa-passkey-journey-2026"


def test_a_resident_logs_in_and_confirms_with_a_passkey(page: Page, journey: Journey) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})["authenticatorId"]
    email = f"passkey-{uuid.uuid4().hex[:8]}@example.jp"
    sign_up(page, email, PASSWORD)

    page.goto("/settings")
    page.get_by_role("link", name="パスキー").click()
    expect(page).to_have_url(re.compile(r"/settings/passkeys$"))
    expect(page.get_by_text("パスキーはまだありません。")).to_be_visible()
    journey.check("passkeys-none")
    page.get_by_label("見分けるための名前").fill("e2e の電話")
    page.get_by_role("button", name="パスキーを追加").click()
    expect(page.get_by_text("パスキーを追加しました。")).to_be_visible()
    expect(page.get_by_text("e2e の電話", exact=True)).to_be_visible()
    journey.check("passkeys-added")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(credentials) == 1 and credentials[0]["isResidentCredential"]

    page.goto("/settings")
    page.locator("#session-title ~ form").get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_role("button", name="パスキーでログイン").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("navigation", name="メインメニュー")).to_be_visible()
    journey.check("logged-in-with-passkey")

    page.goto("/reauth?next=/settings/passkeys")
    journey.check("reauth-with-passkey")
    page.get_by_role("button", name="パスキーで確認").click()
    expect(page).to_have_url(re.compile(r"/settings/passkeys$"))
    expect(page.get_by_text("最後に使用")).to_be_visible()
