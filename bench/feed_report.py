"""The feed benchmark's figures against the issue's goals: a small table on stdout and the same as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from feed_http import WrkResult

FEED_P95_GOAL_MS = 50.0
THROUGHPUT_RATIO_GOAL = 0.5  # feed requests/s ≥ 50% of the baseline's
BATCH_GOAL_S = 60.0


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else "met" if ok else "MISSED"


def goals(feed: WrkResult | None, baseline: WrkResult | None, batch: dict[str, Any]) -> dict[str, Any]:
    ratio = feed.rps / baseline.rps if feed and baseline else None
    batch_s = batch.get("job_seconds")
    return {
        "feed_p95_ms": {"value": feed.p95_ms if feed else None, "goal": f"<= {FEED_P95_GOAL_MS:g}",
                        "met": feed.p95_ms <= FEED_P95_GOAL_MS if feed else None},
        "feed_to_baseline_throughput": {"value": ratio, "goal": f">= {THROUGHPUT_RATIO_GOAL:g}",
                                        "met": ratio >= THROUGHPUT_RATIO_GOAL if ratio is not None else None},
        "batch_seconds": {"value": batch_s, "goal": f"<= {BATCH_GOAL_S:g}",
                          "met": batch_s <= BATCH_GOAL_S if batch_s is not None else None},
    }


def print_report(results: dict[str, Any]) -> None:
    pages: list[WrkResult] = [page for page in (results["http"].get("feed"), results["http"].get("baseline")) if page]
    print()
    configuration = results["configuration"]
    pg, load = configuration["postgresql"], configuration["load_average_1min"]
    print(f"feed benchmark — {results['residents']:,} residents, {results['date']}, {configuration['summary']}")
    print(f"PostgreSQL {pg['server_version'].split()[0]} (shared_buffers {pg['shared_buffers']}, fsync {pg['fsync']}, "
          f"synchronous_commit {pg['synchronous_commit']}); load average {load['before']} before, "
          f"{load['after_http']} after the HTTP runs")
    print(f"{'page':<18}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>10}{'requests':>10}")
    for page in pages:
        print(f"{page.path:<18}{page.p50_ms:>9.1f}{page.p95_ms:>9.1f}{page.p99_ms:>9.1f}{page.rps:>10.1f}{page.requests:>10}")
    if results["http"].get("feeds_computed_during_http"):
        print(f"  ({results['http']['feeds_computed_during_http']:,} feeds were computed during the /feed run)")
    batch = results["batch"]
    if batch.get("available"):
        print(f"batch: {batch['feeds']:,} feeds in {batch['job_seconds']:.1f} s (jobs) / {batch['wall_seconds']:.1f} s "
              f"(wall; {batch.get('parts', 1)} parts, {batch.get('worker_processes', 1)} worker processes) "
              f"= {batch['feeds_per_second']:.0f} feeds/s")
    else:
        print(f"batch: {batch.get('note', 'not run')}")
    print()
    for name, goal in results["goals"].items():
        value = goal["value"]
        shown = "—" if value is None else f"{value:.2f}"
        print(f"  {name:<30}{shown:>10}  goal {goal['goal']:<8} {_verdict(goal['met'])}")


def write_json(results: dict[str, Any], path: Path) -> None:
    def plain(value: Any) -> Any:
        if isinstance(value, WrkResult):
            return {**asdict(value), "rps": value.rps}
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(plain(results), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
