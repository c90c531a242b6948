"""Where the feed's time goes (`bench_feed.py --profile`): the mean time of one request per page in-process; cProfile
of one GET /feed with the feed kept (what the benchmark's wrk run measures) and freshly computed (the first visit
of a day without the batch); and of computing feeds as the batch does, in a transaction that is rolled back."""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from app.accounts.models import Resident
from app.db import get_database
from app.household.ages import japan_today
from app.recommend import feed
from app.sessions import hash_token

TOP = 25
ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = r"/(app|templates)/"
COMPUTED = 100  # feeds computed under the profiler for the batch's share
TIMED = 100  # requests timed per page


def _print(profile: cProfile.Profile, title: str) -> None:
    """The project's own functions by cumulative time (the framework's wrappers would fill the list), then the
    most expensive functions of any origin by their own time."""
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(PROJECT_FILES, TOP)
    stats.sort_stats("tottime").print_stats(10)
    lines = [line for line in out.getvalue().splitlines() if line.strip() and not line.startswith(("   Ordered", "   List"))]
    print(f"\n=== {title}\n" + "\n".join(line.replace(str(ROOT) + "/", "") for line in lines))


def _get(client: Any, cookie: str, path: str = "/feed") -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(path, headers={"Cookie": cookie})
    return (time.perf_counter() - started) * 1000, response.status_code


def _per_request(client: Any, cookies: list[str], path: str) -> dict[str, float]:
    """Mean wall and CPU time of one request in this process, over many residents: unlike wrk's figures, the CPU
    time hardly depends on what else the shared machine is doing."""
    for cookie in cookies[:5]:
        _get(client, cookie, path)
    wall, cpu = time.perf_counter(), time.process_time()
    for cookie in cookies:
        if (status := _get(client, cookie, path)[1]) != 200:
            raise RuntimeError(f"GET {path} answered {status}")
    count = len(cookies)
    return {"wall_ms": (time.perf_counter() - wall) * 1000 / count, "cpu_ms": (time.process_time() - cpu) * 1000 / count}


def _compute(session: Any, residents: list[Resident]) -> None:
    """One batch chunk: `compute_many` with the catalogue read once, where the feed module has it (it is being
    reworked); else one `compute` per resident."""
    day = japan_today()
    if hasattr(feed, "compute_many") and hasattr(feed, "Catalogue"):
        feed.compute_many(session, residents, day, feed.Catalogue.read(session))
    else:
        for resident in residents:
            feed.compute(session, resident, day)


def report(app: Any, tokens: list[str]) -> dict[str, Any]:
    """Call outside any app context: a request inside one shares its `g` (and so the first request's user)."""
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    client = app.test_client(use_cookies=False)  # its own cookie jar would drop the Cookie header we send
    database = get_database(app)
    with database.engine.begin() as connection:
        principal = connection.execute(text("SELECT principal FROM browser_session WHERE token_hash = :h"),
                                       {"h": hash_token(tokens[1])}).scalar_one()
    resident_id = principal.removeprefix("resident:")
    cookie = f"{cookie_name}={tokens[1]}"
    cookies = [f"{cookie_name}={token}" for token in tokens[2:2 + TIMED]]
    timings = {path: _per_request(client, cookies, path) for path in ("/feed", "/bench/baseline")}
    print("\n=== one request in-process (no gunicorn, no wrk), mean over "
          f"{len(cookies)} residents: " + "; ".join(f"{path} {t['wall_ms']:.1f} ms wall, {t['cpu_ms']:.1f} ms CPU"
                                                    for path, t in timings.items()))
    _get(client, cookie)  # templates compiled, catalogue cached: what a warm gunicorn worker has
    profile = cProfile.Profile()
    kept_ms, status = profile.runcall(_get, client, cookie)
    _print(profile, f"GET /feed, feed kept: {kept_ms:.1f} ms under the profiler (status {status})")
    with database.engine.begin() as connection:  # as `feed.invalidate` drops it after a household change
        connection.execute(text("DELETE FROM recommend_feed WHERE resident_id = :r AND day = :d"),
                           {"r": resident_id, "d": japan_today()})
    profile = cProfile.Profile()
    cold_ms, status = profile.runcall(_get, client, cookie)
    _print(profile, f"GET /feed, feed computed in the request: {cold_ms:.1f} ms under the profiler (status {status})")
    with app.app_context():
        seconds, count = _profile_batch(database)
    return {"in_process": timings, "feed_kept_profiled_ms": kept_ms, "feed_computed_profiled_ms": cold_ms,
            "batch_feed_profiled_ms": seconds / count * 1000}


def _profile_batch(database: Any) -> tuple[float, int]:
    session = database.new_session()
    try:
        residents = session.query(Resident).order_by(Resident.id).limit(COMPUTED).all()
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.runcall(_compute, session, residents)
        seconds = time.perf_counter() - started
        _print(profile, f"{len(residents)} feeds computed as the batch does (rolled back): "
                        f"{seconds / len(residents) * 1000:.1f} ms each under the profiler")
    finally:
        session.rollback()
        session.close()
    return seconds, len(residents)
