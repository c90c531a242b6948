"""The peer services as separate processes for functional tests, and a minimal "browser" for their pages.

`PeerProcess` runs `python -m app.peers.runner --only …` with port 0 (the runner prints the real URLs) and a
private storage folder, so each test session gets fresh peers. The bank under test is the Flask test client,
whose origin is http://localhost; the peers register that origin's callback URLs.
"""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from app.config import PROJECT_ROOT

BANK_ORIGIN = "http://localhost"
REDIRECT_URIS = {
    "SMART_LIFE_PASS_REDIRECT_URIS": f"{BANK_ORIGIN}/auth/smart-life-pass/callback",
    "MYNAPORTAL_REDIRECT_URIS": f"{BANK_ORIGIN}/household/mynaportal/callback",
}
STARTUP_SECONDS = 30


class PeerProcess:
    """`environ` is the base environment; by default this process's, with the test client's callback URLs (a live
    bank passes its own, whose PUBLIC_URL gives the peers theirs)."""

    def __init__(self, names: list[str], storage: Path, *, environ: Mapping[str, str] | None = None) -> None:
        base = dict(environ) if environ is not None else {**os.environ, **REDIRECT_URIS}
        env = {**base, "PEER_PORT": "0", "PEERS_STORAGE": str(storage)}
        if environ is None:
            env.pop("AZUKARI_ENV", None)
        self.storage = storage
        self.log = storage.parent / f"peers-{'-'.join(names)}.log"
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.peers.runner", "--only", *names],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=self._log_file, text=True,
        )
        self.urls: dict[str, str] = {}
        deadline = time.monotonic() + STARTUP_SECONDS
        assert self.process.stdout is not None
        while len(self.urls) < len(names):
            line = self.process.stdout.readline()
            if not line or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"peers did not start: {self.log.read_text()}")
            name, _, url = line.strip().partition(": ")
            self.urls[name] = url

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log_file.close()

    def switch(self, name: str, misbehave: str | None, slow_seconds: float = 1.0) -> None:
        response = requests.post(f"{self.urls[name]}/_test/switches", json={"misbehave": misbehave,
                                                                           "slow_seconds": slow_seconds}, timeout=5)
        response.raise_for_status()

    def tokens(self, name: str) -> list[dict[str, Any]]:
        response = requests.get(f"{self.urls[name]}/_test/tokens", timeout=5)
        response.raise_for_status()
        return list(response.json())


_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)"')


class ProviderBrowser:
    """What a person's browser does at a provider: sign in, then allow or deny; returns where it is sent back."""

    def __init__(self) -> None:
        self.http = requests.Session()

    def _post_form(self, page: requests.Response, **fields: str) -> requests.Response:
        text = page.text
        action = _FORM_ACTION.search(text)
        assert action, f"no form on {page.url}: {text[:300]}"
        hidden = {html.unescape(k): html.unescape(v) for k, v in _HIDDEN.findall(text)}
        hidden.pop("action", None)
        return self.http.post(urljoin(page.url, html.unescape(action.group(1))), data={**hidden, **fields},
                              allow_redirects=False, timeout=15)

    def authorize(self, url: str, *, login_id: str, password: str, decision: str = "allow") -> str:
        """Open the authorization URL, sign in if asked, decide; the Location the provider redirects to."""
        page = self.http.get(url, allow_redirects=False, timeout=15)
        if page.status_code in (302, 303):
            return str(page.headers["Location"])
        if 'name="password"' in page.text or 'name="pin"' in page.text:
            secret_field = "password" if 'name="password"' in page.text else "pin"
            page = self._post_form(page, action="login", login_id=login_id, **{secret_field: password})
        if page.status_code in (302, 303):
            return str(page.headers["Location"])
        assert page.status_code == 200, f"{page.status_code} at {page.url}: {page.text[:300]}"
        answer = self._post_form(page, action="consent", decision=decision)
        assert answer.status_code in (302, 303), f"{answer.status_code}: {answer.text[:300]}"
        return str(answer.headers["Location"])


def bank_path(location: str) -> str:
    """The path and query of a URL on the bank (the test client speaks paths)."""
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}" == BANK_ORIGIN, location
    return parts.path + (f"?{parts.query}" if parts.query else "")
