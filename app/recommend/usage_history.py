"""How the feed uses the consent item `service_usage_history` (read through the door): a service the household
already used says so on its card, and a one-time service (a check-up, the newborn visit) every child concerned has
used is no longer urged (status `done`). Pure: the item's value in, the feed's results out.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

# Services used once per child — or twice (the two infant check-ups): once done, the feed stops urging them.
ONE_TIME = {"svc_kenshin_1m": 1, "svc_nyuji_kenshin": 2, "svc_kenshin_1y6m": 1, "svc_kenshin_3y": 1,
            "svc_akachan_homon": 1}
URGED = ("eligible", "soon", "check")
DONE = "done"


def used_reason(used_on: str, *, done: bool) -> dict[str, str]:
    year, month = int(used_on[:4]), int(used_on[5:7])
    english = f"{date(year, month, 1):%B %Y}"
    if done:
        return {"ja": f"受診・利用済みです（{year}年{month}月）", "en": f"Already done ({english})"}
    return {"ja": f"利用履歴があります（{year}年{month}月）", "en": f"You used it ({english})"}


def _same_child(birth_text: str, child: str | None) -> bool:
    """A household child's birth date ("2024-04-01", or "2024-04" when only the month is known) and a record's."""
    return child is not None and (child == birth_text or (len(birth_text) == 7 and child.startswith(birth_text)))


def _done(result: dict[str, Any], uses: list[dict[str, Any]], birth_dates: list[str], times: int) -> bool:
    children = [birth_dates[i] for i in result.get("child_indexes") or () if i < len(birth_dates)]
    return bool(children) and all(
        sum(_same_child(birth, use.get("child_birth_date")) for use in uses) >= times for birth in children)


def annotate(results: list[dict[str, Any]], history: list[dict[str, Any]] | None,
             birth_dates: list[str]) -> list[dict[str, Any]]:
    """The feed's service results with what the history says (pure; results are changed in place and returned):
    a used service gets a first reason "You used it (month)"; a one-time service that every child concerned has
    used (a check-up done) is no longer urged — its status becomes `done`."""
    if not history:
        return results
    by_service: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for use in history:
        by_service[use["service_id"]].append(use)
    for result in results:
        uses = by_service.get(result["service_id"])
        if not uses:
            continue
        latest = max(use["used_on"] for use in uses)
        times = ONE_TIME.get(result["service_id"])
        done = bool(times) and result["status"] in URGED and _done(result, uses, birth_dates, times or 0)
        if done:
            result["status"] = DONE
            result["soon_from"] = None
        result["used_on"] = latest
        result["reasons"] = [used_reason(latest, done=done), *result["reasons"]]
    return results
