"""One recipient's excess does not slow another's requests (issue 14, security anchor I2): client B's latency on the
resource API while client A floods it, against B alone in the same run (the peer).

    .venv/bin/python bench/bench_api_fairness.py [--seconds 60] [--rate 5] [--connections 16] [--flood-rates 30,100]

A throwaway PostgreSQL with the schema, the demo and 200 residents; four recipient systems registered for the city's
offer with residents' consent (bench/load.py's set-up); gunicorn from the Procfile's web line in production settings,
production limits unchanged (600 requests a minute per client, 120 per client and resident). Client B asks
GET /api/v1/me --rate times a second, one request at a time over a kept-alive connection, for --seconds: first alone
(the peer), then while wrk floods the same endpoint as client A over --connections connections: at each of
--flood-rates requests a second (30: 3× its limit of 10 a second, the anchor's case; 100: 10×), then as fast as the
server answers (A's answers are counted: 200 until its limit, 429 after). The anchor's goal: B's p95 within 20% of B
alone. Printed: B's p50/p95/p99 in each phase, the ratio to B alone, B's statuses, A's requests and 429s. Tests
carry no timing asserts (docs/security.md I2 cites this bench).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import bench_feed
import feed_http
import load
import requests

from app import create_app
from app.db import get_database

RESIDENTS, CONSENTING = 200, 40  # 40 consenting residents over load.RECIPIENT_CLIENTS clients, round robin


def measure(port: int, tokens: list[str], seconds: float, rate: float) -> dict[str, Any]:
    """Client B: one request every 1/rate s (never two at once), each on a kept-alive connection."""
    http, latencies, statuses = requests.Session(), [], []
    ends, n = time.monotonic() + seconds, 0
    while time.monotonic() < ends:
        began = time.monotonic()
        try:
            status = http.get(f"http://127.0.0.1:{port}/api/v1/me",
                              headers={"Authorization": f"Bearer {tokens[n % len(tokens)]}"}, timeout=30).status_code
        except requests.RequestException:
            status = 0
        latencies.append((time.monotonic() - began) * 1000)
        statuses.append(status)
        n += 1
        time.sleep(max(0.0, began + 1 / rate - time.monotonic()))
    cuts = statistics.quantiles(latencies, n=100)
    return {"requests": len(latencies), "p50_ms": round(statistics.median(latencies), 1), "p95_ms": round(cuts[94], 1),
            "p99_ms": round(cuts[98], 1), "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))}}


def flood(port: int, token: str, seconds: int, connections: int, rate: float | None, workdir: Path,
          result: dict[str, Any]) -> None:
    """wrk as client A; with `rate`, each connection waits between its requests (wrk's delay() hook) so that all of
    them together ask about `rate` a second; without, as fast as the answers come."""
    script = workdir / "flood.lua"
    script.write_text(f"function delay() return {connections * 1000 / rate:.1f} end\n" if rate else "")
    output = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
                             "-H", f"Authorization: Bearer {token}", f"http://127.0.0.1:{port}/api/v1/me"],
                            capture_output=True, text=True, timeout=seconds + 60).stdout
    total = re.search(r"(\d+) requests in", output)
    refused = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result.update(requests=int(total.group(1)) if total else None, refused=int(refused.group(1)) if refused else 0)


def under_flood(port: int, args: argparse.Namespace, a_token: str, b_tokens: list[str], rate: float | None,
                workdir: Path) -> dict[str, Any]:
    flooding: dict[str, Any] = {}
    wrk = threading.Thread(target=flood, args=(port, a_token, args.seconds + 4, args.connections, rate, workdir,
                                               flooding))
    wrk.start()
    time.sleep(2)  # the flood is under way (and A past its limit within the first seconds)
    figures = measure(port, b_tokens, args.seconds, args.rate)
    wrk.join()
    return {**figures, "a_requests": flooding.get("requests"), "a_refused": flooding.get("refused")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rate", type=float, default=5.0, help="client B's requests a second")
    parser.add_argument("--connections", type=int, default=16, help="client A's concurrent connections")
    parser.add_argument("--flood-rates", type=lambda v: [float(r) for r in v.split(",")], default=[30.0, 100.0],
                        help="client A's requests a second in each paced flood (then one flat out)")
    parser.add_argument("--database-url", help="an existing, empty database")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="azukari-fairness-"))
    database_url, pg_folder = bench_feed.start_database(args)
    os.environ.update(bench_feed.production_env(database_url, workdir / "instance"))
    try:
        bench_feed.prepare_schema()
        app = create_app()
        with app.app_context():
            db = get_database(app).new_session()
            try:
                from app.demo.seed import seed as demo_seed

                demo_seed(db, app.config["AZUKARI"])
                db.commit()
                bench_feed.seed(app, RESIDENTS)
                pairs = load.recipients(app, db, CONSENTING)
                tokens = load.mint_tokens(db, pairs, timedelta(hours=1))  # (the whole run: four phases and pauses)
            finally:
                db.close()
        by_client: dict[str, list[str]] = {}
        for (client_id, _), token in zip(pairs, tokens, strict=True):
            by_client.setdefault(client_id, []).append(token)
        client_a, client_b = sorted(by_client)[:2]
        with feed_http.gunicorn(dict(os.environ), workdir / "gunicorn.log") as (port, command):
            print(f"gunicorn: {command}")
            measure(port, by_client[client_b], 3, args.rate)  # warm-up, not counted
            alone = measure(port, by_client[client_b], args.seconds, args.rate)
            phases = {"alone": alone}
            for name, rate in [*((f"A at {r:g}/s", r) for r in args.flood_rates), ("A flat out", None)]:
                phases[name] = under_flood(port, args, by_client[client_a][0], by_client[client_b], rate, workdir)
                time.sleep(62)  # A's minute runs out before the next phase (its hits leave the window)
        print(f"load average (1 min) at the end: {os.getloadavg()[0]:.2f}")
        print(f"client B ({client_b}): {args.rate:g} requests a second for {args.seconds} s; client A ({client_a}): wrk "
              f"over {args.connections} connections; limits {app.config['AZUKARI'].api_requests_per_client} a minute "
              "per client")
        for name, figures in phases.items():
            flood_text = (f"  A: {figures['a_requests']} requests, {figures['a_refused']} refused (429)"
                          if "a_requests" in figures else "")
            print(f"  {name:<14} B: {figures['requests']:>4} requests  p50 {figures['p50_ms']:>6} ms  p95 "
                  f"{figures['p95_ms']:>6} ms  p99 {figures['p99_ms']:>6} ms  {figures['statuses']}{flood_text}")
        for name, figures in list(phases.items())[1:]:
            print(f"  ratio, B's p95 with {name} ÷ B's p95 alone: {figures['p95_ms'] / alone['p95_ms']:.2f} "
                  f"(p50: {figures['p50_ms'] / alone['p50_ms']:.2f})")
        served = all(f["statuses"].get("200", 0) == f["requests"] for f in phases.values())
        print(f"every request of B answered 200 in every phase: {'PASS' if served else 'FAIL'}")
        for name, figures in phases.items():
            if name.startswith("A at"):
                ok = figures["p95_ms"] <= alone["p95_ms"] * 1.2
                print(f"B's p95 within 20% of B alone with {name} (the anchor's goal): {'PASS' if ok else 'FAIL'}")
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        bench_feed.stop_database(pg_folder)


if __name__ == "__main__":
    raise SystemExit(main())
