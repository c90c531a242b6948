"""A demo resident who switches services over HTTP, through the pages a person would use (no browser, no shortcut).

It signs in at the bank and walks the のりかえ wizard: the old service, the new service, the data to move, then
connects the services the pattern needs from the wizard's own step (each service's sign-in and consent pages, and
back to the step), starts the transfer, agrees to the provision, accepts the new service's terms, confirms it is
her with her password when the bank asks (a fresh sign-in before sending or deleting), sends it, and — where a
service is the bank's client — goes to that service and presses its button, which takes it through the bank's own
consent screen. Every form is read from the page and posted with its CSRF token (and the page as Referer, as a
browser does). `flask switching demo` and the live tests use it; it needs the bank, its worker and the peers
running, and the demo passwords of docs/switching.md (development only).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import lxml.html
import requests

from app.config import Settings
from app.demo.seed import DEMO_RESIDENTS
from app.switching import registry

TIMEOUT = 20
_STATE = re.compile(r'data-transfer-state="([a-z_]+)"')
_CONNECTION = re.compile(r'data-service="([a-z_-]+)" data-connected="(true|false)"')
REAUTH_PATH = "/reauth"


class DriverError(RuntimeError):
    """A page did not show what a person would expect next; the message says which and what it showed."""


@dataclass
class Form:
    action: str
    fields: dict[str, Any]
    names: set[str]
    choices: dict[str, list[str]]  # every checkbox's value by name (what a person could tick)
    method: str = "post"


def forms_of(page: requests.Response) -> list[Form]:
    document = lxml.html.fromstring(page.text or "<html></html>")
    found = []
    for form in document.forms:
        fields: dict[str, Any] = {}
        names: set[str] = {button.get("name") for button in form.iter("button") if button.get("name")}
        choices: dict[str, list[str]] = {}
        for element in form.inputs:
            name = element.get("name")
            if not name:
                continue
            names.add(name)
            kind = (element.get("type") or "").lower()
            if kind == "checkbox":
                choices.setdefault(name, []).append(element.get("value", "on"))
            if kind in ("hidden",) or (kind in ("checkbox", "radio") and element.get("checked") is not None):
                value = element.get("value", "")
                if name in fields and kind == "hidden" or kind == "checkbox" and name in fields:
                    existing = fields[name]
                    fields[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
                else:
                    fields[name] = value
        found.append(Form(urljoin(page.url, form.get("action") or page.url), fields, names, choices,
                          (form.get("method") or "post").lower()))
    return found


@dataclass
class Browser:
    """One person's browser: its own cookies per site, redirects followed by hand (to see where it goes)."""

    http: requests.Session = field(default_factory=requests.Session)

    def get(self, url: str) -> requests.Response:
        return self._follow(self.http.get(url, allow_redirects=False, timeout=TIMEOUT))

    def submit(self, page: requests.Response, *, action_has: str = "", field_has: str = "", tick_all: bool = False,
               **values: Any) -> requests.Response:
        """Post the first form whose action path contains `action_has` and which has a field `field_has`, with its
        hidden and checked values, `values` over them, and (`tick_all`) every checkbox ticked."""
        form = self.form(page, action_has=action_has, field_has=field_has)
        data = {**form.fields, **(form.choices if tick_all else {}), **values}
        if form.method == "get":
            return self.get(f"{form.action.split('?', 1)[0]}?{urlencode(data, doseq=True)}")
        # A browser names the page a form was sent from, to its own site (Referrer-Policy: same-origin): the bank's
        # fresh sign-in comes back to it.
        same_site = urlsplit(form.action).netloc == urlsplit(page.url).netloc
        return self._follow(self.http.post(form.action, data=data, allow_redirects=False, timeout=TIMEOUT,
                                           headers={"Referer": page.url} if same_site else {}))

    def form(self, page: requests.Response, *, action_has: str = "", field_has: str = "") -> Form:
        for form in forms_of(page):
            if action_has in urlsplit(form.action).path and (not field_has or field_has in form.names):
                return form
        raise DriverError(f"no form ({action_has or field_has}) on {page.url}: {_text(page)}")

    def _follow(self, response: requests.Response) -> requests.Response:
        for _ in range(10):
            if response.status_code not in (301, 302, 303, 307):
                return response
            response = self.http.get(urljoin(response.url, response.headers["Location"]), allow_redirects=False,
                                     timeout=TIMEOUT)
        raise DriverError(f"too many redirects at {response.url}")


