"""Start the bank (gunicorn) and its worker as real processes on a fresh, migrated, seeded database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from app.config import PROJECT_ROOT
from tests.peer_services import PeerProcess

SECRET_KEY = "e2e-secret-key-" + "y" * 40


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    database_url: str
    workdir: Path
    port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen] = field(default_factory=list)
    peer_urls: dict[str, str] = field(default_factory=dict)
    peers: PeerProcess | None = None

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "AZUKARI_ENV": "test",
            "SECRET_KEY": SECRET_KEY,
            "INSTANCE_PATH": str(self.workdir / "instance"),
            "PUBLIC_URL": self.url,
            "JOB_POLL_SECONDS": "0.5",
            "PEER_PORT": "0",
            "PEERS_STORAGE": str(self.workdir / "peers"),
            **{f"{name.upper().replace('-', '_')}_ISSUER": url for name, url in self.peer_urls.items()},
            # The recipient peers are the bank's OAuth clients: the demo seed registers them at these URLs.
            **{f"{name.upper().replace('-', '_')}_URL": url for name, url in self.peer_urls.items()},
        }

    def seed(self) -> None:
        subprocess.run([sys.executable, "-m", "flask", "--app", "app", "demo", "seed"], cwd=PROJECT_ROOT,
                       env=self.env, check=True, capture_output=True)

    def _spawn(self, name: str, args: list[str], extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        with open(self.workdir / f"{name}.log", "ab") as log:
            process = subprocess.Popen(args, cwd=PROJECT_ROOT, env={**self.env, **(extra_env or {})}, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def start_peers(self, names: tuple[str, ...] = ("smart-life-pass", "mynaportal", "kashiwa-city", "partner", "google",
                                                    "blog-a", "tv-a", "health-b")) -> None:
        """The peer services in their own process, on free ports; the bank is then configured with their URLs."""
        self.peers = PeerProcess(list(names), self.workdir / "peers", environ=self.env)
        self.peer_urls.update(self.peers.urls)

    def start(self, *, worker: bool = True) -> LiveServer:
        self._spawn("web", [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}", "--workers", "2",
                            # (keep-alive as in the Procfile: gunicorn's 2 s default races a client's reuse)
                            "--threads", "4", "--keep-alive", "5", "--access-logfile", "-",
                            "--logger-class", "app.access_log.Redacting", "app:create_app()"])
        if worker:
            self.start_worker()
        self.wait_until_up()
        return self

    def start_worker(self, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        """One more worker process (a test that killed one starts the next; `extra_env` e.g. its FAULT_KILL_AT)."""
        return self._spawn("worker", [sys.executable, "-m", "app.jobs.worker"], extra_env)

    def workers(self) -> list[subprocess.Popen]:
        return [p for p in self.processes if "app.jobs.worker" in " ".join(map(str, p.args)) and p.poll() is None]

    def wait_until_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the bank did not start; see {self.workdir / 'web.log'}")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()
        if self.peers is not None:
            self.peers.stop()
            self.peers = None

    def log(self, name: str = "web") -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""
