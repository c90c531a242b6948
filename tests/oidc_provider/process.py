"""oidc-provider (npm) in its own Node process, a "browser" for its login pages, and a tampering proxy.

`OidcProviderProcess` runs tests/oidc_provider/server.mjs on 127.0.0.30 with port 0 and reads the real URL from
its first stdout line. `ProviderBrowser` walks oidc-provider's development login and consent pages and returns
the redirect back to the bank. `TamperingProxy` is a reverse proxy on 127.0.0.31 that forwards everything to an
oidc-provider whose issuer is the proxy's URL, and can rewrite the token endpoint's answer (ID token attacks with
tokens that oidc-provider really signed).

Node and node_modules/oidc-provider are required: without them the tests fail with a message, never skip.
"""

from __future__ import annotations

import base64
import hashlib
import html
import http.client
import json
import os
import re
import secrets
import select
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
from joserfc.jwk import RSAKey
from werkzeug.serving import WSGIRequestHandler, make_server

from app.config import PROJECT_ROOT

SERVER_SCRIPT = PROJECT_ROOT / "tests" / "oidc_provider" / "server.mjs"
PACKAGE = PROJECT_ROOT / "node_modules" / "oidc-provider" / "package.json"
BANK_ORIGIN = "http://localhost"
CLIENT_ID = "azukari"
OTHER_CLIENT_ID = "other-client"
OTHER_REDIRECT_URI = f"{BANK_ORIGIN}/other-client/callback"
TOKEN_PATH = "/token"  # oidc-provider's default route for the token endpoint
STARTUP_SECONDS = 20
TIMEOUT = 10


def callback_url(provider_key: str) -> str:
    """The bank's callback for an extra identity provider (the test client's origin is http://localhost)."""
    return f"{BANK_ORIGIN}/auth/{provider_key}/callback"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("`node` is not on PATH: these tests run the npm package oidc-provider and need Node.js 20 "
                    "(CI installs it).", pytrace=False)
    if not PACKAGE.exists():
        pytest.fail(f"{PACKAGE.parent} is missing: run `make install` (npm ci) to install the devDependency "
                    "oidc-provider.", pytrace=False)
    return node


class OidcProviderProcess:
    """`node tests/oidc_provider/server.mjs` with fresh client secrets; `url` is where it listens."""

    def __init__(self, log: Path, *, redirect_uri: str, issuer: str | None = None, signing_key: dict[str, Any] | None = None,
                 host: str = "127.0.0.30") -> None:
        node = _node()
        self.client_secret = secrets.token_urlsafe(24)
        self.other_client_secret = secrets.token_urlsafe(24)
        env = {**os.environ, "OIDC_HOST": host, "OIDC_PORT": "0", "OIDC_CLIENT_SECRET": self.client_secret,
               "OIDC_REDIRECT_URIS": redirect_uri, "OIDC_OTHER_CLIENT_SECRET": self.other_client_secret}
        if issuer:
            env["OIDC_ISSUER"] = issuer
        if signing_key:
            env["OIDC_SIGNING_KEY"] = json.dumps(signing_key)
        self.redirect_uri = redirect_uri
        self.log = log
        self._log_file = log.open("w")
        self.process = subprocess.Popen([node, str(SERVER_SCRIPT)], cwd=PROJECT_ROOT, env=env,
                                        stdout=subprocess.PIPE, stderr=self._log_file, text=True)
        try:
            self.url = self._first_line().removeprefix("oidc-provider: ")
        except BaseException:
            self.stop()
            raise
        self.issuer = issuer or self.url

    def _first_line(self) -> str:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], STARTUP_SECONDS)
        line = self.process.stdout.readline() if ready else ""
        if not line.startswith("oidc-provider: http://"):
            self._log_file.flush()
            pytest.fail(f"oidc-provider did not start (exit code {self.process.poll()}): {line!r}\n"
                        f"{self.log.read_text()}", pytrace=False)
        return line.strip()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log_file.close()

    def metadata(self) -> dict[str, Any]:
        response = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
        response.raise_for_status()
        return dict(response.json())


_FORM_ACTION = re.compile(r'<form autocomplete="off" action="([^"]+)" method="post">')
_ABORT_LINK = re.compile(r'<a href="([^"]+/abort)">')


