"""The load test (issue 15; docs/benchmarks.md "Load — bench/load.py" says what it measures and how to read it).

    .venv/bin/python bench/load.py [--residents 50000] [--users 20,50,100] [--duration 120] [--database-url URL] [--keep]

One run on PostgreSQL (a throwaway cluster, as bench/bench_feed.py makes one, or --database-url): the schema and
catalogues as the Procfile's release step makes them; the demo (its partner, the clerk, the residents); N synthetic
residents (bench/feed_households.py, bench/feed_seed.py); the feed batch as the worker runs it. Then what the mix
needs, made directly in the database as the app itself would have made it: logged-in sessions of residents and of
the partner's clerks, QR codes of residents' passes, recipients' OAuth clients with residents' consent and access
tokens. gunicorn (the Procfile's web line) and the job worker (its worker line) serve it in production settings,
and Locust (bench/locustfile.py, headless) drives the mix at each step for --duration seconds. Every request goes
over HTTP. It prints, per step, the requests, the error rate, p50/p95/p99 per task and overall and PASS/FAIL
against the issue's goals, and writes bench/results/load-DATE-N.json. It exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import bench_feed
import feed_http
from feed_seed import EMAIL_DOMAIN, _copy, _json, open_sessions, refresh_sessions
from itsdangerous import URLSafeTimedSerializer
from joserfc.jwk import ECKey

from app import create_app
from app.consent import catalogue, decisions
from app.consent.models import BANK
from app.db import get_database
from app.household.ages import japan_today
from app.oauth import clients
from app.oauth.server import ACCESS_TOKEN_LIFETIME, digest
from app.partners.models import Partner
from app.passes import codes
from app.passes import services as passes
from app.recommend import rules
from app.sessions import hash_token
from app.staff.models import StaffMember, StaffRole

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
MIX = {"feed": 60, "inbox": 10, "consent": 10, "redeem": 10, "resource_api": 10}  # bench/locustfile.py's weights
GOAL_P95_MS, GOAL_P95_USERS = 200, 50  # the issue: zero errors at every step; p95 ≤ 200 ms at 50 users
CONSENT_OFFER = (BANK, "event_recommendation")  # the one residents withdraw and give again (no 要配慮 item)
CITY_OFFER = ("kashiwa_kosodate", "municipal_recommendation")  # the recipients' offer (the resource API)
CITY_SCOPES = ["children_count", "age_bands", "town_group"]
RECIPIENT_CLIENTS = 4  # the API load spread over several recipient systems, as in the pilot (each has its own limit)
DEMO_PARTNER_KEY = "kashiwanoha_partner"
CODE_MARGIN = 1.3


def step(title: str) -> float:
    print(f"--- {title}", flush=True)
    return time.perf_counter()


# ---------------------------------------------------------------------------------------------------------------
# What the mix needs, made in the database


def csrf_for(app: Any, raw: str) -> str:
    """The form's csrf_token for a session holding `raw`, as Flask-WTF's generate_csrf signs it."""
    secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)


def resident_sessions(app: Any, session: Any, count: int) -> list[dict[str, str]]:
    tokens = open_sessions(session, count, seed=15)
    raw = dict(session.connection().exec_driver_sql(
        "SELECT token_hash, data->>'csrf_token' FROM browser_session WHERE token_hash = ANY(%s)",
        ([hash_token(token) for token in tokens],)).all())
    return [{"token": token, "csrf": csrf_for(app, raw[hash_token(token)])} for token in tokens]


def clerk_sessions(app: Any, session: Any, count: int) -> list[dict[str, str]]:
    """`count` clerks of the demo partner, each logged in (a clerk may scan 60 codes a minute: SCANS_PER_MINUTE, a
    constant, so the load is spread over one clerk per Locust user instead of raising it). The session row holds
    what a staff login stores (`auth.begin_session`) plus a CSRF token, as `feed_seed.open_sessions` does."""
    from sqlmodel import select

    partner = session.exec(select(Partner).where(Partner.key == DEMO_PARTNER_KEY)).one()
    members = [StaffMember(email=f"clerk-{n:04d}@{EMAIL_DOMAIN}", display_name=f"負荷試験 店員 {n}",
                           role=StaffRole.PARTNER.value, partner_id=partner.id, created_by="bench-load")
               for n in range(count)]
    session.add_all(members)
    session.commit()
    now, rows, out = datetime.now(UTC), [], []
    for member in members:
        token, raw = secrets.token_urlsafe(32), secrets.token_hex(20)
        data = {"_user_id": member.principal, "_fresh": True, "_id": "bench-load", "auth_at": now.isoformat(),
                "csrf_token": raw}
        rows.append((hash_token(token), member.principal, _json(data), now, now))
        out.append({"token": token, "csrf": csrf_for(app, raw)})
    with session.connection().connection.driver_connection.cursor() as cursor:
        _copy(cursor, "browser_session", ("token_hash", "principal", "data", "created_at", "last_seen_at"), rows)
    session.commit()
    return out


def scan_target(session: Any) -> str:
    from sqlmodel import select

    partner = session.exec(select(Partner).where(Partner.key == DEMO_PARTNER_KEY)).one()
    coupons = passes.scannable_coupons(session, partner, japan_today())
    if not coupons:
        raise RuntimeError("the demo partner has no coupon valid today (catalog load, demo seed)")
    return f"coupon:{coupons[0].id}"


def make_passes(session: Any, count: int) -> list[tuple[str, str]]:
    """Passes for `count` residents (as `passes.pass_of` makes one on first use): (resident id, pass id), in a
    fixed random order. Each redemption takes the next resident: a coupon is used once per resident."""
    ids = session.connection().exec_driver_sql(
        f"SELECT id FROM resident WHERE email LIKE '%%@{EMAIL_DOMAIN}' ORDER BY md5(id::text) LIMIT %s",  # noqa: S608
        (count,)).scalars().all()
    now = datetime.now(UTC)
    rows = [(resident_id, codes.new_pass_id(), now) for resident_id in ids]
    with session.connection().connection.driver_connection.cursor() as cursor:
        _copy(cursor, "resident_pass", ("resident_id", "pass_id", "created_at"), rows)
    session.commit()
    return [(str(r), p) for r, p, _ in rows]


def activate(session: Any, recipient: str, purpose: str) -> catalogue.OfferView:
    # The feed's profiling rules too (security anchor G6): without them the feed is listed, not personalised.
    for kind, key in (("recipient", recipient), ("purpose", purpose),
                      *((rules.KIND, rule.subject) for rule in rules.current_rules())):
        if catalogue.approval_of(session, kind, key) is None:
            catalogue.record_approval(session, actor="bench-load", kind=kind, key=key, approved_on=date.today(),
                                      minutes_ref="benchmark")
    view = next(v for v in catalogue.offer_views(session) if (v.recipient.key, v.purpose.key) == (recipient, purpose))
    if not view.offer.active:
        catalogue.activate_offer(session, actor="bench-load", offer=view.offer, active=True)
    session.flush()
    return next(v for v in catalogue.offer_views(session) if (v.recipient.key, v.purpose.key) == (recipient, purpose))


def recipients(app: Any, session: Any, count: int) -> list[tuple[str, str]]:
    """RECIPIENT_CLIENTS recipient systems registered for the city's offer (as the operator console registers one,
    with a published key), and `count` residents who consented to it through `decisions.grant` (a signed receipt,
    the ledger record): (client id, resident id) pairs, round robin, for `mint_tokens`."""
    from app.accounts.models import Resident

    view = activate(session, *CITY_OFFER)
    client_ids = []
    for n in range(RECIPIENT_CLIENTS):
        key = ECKey.generate_key("P-256", parameters={"use": "sig"}, auto_kid=True)
        registration = clients.ClientRegistration(
            client_id=f"bench-city-{n}", name=f"負荷試験 子育て支援システム {n}", recipient_key=CITY_OFFER[0],
            purpose_key=CITY_OFFER[1], redirect_uris=["https://city.bench.invalid/callback"], scopes=CITY_SCOPES,
            jwks={"keys": [key.as_dict(private=False)]})
        client_ids.append(clients.register(session, registration, actor="bench-load").client_id)
    session.commit()
    ids = session.connection().exec_driver_sql(
        f"SELECT id FROM resident WHERE email LIKE '%%@{EMAIL_DOMAIN}' ORDER BY md5(id::text || 'api') "  # noqa: S608
        "LIMIT %s", (count,)).scalars().all()
    settings = app.config["AZUKARI"]
    for resident_id in ids:
        decisions.grant(session, settings, resident=session.get(Resident, resident_id), view=view, items=CITY_SCOPES)
        session.commit()
    return [(client_ids[n % len(client_ids)], str(resident_id)) for n, resident_id in enumerate(ids)]


def mint_tokens(session: Any, pairs: list[tuple[str, str]], lifetime: timedelta) -> list[str]:
    """An access token per pair, stored as the token endpoint's `save_token` stores one (the digest, the scope, a
    5-minute life) without the code flow's round trips; minted again before each step so none expires in it."""
    now, rows, tokens = datetime.now(UTC), [], []
    for client_id, resident_id in pairs:
        token = secrets.token_urlsafe(32)
        rows.append((secrets.token_hex(16), client_id, resident_id, " ".join(CITY_SCOPES), digest(token), now,
                     now + lifetime, ""))
        tokens.append(token)
    with session.connection().connection.driver_connection.cursor() as cursor:
        _copy(cursor, "oauth_token", ("grant_id", "client_id", "resident_id", "scope", "access_token_digest",
                                      "issued_at", "access_expires_at", "revoked_reason"), rows)
    session.commit()
    return tokens


