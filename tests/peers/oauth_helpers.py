"""Drive a peer's authorization server over real HTTP, as a browser and a client (the bank) would.

The browser is a `requests.Session` that never follows redirects, so a test sees every hop (and can tell that
an error page did not redirect); the client's calls go through plain `requests` with no cookies.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
from flask import Flask
from joserfc import jwt
from joserfc.jwk import KeySet

from app.peers import PeerSpec
from app.peers.runner import serve_peers

HTTP_TIMEOUT = 10.0
SLP_SECRET = "test-smart-life-pass-secret"
SLP_REDIRECT_URI = "http://localhost:5999/auth/smart-life-pass/callback"
MYNA_SECRET = "test-mynaportal-secret"
MYNA_REDIRECT_URI = "http://localhost:5999/household/mynaportal/callback"


def smart_life_pass_app(*, storage_dir: Path) -> Flask:
    """The factory the tests serve: fixed credentials, whatever the environment says."""
    from app.peers.smart_life_pass import create_app

    return create_app(storage_dir=storage_dir, redirect_uris=[SLP_REDIRECT_URI], client_secret=SLP_SECRET)


def mynaportal_app(*, storage_dir: Path) -> Flask:
    from app.peers.mynaportal import create_app

    return create_app(storage_dir=storage_dir, redirect_uris=[MYNA_REDIRECT_URI], client_secret=MYNA_SECRET)


@contextmanager
def serve(name: str, host: str, factory: str, storage_dir: Path) -> Iterator[str]:
    """Serve one peer on `host` (free port) with the runner's own machinery; yields its base URL."""
    with serve_peers([PeerSpec(name, host, 0, factory, f"{name} under test")], storage_dir) as urls:
        yield urls[name]


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def new_browser() -> requests.Session:
    browser = requests.Session()
    browser.trust_env = False  # loopback only: no proxy from the environment
    return browser


def hidden_field(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', page)
    assert match, f"no hidden field {name!r} in the page"
    return html.unescape(match.group(1))


def form_action(page: str) -> str:
    match = re.search(r'<form method="post" action="([^"]*)"', page)
    assert match, "no form in the page"
    return html.unescape(match.group(1))


def query(location: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


@dataclass
class Flow:
    """One authorization: the peer, the client's credentials, and what it keeps between redirect and callback."""

    base_url: str
    client_secret: str
    redirect_uri: str
    scope: str
    client_id: str = "azukari"
    state: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    verifier: str = ""
    challenge: str = ""
    browser: requests.Session = field(default_factory=new_browser)

    def __post_init__(self) -> None:
        self.verifier, self.challenge = pkce_pair()

    def renew(self) -> None:
        """New state, nonce and PKCE pair, as a client makes for each authorization request."""
        self.state, self.nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        self.verifier, self.challenge = pkce_pair()

    def authorize_url(self, **overrides: str | None) -> str:
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return f"{self.base_url}/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})

    def get(self, url: str) -> requests.Response:
        return self.browser.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT)

    def submit(self, page: requests.Response, **fields: str) -> requests.Response:
        """Post the page's form back (with its CSRF token), as the browser would."""
        data = {"csrf_token": hidden_field(page.text, "csrf_token"), "action": hidden_field(page.text, "action"), **fields}
        return self.browser.post(self.base_url + form_action(page.text), data=data, allow_redirects=False,
                                 timeout=HTTP_TIMEOUT)

    def authorize(self, login: dict[str, str] | None, decision: str = "allow", **overrides: str | None) -> dict[str, str]:
        """Sign in with `login` if the peer asks, then answer the consent page; returns the redirect's query.

        Each call is a new authorization request (`renew`): an OpenID provider refuses a nonce it has seen.
        """
        self.renew()
        page = self.get(self.authorize_url(**overrides))
        assert page.status_code == 200, page.text
        if hidden_field(page.text, "action") == "login":
            assert login is not None, "the peer asked to sign in"
            page = self.submit(page, **login)
            assert page.status_code == 200, page.text
        assert hidden_field(page.text, "action") == "consent"
        redirect = self.submit(page, decision=decision)
        assert redirect.status_code == 302, redirect.text
        location = redirect.headers["Location"]
        assert location.startswith(self.redirect_uri + "?")
        return query(location)

    def token(self, data: dict[str, str], *, auth: str = "basic") -> requests.Response:
        data = dict(data)
        if auth == "basic":
            credentials: tuple[str, str] | None = (self.client_id, self.client_secret)
        else:
            credentials = None
            data.update(client_id=self.client_id, client_secret=self.client_secret)
        return requests.post(f"{self.base_url}/token", data=data, auth=credentials, timeout=HTTP_TIMEOUT,
                             proxies={"http": "", "https": ""})

    def exchange(self, code: str, *, auth: str = "basic", verifier: str | None = None) -> requests.Response:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        if verifier is None:
            verifier = self.verifier
        if verifier:
            data["code_verifier"] = verifier
        return self.token(data, auth=auth)

    def refresh(self, refresh_token: str) -> requests.Response:
        return self.token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def revoke(self, token: str, hint: str | None = None) -> requests.Response:
        data = {"token": token, **({"token_type_hint": hint} if hint else {})}
        return requests.post(f"{self.base_url}/revoke", data=data, auth=(self.client_id, self.client_secret),
                             timeout=HTTP_TIMEOUT, proxies={"http": "", "https": ""})


def bearer_get(url: str, access_token: str, **params: Any) -> requests.Response:
    return requests.get(url, params=params, headers={"Authorization": f"Bearer {access_token}"}, timeout=HTTP_TIMEOUT,
                        proxies={"http": "", "https": ""})


def control(method: str, url: str, body: Any = None) -> Any:
    """Call a peer's test control; returns its JSON."""
    response = requests.request(method, url, json=body, timeout=HTTP_TIMEOUT, proxies={"http": "", "https": ""})
    assert response.status_code in (200, 201), response.text
    return response.json()


def decode_id_token(id_token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """Verify the signature against the peer's JWKS (joserfc) and return the claims (checks are the test's)."""
    return dict(jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=["RS256"]).claims)
