"""Rule 3 against the audit by linear programming, over random tables: no published cell is from 1 to 9, and every
hidden cell's feasible range (given the shown cells, the total and, when a figure gives them away, the group sums)
is at least 10 wide. The audit itself is checked on tables whose answer is known by hand."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from app.disclosure import exclusive_table, group_table
from app.disclosure.audit import feasible_ranges, protected
from app.disclosure.control import THRESHOLD, Cell, Table

# Counts as surveys give them: many zeros and small cells, some large.
COUNT = st.one_of(st.just(0), st.integers(1, 9), st.integers(10, 60))
TABLES = st.lists(COUNT, min_size=2, max_size=8)
GROUP_OF = {0: "a", 1: "a", 2: "a", 3: "b", 4: "b", 5: "b", 6: "c", 7: "c"}


def no_small_cell_published(table: Table) -> bool:
    return all(cell.count is None or not 0 < cell.count < THRESHOLD for cell in table.cells)


@settings(max_examples=300, deadline=None)
@given(TABLES)
def test_every_hidden_cell_of_an_exclusive_table_keeps_a_range_of_10(counts) -> None:  # type: ignore[no-untyped-def]
    pairs = list(enumerate(counts))
    table = exclusive_table(pairs)
    assert no_small_cell_published(table)
    if not table.suppressed:
        ranges = feasible_ranges(pairs, table)
        assert protected(ranges), (counts, ranges)


@settings(max_examples=300, deadline=None)
@given(TABLES)
def test_with_the_group_sums_given_away_every_hidden_cell_still_keeps_a_range_of_10(counts) -> None:  # type: ignore[no-untyped-def]
    pairs = list(enumerate(counts))
    groups = sorted({GROUP_OF[key] for key, _count in pairs})
    table = exclusive_table(pairs, GROUP_OF)
    assert no_small_cell_published(table)
    sums = group_table(pairs, GROUP_OF, groups)
    if table.suppressed or not all(cell.shown for cell in sums.cells):
        return  # the figure that gives the group sums away is not shown; the table alone is checked above
    ranges = feasible_ranges(pairs, table, GROUP_OF)
    assert protected(ranges), (counts, ranges)


def test_the_audit_finds_what_subtraction_gives_away() -> None:
    pairs = [("a", 30), ("b", 3), ("c", 12)]
    leaky = Table((Cell("a", 30), Cell("b", None), Cell("c", 12)), 45, True)  # the old mistake: one cell hidden alone
    assert feasible_ranges(pairs, leaky) == {"b": (3, 3)}
    assert not protected(feasible_ranges(pairs, leaky))
    narrow = Table((Cell("a", 30), Cell("b", None), Cell("c", None)), 45, True)
    assert feasible_ranges([("a", 30), ("b", 1), ("c", 1)] if False else pairs, narrow) == {"b": (1, 14), "c": (1, 14)}


def test_without_a_known_total_nothing_caps_a_hidden_cell() -> None:
    pairs = [("a", 30), ("b", 3)]
    table = Table((Cell("a", 30), Cell("b", None)), None, False)
    assert feasible_ranges(pairs, table) == {"b": (1, math.inf)}
