"""The audit of what a table lets a reader work out: for each hidden cell, the smallest and the largest value it can
have given everything shown — the shown cells, the total, the group sums a figure gives away — knowing that a hidden
cell is at least 1 (a zero is shown). Solved by linear programming (scipy's HiGHS). A table passes when every hidden
cell's range is at least THRESHOLD wide, so no hidden count can be pinned down to within ±5 of itself, whatever a
reader combines. The tests run it over random tables; a release of statistics (EBPM) can run it before publishing.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence

from app.disclosure.control import THRESHOLD, Table


def feasible_ranges(counts: Sequence[tuple[Hashable, int]], table: Table,
                    group_of: Mapping[Hashable, Hashable] | None = None) -> dict[Hashable, tuple[float, float]]:
    """{hidden cell's key: (lowest, highest)} for `table` as built from `counts` (the true counts, in the table's
    order). The table's total is a known sum when it is shown; with `group_of`, so is each group's (pass it only
    when a shown figure gives the group sums away)."""
    from scipy.optimize import linprog  # a large import, for the audit only

    keys = [key for key, _count in counts]
    true = dict(counts)
    shown = {cell.key: cell.count for cell in table.cells if cell.shown}
    hidden = [key for key in keys if key not in shown]
    if not hidden:
        return {}
    sums: list[list[Hashable]] = []
    if table.total is not None:
        sums.append(keys)
    if group_of:
        groups: dict[Hashable, list[Hashable]] = {}
        for key in keys:
            groups.setdefault(group_of.get(key, ("cell", key)), []).append(key)
        sums += list(groups.values())
    rows, values = [], []
    for members in sums:
        inside = [key for key in members if key in hidden]
        if inside:
            rows.append([1.0 if key in inside else 0.0 for key in hidden])
            values.append(float(sum(true[key] for key in members) - sum(shown[key] for key in members if key in shown)))
    ranges: dict[Hashable, tuple[float, float]] = {}
    for position, key in enumerate(hidden):
        bounds = []
        for sign in (1.0, -1.0):
            objective = [0.0] * len(hidden)
            objective[position] = sign
            result = linprog(objective, A_eq=rows or None, b_eq=values or None, bounds=[(1, None)] * len(hidden),
                             method="highs")
            if result.status == 3:  # unbounded: nothing caps it
                bounds.append(math.inf if sign < 0 else 1.0)
            elif result.status != 0:
                raise RuntimeError(f"the audit's program failed for {key!r}: {result.message}")
            else:
                bounds.append(sign * result.fun)
        ranges[key] = (bounds[0], bounds[1])
    return ranges


def protected(ranges: Mapping[Hashable, tuple[float, float]]) -> bool:
    return all(high - low >= THRESHOLD for low, high in ranges.values())
