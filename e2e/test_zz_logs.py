"""After every journey of the run (this module runs last): the logs of the bank and its worker (the gunicorn access
log included) hold no password, TOTP secret, bearer token, JWT or other compact JWS (ID tokens, client assertions,
consent receipts), OAuth code or state, reset or invitation token, none of the health values the journeys bring in
(hanako's Apple Health export: her devices' names, her ECG, her hospital), and nothing shaped like a 個人番号; the
security events are there, one JSON object a line.

The stand-in peers' logs are left out: they play outside parties (a development server's access log with their own
OAuth redirects), whose logs are not the bank's to keep."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from app.city_records.usage import MY_NUMBER_SHAPE
from app.demo.seed import DEMO_RESIDENTS, DEMO_STAFF
from tests.factories.exports import ECG_CSV, EXPORT_XML

E2E = Path(__file__).parent
# Object ids in paths: a UUID's groups of digits can look like a 個人番号 ("…-4623-9624-0505…"); they are not one.
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
TOKEN_SHAPES = [
    re.compile(r"Bearer\s+[A-Za-z0-9._~+/-]{16,}"),
    re.compile(r"(access|refresh)_token[\"']?\s*[:=]\s*[\"']?[A-Za-z0-9._~+/-]{16,}"),
    re.compile(r"/password/reset/(?!\[redacted\])[A-Za-z0-9._-]{8,}"),
    re.compile(r"/staff/invite/(?!\[redacted\])[A-Za-z0-9._-]{8,}"),
    re.compile(r"[?&](code|state)=(?!\[redacted\])[A-Za-z0-9._~-]{8,}"),
    # A JWT or any compact JWS: a base64url JSON header ("{\"" is "eyJ"), a payload and a signature (none for alg none).
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
]
# Twelve digits split by what encodings and forms put between groups (%20, +, a dot, a slash, ・, a full-width
# space), counted only when the last digit is a valid 個人番号 check digit (the plain and hyphenated shapes are
# MY_NUMBER_SHAPE's, whatever the check digit).
SPLIT_NUMBER = re.compile(r"(?<![\d.])(?:\d(?:%20|\+|[./・\u3000])?){11}\d(?![\d.])")


def is_my_number(digits: str) -> bool:
    """The check digit of 行政手続における特定の個人を識別するための番号の利用等に関する法律施行令 第8条."""
    if len(digits) != 12 or not digits.isascii() or not digits.isdigit():
        return False
    body = [int(d) for d in reversed(digits[:11])]  # P1 is the rightmost of the eleven
    remainder = sum(p * (n + 1 if n <= 6 else n - 5) for n, p in enumerate(body, start=1)) % 11
    return int(digits[11]) == (0 if remainder <= 1 else 11 - remainder)


def my_numbers(text: str) -> list[str]:
    found = [m.group(0) for m in MY_NUMBER_SHAPE.finditer(text)]
    found += [m.group(0) for m in SPLIT_NUMBER.finditer(text) if is_my_number(re.sub(r"\D", "", m.group(0).replace("%20", "")))]
    return found


def journey_health_values() -> set[str]:
    """Hanako's health data as the journeys upload it (e2e/test_health_import.py and e2e/test_switching.py send
    `tests.factories.exports`): her devices' and her hospital's names, her ECG's classification and samples."""
    names = set(re.findall(r'sourceName="([^"]+)"', EXPORT_XML))
    personal = {name for name in names if not name.isascii()}  # 花子のiPhone, 花子のApple Watch, 柏の葉病院
    ecg = ECG_CSV.splitlines()
    classification = next(line.split(",", 1)[1] for line in ecg if line.startswith("Classification,"))
    samples = {line for line in ecg if re.fullmatch(r"-?\d+\.\d{3,}", line)}  # distinctive ones: -12.345
    return personal | {classification} | samples


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
        for value in journey_health_values():
            assert value not in text, f"{name} holds a health value: {value}"
        without_ids = UUID.sub("<uuid>", text)
        assert not my_numbers(without_ids), f"{name}: {my_numbers(without_ids)[:3]}"


def test_the_shapes_find_what_they_look_for() -> None:
    """The scan above can fail: each shape finds its kind of secret in a made-up log line, and passes an ordinary
    one (a timestamp, an address, a uuid)."""
    jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJyZXNpZGVudCJ9.c2lnbmF0dXJl"
    assert any(shape.search(f'"assertion": "{jwt}"') for shape in TOKEN_SHAPES)
    assert any(shape.search(f"id_token={jwt[:-12]} ") for shape in TOKEN_SHAPES)  # alg none: nothing after the dot
    assert {"花子のiPhone", "Sinus Rhythm", "-12.345", "柏の葉病院"} <= journey_health_values()
    assert is_my_number("123456789018") and not is_my_number("123456789012")
    assert my_numbers("mn=1234 5678 9012") and my_numbers("mn=1234%205678%209018") and my_numbers("1234.5678.9018")
    assert not my_numbers("1234.5678.9012")  # split, and not a valid check digit: a version string, say
    ordinary = (
        '127.0.0.1 - - [27/Nov/2026:15:36:16 +0000] "GET /feed HTTP/1.1" 200 5123 '
        '{"at": "2026-11-27T15:36:16.285450+00:00", "ip": "192.168.100.200"}'
    )
    assert not my_numbers(UUID.sub("<uuid>", ordinary + " 8ba7719e-4e9a-4522-88db-e0667d462af1"))
    assert not any(shape.search(ordinary) for shape in TOKEN_SHAPES)


def test_security_events_are_json_lines(live_server) -> None:  # type: ignore[no-untyped-def]
    events = []
    for line in live_server.log("web").splitlines():
        if line.startswith('{"at":'):
            events.append(json.loads(line))
    assert events and {"at", "event", "actor", "subject", "ip"} <= set(events[0])
    assert any(event["event"] == "accounts:resident:login" for event in events)
