"""Fault drills under load (issue 15; docs/benchmarks.md "Faults under load — bench/faults.py" says how to read them).

    .venv/bin/python bench/faults.py [--residents 50000] [--users 50] [--seconds 60] [--drills postgres,worker,peer]

One stack of real processes on a throwaway PostgreSQL: the bank under gunicorn, the job worker, and the peers a
transfer and a sign-in need (google and blog-a in one process, Smart Life Pass in another, so that one can be taken
down alone). bench/load.py's mix (bench/locustfile.py) runs against it at --users for --seconds per drill, first with
no fault (the baseline), then once per drill with the fault made 15 s in:

- postgres: PostgreSQL stopped (fast shutdown) and started again 5 s later. A prober asks a resident's /feed every
  0.25 s: every answer while it is down must be the 503 page with its message (not a 500, not a reset connection), and
  the feed must answer 200 again within 10 s of PostgreSQL being back (the issue's goal). The worker must live on.
- worker: a demo resident's transfer (Google → ブログサービスA, the destination made slow) is sent; while it is being
  delivered the worker is SIGKILLed, and a new one started a second later (as a process supervisor would). The transfer
  must end verified, with each of the manifest's items at the destination once. The time is mostly the killed
  worker's lease (JOB_LEASE_SECONDS, 30 s), which a new worker waits out before it takes the job over.
- peer: Smart Life Pass is killed; "Smart Life Pass でログイン" must answer a clear page in the resident's language
  within 5 s. Then it is frozen (SIGSTOP: connections hang instead of being refused), and the same within 5 s. Then
  Google is killed and a resident starts a switch from it: the transfer's page must say within 5 s that Google cannot
  be reached and that Azukari tries again by itself. Meanwhile the load's other pages must go on without errors.

Figures per drill: the load's requests, errors by endpoint and status, p50/p95/p99 (against the baseline run), and the
drill's own timings with PASS/FAIL against the goals; written to bench/results/faults-DATE.json. Exits 0 whatever
the figures.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # e2e/ and tests/ start the processes

import bench_feed  # noqa: E402
import load  # noqa: E402
import requests  # noqa: E402
from fault_probes import LoadRun, Prober, peer_login_page, recovered_after, summarise  # noqa: E402

from app import create_app
from app.db import get_database
from app.demo.seed import DEMO_RESIDENTS
from app.demo.switching_driver import DemoResident
from app.household.ages import japan_today
from app.oauth.server import ACCESS_TOKEN_LIFETIME
from app.passes import codes
from e2e.server import LiveServer
from tests.peer_services import PeerProcess

ROOT = Path(__file__).resolve().parent.parent
PGBIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1] if Path("/usr/lib/postgresql").exists() else None
FAULT_AT = 15.0  # seconds into a drill's load
POSTGRES_DOWN_SECONDS = 5.0
GOAL_RECOVERY_SECONDS, GOAL_MESSAGE_SECONDS = 10.0, 5.0
PEERS = ("google", "blog-a", "smart-life-pass")
UNREACHABLE_JA = "つながりません"  # the transfer page's words for a service it cannot reach (templates/switching/job.html)


class Stack:
    """The processes and what the load needs."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args, self.workdir = args, workdir
        self.database_url, self.pg_folder = bench_feed.start_database(argparse.Namespace(database_url=None))
        self.server = LiveServer(self.database_url, workdir)
        # One process per peer, so that one can be taken down alone.
        self.peers = {name: PeerProcess([name], workdir / f"peers-{name}", environ=self.server.env)
                      for name in PEERS}
        for peer in self.peers.values():
            self.server.peer_urls.update(peer.urls)

    def prepare(self) -> None:
        os.environ.update(self.server.env)
        print("  " + bench_feed.run(str(load.VENV_BIN / "alembic"), "upgrade", "head"))
        self.server.seed()
        app = create_app()
        self.app = app
        logging.getLogger("azukari.security").setLevel(logging.WARNING)  # (the setup's consents, one line each)
        with app.app_context():
            db = get_database(app).new_session()
            try:
                bench_feed.seed(app, self.args.residents)
                users = self.args.users
                self.residents = load.resident_sessions(app, db, users + 1)  # one more: the prober's
                self.clerks = load.clerk_sessions(app, db, users)
                self.consent_offer = load.activate(db, *load.CONSENT_OFFER).offer.id
                db.commit()
                self.target = load.scan_target(db)
                drills = len(self.args.drills) + 1
                per_drill = load.codes_for_step(users, self.args.seconds + self.args.ramp, self.args.wait_min)
                self.passes = load.make_passes(db, min(self.args.residents, per_drill * drills))
                self.per_drill = per_drill
                self.pairs = load.recipients(app, db, users)
                db.connection().exec_driver_sql("ANALYZE")
                db.commit()
            finally:
                db.close()

    def fixture(self, drill: int) -> dict[str, Any]:
        lifetime = max(ACCESS_TOKEN_LIFETIME, timedelta(seconds=self.args.seconds + self.args.ramp + 60))
        with self.app.app_context():
            db = get_database(self.app).new_session()
            try:
                load.refresh_sessions(db, [r["token"] for r in self.residents] + [c["token"] for c in self.clerks])
                tokens = load.mint_tokens(db, self.pairs, lifetime)
            finally:
                db.close()
        key, now = codes.pass_key(self.app.config["AZUKARI"].resolved_secret_key()), datetime.now(UTC)
        chunk = self.passes[drill * self.per_drill:(drill + 1) * self.per_drill]
        return {"cookie_name": self.app.config["SESSION_COOKIE_NAME"], "residents": self.residents[:-1],
                "clerks": self.clerks, "consent_offer_id": self.consent_offer, "scan_target": self.target,
                "codes": [codes.offline_code(key, pass_id, now) for _, pass_id in chunk], "api_tokens": tokens}

    @property
    def prober_cookie(self) -> str:
        return f"{self.app.config['SESSION_COOKIE_NAME']}={self.residents[-1]['token']}"

    def postgres(self, action: str) -> None:
        assert self.pg_folder is not None and PGBIN is not None
        subprocess.run(["runuser", "-u", "postgres", "--", str(PGBIN / "pg_ctl"), "-D", str(self.pg_folder / "data"),
                        "-l", str(self.pg_folder / "server.log"), "-w", "-m", "fast", action,
                        *(["-o", f"-k {self.pg_folder} -c listen_addresses=''"] if action == "start" else [])],
                       check=True, capture_output=True)

    def stop(self) -> None:
        self.server.stop()
        for peer in self.peers.values():
            peer.stop()
        bench_feed.stop_database(self.pg_folder)


