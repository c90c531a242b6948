"""Hostile text in every free-text field a resident or a staff member fills and the bank shows again (security.md
E4, E5). A new resident, on a phone, names her children with script, template and htmx payloads, uploads an Apple
Health export under a hostile file name and writes them into the survey's free-text answer; the operator invites a
staff member whose name is one. Every page (and htmx fragment) that shows them must show them as text: no dialog
opens, no element carries the payload's `hx-*` attributes or event handlers, the payload's probe URL is never
requested, and the browser reports no CSP violation. After the health results and the ledger's htmx history,
`localStorage` and `sessionStorage` hold nothing personal and no htmx history cache; a personal page sends COOP,
nosniff, a CSP with `frame-ancestors 'none'` and no inline script, and `Cache-Control: no-store`."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Dialog, Page, Request, Response, expect

from app.demo.seed import DEMO_STAFF
from e2e.conftest import Journey, sign_up
from e2e.test_staff_console import enter_code, staff_login
from e2e.test_surveys import answer_screen
from tests.factories.exports import export_zip

PASSWORD = "kashiwa-hostile-input-2026"
ANALYST = next(member for member in DEMO_STAFF if member.role.value == "analyst")
OPERATOR = next(member for member in DEMO_STAFF if member.role.value == "operator")
ANALYSTS = "柏の葉スマートシティ実証 分析チーム（デモ）"
PROBE = "/xss"  # what the htmx payload would fetch: it must never be requested

# One payload a field (a child's nickname holds 40 characters); the longer fields get them all at once.
PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "{{7*7}}",
    "{{ config }}{% raw %}{{ x }}{% endraw %}",
    f"<b hx-get={PROBE} hx-trigger=load>x</b>",
    "javascript:alert(1)",
    '"><svg onload=alert(1)>',
]
ALL = "".join(PAYLOADS)
# A file name is kept as its base name (what follows the last "/"): this one has none.
FILE_NAME = '"><svg onload=alert(1)>{{7*7}}<img src=x onerror=alert(1)>.zip'
STAFF_NAME = f'<img src=x onerror=alert(1)>{{{{7*7}}}}<b hx-get={PROBE} hx-trigger=load>x</b>"><svg onload=alert(1)>'

# Anything in the document the payloads could have made live.
LIVE_FROM_PAYLOAD = """(probe) => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.getAttributeNames()) {
      const value = el.getAttribute(attr) || '';
      if (attr.startsWith('on')) found.push(`${el.tagName} ${attr}=${value}`);
      if ((attr.startsWith('hx-') || attr.startsWith('data-hx-')) && value.includes(probe)) found.push(el.outerHTML);
      if (['href', 'src', 'action', 'formaction'].includes(attr) && /^\\s*javascript:/i.test(value)) found.push(el.outerHTML);
    }
  }
  for (const script of document.querySelectorAll('script')) {
    if ((script.textContent || '').includes('alert(')) found.push(script.outerHTML);
  }
  for (const img of document.querySelectorAll('img[src="x"], svg[onload]')) found.push(img.outerHTML);
  return found;
}"""

# What the app may keep in the browser's storage: static/js/pass.js, the offline pass's index; htmx 2, the path of
# the page it last swapped (sessionStorage, this tab only; a path of ours, nothing of the page's content).
KNOWN_KEYS = {"local": {"azukari-pass-offline-next"}, "session": {"htmx-current-path-for-history"}}


class Watch:
    """Dialogs and requests to the probe over the whole journey, across the pages it opens."""

    def __init__(self) -> None:
        self.dialogs: list[str] = []
        self.probes: list[str] = []

    def attach(self, page: Page) -> None:
        page.on("dialog", self._on_dialog)
        page.on("request", self._on_request)

    def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message} at {dialog.page.url if dialog.page else '?'}")
        dialog.dismiss()

    def _on_request(self, request: Request) -> None:
        if PROBE in request.url:
            self.probes.append(request.url)


def assert_inert(page: Page, journey: Journey, watch: Watch, label: str, shown: list[str]) -> None:
    """The page shows each text in `shown` literally, and nothing of the payloads is live."""
    page.wait_for_load_state("networkidle")
    journey.check(label)  # axe, no CSP violation, a screenshot
    text = page.locator("body").text_content() or ""
    for literal in shown:
        assert literal in text, f"{label}: {literal!r} is not shown as text"
    # Rendered as a template, {{7*7}} would read 49 and {{ config }} would list the settings.
    assert "SECRET_KEY" not in text and "<Config" not in text, f"{label}: the template ran"
    live = page.evaluate(LIVE_FROM_PAYLOAD, PROBE)
    assert not live, f"{label}: live markup from a payload: {live}"
    assert not watch.dialogs, f"{label}: dialogs opened: {watch.dialogs}"
    assert not watch.probes, f"{label}: the payload's hx-get was requested: {watch.probes}"


def assert_personal_headers(response: Response | None, what: str) -> None:
    assert response is not None and response.ok, what
    headers = response.all_headers()
    assert headers.get("cross-origin-opener-policy") == "same-origin", (what, headers)
    assert headers.get("x-content-type-options") == "nosniff", (what, headers)
    assert "no-store" in headers.get("cache-control", ""), (what, headers)
    policy = {part.strip().split(" ", 1)[0]: part.strip() for part in headers.get("content-security-policy", "").split(";")}
    assert policy.get("frame-ancestors") == "frame-ancestors 'none'", (what, policy)
    assert "script-src" in policy and "'unsafe-inline'" not in policy["script-src"], (what, policy)
    assert "'unsafe-eval'" not in policy["script-src"], (what, policy)


def browser_storage(page: Page) -> dict[str, dict[str, str]]:
    return page.evaluate("""() => ({
      local: Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)])),
      session: Object.fromEntries(Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)])),
    })""")


def assert_nothing_personal_stored(page: Page, where: str, personal: list[str]) -> None:
    storage = browser_storage(page)
    assert "htmx-history-cache" not in storage["local"], f"{where}: htmx cached pages: {storage['local']}"
    path = storage["session"].get("htmx-current-path-for-history", "/")
    assert path.startswith("/") and not path.startswith("//"), f"{where}: htmx's path is {path!r}"
    for area, items in storage.items():
        unknown = set(items) - KNOWN_KEYS[area]
        assert not unknown, f"{where}: {area}Storage holds {sorted(unknown)}"
        dump = " ".join(f"{k} {v}" for k, v in items.items())
        assert not [p for p in personal if p in dump], f"{where}: {area}Storage holds personal data: {items}"


def test_hostile_text_is_shown_as_text_everywhere(page: Page, journey: Journey) -> None:
    watch = Watch()
    watch.attach(page)
    email = f"e2e-hostile-{uuid.uuid4().hex[:8]}@example.jp"
    sign_up(page, email, PASSWORD)

    # Children named with each payload: the household card on わたしのデータ and each child's form.
    for n, payload in enumerate(PAYLOADS):
        page.goto("/household/children/new")
        page.get_by_label("呼び名（任意）").fill(payload)
        page.get_by_label("生まれた年").fill(str(2015 + n))
        page.get_by_label("月", exact=True).select_option("4")
        page.get_by_role("button", name="保存").click()
        expect(page).to_have_url(re.compile(r"/my-data"))
    response = page.goto("/my-data")
    assert_personal_headers(response, "/my-data")
    assert_inert(page, journey, watch, "my data with hostile children", PAYLOADS)
    # The htmx settings of templates/layouts/base.html, as the browser's htmx read them.
    config = page.evaluate("""() => ({allowEval: htmx.config.allowEval, allowScriptTags: htmx.config.allowScriptTags,
      selfRequestsOnly: htmx.config.selfRequestsOnly, historyCacheSize: htmx.config.historyCacheSize,
      includeIndicatorStyles: htmx.config.includeIndicatorStyles})""")
    assert config == {"allowEval": False, "allowScriptTags": False, "selfRequestsOnly": True, "historyCacheSize": 0,
                      "includeIndicatorStyles": False}, config
    page.locator("a[href*='/household/children/'][href$='/edit']").first.click()
    expect(page.get_by_label("呼び名（任意）")).to_have_value(PAYLOADS[0])
    assert_inert(page, journey, watch, "a hostile child's form", [])
    page.goto("/my-data")
    page.locator("a[href*='/household/children/'][href$='/edit']").last.click()
    expect(page.get_by_label("呼び名（任意）")).to_have_value(PAYLOADS[-1])  # the attribute-breaking one, as a value
    assert_inert(page, journey, watch, "the attribute-breaking child's form", [])

    # An Apple Health export under a hostile file name: the upload page, the import's page with the health results.
    page.goto("/my-data/imports/")
    page.get_by_label("書き出したファイル（zip・tgz・json・ics など）").set_input_files(
        files=[{"name": FILE_NAME, "mimeType": "application/zip", "buffer": export_zip()}])
    page.get_by_role("button", name="アップロード", exact=True).click()
    expect(page).to_have_url(re.compile(r"/my-data/imports/[0-9a-f-]{36}$"), timeout=30_000)
    expect(page.get_by_text("保管済み").first).to_be_visible(timeout=60_000)
    expect(page.locator("section", has=page.get_by_role("heading", name="種類ごとの記録"))).to_contain_text("歩数")
    response = page.reload()
    assert_personal_headers(response, "an import's page")
    assert_inert(page, journey, watch, "health import results", [FILE_NAME])
    health = page.locator("section", has=page.get_by_role("heading", name="記録元")).inner_text()
    assert "花子のiPhone" in health  # the source of the records: personal, must not be stored in the browser
    personal = [email, "花子のiPhone", "歩数", "HKQuantityType", "<svg onload", "{{7*7}}", "azukari-upload:"]
    assert_nothing_personal_stored(page, "after the health results", personal)
    page.goto("/my-data/imports/")
    assert_inert(page, journey, watch, "imports list", [FILE_NAME])
    page.goto("/my-data")
    assert_inert(page, journey, watch, "my data with the import", [FILE_NAME, *PAYLOADS])
    assert_nothing_personal_stored(page, "after my data", personal)

    # The ledger's history, filtered through htmx with the URL pushed: no page goes into htmx's history cache.
    response = page.goto("/my-data/history")
    assert_personal_headers(response, "/my-data/history")
    page.get_by_role("button", name="表示する").click()
    expect(page).to_have_url(re.compile(r"/my-data/history\?"))
    page.wait_for_load_state("networkidle")
    with page.expect_event("load"):  # htmx has nothing cached: back is a history miss, and it reloads the page
        page.go_back()
    expect(page).to_have_url(re.compile(r"/my-data/history$"))
    assert_nothing_personal_stored(page, "after the ledger's htmx history", personal)

    # The survey: the consent the analysts ask for, then every screen, the free text holding all the payloads.
    page.goto("/consents")
    card = page.locator("section.consent-offer").filter(has=page.get_by_role("heading", name=ANALYSTS))
    card.get_by_label("アンケートの回答", exact=True).check()
    card.get_by_role("button", name="選んだ項目に同意する").click()
    expect(page.get_by_text("署名は有効です")).to_be_visible()
    response = page.goto("/consents")
    assert_personal_headers(response, "/consents")
    page.goto("/surveys/")
    page.get_by_role("link", name="開く").first.click()
    page.get_by_role("link", name="回答をはじめる").click()
    while True:
        answer_screen(page, ALL)
        if page.get_by_role("button", name="回答を確認する").count():
            page.get_by_role("button", name="回答を確認する").click()
            break
        page.get_by_role("button", name="次へ").click()
        page.wait_for_load_state("load")
    expect(page.get_by_role("heading", name="回答の確認")).to_be_visible()
    assert_inert(page, journey, watch, "survey review", [ALL])
    page.get_by_role("button", name="送信する").click()
    expect(page.get_by_text("ご回答ありがとうございました").first).to_be_visible()
    assert_inert(page, journey, watch, "survey sent", [])

    # The analysts read the free-text answers.
    page.context.clear_cookies()
    staff_login(page, ANALYST.email, ANALYST.password)
    enter_code(page, ANALYST.totp_secret)
    expect(page).to_have_url(re.compile(r"/analysts/$"))
    page.get_by_role("link", name=re.compile("結果を見る")).first.click()
    expect(page.get_by_role("heading", name="自由記述の回答")).to_be_visible()
    response = page.reload()
    assert_personal_headers(response, "the analysts' report")
    assert_inert(page, journey, watch, "analysts free text", [ALL])
    page.get_by_role("button", name="ログアウト").click()

    # The operator invites a staff member whose name is hostile: the list swapped in by htmx, reloaded, the mail.
    staff_login(page, OPERATOR.email, OPERATOR.password)
    enter_code(page, OPERATOR.totp_secret)
    expect(page).to_have_url(re.compile(r"/operator/$"))
    page.get_by_role("link", name="スタッフ", exact=True).click()
    staff_email = f"hostile-{uuid.uuid4().hex[:6]}@example.jp"
    page.get_by_label("名前").fill(STAFF_NAME)
    page.get_by_label("メールアドレス").fill(staff_email)
    page.get_by_label("役割").select_option("municipal")
    page.get_by_role("button", name="作成して招待メールを送る").click()
    expect(page.get_by_role("cell", name=staff_email, exact=True)).to_be_visible()  # the htmx fragment
    assert_inert(page, journey, watch, "staff list fragment", [STAFF_NAME])
    page.reload()
    assert_inert(page, journey, watch, "staff list", [STAFF_NAME])
    page.get_by_role("button", name="ログアウト").click()
    page.goto("/dev/mail/")
    page.get_by_role("link", name=re.compile(staff_email)).first.click()
    assert_inert(page, journey, watch, "invitation mail", [])
