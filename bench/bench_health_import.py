"""The Apple Health import benchmark (`make bench`; bench/README.md says how to run it).

    .venv/bin/python bench/bench_health_import.py [--sizes 200000,1000000] [--cache DIR] [--seed N] [--keep]

For each size, one synthetic export.zip (bench/health_export_gen.py, made in its own process) and, in the same run and
on the same file, three processes timed from start to exit (interpreter start-up and imports included):

- ours: `flask --app app exports import FILE --resident hanako@example.jp` into a fresh SQLite file database
  (schema by `alembic upgrade head`, then `flask consent load-catalogue` and `flask demo seed` for hanako, all
  before the clock starts). While `exports import` does not exist, `flask --app app exports inspect FILE` (the
  same streaming reader, nothing stored) stands in for it, and the output says so on every line that uses it.
- peer: `healthkit-to-sqlite FILE peer.db -s` (PyPI, the `bench` extra), a new SQLite file each time.
- floor: bench/health_floor.py, a bare lxml iterparse of the export.xml streamed from the zip (the parsing floor).

Figures: wall seconds, records/s (N ÷ wall), peak RSS of that process and its helpers together (the largest sum
of their resident memory, sampled every 20 ms, and never below os.wait4's figure; ours has a reader process; Linux
carries a parent's peak RSS over fork and exec into the child's, so every measured process, the generator included,
is started by a small launcher process whose own peak, ~10 MB, is printed as the floor under the figures), ours ÷ peer
records/s, ours ÷ floor time. The goals are checked
and a "GOAL MISSED" line printed for each one missed; the exit status is 0 whatever the figures (a benchmark, not a
test). The figures also go to bench/results/health-import-DATE-SIZES.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python")
FLASK = [str(VENV_BIN / "flask"), "--app", "app"]
RESIDENT = "hanako@example.jp"
DEFAULT_SIZES = (200_000, 1_000_000)
DEFAULT_SEED = 20261127  # the generator's default
CACHE_ENV = "BENCH_HEALTH_CACHE"
JST = timezone(timedelta(hours=9))

# The goals.
PEER_RATIO_GOAL = 5.0  # ours records/s ≥ 5 × the peer's
FLOOR_RATIO_GOAL = 3.0  # ours wall time ≤ 3 × the floor's
RSS_GOAL_MB = 150.0  # ours peak RSS, at every size
RSS_GROWTH_TOLERANCE = 0.10  # "not growing": largest size's peak ≤ smallest size's + 10 % (run-to-run noise)


@dataclass
class Run:
    """One timed process."""

    name: str
    command: list[str]
    wall_s: float = 0.0
    peak_rss_mb: float = 0.0
    exit_code: int = 0
    stdout: str = ""
    stderr: str = ""
    spawner_peak_mb: float = 0.0  # the launcher's peak RSS when it started the child: a floor under peak_rss_mb
    records: int | None = None  # what the tool says it read or stored
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def records_per_s(self, n: int) -> float | None:
        return n / self.wall_s if self.ok and self.wall_s > 0 else None


def own_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# Linux carries a process's peak RSS over fork and exec into its children's rusage (the mm being replaced at exec is
# the parent's, or a copy of it), so a child's ru_maxrss is at least its parent's peak. This process (the standard
# library alone is ~17 MB) therefore starts nothing it measures: a launcher started first, a bare interpreter (-S -I,
# ~10 MB, below any measured process), does it and reports wall time, exit status and ru_maxrss from os.wait4,
# with its own peak (VmHWM) so that the floor under every figure is known.
LAUNCHER = r"""
import json, os, sys, time
os.chdir(sys.argv[1])
def peak_kb():
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmHWM:")).split()[1])
def tree_rss_kb(pid):
    # the resident memory of a process and of all its descendants at this moment (0 for one that is gone)
    try:
        with open(f"/proc/{pid}/status") as status:
            rss = int(next((line for line in status if line.startswith("VmRSS:")), "VmRSS: 0").split()[1])
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return rss + sum(tree_rss_kb(int(child)) for child in children.read().split())
    except (OSError, ValueError):
        return 0
