"""The peer runner, end to end: as the subprocess `make run` starts, and in-process as tests will use it."""

from __future__ import annotations

import dataclasses
import json
import os
import queue
import signal
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from email.message import Message
from pathlib import Path
from typing import IO

import pytest

from app.peers import PEERS
from app.peers.base import CONTENT_SECURITY_POLICY
from app.peers.runner import PeerError, serve_peers
from tests.peers import sample_peer

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RUNNER = [sys.executable, "-m", "app.peers.runner"]
SAMPLE_EXTRA = ["--extra", "tests.peers.sample_peer:SPECS"]
STARTUP_TIMEOUT = 20.0
HTTP_TIMEOUT = 5.0
# Generous: on a loaded 2-core machine a stop can take seconds; the test only fails if it never comes.
STOP_TIMEOUT = 30.0

# Loopback only: a proxy from the environment must never see (or break) these requests.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _get(url: str) -> tuple[int, Message, bytes]:
    with _opener.open(url, timeout=HTTP_TIMEOUT) as response:
        return response.status, response.headers, response.read()


def _runner_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(AZUKARI_ENV="test", PEERS_STORAGE=str(tmp_path / "peers"))
    env.pop("PEER_PORT", None)
    env.update(overrides)
    return env


def _lines(stream: IO[str]) -> queue.Queue[str | None]:
    """Read `stream` on a thread so waiting for a line can time out; None marks the end of the stream."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


class Runner:
    def __init__(self, process: subprocess.Popen[str], lines: queue.Queue[str | None], log: Path) -> None:
        self.process = process
        self.lines = lines
        self.log = log

    def stopped(self) -> int:
        """The exit code once the runner stopped; if it hangs, its threads' stacks go into the failure."""
        try:
            return self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGUSR1)  # faulthandler: dump every thread's stack to the log
            time.sleep(1)
            pytest.fail(f"the runner did not stop within {STOP_TIMEOUT}s; log:\n{self.log.read_text()}")

    def next_line(self) -> str:
        try:
            line = self.lines.get(timeout=STARTUP_TIMEOUT)
        except queue.Empty:
            pytest.fail(f"the runner printed nothing within {STARTUP_TIMEOUT}s; log:\n{self.log.read_text()}")
        if line is None:
            pytest.fail(f"the runner exited ({self.process.wait(HTTP_TIMEOUT)}); log:\n{self.log.read_text()}")
        return line