# ---------------------------------------------------------------------------------------------------------------
# The drills: each returns its own figures; the load around it is measured by `under_load`


def drill_postgres(stack: Stack, started: float) -> dict[str, Any]:
    prober = Prober(stack.server.url, "/feed", stack.prober_cookie, started).start()
    time.sleep(max(0.0, started + FAULT_AT - time.monotonic()))
    down_at = time.monotonic() - started
    stack.postgres("stop")
    stopped_at = time.monotonic() - started
    time.sleep(POSTGRES_DOWN_SECONDS)
    starting_at = time.monotonic() - started
    stack.postgres("start")
    up_at = time.monotonic() - started
    time.sleep(GOAL_RECOVERY_SECONDS + 5)
    answers = prober.stop()
    down = [a for a in answers if stopped_at <= a.sent_at and a.sent_at + a.seconds <= starting_at]
    unclear = [a for a in answers if a.status != 200 and not a.clear]
    recovery = recovered_after(answers, up_at)
    workers_alive = len(stack.server.workers())
    return {"stop_asked_at": round(down_at, 2), "stopped_at": round(stopped_at, 2), "up_at": round(up_at, 2),
            "probes": summarise(answers), "while_stopped": summarise(down), "recovered_seconds_after_up": recovery,
            "workers_alive": workers_alive,
            "goals": {
                "every answer while stopped is the clear 503 page": bool(down) and all(a.clear for a in down),
                "no other failure at all (no 500, no lost connection)": not unclear,
                f"the feed answers within {GOAL_RECOVERY_SECONDS:.0f} s": recovery is not None
                and recovery <= GOAL_RECOVERY_SECONDS,
                "the worker lives on": workers_alive >= 1}}