for line in sys.stdin:
    request = json.loads(line)
    actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
               (os.POSIX_SPAWN_OPEN, 2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)]
    launcher_kb = peak_kb()
    started = time.perf_counter()
    pid = os.posix_spawn(request["argv"][0], request["argv"], request["env"], file_actions=actions)
    tree_kb = 0
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        tree_kb = max(tree_kb, tree_rss_kb(pid))
        time.sleep(0.02)
    wall = time.perf_counter() - started
    print(json.dumps({"wall_s": wall, "exit_code": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss,
                      "tree_kb": tree_kb, "launcher_kb": launcher_kb}), flush=True)
"""


class Launcher:
    def __init__(self) -> None:
        self.process = subprocess.Popen([PYTHON, "-S", "-I", "-c", LAUNCHER, str(ROOT)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, bufsize=1)

    def run(self, argv: list[str], env: dict[str, str], stdout: Path, stderr: Path) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        request = {"argv": argv, "env": env, "stdout": str(stdout), "stderr": str(stderr)}
        self.process.stdin.write(json.dumps(request) + "\n")
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the launcher stopped (exit {self.process.wait()})")
        return json.loads(answer)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


LAUNCH: Launcher | None = None


def close_launcher() -> None:
    global LAUNCH
    if LAUNCH is not None:
        LAUNCH.close()
        LAUNCH = None


def timed(name: str, command: list[str], env: dict[str, str], workdir: Path) -> Run:
    """Run `command` (cwd: the repository) to completion through the launcher: wall time from spawn to exit, and
    the peak RSS of that process alone."""
    global LAUNCH
    if LAUNCH is None:
        LAUNCH = Launcher()
    out_path, err_path = workdir / f"{name}.stdout", workdir / f"{name}.stderr"
    argv = [shutil.which(command[0]) or command[0], *command[1:]]
    answer = LAUNCH.run(argv, env, out_path, err_path)
    # A process with a helper (our import's reader process) is measured as the largest total of both, sampled every
    # 20 ms; os.wait4's figure (the largest single process, helpers included) is the floor of it.
    run = Run(name, command, wall_s=answer["wall_s"], peak_rss_mb=max(answer["maxrss_kb"], answer["tree_kb"]) / 1024,
              exit_code=answer["exit_code"], spawner_peak_mb=answer["launcher_kb"] / 1024)
    run.stdout = out_path.read_text(errors="replace")
    run.stderr = err_path.read_text(errors="replace")
    return run


def check(*command: str, env: dict[str, str]) -> str:
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip()


def tail(text: str, lines: int = 3) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# --------------------------------------------------------------------------- the exports


def generator_version() -> str:
    """A cached file is reused only if made by the same generator source."""
    return hashlib.sha256((BENCH / "health_export_gen.py").read_bytes()).hexdigest()[:10]


def export_file(records: int, seed: int, folder: Path, workdir: Path) -> tuple[Path, dict[str, Any]]:
    path = folder / f"apple-health-{records}-seed{seed}-{generator_version()}.zip"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        meta["reused"] = True
        print(f"  reusing {path}")
        return path, meta
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.zip")
    run = timed(f"generate-{records}", [PYTHON, str(BENCH / "health_export_gen.py"), "--records", str(records),
                                        "--out", str(partial), "--seed", str(seed), "--json"], dict(os.environ), workdir)
    if not run.ok:
        raise RuntimeError(f"the generator failed ({run.exit_code}):\n{tail(run.stderr, 20)}")
    meta = json.loads(run.stdout.strip().splitlines()[-1])
    meta.update(generator_wall_s=round(run.wall_s, 2), generator_peak_rss_mb=round(run.peak_rss_mb, 1), reused=False)
    partial.rename(path)
    meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
    print(f"  generated {path.name}: {run.wall_s:.1f} s, generator peak RSS {run.peak_rss_mb:.0f} MB")
    return path, meta


def warm(path: Path) -> None:
    """Read the file once, so that each tool finds it in the page cache (none pays for the disk)."""
    with path.open("rb") as stream:
        while stream.read(1 << 20):
            pass


# --------------------------------------------------------------------------- ours


def app_env(workdir: Path, database: Path) -> dict[str, str]:
    return {**os.environ, "AZUKARI_ENV": "development", "DATABASE_URL": f"sqlite:///{database}",
            "INSTANCE_PATH": str(workdir / "instance"), "MAIL_BACKEND": "outbox"}


def our_command(env: dict[str, str]) -> tuple[str | None, str]:
    """"import" when `flask exports import` exists, "inspect" (the stand-in) when only that does, else None."""
    result = subprocess.run([*FLASK, "exports", "--help"], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        return None, tail(result.stderr or result.stdout, 2)
    commands = {line.split()[0] for line in result.stdout.split("Commands:", 1)[-1].splitlines() if line.strip()}
    if "import" in commands:
        return "import", ""
    if "inspect" in commands:
        return "inspect", ("`flask exports import` does not exist yet: `flask exports inspect` (same reader, nothing "
                           "stored) stands in")
    return None, f"neither `exports import` nor `exports inspect` in: {sorted(commands)}"


def prepare_database(workdir: Path) -> Path:
    """Schema and hanako, before any clock starts; each size gets a copy."""
    template = workdir / "template.db"
    env = {**app_env(workdir, template), "PASSWORD_HASH_PROFILE": "fast"}  # the demo accounts' hashes, not timed
    check(str(VENV_BIN / "alembic"), "upgrade", "head", env=env)
    print("  " + check(*FLASK, "consent", "load-catalogue", env=env))
    print("  " + check(*FLASK, "demo", "seed", env=env))
    with sqlite3.connect(template) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if not connection.execute("SELECT 1 FROM resident WHERE email = ?", (RESIDENT,)).fetchone():
            raise RuntimeError(f"{RESIDENT} is not in the seeded database")
    connection.close()
    return template


def copy_database(template: Path, target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{template}{suffix}")
        if source.exists():
            shutil.copyfile(source, f"{target}{suffix}")


def table_counts(database: Path) -> dict[str, int]:
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}  # noqa: S608
    finally:
        connection.close()


def run_ours(mode: str, export: Path, records: int, workdir: Path, template: Path | None) -> Run:
    database = workdir / f"ours-{records}.db"
    if mode == "import":
        assert template is not None
        copy_database(template, database)
        command = [*FLASK, "exports", "import", str(export), "--resident", RESIDENT]
    else:
        command = [*FLASK, "exports", "inspect", str(export)]
    before = table_counts(database) if mode == "import" else {}
    run = timed(f"ours-{records}", command, app_env(workdir, database), workdir)
    run.note = "exports import" if mode == "import" else "exports inspect (STAND-IN: nothing stored)"
    if not run.ok:
        return run
    if mode == "inspect":
        try:
            run.records = json.loads(run.stdout)["counts"].get("health_record")
        except (ValueError, KeyError) as error:
            run.note += f"; unreadable output ({error})"
    else:
        after = table_counts(database)
        grown = {name: after[name] - before.get(name, 0) for name in after if after[name] != before.get(name, 0)}
        run.extra["rows_added"] = dict(sorted(grown.items(), key=lambda item: -item[1]))
        run.extra["database_mb"] = round(sum(Path(f"{database}{s}").stat().st_size for s in ("", "-wal")
                                             if Path(f"{database}{s}").exists()) / 2**20, 1)
        try:  # its JSON summary: what it stored (else what it read)
            summary = json.loads(run.stdout)
            run.records = (summary.get("stored") or summary["counts"])["health_record"]
            run.extra["duplicates"] = summary.get("duplicates")
        except (ValueError, KeyError, TypeError, AttributeError):
            run.records = max(grown.values(), default=0)  # the table that grew most (the records, presumably)
    return run


# --------------------------------------------------------------------------- peer and floor


def run_peer(export: Path, records: int, workdir: Path) -> Run:
    database = workdir / f"peer-{records}.db"
    database.unlink(missing_ok=True)
    run = timed(f"peer-{records}", [str(VENV_BIN / "healthkit-to-sqlite"), str(export), str(database), "-s"],
                dict(os.environ), workdir)
    run.note = "healthkit-to-sqlite 1.0.1"
    if run.ok:
        counts = table_counts(database)
        run.records = sum(count for name, count in counts.items() if name.startswith("r"))
        run.extra = {"workouts": counts.get("workouts"), "workout_points": counts.get("workout_points"),
                     "activity_summary": counts.get("activity_summary"),
                     "database_mb": round(database.stat().st_size / 2**20, 1)}
    return run


def run_floor(export: Path, records: int, workdir: Path) -> Run:
    run = timed(f"floor-{records}", [PYTHON, str(BENCH / "health_floor.py"), str(export)], dict(os.environ), workdir)
    run.note = "lxml iterparse, nothing stored"
    if run.ok:
        run.records = json.loads(run.stdout)["records"]
    return run


STARTUP_LABELS = {"ours": "flask --app app exports --help", "peer": "healthkit-to-sqlite --help",
                  "floor": "python -c 'import zipfile, lxml.etree'"}


def startup(mode: str | None, workdir: Path) -> dict[str, Run]:
    """Each tool doing nothing (`--help`, an import of lxml): the start-up inside every wall time below."""
    env = app_env(workdir, workdir / "startup.db")
    runs = {"peer": timed("startup-peer", [str(VENV_BIN / "healthkit-to-sqlite"), "--help"], dict(os.environ), workdir),
            "floor": timed("startup-floor", [PYTHON, "-c", "import zipfile, lxml.etree"], dict(os.environ), workdir)}
    if mode is not None:
        runs["ours"] = timed("startup-ours", [*FLASK, "exports", "--help"], env, workdir)
    return runs


# --------------------------------------------------------------------------- report


def print_rss_note(per_size: list[dict[str, Any]]) -> None:
    floor_mb = max((run["spawner_peak_mb"] for f in per_size for run in f["runs"].values()), default=0.0)
    print(f"\npeak RSS figures are each process's own with its helpers (ours: the reader process); "
          f"the launcher that started them peaked at {floor_mb:.1f} MB "
          "(a lower bound of any figure, which Linux carries over to children)")


def write_results(name: str, sizes: list[int], *, load_before: tuple[float, ...], started: float, peer: str,
                  idle: dict[str, Run], **figures: Any) -> Path:
    """bench/results/NAME-DATE-SIZES.json: the run's figures with the machine it ran on."""
    today = datetime.now(JST)
    out = ROOT / "bench" / "results" / f"{name}-{today.date().isoformat()}-{'-'.join(map(str, sizes))}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "date": today.isoformat(timespec="minutes"), "sizes": sizes, **figures,
        "configuration": {"cores": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
                          "load_average_1min": {"before": round(load_before[0], 2),
                                                "after": round(os.getloadavg()[0], 2)},
                          "database": "SQLite file (development settings)", "peer": peer},
        "startup": {tool: {"wall_s": run.wall_s, "peak_rss_mb": run.peak_rss_mb} for tool, run in idle.items()},
        "bench_peak_rss_mb": own_peak_mb(), "total_seconds": round(time.perf_counter() - started, 1),
    }, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    return out


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return "—" if value is None else f"{value:{spec}}{suffix}"


