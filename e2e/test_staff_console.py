"""Staff: the operator logs in with password + TOTP, invites a partner's staff member, who sets a password
and an authenticator app from the mail and lands in the partner console, and cannot open other consoles."""

from __future__ import annotations

import re
import time
import uuid

import pyotp
import pytest
from playwright.sync_api import Page, expect

from app.demo.seed import DEMO_STAFF
from e2e.conftest import Journey

DEMO = {member.role.value: member for member in DEMO_STAFF}


def staff_login(page: Page, email: str, password: str) -> None:
    page.goto("/staff/login")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="次へ").click()
    expect(page).to_have_url(re.compile(r"/staff/login/code$"))


_USED_STEPS: set[tuple[str, int]] = set()


def enter_code(page: Page, secret: str) -> None:
    """The current TOTP code. A code is accepted once (replay protection), so a second login of the same member
    in the same 30 s step (another journey) waits for the next step."""
    while (secret, step := int(time.time()) // 30) in _USED_STEPS:
        time.sleep(1)
    _USED_STEPS.add((secret, step))
    page.get_by_label("6桁のコード").fill(pyotp.TOTP(secret).at(step * 30))
    page.get_by_role("button", name="ログイン", exact=True).click()


def test_operator_invites_partner_staff_who_enrolls_totp(page: Page, journey: Journey) -> None:
    operator = DEMO["operator"]
    page.goto("/staff/login")
    journey.check("staff-login")
    staff_login(page, operator.email, operator.password)
    journey.check("totp-step")

    page.get_by_label("6桁のコード").fill("000000")
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.locator(".field__error")).to_be_visible()
    journey.check("totp-wrong-code")

    enter_code(page, operator.totp_secret)
    expect(page).to_have_url(re.compile(r"/operator/$"))
    journey.check("operator-dashboard")

    # The consent catalogue: the seeded offers, approved by the ethics board in the demo, are offered.
    page.get_by_role("link", name="カタログ", exact=True).click()
    expect(page.get_by_role("heading", name="同意のカタログ")).to_be_visible()
    expect(page.get_by_text("提示中").first).to_be_visible()
    journey.check("operator-catalogue")
    page.get_by_role("link", name="台帳", exact=True).click()
    journey.check("operator-ledger")

    page.get_by_role("link", name="スタッフ", exact=True).click()
    journey.check("operator-staff")
    email = f"partner-{uuid.uuid4().hex[:6]}@example.jp"
    page.get_by_label("名前").fill("柏の葉 新人")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("役割").select_option("partner")
    page.get_by_label("協力事業者（協力事業者スタッフのみ）").select_option(label="柏の葉デモ協力店")
    page.get_by_role("button", name="作成して招待メールを送る").click()
    expect(page.get_by_role("cell", name=email, exact=True)).to_be_visible()  # swapped in by htmx, no reload
    expect(page.get_by_role("status").filter(has_text=email)).to_be_visible()
    journey.check("operator-staff-invited")

    page.get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(re.compile(r"/staff/login$"))

    page.goto("/dev/mail/")
    page.get_by_role("link", name=re.compile(email)).first.click()
    journey.check("invitation-mail")
    page.get_by_role("link", name=re.compile(r"\/staff\/invite\/")).click()
    journey.check("invitation-set-password")
    page.get_by_label("パスワード").fill("kashiwanoha-new-staff-2026")
    page.get_by_role("button", name="次へ").click()
    expect(page).to_have_url(re.compile(r"/staff/enroll$"))
    expect(page.get_by_role("img", name=re.compile("QR"))).to_be_visible()
    journey.check("enroll-totp")
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    page.get_by_label("6桁のコード").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="確認してログイン").click()
    expect(page).to_have_url(re.compile(r"/partner/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("柏の葉デモ協力店")
    journey.check("partner-console")

    # Each role sees only its own console, and no staff role opens a resident's page.
    for path in ("/operator/", "/municipal/", "/settings", "/my-data"):
        response = page.goto(path)
        assert response is not None and response.status == 403, path
    journey.check("partner-refused-operator-console")


LABELS = {
    "ja-JP": {"email": "メールアドレス", "password": "パスワード", "next": "次へ", "code": "6桁のコード",
              "login": "ログイン", "logout": "ログアウト"},
    "en-US": {"email": "Email address", "password": "Password", "next": "Next", "code": "6-digit code",
              "login": "Log in", "logout": "Log out"},
}


@pytest.mark.parametrize(
    "role, path, locale",
    [
        ("municipal", "/municipal/", "ja-JP"),
        pytest.param("partner", "/partner/", "en-US", marks=pytest.mark.browser_context_args(locale="en-US")),
    ],
)
def test_each_demo_staff_member_reaches_their_console_in_their_language(
    page: Page, journey: Journey, role: str, path: str, locale: str
) -> None:
    words, member = LABELS[locale], DEMO[role]
    page.goto("/staff/login")
    journey.check(f"staff-login-{locale}")
    page.get_by_label(words["email"]).fill(member.email)
    page.get_by_label(words["password"]).fill(member.password)
    page.get_by_role("button", name=words["next"]).click()
    page.get_by_label(words["code"]).fill(pyotp.TOTP(member.totp_secret).now())
    page.get_by_role("button", name=words["login"]).click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    expect(page.locator("html")).to_have_attribute("lang", locale[:2])
    journey.check(f"{role}-console-{locale}")
    page.get_by_role("button", name=words["logout"]).click()
    expect(page).to_have_url(re.compile(r"/staff/login$"))
