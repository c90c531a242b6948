"""Hostile text in every free-text field a resident, a recipient or a staff member fills and the bank shows again
(security.md E4, E5). A new resident, on a phone, names her children with script, template and htmx payloads, uploads
an Apple Health export under a hostile file name, writes them into the survey's free-text answer and names her passkey
with them; a recipient's system registered under a hostile name sends her a hostile notice through the API; the
operator invites a staff member whose name is one (a partner's events and coupons: test_hostile_listings.py). Every
page (and htmx fragment) that shows them must show them as text: no dialog opens, no element carries the payload's
`hx-*` attributes or event handlers, the payload's probe URL is never requested, and the browser reports no CSP
violation. After the health results and the ledger's htmx history, `localStorage` and `sessionStorage` hold nothing
personal and no htmx history cache; after every personal page, the service worker's Cache Storage holds only the
shell (static files and the offline page); a personal page sends COOP, nosniff, a CSP with `frame-ancestors 'none'`
and no inline script, and `Cache-Control: no-store`."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import ECKey
from playwright.sync_api import Dialog, Page, Request, Response, expect

from app.config import PROJECT_ROOT
from app.demo.seed import DEMO_STAFF
from e2e.conftest import Journey, sign_up
from e2e.server import LiveServer
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
PASSKEY_NAME = f'"><svg onload=alert(1)><b hx-get={PROBE} hx-trigger=load>x</b>'  # at most 60 characters
# A recipient's system (for 柏市's offer): its name as the operator registered it, the notice it sends.
CITY_OFFER = ("kashiwa_kosodate", "municipal_recommendation")
RECIPIENT_REDIRECT = "http://127.0.0.1/hostile-recipient/callback"  # loopback, never listened on: the test answers
NOTICE_TITLE = STAFF_NAME  # at most 120 characters
NOTICE_LINK = 'https://example.jp/news?q="><svg/onload=alert(1)>&x={{7*7}}'  # no spaces: a link has none

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
    journey.check(label, page=page)  # axe, no CSP violation, a screenshot
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


# Every Cache Storage cache the page's origin has, with the paths it holds.
CACHE_STORAGE = """async () => {
  const found = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    found[name] = (await cache.keys()).map((request) => new URL(request.url).pathname);
  }
  return found;
}"""
# The two pages the service worker keeps on purpose (templates/pwa/sw.js): the last feed and the last pass.
KEPT_PAGES = {"azukari-personal-feed": ["/feed"], "azukari-personal-pass": ["/pass/"]}


def assert_no_personal_page_cached(page: Page, visited: list[str]) -> None:
    """With the service worker in control, Cache Storage holds the shell (static files, the offline page) and at
    most the kept feed and pass: none of the personal pages visited."""
    assert page.evaluate("navigator.serviceWorker.controller !== null"), "no service worker controls the page"
    cached: dict[str, list[str]] = page.evaluate(CACHE_STORAGE)
    shells = [name for name in cached if name.startswith("azukari-shell-")]
    assert len(shells) == 1 and "/offline" in cached[shells[0]], cached
    for name, paths in cached.items():
        if name in shells:
            assert all(path.startswith("/static/") or path == "/offline" for path in paths), (name, paths)
        else:
            assert paths == KEPT_PAGES.get(name), f"cache {name} holds {paths}"
    held = {path for paths in cached.values() for path in paths}
    for path in visited:
        assert not [p for p in held if p == path or p.startswith(path.rstrip("/") + "/")], f"{path} is cached: {cached}"


def add_passkey(page: Page, name: str) -> None:
    """設定 → パスキー with Chromium's virtual authenticator (e2e/test_passkeys.py)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    page.goto("/settings/passkeys")
    page.get_by_label("見分けるための名前").fill(name)
    page.get_by_role("button", name="パスキーを追加").click()
    expect(page.get_by_text("パスキーを追加しました。")).to_be_visible()


def register_recipient(server: LiveServer, name: str, key: ECKey, workdir: Path) -> str:
    """`flask oauth add-client` (an operator's shell) for 柏市's offer, under `name`: the new client's id."""
    client_id = f"hostile-{uuid.uuid4().hex[:8]}"
    jwks = workdir / f"{client_id}.jwks.json"
    jwks.write_text(json.dumps({"keys": [key.as_dict(private=False)]}), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "oauth", "add-client", "--client-id", client_id, "--name",
         name, "--recipient", CITY_OFFER[0], "--purpose", CITY_OFFER[1], "--redirect-uri", RECIPIENT_REDIRECT,
         "--scope", "children_count", "--scope", "notices", "--jwks-file", str(jwks)],
        cwd=PROJECT_ROOT, env=server.env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return client_id