class ProviderBrowser:
    """A person's browser at oidc-provider: signs in (any password) and allows or cancels; its own cookies."""

    def __init__(self) -> None:
        self.http = requests.Session()

    def close(self) -> None:
        self.http.close()

    def authorize(self, url: str, *, login: str, decision: str = "allow") -> str:
        """Open the authorization URL and go through the pages; the URL it finally sends the browser to."""
        response = self.http.get(url, allow_redirects=False, timeout=TIMEOUT)
        for _ in range(12):
            if response.status_code in (302, 303):
                location = urljoin(response.url, response.headers["Location"])
                if location.startswith(f"{BANK_ORIGIN}/"):
                    return location
                response = self.http.get(location, allow_redirects=False, timeout=TIMEOUT)
                continue
            assert response.status_code == 200, f"{response.status_code} at {response.url}: {response.text[:400]}"
            page = response.text
            action = _FORM_ACTION.search(page)
            assert action, f"no form at {response.url}: {page[:400]}"
            if decision == "deny":
                abort = _ABORT_LINK.search(page)
                assert abort, f"no cancel link at {response.url}"
                response = self.http.get(urljoin(response.url, html.unescape(abort.group(1))), allow_redirects=False,
                                         timeout=TIMEOUT)
                continue
            target = urljoin(response.url, html.unescape(action.group(1)))
            if 'name="prompt" value="login"' in page:
                fields = {"prompt": "login", "login": login, "password": "any password will do"}
            else:
                assert 'name="prompt" value="consent"' in page, f"unknown page at {response.url}: {page[:400]}"
                fields = {"prompt": "consent"}
            response = self.http.post(target, data=fields, allow_redirects=False, timeout=TIMEOUT)
        raise AssertionError(f"oidc-provider never sent the browser back: last at {response.url}")


def code_flow(provider: OidcProviderProcess, browser: ProviderBrowser, *, login: str, nonce: str,
              client_id: str = CLIENT_ID, scope: str = "openid") -> dict[str, Any]:
    """The test itself as a relying party (`azukari` or `other-client`): a whole code flow; the token response.

    Used to get ID tokens that oidc-provider really signed, to substitute for the ones the bank receives.
    """
    secret, redirect_uri = ((provider.client_secret, provider.redirect_uri) if client_id == CLIENT_ID
                            else (provider.other_client_secret, OTHER_REDIRECT_URI))
    document = provider.metadata()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    query = urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": scope,
                       "state": state, "nonce": nonce, "code_challenge": challenge, "code_challenge_method": "S256"})
    location = browser.authorize(f"{document['authorization_endpoint']}?{query}", login=login)
    answer = parse_qs(urlsplit(location).query)
    assert answer.get("state") == [state] and "code" in answer, location
    response = requests.post(document["token_endpoint"], auth=(client_id, secret), timeout=TIMEOUT, data={
        "grant_type": "authorization_code", "code": answer["code"][0], "redirect_uri": redirect_uri,
        "code_verifier": verifier})
    assert response.status_code == 200, response.text
    return dict(response.json())


def unverified_claims(jwt: str) -> dict[str, Any]:
    """The payload of a JWT, read without checking anything (to show what a substituted token says)."""
    payload = jwt.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


# --- the tampering proxy ------------------------------------------------------------------------------------

_NOT_FORWARDED = {"connection", "keep-alive", "transfer-encoding", "content-length", "accept-encoding", "te",
                  "upgrade", "proxy-connection"}
_NOT_RETURNED = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class TamperingProxy:
    """A reverse proxy that forwards every request unchanged (Host included, so oidc-provider builds its URLs
    with the proxy's origin), except that `rewrite`, when set, may change a successful token response."""

    def __init__(self, host: str = "127.0.0.31") -> None:
        self.upstream: str | None = None
        self.rewrite: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        self.rewritten = 0  # how many token responses were changed (a test checks its attack really happened)
        self.server = make_server(host, 0, self._app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://{host}:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                       name="tampering-proxy", daemon=True)
        self.thread.start()

    def reset(self) -> None:
        self.rewrite, self.rewritten = None, 0

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def _app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        assert self.upstream is not None, "the proxy has no upstream yet"
        upstream = urlsplit(self.upstream)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else None
        headers = {name[5:].replace("_", "-").title(): value for name, value in environ.items()
                   if name.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        headers = {name: value for name, value in headers.items() if name.lower() not in _NOT_FORWARDED}
        path = environ.get("RAW_URI") or environ["PATH_INFO"]
        connection = http.client.HTTPConnection(upstream.hostname or "", upstream.port, timeout=TIMEOUT)
        try:
            connection.request(environ["REQUEST_METHOD"], path, body=body, headers=headers)
            answer = connection.getresponse()
            content = answer.read()
            status, reason, answer_headers = answer.status, answer.reason, answer.getheaders()
        finally:
            connection.close()
        if self.rewrite is not None and status == 200 and environ["PATH_INFO"] == TOKEN_PATH:
            content = json.dumps(self.rewrite(json.loads(content))).encode()
            self.rewritten += 1
        returned = [(name, value) for name, value in answer_headers if name.lower() not in _NOT_RETURNED]
        start_response(f"{status} {reason}", [*returned, ("Content-Length", str(len(content)))])
        return [content]


def new_signing_key() -> dict[str, Any]:
    """A private RSA JWK with a key id, to give two oidc-provider processes the same signing key."""
    return {**RSAKey.generate_key(2048, private=True).as_dict(private=True), "kid": secrets.token_hex(8)}