def net_records_per_s(run: Run, records: int, idle: dict[str, Run]) -> float | None:
    """Records/s once the tool's own start-up (measured alone) is taken out: for reading, not for the goals."""
    alone = idle.get(run.name.split("-")[0])
    net = run.wall_s - alone.wall_s if alone is not None and alone.ok else None
    return records / net if run.ok and net is not None and net > 0 else None


def size_figures(records: int, runs: dict[str, Run], idle: dict[str, Run]) -> dict[str, Any]:
    ours, peer, floor = runs.get("ours"), runs["peer"], runs["floor"]
    ours_rps = ours.records_per_s(records) if ours else None
    return {
        "records": records,
        "runs": {name: {**asdict(run), "stdout": tail(run.stdout, 5), "stderr": tail(run.stderr, 5),
                        "records_per_s": run.records_per_s(records),
                        "records_per_s_net_of_startup": net_records_per_s(run, records, idle)}
                 for name, run in runs.items()},
        "ours_to_peer_records_per_s": ratio(ours_rps, peer.records_per_s(records)),
        "ours_to_floor_time": ratio(ours.wall_s if ours and ours.ok else None, floor.wall_s if floor.ok else None),
    }


def print_size(records: int, meta: dict[str, Any], runs: dict[str, Run], figures: dict[str, Any],
               idle: dict[str, Run]) -> None:
    print(f"\n{records:,} records — export.xml {meta['xml_bytes'] / 2**20:.0f} MiB in a {meta['zip_bytes'] / 2**20:.1f} MiB "
          f"zip; {meta['workouts']:,} workouts ({meta['route_points']:,} route points), {meta['days']:,} days")
    print(f"  {'':<7}{'what':<44}{'wall s':>8}{'records/s':>11}{'peak RSS MB':>13}  {'ratio':<26}"
          "(records/s net of start-up)")
    for name, run in runs.items():
        rps = run.records_per_s(records)
        if name == "ours":
            r = figures["ours_to_peer_records_per_s"], figures["ours_to_floor_time"]
            ratio_text = f"{fmt(r[0], '.1f', '× peer')}, {fmt(r[1], '.2f', '× floor')}"
        else:
            ratio_text = ""
        status = "" if run.ok else f"  FAILED (exit {run.exit_code})"
        net = fmt(net_records_per_s(run, records, idle), ",.0f")
        print(f"  {name:<7}{run.note:<44}{run.wall_s:>8.2f}{fmt(rps, ',.0f'):>11}{run.peak_rss_mb:>13.1f}"
              f"  {ratio_text:<26}({net}){status}")
        if not run.ok:
            print("    " + tail(run.stderr or run.stdout, 6).replace("\n", "\n    "))
        elif run.records is not None and run.records != records:
            print(f"    note: {name} counted {run.records:,} records, not {records:,}")
        if run.peak_rss_mb <= run.spawner_peak_mb + 1:
            print(f"    note: {name}'s peak RSS is not above the launcher's own ({run.spawner_peak_mb:.0f} MB), "
                  "which Linux carries over to children: the real figure may be lower")
    ours = runs.get("ours")
    if ours is not None and ours.extra.get("rows_added"):
        added = ", ".join(f"{name} +{count:,}" for name, count in list(ours.extra["rows_added"].items())[:4])
        print(f"    ours stored: {added} (database {ours.extra['database_mb']} MB)")
    peer = runs["peer"]
    if peer.ok:
        print(f"    peer stored: {peer.records:,} records, {peer.extra['workouts']} workouts, "
              f"{peer.extra['workout_points']:,} route points (database {peer.extra['database_mb']} MB)")