# ---------------------------------------------------------------------------------------------------------------
# The servers and the steps


def start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """The Procfile's worker line."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("worker:"))
    command = line.removeprefix("worker:").strip()
    env = {**env, "PATH": f"{VENV_BIN}:{env.get('PATH', '')}"}
    with log_path.open("w") as log:
        return subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def codes_for_step(users: int, seconds: float, wait_min: float) -> int:
    """Enough pass codes that none runs out: each user redeems at most once per wait_min on 10% of its tasks."""
    return math.ceil(users * MIX["redeem"] / 100 * seconds / wait_min * CODE_MARGIN) + 20


def run_step(port: int, users: int, fixture: dict[str, Any], workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    fixture_path = workdir / f"fixture-{users}.json"
    fixture_path.write_text(json.dumps(fixture))
    prefix = workdir / f"locust-{users}"
    ramp = max(1, args.ramp)
    command = [str(VENV_BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
               "-u", str(users), "-r", str(max(1, math.ceil(users / ramp))), "--run-time", f"{args.duration + ramp}s",
               "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--reset-stats", "--only-summary",
               "--loglevel", "WARNING", "--stop-timeout", "10"]
    env = {**os.environ, "LOAD_FIXTURE": str(fixture_path), "LOAD_WAIT_MIN": str(args.wait_min),
           "LOAD_WAIT_MAX": str(args.wait_max)}
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=args.duration + ramp + 120)
    wall = time.perf_counter() - started
    (workdir / f"locust-{users}.log").write_text(result.stdout + result.stderr)
    stats_path = Path(f"{prefix}_stats.csv")
    if not stats_path.exists():
        raise RuntimeError(f"locust wrote no statistics ({result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}")
    tasks: dict[str, Any] = {}
    with stats_path.open() as f:
        for row in csv.DictReader(f):
            name = "overall" if row["Name"] == "Aggregated" else row["Name"]
            requests, failures = int(row["Request Count"]), int(row["Failure Count"])
            tasks[name] = {"requests": requests, "failures": failures,
                           "error_rate": failures / requests if requests else 0.0,
                           "rps": float(row["Requests/s"]),
                           "p50_ms": _ms(row["50%"]), "p95_ms": _ms(row["95%"]), "p99_ms": _ms(row["99%"]),
                           "max_ms": _ms(row["Max Response Time"])}
    errors = []
    with Path(f"{prefix}_failures.csv").open() as f:
        for row in csv.DictReader(f):
            errors.append({"endpoint": f"{row['Method']} {row['Name']}", "error": row["Error"],
                           "count": int(row["Occurrences"])})
    return {"users": users, "seconds": args.duration, "ramp_seconds": ramp, "wall_seconds": round(wall, 1),
            "tasks": tasks, "errors": errors, "load_average_1min": round(os.getloadavg()[0], 2)}


def _ms(value: str) -> float | None:
    return None if value in ("", "N/A") else float(value)


def verdict(result: dict[str, Any]) -> list[str]:
    overall = result["tasks"].get("overall", {})
    lines = []
    failures = overall.get("failures", 0)
    lines.append(f"zero errors: {'PASS' if failures == 0 and overall.get('requests') else 'FAIL'} "
                 f"({failures} of {overall.get('requests', 0)})")
    if result["users"] == GOAL_P95_USERS:
        p95 = overall.get("p95_ms")
        ok = p95 is not None and p95 <= GOAL_P95_MS
        lines.append(f"p95 ≤ {GOAL_P95_MS} ms at {GOAL_P95_USERS} users: {'PASS' if ok else 'FAIL'} ({p95} ms)")
    return lines


def print_step(result: dict[str, Any]) -> None:
    print(f"  {result['users']} users, {result['seconds']} s (after a {result['ramp_seconds']} s ramp, not counted); "
          f"load average {result['load_average_1min']}")
    print(f"  {'task':<14}{'requests':>9}{'req/s':>8}{'errors':>8}{'error %':>9}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}")
    for name in [*MIX, "overall"]:
        t = result["tasks"].get(name)
        if t is None:
            continue
        print(f"  {name:<14}{t['requests']:>9}{t['rps']:>8.1f}{t['failures']:>8}{t['error_rate'] * 100:>8.2f}%"
              f"{_fmt(t['p50_ms']):>8}{_fmt(t['p95_ms']):>8}{_fmt(t['p99_ms']):>8}")
    for error in result["errors"]:
        print(f"  ERROR {error['endpoint']}: {error['error']} × {error['count']}")
    for line in verdict(result):
        print(f"  {line}")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=50_000)
    parser.add_argument("--users", default="20,50,100", help="the steps: concurrent Locust users, comma separated")
    parser.add_argument("--duration", type=int, default=120, help="measured seconds per step")
    parser.add_argument("--ramp", type=int, default=10, help="seconds to start a step's users (not measured)")
    parser.add_argument("--wait-min", type=float, default=1.0, help="a user's think time between tasks, seconds")
    parser.add_argument("--wait-max", type=float, default=3.0)
    parser.add_argument("--web-concurrency", type=int, default=feed_http.WEB_CONCURRENCY,
                        help="gunicorn workers (the Procfile's WEB_CONCURRENCY; 4 threads each)")
    parser.add_argument("--no-batch", action="store_true", help="skip the feed batch (feeds computed on first view)")
    parser.add_argument("--database-url", help="an existing, empty database")
    parser.add_argument("--keep", action="store_true", help="leave the throwaway PostgreSQL running; keep the logs")
    args = parser.parse_args()
    steps = [int(n) for n in args.users.split(",")]
    most = max(steps)

    workdir = Path(tempfile.mkdtemp(prefix="azukari-load-"))
    database_url, pg_folder = bench_feed.start_database(args)
    os.environ.update(bench_feed.production_env(database_url, workdir / "instance"))
    started, load_before, succeeded = time.perf_counter(), os.getloadavg(), False
    try:
        print(f"PostgreSQL: {database_url}; work folder {workdir}")
        t = step("schema and catalogues (the Procfile's release line)")
        bench_feed.prepare_schema()
        print("  " + bench_feed.run(str(VENV_BIN / "flask"), "--app", "app", "surveys", "load"))
        print(f"  {time.perf_counter() - t:.1f} s")
        app = create_app()
        with app.app_context():
            db = get_database(app).new_session()
            try:
                t = step("the demo (app.demo.seed: its residents, partner and staff)")
                from app.demo.seed import seed as demo_seed

                print(f"  {demo_seed(db, app.config['AZUKARI'])}")
                db.commit()
                step(f"{args.residents:,} synthetic residents")
                seeding = bench_feed.seed(app, args.residents)
                t = step("what the mix needs")
                residents = resident_sessions(app, db, most)
                clerks = clerk_sessions(app, db, most)
                consent_offer = activate(db, *CONSENT_OFFER).offer.id
                db.commit()
                target = scan_target(db)
                per_step = {users: codes_for_step(users, args.duration + args.ramp, args.wait_min) for users in steps}
                pass_rows = make_passes(db, min(args.residents, sum(per_step.values())))
                pairs = recipients(app, db, most)
                db.connection().exec_driver_sql("ANALYZE")
                db.commit()
                print(f"  {len(residents)} resident sessions, {len(clerks)} clerk sessions, {len(pass_rows):,} passes "
                      f"({target}), {len(pairs)} residents consented to {CITY_OFFER} over {RECIPIENT_CLIENTS} "
                      f"clients; {time.perf_counter() - t:.1f} s")
                if len(pass_rows) < sum(per_step.values()):
                    print(f"  note: {sum(per_step.values()):,} pass codes wanted, only {len(pass_rows):,} residents")
                batch: dict[str, Any] = {"skipped": True}
                if not args.no_batch:
                    step(f"batch: {bench_feed.JOB_KIND}")
                    batch = bench_feed.run_batch(app, japan_today())
            finally:
                db.close()

        key = codes.pass_key(app.config["AZUKARI"].resolved_secret_key())
        lifetime = max(ACCESS_TOKEN_LIFETIME, timedelta(seconds=args.duration + args.ramp + 60))
        if lifetime > ACCESS_TOKEN_LIFETIME:
            print(f"note: access tokens minted for {lifetime} (a step outlasts the real 5 minutes)")
        results: list[dict[str, Any]] = []
        env = {**os.environ, "WEB_CONCURRENCY": str(args.web_concurrency)}
        step(f"HTTP: gunicorn ({args.web_concurrency} workers × 4 threads) + the worker; Locust at {steps} users, "
             f"{args.duration} s each, think time {args.wait_min}–{args.wait_max} s")
        feed_http.WEB_CONCURRENCY = args.web_concurrency
        worker = start_worker(dict(os.environ), workdir / "worker.log")
        try:
            with feed_http.gunicorn(env, workdir / "gunicorn.log") as (port, command):
                print(f"  {command}")
                cursor = 0
                for users in steps:
                    with app.app_context():
                        db = get_database(app).new_session()
                        try:
                            refresh_sessions(db, [r["token"] for r in residents] + [c["token"] for c in clerks])
                            tokens = mint_tokens(db, pairs, lifetime)
                        finally:
                            db.close()
                    now = datetime.now(UTC)
                    chunk = pass_rows[cursor:cursor + per_step[users]]
                    cursor += len(chunk)
                    fixture = {"cookie_name": app.config["SESSION_COOKIE_NAME"], "residents": residents,
                               "clerks": clerks, "consent_offer_id": consent_offer, "scan_target": target,
                               "codes": [codes.offline_code(key, pass_id, now) for _, pass_id in chunk],
                               "api_tokens": tokens}
                    step(f"{users} users")
                    result = run_step(port, users, fixture, workdir, args)
                    result["pass_codes"] = len(chunk)
                    print_step(result)
                    results.append(result)
        finally:
            stop(worker)
        report = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"), "residents": args.residents,
            "steps": results, "goals": {r["users"]: verdict(r) for r in results},
            "configuration": {
                "cores": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
                "gunicorn": f"{args.web_concurrency} workers × 4 threads (the Procfile's web line)",
                "worker": "python -m app.jobs.worker (the Procfile's worker line), running throughout",
                "environment": "production (AZUKARI_ENV=production); production rate limits unchanged",
                "locust": {"users": steps, "duration_seconds": args.duration, "ramp_seconds": args.ramp,
                           "wait_seconds": [args.wait_min, args.wait_max], "mix": MIX},
                "load_average_1min_before": round(load_before[0], 2),
                "postgresql": database_url.split("?")[0].rsplit("/", 1)[-1],
            },
            "seeding": seeding, "batch": batch, "total_seconds": round(time.perf_counter() - started, 1),
        }
        out = ROOT / "bench" / "results" / f"load-{japan_today().isoformat()}-{args.residents}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
        print("\n=== summary")
        for r in results:
            o = r["tasks"].get("overall", {})
            print(f"  {r['users']:>4} users: {o.get('requests', 0):>7} requests, {o.get('error_rate', 0) * 100:.2f}% "
                  f"errors, p50 {_fmt(o.get('p50_ms'))} ms, p95 {_fmt(o.get('p95_ms'))} ms, "
                  f"p99 {_fmt(o.get('p99_ms'))} ms — " + "; ".join(verdict(r)))
        print(f"\nwritten: {out.relative_to(ROOT)} (total {report['total_seconds']:.0f} s)")
        succeeded = True
        return 0
    finally:
        bench_feed.clean_up(workdir, "gunicorn, worker and locust logs, fixtures", database_url, pg_folder,
                            keep=args.keep, succeeded=succeeded)


if __name__ == "__main__":
    sys.exit(main())