@pytest.fixture
def start_runner(tmp_path: Path) -> Iterator[Callable[..., Runner]]:
    """Start `python -m app.peers.runner ARGS`; whatever the test does, the process is gone afterwards."""
    started: list[Runner] = []

    def start(*args: str, **env: str) -> Runner:
        log = tmp_path / f"runner-{len(started)}.log"
        with log.open("w") as log_file:
            process = subprocess.Popen(
                [*RUNNER, *args],
                cwd=PROJECT_ROOT,
                env=_runner_env(tmp_path, **env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log_file,
                text=True,
            )
        assert process.stdout is not None
        runner = Runner(process, _lines(process.stdout), log)
        started.append(runner)
        return runner

    yield start
    for runner in started:
        if runner.process.poll() is None:
            runner.process.kill()
        runner.process.wait(HTTP_TIMEOUT)
        assert runner.process.stdout is not None
        runner.process.stdout.close()


@pytest.mark.smoke
@pytest.mark.timeout(60)
def test_runner_serves_a_peer_and_stops_on_sigterm(start_runner: Callable[..., Runner], tmp_path: Path) -> None:
    runner = start_runner(*SAMPLE_EXTRA, "--only", "sample")
    line = runner.next_line()
    prefix = "sample: http://127.0.0.42:"
    assert line.startswith(prefix) and line.endswith("\n"), line
    port = int(line[len(prefix):])
    assert 0 < port < 65536
    base_url = line.removeprefix("sample: ").strip()

    status, headers, body = _get(f"{base_url}/healthz")
    assert status == 200
    assert json.loads(body) == {"peer": "sample", "status": "ok"}
    assert headers.get_content_type() == "application/json"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers.get_all("Set-Cookie") is None, "a health check must not start a session"

    status, headers, body = _get(f"{base_url}/session")
    assert json.loads(body) == {"visits": 1}
    [cookie] = headers.get_all("Set-Cookie")
    name, _, _ = cookie.partition("=")
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")[1:]}
    assert name == "sample-session"
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"
    assert attributes["path"] == "Path=/"
    assert "domain" not in attributes, "a host-only cookie: it must not reach any other loopback site"

    secret_file = tmp_path / "peers" / "sample" / "secret_key"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600

    runner.process.send_signal(signal.SIGTERM)
    assert runner.stopped() == 0
    assert runner.lines.get(timeout=HTTP_TIMEOUT) is None, "nothing but the service lines goes to stdout"
    with pytest.raises(urllib.error.URLError):
        _get(f"{base_url}/healthz")


@pytest.mark.smoke
@pytest.mark.timeout(60)
def test_runner_prints_only_service_lines_and_stops_on_sigint(start_runner: Callable[..., Runner]) -> None:
    runner = start_runner(*SAMPLE_EXTRA, "--only", "sample")
    assert runner.next_line().startswith("sample: http://127.0.0.42:")
    runner.process.send_signal(signal.SIGINT)
    assert runner.stopped() == 0
    assert runner.lines.get(timeout=HTTP_TIMEOUT) is None, "nothing but the service lines goes to stdout"


@pytest.mark.smoke
@pytest.mark.timeout(60)
def test_runner_refuses_to_start_in_production(tmp_path: Path) -> None:
    result = subprocess.run(
        [*RUNNER, *SAMPLE_EXTRA],
        cwd=PROJECT_ROOT,
        env=_runner_env(tmp_path, AZUKARI_ENV="production"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert "refusing to start" in result.stderr
    assert "production" in result.stderr
    assert not (tmp_path / "peers").exists(), "nothing is created when refusing"


@pytest.mark.smoke
@pytest.mark.timeout(60)
def test_runner_rejects_an_unknown_peer_name(tmp_path: Path) -> None:
    result = subprocess.run(
        [*RUNNER, "--only", "no-such-peer"],
        cwd=PROJECT_ROOT,
        env=_runner_env(tmp_path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "unknown peer(s): no-such-peer" in result.stderr


@pytest.mark.smoke
@pytest.mark.timeout(30)
def test_serve_peers_in_process(tmp_path: Path) -> None:
    with serve_peers(sample_peer.SPECS, tmp_path) as urls:
        assert list(urls) == ["sample"]
        base_url = urls["sample"]
        assert base_url.startswith("http://127.0.0.42:") and not base_url.endswith(":0")

        status, _, body = _get(f"{base_url}/healthz")
        assert (status, json.loads(body)) == (200, {"peer": "sample", "status": "ok"})

        _, _, body = _get(f"{base_url}/about")
        assert json.loads(body) == {"base_url": base_url, "storage": str((tmp_path / "sample").resolve())}

        status, headers, body = _get(f"{base_url}/")
        page = body.decode()
        assert status == 200
        assert '<html lang="ja">' in page
        assert '<meta name="viewport"' in page
        assert "<script" not in page and "<style" not in page and "style=" not in page
        assert '<link rel="stylesheet" href="/static/peers/peer.css">' in page
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY

        status, headers, _ = _get(f"{base_url}/static/peers/peer.css")
        assert status == 200
        assert headers.get_content_type() == "text/css"

    with pytest.raises(urllib.error.URLError):
        _get(f"{base_url}/healthz")


@pytest.mark.smoke
@pytest.mark.timeout(30)
def test_serve_peers_skips_unbuilt_peers_and_rejects_duplicates(tmp_path: Path) -> None:
    unbuilt = [dataclasses.replace(spec, factory=None) for spec in PEERS]
    with serve_peers(unbuilt, tmp_path) as urls:
        assert urls == {}
    assert not tmp_path.joinpath("smart-life-pass").exists()

    with pytest.raises(PeerError, match="unique: sample"):
        with serve_peers(sample_peer.SPECS * 2, tmp_path):
            pass
