"""What bench/faults.py measures with: the load around a drill (bench/load.py's Locust step in a thread), a prober
that asks one page every quarter second and keeps every answer, and a sign-in through a provider that is down."""

from __future__ import annotations

import argparse
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from html import unescape
from typing import Any

import load
import requests

PROBE_EVERY, PROBE_TIMEOUT = 0.25, 15.0
CLEAR_503_JA = "メンテナンス中"  # the 503 page's message (app/errors.py STATUS_MESSAGES[503], in Japanese)
PROVIDER_DOWN_JA = "連携先のサービスに接続できない"  # app/accounts/provider_http.py ProviderUnavailable, in Japanese


@dataclass(frozen=True)
class Answer:
    sent_at: float  # seconds after the drill's start
    seconds: float
    status: int  # 0: no answer (refused, reset, timed out)
    clear: bool  # the 503 page with its message


class Prober:
    """GET `path` as one logged-in resident, again and again, each answer kept (on its own connection each time, as a
    phone coming back would)."""

    def __init__(self, base: str, path: str, cookie: str, started: float) -> None:
        self.url, self.cookie, self.started = base + path, cookie, started
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="prober", daemon=True)

    def start(self) -> Prober:
        self._thread.start()
        return self

    def stop(self) -> list[Answer]:
        self._stop.set()
        self._thread.join()
        return self.answers

    def _run(self) -> None:
        while not self._stop.is_set():
            sent = time.monotonic()
            try:
                response = requests.get(self.url, headers={"Cookie": self.cookie}, allow_redirects=False,
                                        timeout=PROBE_TIMEOUT)
                status, clear = response.status_code, response.status_code == 503 and CLEAR_503_JA in response.text
            except requests.RequestException:
                status, clear = 0, False
            done = time.monotonic()
            self.answers.append(Answer(round(sent - self.started, 3), round(done - sent, 3), status, clear))
            self._stop.wait(max(0.0, PROBE_EVERY - (done - sent)))


def summarise(answers: list[Answer]) -> dict[str, int]:
    return dict(Counter("503 (the clear page)" if a.clear else ("no answer" if a.status == 0 else str(a.status))
                        for a in answers))


def recovered_after(answers: list[Answer], up_at: float) -> float | None:
    """Seconds from `up_at` until the first 200 after which every answer was 200; None if it never came."""
    after = [a for a in answers if a.sent_at + a.seconds >= up_at]
    for n, answer in enumerate(after):
        if answer.status == 200 and all(a.status == 200 for a in after[n:]):
            return round(answer.sent_at + answer.seconds - up_at, 2)
    return None


def peer_login_page(base: str, provider: str) -> dict[str, Any]:
    """Press "<provider> でログイン" on the login page as a new visitor: how long until the bank answers, and whether
    the answer is the page that says, in Japanese, that the provider cannot be reached (not a redirect to it)."""
    http = requests.Session()
    page = http.get(f"{base}/login", headers={"Accept-Language": "ja"}, timeout=30)
    form = re.search(rf'<form method="post" action="(/login/{re.escape(provider)})">\s*<input[^>]*name="csrf_token"'
                     rf'[^>]*value="([^"]+)"', page.text)
    if form is None:
        raise RuntimeError(f"no {provider} sign-in form on /login")
    began = time.monotonic()
    try:
        answer = http.post(base + unescape(form.group(1)), data={"csrf_token": unescape(form.group(2))},
                           headers={"Accept-Language": "ja"}, allow_redirects=False, timeout=30)
        status, clear = answer.status_code, answer.status_code >= 500 and PROVIDER_DOWN_JA in answer.text
    except requests.RequestException:
        status, clear = 0, False
    return {"status": status, "seconds": round(time.monotonic() - began, 2), "clear": clear}


class LoadRun:
    """bench/load.py's Locust step for one drill, in a thread; the drill's clock starts when the ramp is over."""

    def __init__(self, stack: Any, number: int, name: str) -> None:
        self.stack, self.name = stack, name
        self.fixture = stack.fixture(number)
        self.result: dict[str, Any] | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"load-{name}", daemon=True)

    def start(self) -> LoadRun:
        self.began = time.monotonic()
        self._thread.start()
        return self

    def measuring_from(self) -> float:
        return self.began + self.stack.args.ramp

    def _run(self) -> None:
        args = self.stack.args
        workdir = self.stack.workdir / self.name
        workdir.mkdir(exist_ok=True)
        step_args = argparse.Namespace(duration=args.seconds, ramp=args.ramp, wait_min=args.wait_min,
                                       wait_max=args.wait_max)
        try:
            self.result = load.run_step(self.stack.server.port, args.users, self.fixture, workdir, step_args)
        except BaseException as error:  # (reported by join)
            self.error = error

    def join(self) -> dict[str, Any]:
        self._thread.join()
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result
