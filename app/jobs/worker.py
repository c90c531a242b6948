"""The worker process: `python -m app.jobs.worker` (Procfile `worker`).

Loops: enqueue due periodic tasks, run the next job, sleep when idle. SIGTERM/SIGINT finish the job in
hand and exit; SIGKILL loses nothing either, since the job's lease runs out and another worker resumes it.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
import uuid

from flask import Flask

from app.db import get_database
from app.jobs.registry import Registry, registry_for
from app.jobs.runner import run_next
from app.jobs.scheduler import enqueue_due

log = logging.getLogger("azukari.jobs")

SCHEDULER_TICK_SECONDS = 15.0


class Worker:
    def __init__(self, app: Flask, registry: Registry) -> None:
        self.app = app
        self.registry = registry
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        # A plain flag set from the signal handler: Event.set() there can deadlock against the
        # Event.wait() the main thread is in (the handler runs on that same thread).
        self.stop_requested = False
        self._next_schedule = 0.0

    def stop(self, *_args: object) -> None:
        self.stop_requested = True

    def _pause(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stop_requested and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.2))

    def tick(self) -> bool:
        """One round of the loop; True when a job ran."""
        now = time.monotonic()
        if now >= self._next_schedule:
            session = get_database(self.app).new_session()
            try:
                enqueue_due(session, self.registry.periodic)
            finally:
                session.close()
            self._next_schedule = now + SCHEDULER_TICK_SECONDS
        return run_next(self.app, self.registry, worker_id=self.worker_id)

    def run_forever(self) -> None:
        poll = self.app.config["AZUKARI"].job_poll_seconds
        log.info("worker %s started; handles %s", self.worker_id, ", ".join(sorted(self.registry.handlers)))
        while not self.stop_requested:
            try:
                ran = self.tick()
            except Exception:  # the database is restarting, say: keep the worker alive and retry
                log.exception("worker loop error; retrying shortly")
                ran = False
                self._pause(min(5.0, poll * 5))
            if not ran:
                self._pause(poll)
        log.info("worker %s stopped after its current job", self.worker_id)


def main() -> None:
    from app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app()
    worker = Worker(app, registry_for(app))
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run_forever()


if __name__ == "__main__":
    main()
