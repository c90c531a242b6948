"""The HTTP half of the feed benchmark: gunicorn started from the Procfile's own `web` line, a check that each page
really answers 200 to a logged-in resident, and wrk runs that report p50/p95 and requests per second."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "wrk_sessions.lua"
BENCH_APP = "bench.baseline_app:create_bench_app()"
WEB_CONCURRENCY = 2  # the Procfile's default; the configuration for this 2-core machine
CONNECTIONS, THREADS = 16, 2


@dataclass(frozen=True)
class WrkResult:
    path: str
    seconds: float
    requests: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def procfile_web_command(port: int) -> str:
    """The Procfile's `web` command, bound to loopback and serving the bench app: the same workers, threads and
    logging as production."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    command = line.removeprefix("web:").strip()
    command, bound = re.subn(r"--bind \S+", f"--bind 127.0.0.1:{port}", command)
    command, served = re.subn(r"'app:create_app\(\)'", f"'{BENCH_APP}'", command)
    if bound != 1 or served != 1:
        raise RuntimeError(f"the Procfile's web line changed shape; update bench/feed_http.py: {line}")
    return command


@contextmanager
def gunicorn(env: dict[str, str], log_path: Path) -> Iterator[tuple[int, str]]:
    """gunicorn running the bench app; yields (port, the command line)."""
    port = free_port()
    command = procfile_web_command(port)
    env = {**env, "WEB_CONCURRENCY": str(WEB_CONCURRENCY), "PATH": f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}"}
    with log_path.open("w") as log:
        process = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_up(port, process, log_path)
        yield port, command
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)  # the group this Popen created: gunicorn's master and workers
        except ProcessLookupError:  # it never came up (its log says why; _wait_until_up raised)
            return
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_up(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{log_path.read_text()[-3000:]}")
        try:
            if get(port, "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer /healthz within 60 s:\n{log_path.read_text()[-3000:]}")


def get(port: int, path: str, cookie: str | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def check_page(port: int, path: str, cookie: str, must_contain: str) -> None:
    """Fail loudly unless a logged-in resident gets the page itself (not a redirect to /login, not an error)."""
    status, body = get(port, path, cookie)
    if status != 200 or must_contain not in body:
        raise RuntimeError(f"GET {path} as a logged-in resident answered {status}, not the page:\n{body[:800]}")


def run_wrk(port: int, path: str, cookies_file: Path, cookie_name: str, seconds: int) -> WrkResult:
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA),
               f"http://127.0.0.1:{port}{path}", "--", str(cookies_file), cookie_name]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    line = next((line for line in output.splitlines() if line.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    if data["not_200"] or data["socket_errors"] or data["timeouts"]:
        raise RuntimeError(f"GET {path}: {data['not_200']} responses were not 200 (first: {data['first_bad_status']}), "
                           f"{data['socket_errors']} socket errors, {data['timeouts']} timeouts; wrk said:\n{output}")
    return WrkResult(path=path, seconds=data["duration_us"] / 1e6, requests=data["requests"],
                     p50_ms=data["p50_us"] / 1000, p95_ms=data["p95_us"] / 1000, p99_ms=data["p99_us"] / 1000,
                     mean_ms=data["mean_us"] / 1000, max_ms=data["max_us"] / 1000)
