"""Staff: the operator logs in with password + TOTP, invites a partner's staff member, who sets a password
and an authenticator app from the mail and lands in the partner console, and cannot open other consoles."""

from __future__ import annotations

import re
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


def enter_code(page: Page, secret: str) -> None:
    page.get_by_label("6桁のコード").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="ログイン").click()


def test_operator_invites_partner_staff_who_enrolls_totp(page: Page, journey: Journey) -> None:
    operator = DEMO["operator"]
    page.goto("/staff/login")
    journey.check("staff-login")
    staff_login(page, operator.email, operator.password)
    journey.check("totp-step")

    page.get_by_label("6桁のコード").fill("000000")
    page.get_by_role("button", name="ログイン").click()
    expect(page.locator(".field__error")).to_be_visible()
    journey.check("totp-wrong-code")

    enter_code(page, operator.totp_secret)
    expect(page).to_have_url(re.compile(r"/operator/$"))
    journey.check("operator-dashboard")

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


@pytest.mark.parametrize("role, path", [("municipal", "/municipal/"), ("partner", "/partner/")])
def test_each_demo_staff_member_reaches_their_console(page: Page, journey: Journey, role: str, path: str) -> None:
    member = DEMO[role]
    staff_login(page, member.email, member.password)
    enter_code(page, member.totp_secret)
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    journey.check(f"{role}-console")