def recipient_auth(client_id: str, key: ECKey, issuer: str) -> dict[str, str]:
    """private_key_jwt: the client's assertion for the token endpoint."""
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": issuer, "jti": secrets.token_urlsafe(16), "iat": now,
              "exp": now + 60}
    return {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)}


def connect_recipient(page: Page, journey: Journey, watch: Watch, server: LiveServer, client_id: str,
                      key: ECKey) -> str:
    """The resident allows 児童数 on the bank's consent screen (checked: it names the system); the system exchanges
    the code (PKCE, private_key_jwt): its access token."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    page.goto("/oauth/authorize?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": RECIPIENT_REDIRECT,
        "scope": "children_count notices", "state": "hostile", "code_challenge": challenge,
        "code_challenge_method": "S256"}))
    assert_inert(page, journey, watch, "consent screen of a hostile-named system", [NOTICE_TITLE])
    page.get_by_label("児童数", exact=True).check()
    page.route(RECIPIENT_REDIRECT + "*", lambda route: route.fulfill(content_type="text/plain", body="connected"))
    with page.expect_request(lambda request: request.url.startswith(RECIPIENT_REDIRECT)) as callback:
        page.get_by_role("button", name="選んだ項目を許可する").click()
    page.unroute(RECIPIENT_REDIRECT + "*")
    code = parse_qs(urlsplit(callback.value.url).query)["code"][0]
    answer = requests.post(f"{server.url}/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": RECIPIENT_REDIRECT,
        "code_verifier": verifier, **recipient_auth(client_id, key, server.url)}, timeout=15)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def send_notice(server: LiveServer, token: str, **body: str) -> requests.Response:
    return requests.post(f"{server.url}/api/v1/notices", json=body, headers={"Authorization": f"Bearer {token}"},
                         timeout=15)


def test_hostile_text_is_shown_as_text_everywhere(page: Page, journey: Journey, live_server: LiveServer,
                                                  tmp_path: Path) -> None:
    watch = Watch()
    watch.attach(page)
    email = f"e2e-hostile-{uuid.uuid4().hex[:8]}@example.jp"
    sign_up(page, email, PASSWORD)
    # The service worker controls every page from here: what it might cache of them is looked at below.
    page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller !== null")

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

    # A passkey named with the payloads: the list of passkeys.
    add_passkey(page, PASSKEY_NAME)
    assert_inert(page, journey, watch, "passkeys with a hostile name", [PASSKEY_NAME])

    # A recipient's system registered under a hostile name: the consent screen, then its notice through the API.
    key = ECKey.generate_key("P-256", parameters={"use": "sig"}, auto_kid=True)
    client_id = register_recipient(live_server, NOTICE_TITLE, key, tmp_path)
    token = connect_recipient(page, journey, watch, live_server, client_id, key)
    refused = send_notice(live_server, token, id="hostile-js", title="x", body="x", link="javascript:alert(1)")
    assert refused.status_code == 400, refused.text  # only an https link is taken
    sent = send_notice(live_server, token, id="hostile-1", title=NOTICE_TITLE, body=ALL, link=NOTICE_LINK)
    assert sent.status_code == 201, sent.text
    response = page.goto("/inbox")
    assert_personal_headers(response, "/inbox")
    assert_inert(page, journey, watch, "inbox with a hostile notice", [NOTICE_TITLE])
    page.locator(".inbox-item__link").filter(has_text=NOTICE_TITLE).click()
    expect(page).to_have_url(re.compile(r"/inbox/[0-9a-f-]{36}$"))
    assert_inert(page, journey, watch, "a hostile notice", [NOTICE_TITLE, ALL])
    expect(page.get_by_role("link", name="送信元のページを開く")).to_have_attribute("href", NOTICE_LINK)
    page.goto("/consents/connections")
    assert_inert(page, journey, watch, "connected systems with a hostile name", [NOTICE_TITLE])

    # Cache Storage after every personal page: the health results, 同意, the ledger, わたしのデータ, the inbox.
    assert_no_personal_page_cached(page, ["/my-data", "/my-data/imports/", "/my-data/history", "/consents",
                                          "/inbox", "/surveys/", "/settings/passkeys", "/household/"])

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