def drill_worker(stack: Stack, started: float) -> dict[str, Any]:
    emily = DEMO_RESIDENTS[2]
    resident = DemoResident(stack.server.url, emily.email, emily.password, dict(stack.server.peer_urls))
    resident.sign_in()
    resident.connect("google")
    resident.connect("blog-a")
    job_url = resident.start("i", 2)
    resident.wait_for(job_url, "collected")
    resident.agree_if_asked(job_url)
    blog_a = stack.peers["blog-a"]
    blog_a.switch("blog-a", "slow", slow_seconds=6)
    try:
        time.sleep(max(0.0, started + FAULT_AT - time.monotonic()))
        resident.press(job_url, "deliver")
        resident.wait_for(job_url, "delivering")
        time.sleep(2.5)  # the worker is waiting on the importer
        worker = stack.server.workers()[0]
        os.killpg(worker.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        worker.wait()
        stack.server.processes.remove(worker)
    finally:
        blog_a.switch("blog-a", None)
    time.sleep(1.0)
    stack.server.start_worker()
    resident.wait_seconds = 120
    resident.wait_for(job_url, "verified")
    resumed = time.monotonic() - killed_at
    job_id = job_url.rsplit("/", 1)[-1]
    (manifest,), = load_rows(stack, "SELECT manifest FROM transfer_job WHERE id = %s", job_id)
    held = requests.get(f"{stack.server.peer_urls['blog-a']}/_test/received", params={"login_id": emily.email},
                        timeout=10).json()
    stored = [item["id"] for job in held["jobs"] if job["job"] == job_id for item in job["items"]]
    expected = sorted(entry["id"] for entry in manifest["items"])
    return {"killed_at": round(killed_at - started, 2), "verified_seconds_after_kill": round(resumed, 1),
            "items": len(expected), "stored": len(stored),
            "goals": {"the transfer resumes and ends verified": True,
                      "each manifest item is at the destination once": sorted(stored) == expected}}


def drill_peer(stack: Stack, started: float) -> dict[str, Any]:
    taro = DEMO_RESIDENTS[1]
    resident = DemoResident(stack.server.url, taro.email, taro.password, dict(stack.server.peer_urls))
    resident.sign_in()
    resident.connect("google")  # (before it goes down: connecting is the resident at Google's own pages)
    resident.connect("blog-a")
    time.sleep(max(0.0, started + FAULT_AT - time.monotonic()))
    stack.peers["smart-life-pass"].stop()
    refused = peer_login_page(stack.server.url, "smart-life-pass")
    hanging = _hanging_listener(stack.server.peer_urls["smart-life-pass"])  # accepts, never answers
    try:
        hung = peer_login_page(stack.server.url, "smart-life-pass")
    finally:
        hanging.close()
    stack.peers["google"].stop()
    began = time.monotonic()
    job_url = resident.start("i", 2)
    said = None
    while time.monotonic() - began < 30:
        if UNREACHABLE_JA in resident.browser.get(job_url).text:
            said = round(time.monotonic() - began, 2)
            break
        time.sleep(0.25)
    ok = GOAL_MESSAGE_SECONDS
    return {"login_refused": refused, "login_hanging": hung, "transfer_page_says_unreachable_after": said,
            "goals": {f"login, peer refusing: a clear page within {ok:.0f} s": refused["clear"]
                      and refused["seconds"] <= ok,
                      f"login, peer hanging: a clear page within {ok:.0f} s": hung["clear"] and hung["seconds"] <= ok,
                      f"switching from Google while it is down: the page says so within {ok:.0f} s": said is not None
                      and said <= ok}}


def _hanging_listener(url: str) -> Any:
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((parts.hostname, parts.port))
    listener.listen(16)  # accepted by the kernel, never answered
    return listener


def load_rows(stack: Stack, sql: str, *params: Any) -> list[Any]:
    import psycopg

    url = stack.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as connection:
        return list(connection.execute(sql, params))


DRILLS = {"postgres": drill_postgres, "worker": drill_worker, "peer": drill_peer}


def under_load(stack: Stack, name: str, number: int) -> dict[str, Any]:
    print(f"--- {name}: {stack.args.users} users × {stack.args.seconds} s" + (
        f", the fault {FAULT_AT:.0f} s in" if name != "baseline" else ""), flush=True)
    run = LoadRun(stack, number, name).start()
    started = run.measuring_from()
    figures = DRILLS[name](stack, started) if name != "baseline" else {}
    result = run.join()
    load.print_step(result)
    for key, value in figures.items():
        if key != "goals":
            print(f"  {key}: {value}")
    for goal, met in figures.get("goals", {}).items():
        print(f"  {goal}: {'PASS' if met else 'FAIL'}")
    return {"drill": name, "load": result, **figures}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=50_000)  # the pilot area
    parser.add_argument("--users", type=int, default=50)  # the step of the load test's p95 goal
    parser.add_argument("--seconds", type=int, default=60, help="the load's measured seconds per drill")
    parser.add_argument("--ramp", type=int, default=5)
    parser.add_argument("--wait-min", type=float, default=1.0)
    parser.add_argument("--wait-max", type=float, default=3.0)
    parser.add_argument("--drills", type=lambda s: s.split(","), default=list(DRILLS))
    parser.add_argument("--keep", action="store_true", help="keep the work folder (every process's log)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="azukari-faults-"))
    (workdir / "instance").mkdir()
    stack, results, succeeded = Stack(args, workdir), [], False
    try:
        load.step(f"the stack: PostgreSQL, peers, the demo and {args.residents:,} residents")
        stack.prepare()
        stack.server.start(worker=True)
        for number, name in enumerate(["baseline", *args.drills]):
            results.append(under_load(stack, name, number))
        out = ROOT / "bench" / "results" / f"faults-{japan_today().isoformat()}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({"date": datetime.now(UTC).isoformat(timespec="seconds"), "args": vars(args),
                                   "cores": os.cpu_count(), "drills": results}, indent=2, ensure_ascii=False,
                                  default=str) + "\n")
        print("\n=== summary")
        for r in results:
            goals = r.get("goals", {})
            o = r["load"]["tasks"].get("overall", {})
            print(f"  {r['drill']:<9} load: {o.get('requests', 0)} requests, {o.get('failures', 0)} errors, "
                  f"p95 {o.get('p95_ms')} ms; " + "; ".join(f"{g}: {'PASS' if m else 'FAIL'}" for g, m in goals.items()))
        print(f"\nwritten: {out.relative_to(ROOT)}")
        succeeded = True
        return 0
    finally:
        stack.stop()
        if succeeded and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"work folder kept: {workdir}")


if __name__ == "__main__":
    threading.excepthook = lambda hook: print(f"thread {hook.thread}: {hook.exc_value!r}", file=sys.stderr)
    sys.exit(main())