def goals(per_size: list[dict[str, Any]], stand_in: bool) -> list[dict[str, Any]]:
    out = []
    for figures in per_size:
        n = figures["records"]
        ours = figures["runs"].get("ours") or {}
        peer_ratio, floor_ratio = figures["ours_to_peer_records_per_s"], figures["ours_to_floor_time"]
        rss = ours.get("peak_rss_mb") if ours.get("exit_code") == 0 else None
        out += [
            {"goal": f"{n:,}: ours ≥ {PEER_RATIO_GOAL:g}× the peer's records/s", "value": peer_ratio,
             "met": peer_ratio is not None and peer_ratio >= PEER_RATIO_GOAL, "shown": fmt(peer_ratio, ".2f", "×")},
            {"goal": f"{n:,}: ours within {FLOOR_RATIO_GOAL:g}× the floor's time", "value": floor_ratio,
             "met": floor_ratio is not None and floor_ratio <= FLOOR_RATIO_GOAL, "shown": fmt(floor_ratio, ".2f", "×")},
            {"goal": f"{n:,}: ours peak RSS ≤ {RSS_GOAL_MB:g} MB", "value": rss,
             "met": rss is not None and rss <= RSS_GOAL_MB, "shown": fmt(rss, ".1f", " MB")},
        ]
    if len(per_size) >= 2:
        first, last = per_size[0], per_size[-1]
        a, b = (f["runs"].get("ours", {}) for f in (first, last))
        growth = (b["peak_rss_mb"] / a["peak_rss_mb"] - 1) if a.get("exit_code") == 0 and b.get("exit_code") == 0 else None
        out.append({"goal": f"ours peak RSS not growing from {first['records']:,} to {last['records']:,} records "
                            f"(≤ +{RSS_GROWTH_TOLERANCE:.0%})", "value": growth,
                    "met": growth is not None and growth <= RSS_GROWTH_TOLERANCE, "shown": fmt(growth, "+.1%")})
    for goal in out:
        goal["on_stand_in"] = stand_in
    return out