def _text(page: requests.Response) -> str:
    try:
        return " ".join(lxml.html.fromstring(page.text).text_content().split())[:300]
    except (ValueError, lxml.etree.ParserError):
        return page.text[:300]


@dataclass
class DemoResident:
    bank: str
    email: str
    password: str
    peers: dict[str, str]
    browser: Browser = field(default_factory=Browser)
    poll_seconds: float = 0.3
    wait_seconds: float = 60.0

    @classmethod
    def for_demo(cls, bank: str, email: str, password: str | None, settings: Settings) -> DemoResident:
        password = password or next((r.password for r in DEMO_RESIDENTS if r.email == email), None)
        if not password:
            raise DriverError(f"give --password for {email}")
        peers = {key: registry.issuer(settings, key) for key in ("google", *registry.DESTINATIONS)}
        return cls(bank.rstrip("/"), email, password, peers)

    def peer_password(self, service: str) -> str:
        return f"{service}-{self.email.split('@')[0]}-2026"

    # --- the bank ---------------------------------------------------------------------------------------------

    def sign_in(self) -> None:
        page = self.browser.get(f"{self.bank}/login")
        done = self.browser.submit(page, field_has="password", email=self.email, password=self.password)
        if urlsplit(done.url).path.startswith("/login"):
            raise DriverError(f"the bank did not sign {self.email} in: {_text(done)}")

    def connect(self, service: str) -> None:
        """At the bank: connect `service` (its sign-in and consent pages), back to the bank."""
        page = self.browser.get(f"{self.bank}/switching")
        at_peer = self.browser.submit(page, action_has=f"/switching/connect/{service}")
        back = self._authorize_at_peer(service, at_peer)
        if "/switching" not in urlsplit(back.url).path or back.status_code != 200:
            raise DriverError(f"connecting {service} ended at {back.url}: {_text(back)}")

    def _authorize_at_peer(self, service: str, page: requests.Response) -> requests.Response:
        if any("login_id" in form.names for form in forms_of(page)):
            page = self.browser.submit(page, field_has="login_id", login_id=self.email,
                                       password=self.peer_password(service), action="login")
        return self.browser.submit(page, field_has="decision", decision="allow", action="consent")

    def start(self, case: str, pattern: int) -> str:
        """Walk the wizard for a seed case: the old service, the new one, what of the case it can take; connect
        what the pattern needs from the wizard's step; start with the pattern (くわしい設定). The job's page URL."""
        spec = registry.CASES[case]
        page = self.browser.get(f"{self.bank}/switching")
        new = self.browser.get(urljoin(page.url, "/switching/new"))
        destinations = self.browser.submit(new, field_has="source", source=spec.source)
        kinds_page = self.browser.submit(destinations, field_has="destination", destination=spec.destination)
        offered = self.browser.form(kinds_page, field_has="kinds").choices.get("kinds", [])
        kinds = [kind for kind in spec.kinds if kind in offered]  # what the new service cannot take is not offered
        if not kinds:
            raise DriverError(f"none of case {case}'s data can be chosen: {_text(kinds_page)}")
        step = self.browser.submit(kinds_page, field_has="kinds", kinds=kinds)
        source = registry.SOURCES[spec.source]
        needed = ([spec.source] if source.has_api and pattern not in registry.SOURCE_PUSHES else []) + (
            [spec.destination] if pattern not in registry.DESTINATION_PULLS else [])
        for service in needed:
            if dict(_CONNECTION.findall(step.text)).get(service) != "true":
                step = self._connect_from(step, service)
        job_page = self.browser.submit(step, action_has="/switching/jobs", pattern=str(pattern))
        if "/switching/jobs/" not in job_page.url:
            raise DriverError(f"the transfer did not start: {_text(job_page)}")
        return job_page.url.split("?", 1)[0]

    def _connect_from(self, page: requests.Response, service: str) -> requests.Response:
        """Connect `service` from a page of the bank's (the wizard's step): back on that page."""
        at_peer = self.browser.submit(page, action_has=f"/switching/connect/{service}")
        back = self._authorize_at_peer(service, at_peer)
        if urlsplit(back.url).path != urlsplit(page.url).path or back.status_code != 200:
            raise DriverError(f"connecting {service} ended at {back.url}: {_text(back)}")
        if dict(_CONNECTION.findall(back.text)).get(service) != "true":
            raise DriverError(f"{service} is not connected after its consent: {_text(back)}")
        return back

    def state(self, job_url: str) -> tuple[str, requests.Response]:
        page = self.browser.get(job_url)
        match = _STATE.search(page.text)
        if not match:
            raise DriverError(f"no transfer state on {job_url}: {_text(page)}")
        return match.group(1), page

    def wait_for(self, job_url: str, *states: str) -> requests.Response:
        ends = time.monotonic() + self.wait_seconds
        while True:
            state, page = self.state(job_url)
            if state in states:
                return page
            if state in ("failed", "canceled") or time.monotonic() > ends:
                raise DriverError(f"the transfer is {state}, not {'/'.join(states)}: {_text(page)}")
            time.sleep(self.poll_seconds)

    def agree_if_asked(self, job_url: str) -> None:
        """Agree on the transfer's page to provide the items to the destination, when it asks."""
        _state, page = self.state(job_url)
        if any(urlsplit(form.action).path.endswith("/agree") for form in forms_of(page)):
            self.browser.submit(page, action_has="/agree")

    def agree_and_send(self, job_url: str) -> None:
        """The report (agreeing when asked), 次へ, the new service's terms accepted, send (with a fresh sign-in)."""
        self.wait_for(job_url, "collected")
        self.agree_if_asked(job_url)
        self.press(job_url, "deliver")  # incl. "I accept the destination's terms"

    def press(self, job_url: str, action: str) -> requests.Response:
        """Press the transfer page's button whose form posts to `…/<action>` (send, deletion, keep, purge,
        confirmation), on the step that has it (the report's 次へ leads to the terms and their send button);
        confirm it is her with the password when the bank asks first, then press it again."""
        _state, page = self.state(job_url)
        if not self._has_form(page, f"/{action}"):
            page = self.browser.get(f"{job_url}?step=terms")
        answer = self.browser.submit(page, action_has=f"/{action}", tick_all=True)
        if urlsplit(answer.url).path == REAUTH_PATH:
            back = self.browser.submit(answer, field_has="password", password=self.password)
            if urlsplit(back.url).path == REAUTH_PATH:
                raise DriverError(f"the bank did not take {self.email}'s password again: {_text(back)}")
            if not self._has_form(back, f"/{action}"):
                return back  # (pressed meanwhile: nothing left to press)
            answer = self.browser.submit(back, action_has=f"/{action}", tick_all=True)
        return answer

    @staticmethod
    def _has_form(page: requests.Response, action: str) -> bool:
        return any(action in urlsplit(form.action).path for form in forms_of(page))

    # --- at a service that is the bank's client ---------------------------------------------------------------

    def act_at(self, service: str) -> requests.Response:
        """At `service`: sign in, press its Azukari button, allow on the bank's consent screen, see the result."""
        base = self.peers[service]
        page = self.browser.get(f"{base}/azukari/start")
        if any("login_id" in form.names for form in forms_of(page)):
            page = self.browser.submit(page, field_has="login_id", login_id=self.email,
                                       password=self.peer_password(service))
        at_bank = self.browser.submit(page, action_has="/azukari/connect")
        if urlsplit(at_bank.url).path != "/oauth/authorize":
            raise DriverError(f"{service} did not send us to the bank's consent screen: {_text(at_bank)}")
        result = self.browser.submit(at_bank, field_has="decision", tick_all=True, decision="allow")
        if urlsplit(result.url).netloc != urlsplit(base).netloc or result.status_code != 200:
            raise DriverError(f"{service} did not finish: {result.status_code} {_text(result)}")
        return result

    # --- the whole switch -------------------------------------------------------------------------------------

    def switch(self, case_key: str, pattern: int) -> dict[str, Any]:
        case = registry.CASES[case_key]
        source = registry.SOURCES[case.source]
        self.sign_in()
        job_url = self.start(case_key, pattern)  # (connects what the pattern needs on the wizard's step)
        self.agree_if_asked(job_url)  # an uploaded export is converted only once the resident agreed
        if source.has_api and pattern in registry.SOURCE_PUSHES:
            self.wait_for(job_url, "awaiting_source")
            self.act_at(case.source)
        self.agree_and_send(job_url)
        if pattern in registry.DESTINATION_PULLS:
            self.wait_for(job_url, "ready")
            self.act_at(case.destination)
        self.wait_for(job_url, "verified")
        return {"job": job_url.rsplit("/", 1)[-1], "state": "verified", "case": case_key, "pattern": pattern}
