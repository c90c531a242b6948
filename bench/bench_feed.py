"""The recommendation feed benchmark (`make bench`; docs/benchmarks.md says what it measures and how to read it).

    .venv/bin/python bench/bench_feed.py [--residents 50000] [--keep] [--database-url URL] [--profile]

One run on PostgreSQL: schema and catalogues as the Procfile's release step makes them; N synthetic residents
(bench/feed_households.py, bench/feed_seed.py); the batch as the worker runs it (job recommend.precompute_feeds via
`flask jobs run-once`); then gunicorn from the Procfile's web line and wrk at 16 connections on GET /feed and on a
baseline page (a logged-in session lookup and one query) served by the same processes. Settings are production's
(AZUKARI_ENV=production, fresh secrets), so the cookie is `__Host-azukari`; wrk sends it over plain http, which the
server accepts (only browsers insist on https for it).
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import feed_http
import feed_report
from baseline_app import create_bench_app
from feed_households import households
from feed_seed import EMAIL_DOMAIN, open_sessions, refresh_sessions, seeded_count, write_residents
from joserfc.jwk import ECKey
from sqlalchemy import text

from app.db import get_database, utcnow
from app.household.address import locate_home
from app.household.ages import japan_today

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
JOB_KIND = "recommend.precompute_feeds"
PART_KIND = "recommend.precompute_feeds_part"
BATCH_WORKERS = os.cpu_count() or 2  # one worker process per core, as a deployment of the Procfile's worker would
# The throwaway cluster: PostgreSQL's durable defaults (fsync, synchronous_commit on) with a bit more cache.
PG_OPTIONS = ["-c", "shared_buffers=512MB", "-c", "max_connections=100"]


def step(title: str) -> float:
    print(f"--- {title}", flush=True)
    return time.perf_counter()


def run(*command: str) -> str:
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip()


def production_env(database_url: str, instance: Path) -> dict[str, str]:
    """What production requires (app/config.py), with secrets made up for this run only."""
    return {
        "AZUKARI_ENV": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "SIGNING_KEY_PEM": ECKey.generate_key("P-256", private=True).as_pem(private=True).decode(),
        "MAIL_BACKEND": "smtp",  # nothing in the run sends mail
        "SMTP_HOST": "127.0.0.1",
        "PUBLIC_URL": "https://azukari.bench.invalid",
        "INSTANCE_PATH": str(instance),
        "BANK_LEGAL_NAME": "株式会社ベンチ情報銀行", "BANK_ADDRESS": "千葉県柏市若柴1番地（ベンチ）",
        "BANK_REPRESENTATIVE": "代表取締役 ベンチ",
    }


def start_database(args: argparse.Namespace) -> tuple[str, Path | None]:
    if args.database_url:
        return args.database_url, None
    folder, url = run(str(ROOT / "scripts" / "pg.sh"), "start", "azukari_bench", *PG_OPTIONS).splitlines()[-2:]
    return url, Path(folder)


def stop_database(pg_folder: Path | None) -> None:
    """Stop the throwaway cluster `start_database` made (none when the run was given --database-url)."""
    if pg_folder is not None:
        run(str(ROOT / "scripts" / "pg.sh"), "stop", str(pg_folder))


def clean_up(workdir: Path, kept: str, database_url: str, pg_folder: Path | None, *, keep: bool,
             succeeded: bool) -> None:
    """The end of a benchmark run: the work folder goes unless the run failed or --keep (then it says what it
    holds); the throwaway PostgreSQL stops unless --keep (then it says how to stop it)."""
    if succeeded and not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"work folder kept ({kept}): {workdir}")
    if pg_folder is not None and keep:
        print(f"PostgreSQL left running: {database_url}\n  stop it with: scripts/pg.sh stop {pg_folder}")
    elif not keep:
        stop_database(pg_folder)


def prepare_schema() -> None:
    run(str(VENV_BIN / "alembic"), "upgrade", "head")
    print("  " + run(str(VENV_BIN / "flask"), "--app", "app", "consent", "load-catalogue"))
    print("  " + run(str(VENV_BIN / "flask"), "--app", "app", "catalog", "load"))


def seed(app: Any, count: int) -> dict[str, Any]:
    session = get_database(app).new_session()
    try:
        existing = seeded_count(session)
        if existing == count:
            print(f"  reusing the {count:,} residents already seeded")
            return {"reused": True}
        if existing:
            raise SystemExit(f"the database holds {existing:,} benchmark residents, not {count:,}: use a fresh database")
        started = time.perf_counter()
        rows = households(count, japan_today())
        generated = time.perf_counter() - started
        write_residents(session, app.config["AZUKARI"], rows)
        seconds = time.perf_counter() - started
        _check_addresses(session)
        session.connection().exec_driver_sql("ANALYZE")  # as autovacuum would soon after a bulk load
        session.commit()
        print(f"  {count:,} residents in {seconds:.1f} s (generating {generated:.1f} s)")
        return {"reused": False, "seconds": round(seconds, 1), "generate_seconds": round(generated, 1)}
    finally:
        session.close()


def _check_addresses(session: Any) -> None:
    """A sample of stored addresses goes through the app's own address lookup: all must land in the events ring."""
    rows = session.connection().exec_driver_sql(
        "SELECT postal_code, region, locality, town FROM home_address TABLESAMPLE BERNOULLI (5) LIMIT 200").all()
    for row in rows:
        if not locate_home(*row).in_events_ring:
            raise AssertionError(f"{row} is not in the events ring")


