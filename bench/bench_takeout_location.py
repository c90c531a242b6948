"""The Google Location History import benchmark (`make bench`; bench/README.md says how to run it).

    .venv/bin/python bench/bench_takeout_location.py [--points 20000,200000] [--cache DIR] [--seed N] [--keep]

For each size N (default 1,000,000), two synthetic Takeout zips holding the same N points (bench/takeout_location_gen.py,
each made in its own process): `Location History.json` in the old `timestampMs` layout ("e7") and `Records.json`
("iso"). On them, in the same run, processes timed from start to exit (interpreter start-up and imports included):

- ours-e7, ours-iso: `flask --app app exports import ZIP --resident hanako@example.jp` into a fresh SQLite file (schema
  by `alembic upgrade head`, `flask consent load-catalogue`, `flask demo seed`, all before the clock starts).
  Whether ours can read a Takeout yet is probed first with a 10-point file: until the Location History parser lands
  it refuses ("not_found"/"not_supported") and the output says "ours: not available yet", the peer still runs.
- peer-e7: `google-takeout-to-sqlite location-history peer.db ZIP` (PyPI 0.2; its `json.load()` holds the whole
  file). It reads only the e7 layout at its one fixed path; it is also run on the Records.json zip, where it stops at
  once, and that is reported, not timed. It cannot share the project's venv (it pins sqlite-utils ~=1.11, which
  healthkit-to-sqlite in the `bench` extra cannot use), so it lives in a venv of its own, .venv/peers/, which this
  script makes (untimed) the first time.

Figures: wall seconds, points/s (N ÷ wall), peak RSS of that process and its helpers together (ours has a reader
process: the largest sum, sampled every 20 ms, never below os.wait4's figure; measured through the same small launcher
as bench_health_import.py: Linux carries a parent's peak RSS into its children's, so nothing measured is started by
this process), ours ÷ peer points/s on the e7 file. The goals (ours ≥ 3× the peer's points/s on the e7 file; ours peak RSS
≤ 150 MB on both files) are checked and a "GOAL MISSED" line printed for each one missed; the exit status is 0 whatever
the figures. The figures also go to bench/results/takeout-location-DATE-SIZES.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import bench_health_import as common  # the launcher, the database preparation, the helpers
import takeout_location_gen as gen
from bench_health_import import (
    BENCH,
    FLASK,
    PYTHON,
    RESIDENT,
    ROOT,
    Run,
    app_env,
    copy_database,
    fmt,
    prepare_database,
    ratio,
    table_counts,
    tail,
    timed,
    warm,
)

DEFAULT_POINTS = (1_000_000,)
CACHE_ENV = "BENCH_TAKEOUT_CACHE"
LAYOUT_FILES = {"e7": "Location History.json", "iso": "Records.json"}

# The peer, pinned. Not in pyproject's `bench` extra: google-takeout-to-sqlite 0.2 requires sqlite-utils ~=1.11,
# healthkit-to-sqlite 1.0.1 (already there) sqlite-utils >=2.4.4, so pip cannot install both in one environment.
PEER_VERSION = "0.2"
PEER_REQUIREMENTS = (f"google-takeout-to-sqlite=={PEER_VERSION}", "sqlite-utils==1.12.1")
PEER_VENV = ROOT / ".venv" / "peers" / f"google-takeout-to-sqlite-{PEER_VERSION}"
PEER = PEER_VENV / "bin" / "google-takeout-to-sqlite"
PEER_TABLE = "location_history"

# The goals.
PEER_RATIO_GOAL = 3.0  # ours points/s ≥ 3 × the peer's, on the file the peer reads
RSS_GOAL_MB = 150.0  # ours peak RSS, both layouts, every size

OUR_TABLE = "location_point"  # the rows ours stores per point (migration b0813f93c1fe); else the table that grew most
# What ours says while the Takeout parsers are still landing: a refusal, or one of their modules missing.
NOT_YET = ("not_found", "not_supported", "No module named 'app.imports.google")


# --------------------------------------------------------------------------- the peer's environment


def ensure_peer() -> str:
    """Make the peer's venv if it is missing (not timed); "" when the peer is there, else why it is not."""
    if PEER.exists():
        return ""
    print(f"  installing the peer into {PEER_VENV.relative_to(ROOT)} ({', '.join(PEER_REQUIREMENTS)}; not timed)")
    shutil.rmtree(PEER_VENV, ignore_errors=True)
    steps = ([PYTHON, "-m", "venv", str(PEER_VENV)],
             [str(PEER_VENV / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", *PEER_REQUIREMENTS])
    for step in steps:
        result = subprocess.run(step, cwd=ROOT, capture_output=True, text=True)
        if result.returncode != 0:
            return f"{' '.join(step[:3])} … failed ({result.returncode}): {tail(result.stderr or result.stdout, 2)}"
    return "" if PEER.exists() else f"{PEER} is missing after the install"


# --------------------------------------------------------------------------- the Takeouts


def generator_version() -> str:
    """A cached file is reused only if made by the same generator source."""
    return hashlib.sha256((BENCH / "takeout_location_gen.py").read_bytes()).hexdigest()[:10]


def takeout_file(points: int, layout: str, seed: int, folder: Path, workdir: Path) -> tuple[Path, dict[str, Any]]:
    path = folder / f"takeout-location-{layout}-{points}-seed{seed}-{generator_version()}.zip"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        meta["reused"] = True
        print(f"  reusing {path}")
        return path, meta
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.zip")
    run = timed(f"generate-{layout}-{points}", [PYTHON, str(BENCH / "takeout_location_gen.py"), "--points", str(points),
                                                "--layout", layout, "--out", str(partial), "--seed", str(seed), "--json"],
                dict(os.environ), workdir)
    if not run.ok:
        raise RuntimeError(f"the generator failed ({run.exit_code}):\n{tail(run.stderr, 20)}")
    meta = json.loads(run.stdout.strip().splitlines()[-1])
    meta.update(generator_wall_s=round(run.wall_s, 2), generator_peak_rss_mb=round(run.peak_rss_mb, 1), reused=False)
    partial.rename(path)
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
    print(f"  generated {path.name}: {run.wall_s:.1f} s, generator peak RSS {run.peak_rss_mb:.0f} MB")
    return path, meta


# --------------------------------------------------------------------------- ours


def import_command(takeout: Path) -> list[str]:
    return [*FLASK, "exports", "import", str(takeout), "--resident", RESIDENT]


def run_ours(layout: str, takeout: Path, points: int, workdir: Path, template: Path) -> Run:
    database = workdir / f"ours-{layout}-{points}.db"
    copy_database(template, database)
    before = table_counts(database)
    run = timed(f"ours-{layout}-{points}", import_command(takeout), app_env(workdir, database), workdir)
    run.note = f"exports import ({LAYOUT_FILES[layout]})"
    if not run.ok:
        return run
    after = table_counts(database)
    grown = {name: after[name] - before.get(name, 0) for name in after if after[name] != before.get(name, 0)}
    run.extra["rows_added"] = dict(sorted(grown.items(), key=lambda item: -item[1]))
    run.extra["database_mb"] = round(sum(Path(f"{database}{s}").stat().st_size for s in ("", "-wal")
                                         if Path(f"{database}{s}").exists()) / 2**20, 1)
    try:
        summary = json.loads(run.stdout)
        run.extra["summary"] = {key: summary.get(key) for key in ("format", "counts", "stored", "duplicates", "skipped",
                                                                  "formats", "warnings", "date_range")}
    except ValueError as error:
        run.extra["summary"] = f"unreadable output ({error})"
    run.records = grown.get(OUR_TABLE, max(grown.values(), default=0))
    return run


def probe_ours(workdir: Path, template: Path) -> tuple[bool, str]:
    """Whether `exports import` stores a 10-point Takeout yet; and if not, why (one line)."""
    probe = workdir / "probe" / "takeout-probe.zip"
    gen.write_takeout(probe, 10, layout="e7")
    database = workdir / "probe.db"
    copy_database(template, database)
    result = subprocess.run(import_command(probe), cwd=ROOT, env=app_env(workdir, database), capture_output=True, text=True)
    reason = tail(result.stderr or result.stdout, 1)
    if result.returncode != 0:
        if any(marker in result.stderr for marker in NOT_YET):
            return False, f"not available yet (the Takeout Location History import has not landed): {reason}"
        return False, f"not available: the 10-point probe failed (exit {result.returncode}): {reason}"
    stored = table_counts(database).get(OUR_TABLE)
    if stored != 10:
        return True, f"NOTE the 10-point probe stored {stored} rows in {OUR_TABLE}, not 10"
    return True, ""


# --------------------------------------------------------------------------- the peer


def run_peer(layout: str, takeout: Path, points: int, workdir: Path) -> Run:
    database = workdir / f"peer-{layout}-{points}.db"
    database.unlink(missing_ok=True)
    run = timed(f"peer-{layout}-{points}", [str(PEER), "location-history", str(database), str(takeout)],
                dict(os.environ), workdir)
    run.note = f"google-takeout-to-sqlite {PEER_VERSION} ({LAYOUT_FILES[layout]})"
    if run.ok:
        run.records = table_counts(database).get(PEER_TABLE, 0)
        run.extra["database_mb"] = round(database.stat().st_size / 2**20, 1)
    return run


STARTUP_LABELS = {"ours": "flask --app app exports --help", "peer": "google-takeout-to-sqlite --help"}


def startup(ours: bool, peer: bool, workdir: Path) -> dict[str, Run]:
    """Each tool doing nothing (`--help`): the start-up inside every wall time below."""
    runs = {}
    if peer:
        runs["peer"] = timed("startup-peer", [str(PEER), "--help"], dict(os.environ), workdir)
    if ours:
        runs["ours"] = timed("startup-ours", [*FLASK, "exports", "--help"], app_env(workdir, workdir / "startup.db"), workdir)
    return runs


# --------------------------------------------------------------------------- report


def net_per_s(run: Run, points: int, idle: dict[str, Run]) -> float | None:
    """Points/s once the tool's own start-up (measured alone) is taken out: for reading, not for the goals."""
    alone = idle.get(run.name.split("-")[0])
    net = run.wall_s - alone.wall_s if alone is not None and alone.ok else None
    return points / net if run.ok and net is not None and net > 0 else None


def size_figures(points: int, runs: dict[str, Run], idle: dict[str, Run]) -> dict[str, Any]:
    peer = runs.get("peer-e7")
    peer_rps = peer.records_per_s(points) if peer else None
    return {
        "points": points,
        "runs": {name: {**asdict(run), "stdout": tail(run.stdout, 5), "stderr": tail(run.stderr, 5),
                        "points_per_s": run.records_per_s(points), "points_per_s_net_of_startup": net_per_s(run, points, idle)}
                 for name, run in runs.items()},
        "ours_to_peer_points_per_s": {layout: ratio(runs[f"ours-{layout}"].records_per_s(points), peer_rps)
                                      for layout in ("e7", "iso") if f"ours-{layout}" in runs},
    }


def print_size(points: int, metas: dict[str, dict[str, Any]], runs: dict[str, Run], figures: dict[str, Any],
               idle: dict[str, Run], ours_note: str) -> None:
    e7, iso = metas["e7"], metas["iso"]
    print(f"\n{points:,} points, {e7['first'][:10]} – {e7['last'][:10]} ({e7['days']:,} days, "
          f"{e7['with_activity']:,} with an activity) — Location History.json {e7['json_bytes'] / 2**20:.0f} MiB in a "
          f"{e7['zip_bytes'] / 2**20:.1f} MiB zip; Records.json {iso['json_bytes'] / 2**20:.0f} MiB in a "
          f"{iso['zip_bytes'] / 2**20:.1f} MiB zip")
    print(f"  {'':<9}{'what':<52}{'wall s':>8}{'points/s':>11}{'peak RSS MB':>13}  {'ratio':<13}(points/s net of start-up)")
    for name, run in runs.items():
        if name == "peer-iso":
            continue
        layout = name.split("-")[1]
        ratio_text = fmt(figures["ours_to_peer_points_per_s"].get(layout), ".1f", "× peer") if name.startswith("ours") else ""
        status = "" if run.ok else f"  FAILED (exit {run.exit_code})"
        print(f"  {name:<9}{run.note:<52}{run.wall_s:>8.2f}{fmt(run.records_per_s(points), ',.0f'):>11}"
              f"{run.peak_rss_mb:>13.1f}  {ratio_text:<13}({fmt(net_per_s(run, points, idle), ',.0f')}){status}")
        if not run.ok:
            print("    " + tail(run.stderr or run.stdout, 4).replace("\n", "\n    "))
        elif run.records is not None and run.records != points:
            print(f"    note: {name} stored {run.records:,} points, not {points:,}")
        if run.peak_rss_mb <= run.spawner_peak_mb + 1:
            print(f"    note: {name}'s peak RSS is not above the launcher's own ({run.spawner_peak_mb:.0f} MB), "
                  "which Linux carries over to children: the real figure may be lower")
    if "ours-e7" not in runs:
        print(f"  ours     {ours_note}")
    for name in ("ours-e7", "ours-iso"):
        run = runs.get(name)
        if run is not None and run.extra.get("rows_added"):
            added = ", ".join(f"{table} +{count:,}" for table, count in list(run.extra["rows_added"].items())[:4])
            print(f"    {name} stored: {added} (database {run.extra['database_mb']} MB)")
    peer = runs.get("peer-e7")
    if peer is not None and peer.ok:
        print(f"    peer-e7 stored: {PEER_TABLE} +{peer.records:,} (database {peer.extra['database_mb']} MB; id, latitude, "
              "longitude, accuracy, timestampMs, when: no altitude, velocity, heading or activity)")
    peer_iso = runs.get("peer-iso")
    if peer_iso is not None:
        outcome = (f"exit {peer_iso.exit_code} after {peer_iso.wall_s:.2f} s: {tail(peer_iso.stderr, 1)}" if not peer_iso.ok
                   else f"stored {peer_iso.records:,} points")
        print(f"    peer on Records.json (not a goal): {outcome}")


def goals(per_size: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for figures in per_size:
        n = figures["points"]
        peer_ratio = figures["ours_to_peer_points_per_s"].get("e7")
        out.append({"goal": f"{n:,}: ours ≥ {PEER_RATIO_GOAL:g}× the peer's points/s (Location History.json)",
                    "value": peer_ratio, "met": peer_ratio is not None and peer_ratio >= PEER_RATIO_GOAL,
                    "shown": fmt(peer_ratio, ".2f", "×")})
        for layout in ("e7", "iso"):
            ours = figures["runs"].get(f"ours-{layout}") or {}
            rss = ours.get("peak_rss_mb") if ours.get("exit_code") == 0 else None
            out.append({"goal": f"{n:,}: ours peak RSS ≤ {RSS_GOAL_MB:g} MB ({LAYOUT_FILES[layout]})", "value": rss,
                        "met": rss is not None and rss <= RSS_GOAL_MB, "shown": fmt(rss, ".1f", " MB")})
    return out


def print_goals(results: list[dict[str, Any]]) -> None:
    print("\nGoals")
    for goal in results:
        print(f"  {'met   ' if goal['met'] else 'MISSED'}  {goal['goal']}: {goal['shown']}")
    for goal in results:
        if not goal["met"]:
            print(f"GOAL MISSED: {goal['goal']}: {goal['shown']}")


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", default=",".join(map(str, DEFAULT_POINTS)),
                        help="comma-separated point counts (default: %(default)s)")
    parser.add_argument("--cache", type=Path, default=os.environ.get(CACHE_ENV) or None,
                        help=f"keep the generated zips here and reuse them (or ${CACHE_ENV}; default: a temporary "
                             "folder, removed); e.g. bench/results/takeouts")
    parser.add_argument("--seed", type=int, default=gen.DEFAULT_SEED)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (databases, outputs)")
    args = parser.parse_args()
    sizes = sorted(int(size.replace("_", "")) for size in args.points.split(","))

    workdir = Path(tempfile.mkdtemp(prefix="azukari-bench-takeout-"))
    cache = Path(args.cache).resolve() if args.cache else workdir / "takeouts"
    started, load_before = time.perf_counter(), os.getloadavg()
    try:
        print(f"Google Location History import: {', '.join(f'{n:,}' for n in sizes)} points; work folder {workdir}")
        print(f"  {os.cpu_count()} cores, Python {platform.python_version()}, load average {load_before[0]:.2f}; "
              "every wall time is the whole process, interpreter start-up and imports included")
        if load_before[0] > 0.5 * (os.cpu_count() or 1):
            print(f"  NOTE: load average {load_before[0]:.2f} on {os.cpu_count()} cores: other work is running, so the wall "
                  "times and the ratio are not reliable (the peak RSS figures are)")
        peer_missing = ensure_peer()
        if peer_missing:
            print(f"  peer: not available, skipped: {peer_missing}")
        print("--- schema, consent catalogue and demo residents (not timed)")
        template = prepare_database(workdir)
        ours_ok, ours_note = probe_ours(workdir, template)
        print(f"  ours: {ours_note or 'exports import stores a 10-point Takeout'}")
        print("--- start-up alone (each tool doing nothing)")
        idle = startup(ours_ok, not peer_missing, workdir)
        for name, run in idle.items():
            print(f"  {name:<6} {STARTUP_LABELS[name]:<44}{run.wall_s:>6.2f} s {run.peak_rss_mb:>6.0f} MB"
                  + ("" if run.ok else f" (exit {run.exit_code})"))
        per_size, all_metas = [], []
        for points in sizes:
            print(f"--- {points:,} points")
            files, metas = {}, {}
            for layout in ("e7", "iso"):
                files[layout], metas[layout] = takeout_file(points, layout, args.seed, cache, workdir)
                if metas[layout]["points"] != points:
                    raise RuntimeError(f"{files[layout]} holds {metas[layout]['points']} points, not {points}")
                warm(files[layout])
            runs: dict[str, Run] = {}
            if not peer_missing:
                runs["peer-e7"] = run_peer("e7", files["e7"], points, workdir)
            if ours_ok:
                for layout in ("e7", "iso"):
                    runs[f"ours-{layout}"] = run_ours(layout, files[layout], points, workdir, template)
            if not peer_missing:
                runs["peer-iso"] = run_peer("iso", files["iso"], points, workdir)
            runs = {name: runs[name] for name in ("ours-e7", "ours-iso", "peer-e7", "peer-iso") if name in runs}
            figures = size_figures(points, runs, idle)
            print_size(points, metas, runs, figures, idle, ours_note)
            per_size.append(figures)
            all_metas.append(metas)
            if not args.keep:
                for database in workdir.glob(f"*-{points}.db*"):
                    database.unlink()
        results = goals(per_size)
        if ours_ok:
            print_goals(results)
        else:
            print(f"\nGOAL MISSED: ours {ours_note}; no goal can be checked")
        common.print_rss_note(per_size)
        peer = " + ".join(PEER_REQUIREMENTS) if not peer_missing else f"missing: {peer_missing}"
        out = common.write_results("takeout-location", sizes, load_before=load_before, started=started, idle=idle,
                                   peer=peer, ours_available=ours_ok, ours_note=ours_note, takeouts=all_metas,
                                   per_size=per_size, goals=results)
        print(f"written: {out.relative_to(ROOT)} (total {time.perf_counter() - started:.0f} s)")
        return 0
    finally:
        common.close_launcher()
        if args.keep:
            print(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
