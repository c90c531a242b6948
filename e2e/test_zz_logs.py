"""After every journey of the run (this module runs last): the logs of the bank and its worker (the gunicorn access
log included) hold no password, TOTP secret, bearer token, OAuth code or state, reset or invitation token, and nothing
shaped like a 個人番号; the security events are there, one JSON object a line.

The stand-in peers' logs are left out: they play outside parties (a development server's access log with their own
OAuth redirects), whose logs are not the bank's to keep."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from app.city_records.usage import MY_NUMBER_SHAPE
from app.demo.seed import DEMO_RESIDENTS, DEMO_STAFF

E2E = Path(__file__).parent
# Object ids in paths: a UUID's groups of digits can look like a 個人番号 ("…-4623-9624-0505…"); they are not one.
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
TOKEN_SHAPES = [
    re.compile(r"Bearer\s+[A-Za-z0-9._~+/-]{16,}"),
    re.compile(r"(access|refresh)_token[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9._~+/-]{16,}"),
    re.compile(r"/password/reset/(?!\[redacted\])[A-Za-z0-9._-]{8,}"),
    re.compile(r"/staff/invite/(?!\[redacted\])[A-Za-z0-9._-]{8,}"),
    re.compile(r"[?&](code|state)=(?!\[redacted\])[A-Za-z0-9._~-]{8,}"),
]


def journey_passwords() -> set[str]:
    """Every string constant the journeys keep in a name with PASSWORD in it, and the demo accounts' secrets."""
    found = {demo.password for demo in [*DEMO_RESIDENTS, *DEMO_STAFF]}
    found |= {demo.totp_secret for demo in DEMO_STAFF if getattr(demo, "totp_secret", None)}
    for path in E2E.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Assign):
                continue
            names = [t for target in node.targets for t in (target.elts if isinstance(target, ast.Tuple) else [target])]
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            for name, value in zip(names, values, strict=False):
                if isinstance(name, ast.Name) and "PASSWORD" in name.id and isinstance(value, ast.Constant) \
                        and isinstance(value.value, str):
                    found.add(value.value)
    return {secret for secret in found if len(secret) >= 8}


def test_the_runs_logs_hold_no_secret(live_server) -> None:  # type: ignore[no-untyped-def]
    logs = {name: live_server.log(name) for name in ("web", "worker")}
    assert logs["web"] and logs["worker"]
    passwords = journey_passwords()
    assert len(passwords) >= 8
    for name, text in logs.items():
        for secret in passwords:
            assert secret not in text, f"{name} holds a password or TOTP secret"
        for shape in TOKEN_SHAPES:
            assert not shape.search(text), f"{name}: {shape.search(text).group(0)[:40]}…"
        without_ids = UUID.sub("<uuid>", text)
        assert not MY_NUMBER_SHAPE.search(without_ids), f"{name}: {MY_NUMBER_SHAPE.search(without_ids).group(0)}"


def test_security_events_are_json_lines(live_server) -> None:  # type: ignore[no-untyped-def]
    events = []
    for line in live_server.log("web").splitlines():
        if line.startswith('{"at":'):
            events.append(json.loads(line))
    assert events and {"at", "event", "actor", "subject", "ip"} <= set(events[0])
    assert any(event["event"] == "accounts:resident:login" for event in events)