def stats(app: Any) -> dict[str, Any]:
    with get_database(app).engine.connect() as connection:
        def one(sql: str) -> Any:
            return connection.exec_driver_sql(sql).scalar_one()

        return {
            "residents": one(f"SELECT count(*) FROM resident WHERE email LIKE '%%@{EMAIL_DOMAIN}'"),  # noqa: S608
            "children": one("SELECT count(*) FROM child"),
            "with_consent": one("SELECT count(DISTINCT resident_id) FROM consent_grant"),
            "with_health_score": one("SELECT count(DISTINCT resident_id) FROM health_score"),
            "postgresql": {name: one(f"SHOW {name}") for name in (  # noqa: S608 (fixed names)
                "server_version", "shared_buffers", "max_connections", "fsync", "synchronous_commit", "work_mem")},
        }


def run_batch(app: Any, day: date) -> dict[str, Any]:
    """The batch as the worker runs it: the job in the queue, then `flask jobs run-once`, timed."""
    from sqlmodel import select

    from app.jobs.models import Job
    from app.jobs.registry import Registry, registry_for
    from app.jobs.scheduler import enqueue_due
    from app.jobs.services import enqueue
    from app.jobs.worker import Worker

    registry = registry_for(app)
    if registry.handler(JOB_KIND) is None:
        note = f"job {JOB_KIND} not available"
        print(f"  batch: {note}")
        return {"available": False, "note": note}
    database = get_database(app)
    session = database.new_session()
    try:
        # Everything else the scheduler has due (anchors over every chain, reminders, purges) runs first and untimed,
        # so the timed run-once is the batch alone. The daily batch is itself a periodic task: its slot stays queued.
        enqueue_due(session, registry.periodic)
        others = Worker(app, Registry({k: h for k, h in registry.handlers.items() if k != JOB_KIND}, registry.periodic))
        started, drained = time.perf_counter(), 0
        while others.tick():
            drained += 1
        print(f"  drained {drained} other due job(s) in {time.perf_counter() - started:.1f} s")
        dropped = session.execute(text("DELETE FROM recommend_feed WHERE day = :day"), {"day": day}).rowcount
        if dropped:
            print(f"  dropped {dropped:,} feeds kept from an earlier run for {day}")
        # An earlier run's parts for this day would stand for this run's (a part is queued once per day and part).
        session.execute(text("DELETE FROM job WHERE kind = :kind AND payload->>'day' = :day"),
                        {"kind": PART_KIND, "day": day.isoformat()})
        # The scheduler's slot for today, if it is due; the next day's slot (queued for 04:00 JST) is left alone.
        job = session.exec(select(Job).where(Job.kind == JOB_KIND, Job.status == "queued", Job.run_at <= utcnow())).first()
        origin = "the scheduler's daily job"
        if job is None:  # this day's slot already ran (an earlier run on the same database) or is not due yet
            job, origin = enqueue(session, JOB_KIND, {"day": day.isoformat()}, started_by="bench"), "enqueued"
        assert job is not None and job.id is not None
        session.commit()
        job_id = job.id
        started = time.perf_counter()
        # The day's job queues its parts; then as many worker processes as cores take them (`flask jobs run-once`
        # each: it runs due jobs until none is left). The parts must be queued before the workers start, or one
        # could find the queue empty and stop.
        Worker(app, Registry({JOB_KIND: registry.handlers[JOB_KIND]}, ())).tick()
        workers = [subprocess.Popen([str(VENV_BIN / "flask"), "--app", "app", "jobs", "run-once"], cwd=ROOT,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(BATCH_WORKERS)]
        outputs = [worker.communicate() for worker in workers]
        wall = time.perf_counter() - started
        if any(worker.returncode for worker in workers):
            raise RuntimeError(f"a worker failed: {outputs}")
        job = session.get(Job, job_id, populate_existing=True)
        parts = session.exec(select(Job).where(Job.kind == PART_KIND, Job.started_by == f"job:{job_id}")
                             .execution_options(populate_existing=True)).all()
        feeds = session.execute(text("SELECT count(*) FROM recommend_feed WHERE day = :day"), {"day": day}).scalar_one()
    finally:
        session.close()
    unfinished = [j for j in [job, *parts] if j is None or j.status != "done" or j.started_at is None or j.finished_at is None]
    if unfinished or not parts:
        raise RuntimeError(f"the batch did not finish: {[(j.kind, j.status, j.last_error) for j in unfinished if j]}")
    assert job is not None and job.started_at is not None
    job_seconds = (max(part.finished_at for part in parts if part.finished_at) - job.started_at).total_seconds()
    print(f"  {origin}, payload {job.payload}: {len(parts)} parts over {BATCH_WORKERS} worker processes; {feeds:,} feeds "
          f"for {day} in {job_seconds:.1f} s (jobs), {wall:.1f} s (wall)")
    return {"available": True, "job": origin, "day": day.isoformat(), "feeds": feeds, "job_seconds": round(job_seconds, 2),
            "wall_seconds": round(wall, 2), "feeds_per_second": feeds / job_seconds if job_seconds else None,
            "parts": len(parts), "worker_processes": BATCH_WORKERS, "job_result": job.result}


def run_http(app: Any, tokens: list[str], workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    cookies_file = workdir / "cookies.txt"
    cookies_file.write_text("\n".join(tokens) + "\n")
    session = get_database(app).new_session()
    try:
        refresh_sessions(session, tokens)
        feeds_before = _feeds_today(session)
    finally:
        session.close()
    results: dict[str, Any] = {"log": str(workdir / "gunicorn.log")}
    with feed_http.gunicorn(dict(os.environ), workdir / "gunicorn.log") as (port, command):
        print(f"  gunicorn: {command} (WEB_CONCURRENCY={feed_http.WEB_CONCURRENCY})")
        results["command"] = command
        cookie = f"{cookie_name}={tokens[0]}"
        feed_http.check_page(port, "/feed", cookie, 'id="feed-panel"')
        feed_http.check_page(port, "/bench/baseline", cookie, "data-children")
        for path, name in (("/feed", "feed"), ("/bench/baseline", "baseline")):
            feed_http.run_wrk(port, path, cookies_file, cookie_name, args.warmup)
            results[name] = feed_http.run_wrk(port, path, cookies_file, cookie_name, args.seconds)
            page = results[name]
            print(f"  {path}: p50 {page.p50_ms:.1f} ms, p95 {page.p95_ms:.1f} ms, {page.rps:.0f} req/s")
    session = get_database(app).new_session()
    try:
        results["feeds_computed_during_http"] = computed = _feeds_today(session) - feeds_before
    finally:
        session.close()
    if computed:  # the batch did not keep them all (or the day changed in Japan): part of the run was cold
        print(f"  note: {computed:,} feeds were computed during the HTTP run, not read from the batch's")
    return results


def _feeds_today(session: Any) -> int:
    return session.connection().execute(text("SELECT count(*) FROM recommend_feed WHERE day = :day"),
                                        {"day": japan_today()}).scalar_one()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=50_000)
    parser.add_argument("--sessions", type=int, default=2_000, help="logged-in residents wrk rotates over")
    parser.add_argument("--seconds", type=int, default=20, help="measured wrk run per page")
    parser.add_argument("--warmup", type=int, default=5, help="wrk warm-up per page, not measured")
    parser.add_argument("--database-url", help="an existing (empty, or seeded by an earlier run) database")
    parser.add_argument("--keep", action="store_true", help="leave the throwaway PostgreSQL running")
    parser.add_argument("--profile", action="store_true", help="also profile one feed request and feed computations")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="azukari-bench-"))
    database_url, pg_folder = start_database(args)
    os.environ.update(production_env(database_url, workdir / "instance"))
    started, load_before, succeeded = time.perf_counter(), os.getloadavg(), False
    try:
        print(f"PostgreSQL: {database_url}; work folder {workdir}")
        t = step("schema and catalogues (alembic upgrade head, consent load-catalogue, catalog load)")
        prepare_schema()
        print(f"  {time.perf_counter() - t:.1f} s")
        app = create_bench_app()  # the bank's app and the baseline page, as gunicorn serves them
        with app.app_context():
            step(f"{args.residents:,} synthetic residents")
            seeding = seed(app, args.residents)
            tokens = open_sessions(get_database(app).new_session(), args.sessions)
            print(f"  {len(tokens):,} logged-in sessions")
            step(f"batch: {JOB_KIND}")
            batch = run_batch(app, japan_today())
            step(f"HTTP: wrk {feed_http.CONNECTIONS} connections, {feed_http.THREADS} threads, {args.seconds} s per page")
            http = run_http(app, tokens, workdir, args)
            load_after = os.getloadavg()
            configuration = {
                "cores": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
                "gunicorn": http.get("command"), "web_concurrency": feed_http.WEB_CONCURRENCY,
                "environment": "production (AZUKARI_ENV=production; wrk sends the __Host- cookie over http)",
                "wrk": {"connections": feed_http.CONNECTIONS, "threads": feed_http.THREADS, "seconds": args.seconds,
                        "warmup_seconds": args.warmup, "sessions": len(tokens)},
                "summary": f"{os.cpu_count()} cores, gunicorn {feed_http.WEB_CONCURRENCY} workers × 4 threads, "
                           f"wrk -c{feed_http.CONNECTIONS} -t{feed_http.THREADS}",
                # The machine is shared: the 1-minute load before the run and after the HTTP phase says how much.
                "load_average_1min": {"before": round(load_before[0], 2), "after_http": round(load_after[0], 2)},
                **stats(app),
            }
        if args.profile:  # outside the app context: each test request must get its own (`g`, the logged-in user)
            import feed_profile

            step("profile")
            http["profile"] = feed_profile.report(app, tokens)
        results = {"residents": args.residents, "date": japan_today().isoformat(), "configuration": configuration,
                   "seeding": seeding, "batch": batch, "http": http,
                   "total_seconds": round(time.perf_counter() - started, 1)}
        results["goals"] = feed_report.goals(http.get("feed"), http.get("baseline"), batch)
        feed_report.print_report(results)
        out = ROOT / "bench" / "results" / f"feed-{results['date']}-{args.residents}.json"
        feed_report.write_json(results, out)
        print(f"\nwritten: {out.relative_to(ROOT)} (total {results['total_seconds']:.0f} s)")
        succeeded = True
        return 0
    finally:
        clean_up(workdir, "gunicorn log, cookies", database_url, pg_folder, keep=args.keep, succeeded=succeeded)


if __name__ == "__main__":
    sys.exit(main())
