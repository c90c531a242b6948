"""Two indicators about what the pilot changed (docs/ebpm.md, "P" and "Q").

- **Participation around a first recommendation (P)**: the households to whom the feed first recommended a kind of
  event or coupon in the month before the release's month (so the 4 weeks after are complete by its end), and the
  events they joined and coupons they used of that kind per household in the 4 weeks before and the 4 weeks from it.
- **Satisfaction (Q)**: how easy finding information on raising children is, before and after the pilot (the same
  households in both surveys), and the satisfaction with the support services used (after).

Every figure is a count of households (shown from 10) or a mean over at least 10 of them (rule 5); no table here
adds up to a shown total, so there is nothing to subtract (each cell's households are kept for the differencing
check like every other cell).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from app import months
from app.disclosure import control

PARTICIPATION = "participation"
SATISFACTION = "satisfaction"
ITEMS = ("recommendation_response", "childcare_satisfaction")


def cells_and_values(values: Mapping[Any, Mapping[str, Any]], month: str
                     ) -> tuple[dict[str, dict[str, set[str]]], dict[str, dict[str, list[tuple[float | None, float | None]]]]]:
    """({table: {cell: households}}, {table: {cell: [(before, after)] of each household}})."""
    cells: dict[str, dict[str, set[str]]] = {PARTICIPATION: defaultdict(set), SATISFACTION: defaultdict(set)}
    pairs: dict[str, dict[str, list[tuple[float | None, float | None]]]] = {PARTICIPATION: defaultdict(list),
                                                                             SATISFACTION: defaultdict(list)}
    first_month = months.shift(month, -1)
    for resident_id, items in values.items():
        key = str(resident_id)
        for entry in items.get("recommendation_response") or ():
            if entry["month"] == first_month:
                cells[PARTICIPATION][entry["category"]].add(key)
                pairs[PARTICIPATION][entry["category"]].append((entry["before"], entry["after"]))
        for measure, (before, after) in (items.get("childcare_satisfaction") or {}).items():
            if after is not None:  # paired measures need both; a post-only measure has no before
                cells[SATISFACTION][measure].add(key)
                pairs[SATISFACTION][measure].append((before, after))
    return ({table: dict(found) for table, found in cells.items()},
            {table: dict(found) for table, found in pairs.items()})


def _mean(values: list[float]) -> float | None:
    return control.mean(values)


def payload_of(pairs: Mapping[str, Mapping[str, list[tuple[float | None, float | None]]]]) -> dict[str, Any]:
    """The two tables as they may be shown: per cell the households (from 10), the means before and after and the
    mean change (each over at least 10 households with both values)."""
    payload: dict[str, Any] = {}
    for table, found in pairs.items():
        cells = []
        for key in sorted(found):
            rows = found[key]
            both = [(b, a) for b, a in rows if b is not None and a is not None]
            afters = [a for _b, a in rows if a is not None]
            # With pairs, every mean is over them (so the change is after − before); a post-only measure has none.
            after = _mean([a for _b, a in both]) if both else _mean(afters)
            cells.append({"key": key, "count": control.shown_count(len(rows)), "percent": None,
                          "paired": control.shown_count(len(both)), "before": _mean([b for b, _a in both]),
                          "after": after, "change": _mean([a - b for b, a in both])})
        payload[table] = {"total": None, "suppressed": False, "exclusive": False, "cells": cells}
    return payload