def print_goals(results: list[dict[str, Any]], stand_in: bool) -> None:
    print("\nGoals" + (" (measured on the `exports inspect` STAND-IN, not the import)" if stand_in else ""))
    for goal in results:
        print(f"  {'met   ' if goal['met'] else 'MISSED'}  {goal['goal']}: {goal['shown']}")
    for goal in results:
        if not goal["met"]:
            print(f"GOAL MISSED: {goal['goal']}: {goal['shown']}" + (" (stand-in)" if stand_in else ""))


# --------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="comma-separated record counts (default: %(default)s)")
    parser.add_argument("--cache", type=Path, default=os.environ.get(CACHE_ENV) or None,
                        help=f"keep the generated zips here and reuse them (or ${CACHE_ENV}; default: a temporary "
                             "folder, removed); e.g. bench/results/health-exports")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (databases, outputs)")
    args = parser.parse_args()
    sizes = sorted(int(size.replace("_", "")) for size in args.sizes.split(","))

    workdir = Path(tempfile.mkdtemp(prefix="azukari-bench-health-"))
    cache = Path(args.cache).resolve() if args.cache else workdir / "exports"
    started, load_before = time.perf_counter(), os.getloadavg()
    try:
        print(f"Apple Health import: {', '.join(f'{n:,}' for n in sizes)} records; work folder {workdir}")
        print(f"  {os.cpu_count()} cores, Python {platform.python_version()}, load average {load_before[0]:.2f}; "
              "every wall time is the whole process, interpreter start-up and imports included")
        mode, why = our_command(app_env(workdir, workdir / "probe.db"))
        if mode is None:
            print(f"  ours: the app's CLI is not usable, ours is skipped: {why}")
        elif why:
            print(f"  ours: NOTE {why}")
        template = None
        if mode == "import":
            print("--- schema, consent catalogue and demo residents (not timed)")
            template = prepare_database(workdir)
        print("--- start-up alone (each tool doing nothing)")
        idle = startup(mode, workdir)
        for name, run in idle.items():
            print(f"  {name:<6} {STARTUP_LABELS[name]:<44}{run.wall_s:>6.2f} s {run.peak_rss_mb:>6.0f} MB"
                  + ("" if run.ok else f" (exit {run.exit_code})"))
        per_size, metas = [], []
        for records in sizes:
            print(f"--- {records:,} records")
            export, meta = export_file(records, args.seed, cache, workdir)
            if meta["records"] != records:
                raise RuntimeError(f"{export} holds {meta['records']} records, not {records}")
            warm(export)
            runs = {"floor": run_floor(export, records, workdir), "peer": run_peer(export, records, workdir)}
            if mode is not None:
                runs["ours"] = run_ours(mode, export, records, workdir, template)
            runs = {name: runs[name] for name in ("ours", "peer", "floor") if name in runs}
            figures = size_figures(records, runs, idle)
            print_size(records, meta, runs, figures, idle)
            per_size.append(figures)
            metas.append(meta)
            if not args.keep:
                for database in workdir.glob(f"*-{records}.db*"):
                    database.unlink()
        stand_in = mode == "inspect"
        results = goals(per_size, stand_in) if mode is not None else []
        if mode is None:
            print("\nGOAL MISSED: ours could not run (see above); no goal can be checked")
        else:
            print_goals(results, stand_in)
        print_rss_note(per_size)
        out = write_results("health-import", sizes, load_before=load_before, started=started, idle=idle,
                            peer="healthkit-to-sqlite 1.0.1", ours_mode=mode, ours_note=why, exports=metas,
                            per_size=per_size, goals=results)
        print(f"written: {out.relative_to(ROOT)} (total {time.perf_counter() - started:.0f} s)")
        return 0
    finally:
        close_launcher()
        if args.keep:
            print(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
