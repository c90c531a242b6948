"""The switching stack between real processes, for the live test modules: a fresh database, the google, blog-a, tv-a
and health-b peers, the demo seed, an Apple Health export imported for some residents, the bank under gunicorn
(and a worker, unless the module starts its own), and the SQL both ends are checked with."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.config import PROJECT_ROOT
from app.demo.switching_driver import DemoResident
from app.switching import registry
from e2e.server import LiveServer
from tests.database import drop_fresh_database, make_fresh_database
from tests.factories.exports import export_zip

PEERS = ("google", "blog-a", "tv-a", "health-b")


@contextmanager
def switching_stack(database_url: str, workdir: Path, *, exports_for: tuple[str, ...], env: dict[str, str],
                    worker: bool) -> Iterator[LiveServer]:
    """`env` reaches every process (LiveServer.env reads the environment), e.g. a short JOB_LEASE_SECONDS so that a
    killed worker's job is taken over within seconds."""
    url = make_fresh_database(database_url, workdir)
    server = LiveServer(url, workdir)
    patch = pytest.MonkeyPatch()
    for name, value in env.items():
        patch.setenv(name, value)
    try:
        server.start_peers(PEERS)
        server.seed()
        for email in exports_for:  # case iv reads an Apple Health export
            import_export(server, email)
        server.start(worker=worker)
        yield server
    finally:
        server.stop()
        patch.undo()
        drop_fresh_database(url)


def import_export(server: LiveServer, email: str) -> None:
    """An Apple Health export imported for the resident, as `flask exports import` does (case iv moves it; the purge
    that ends case iv erases it)."""
    export = server.workdir / "export.zip"
    if not export.exists():
        export.write_bytes(export_zip())
    imported = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "exports", "import", str(export),
                               "--resident", email], cwd=PROJECT_ROOT, env=server.env, capture_output=True, text=True,
                              timeout=120)
    assert imported.returncode == 0, imported.stderr


def ready_to_send(live: LiveServer, resident: DemoResident, case: str) -> tuple[str, str]:
    """A seed case in pattern 2 up to the send button (both services connected, the provision agreed): the transfer's
    page, and the destination's switches to make it misbehave before sending."""
    spec = registry.CASES[case]
    resident.sign_in()
    resident.connect(spec.source)
    resident.connect(spec.destination)
    job_url = resident.start(case, 2)
    resident.wait_for(job_url, "collected")
    resident.agree_if_asked(job_url)
    return job_url, f"{live.peer_urls[spec.destination]}/_test/switches"


def query(server: LiveServer, sql: str, **params: Any) -> list[Any]:
    engine = sa.create_engine(server.database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text(sql), params))
    finally:
        engine.dispose()
