"""openid-client (npm) as a recipient's system, in its own Node process: `OpenidClientProcess` runs
tests/openid_client/client.mjs, which prints the authorization URL it built, waits for the URL the bank
redirected the resident's browser to, and then does the rest of the flow on its own (token, resource API,
refresh, introspection, revocation) and prints a summary without tokens.

Node and node_modules/openid-client are required; `missing_requirement` says what is missing (the test then
fails rather than skips: CI installs both).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import subprocess
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey

from app.config import PROJECT_ROOT

CLIENT_SCRIPT = PROJECT_ROOT / "tests" / "openid_client" / "client.mjs"
PACKAGE = PROJECT_ROOT / "node_modules" / "openid-client" / "package.json"
STARTUP_SECONDS = 20
FLOW_SECONDS = 60  # token, two resource calls, refresh, introspections and revocation on a loopback bank


def missing_requirement() -> str | None:
    if shutil.which("node") is None:
        return "`node` is not on PATH: this test runs the npm package openid-client and needs Node.js 20"
    if not PACKAGE.exists():
        return f"{PACKAGE.parent} is missing: run `make install` (npm ci) to install the devDependency openid-client"
    return None


def installed_version() -> str:
    return str(json.loads(PACKAGE.read_text(encoding="utf-8"))["version"])


class OpenidClientProcess:
    """`node tests/openid_client/client.mjs` for one authorization; its stderr goes to `log`."""

    def __init__(self, log: Path, *, issuer: str, client_id: str, key: ECKey, redirect_uri: str, scope: str) -> None:
        node = shutil.which("node")
        assert node is not None, missing_requirement()
        env = {**os.environ, "BANK_ISSUER": issuer, "CLIENT_ID": client_id, "REDIRECT_URI": redirect_uri,
               "SCOPE": scope, "CLIENT_PRIVATE_JWK": json.dumps(key.as_dict(private=True))}
        self.log = log
        self._log_file = log.open("w")
        self.process = subprocess.Popen([node, str(CLIENT_SCRIPT)], cwd=PROJECT_ROOT, env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=self._log_file, text=True)

    def authorization_url(self) -> str:
        return str(self._next_line(STARTUP_SECONDS)["authorization_url"])

    def finish(self, callback_url: str) -> dict[str, Any]:
        """Hand over where the bank sent the browser; the client's summary once it has done everything."""
        assert self.process.stdin is not None
        self.process.stdin.write(callback_url + "\n")
        self.process.stdin.close()
        summary = dict(self._next_line(FLOW_SECONDS)["summary"])
        exit_code = self.process.wait(10)
        assert exit_code == 0, f"openid-client exited with {exit_code}:\n{self.stderr()}"
        return summary

    def _next_line(self, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)  # so that its error is all in the log, and the exit code known
            raise AssertionError(f"openid-client failed (exit code {self.process.poll()}):\n{self.stderr()}")
        return dict(json.loads(line))

    def stderr(self) -> str:
        self._log_file.flush()
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                stream.close()
        self._log_file.close()
