"""The worker as a real process: killed mid-job, the job is resumed by another worker and finishes once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from app.config import PROJECT_ROOT
from app.jobs.models import Job, JobStatus
from app.jobs.services import enqueue
from tests.factories import TEST_SECRET_KEY


def start_worker(database_url: str, tmp_path: Path, name: str) -> tuple[subprocess.Popen, Path]:
    log_path = tmp_path / f"{name}.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "AZUKARI_ENV": "test",
        "SECRET_KEY": TEST_SECRET_KEY,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "JOB_MODULES": "tests.functional.jobs.handlers",
        "JOB_LEASE_SECONDS": "2",
        "JOB_POLL_SECONDS": "0.2",
        "PASSWORD_HASH_PROFILE": "fast",
    }
    with open(log_path, "w") as log:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen([sys.executable, "-m", "app.jobs.worker"], cwd=PROJECT_ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    return process, log_path


def read_job(engine: sa.Engine, job_id: int) -> Job:
    with Session(engine) as session:
        job = session.get(Job, job_id)
        assert job is not None
        session.expunge(job)
        return job


def wait_for(predicate, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_killed_worker_s_job_is_resumed_by_another_and_finishes_once(fresh_database_url, tmp_path):
    engine = sa.create_engine(fresh_database_url)
    with Session(engine) as session:
        job = enqueue(session, "test.steps", {"steps": 10, "step_seconds": 0.3}, started_by="test")
        session.commit()
        job_id = job.id
    first, first_log = start_worker(fresh_database_url, tmp_path, "first")
    try:
        wait_for(lambda: read_job(engine, job_id).progress >= 30, 30, "the first worker to make progress")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = read_job(engine, job_id)
        assert killed_at.status == JobStatus.RUNNING.value and killed_at.progress < 100
    finally:
        stop(first)

    second, second_log = start_worker(fresh_database_url, tmp_path, "second")
    try:
        done = wait_for(lambda: (j := read_job(engine, job_id)).status == JobStatus.DONE.value and j, 60,
                        "the second worker to finish the job")
    finally:
        stop(second)
    engine.dispose()

    assert done.result["steps"] == list(range(10))  # every step once: none lost, none repeated
    assert done.attempts == 2
    assert done.worker_id != killed_at.worker_id
    assert done.result["finished_by"] == done.worker_id
    assert second_log.read_text().count(f"job {job_id} (test.steps) done") == 1
    assert "done" not in first_log.read_text().split(f"job {job_id} (test.steps)")[-1]


def test_several_workers_share_the_queue_without_taking_a_job_twice(fresh_database_url, tmp_path):
    if fresh_database_url.startswith("sqlite"):
        pytest.skip("several workers at once is a PostgreSQL deployment (SKIP LOCKED); SQLite runs one")
    engine = sa.create_engine(fresh_database_url)
    with Session(engine) as session:
        ids = [enqueue(session, "test.steps", {"steps": 2, "step_seconds": 0.05}).id for _ in range(30)]
        session.commit()
    workers = [start_worker(fresh_database_url, tmp_path, f"w{i}")[0] for i in range(3)]
    try:
        def all_done() -> bool:
            with Session(engine) as session:
                statuses = session.execute(sa.select(Job.status, Job.attempts).where(Job.id.in_(ids))).all()
            return all(status == JobStatus.DONE.value for status, _ in statuses) and statuses
        statuses = wait_for(all_done, 90, "all jobs to be done")
    finally:
        for worker in workers:
            stop(worker)
    engine.dispose()
    assert len(statuses) == 30
    assert all(attempts == 1 for _, attempts in statuses)
