"""Disclosure control: small counts hidden, the complementary cell of an exclusive table, whole small tables,
percentages only of what is shown, and derived figures only of groups of at least 10."""

from __future__ import annotations

import itertools

import pytest

from app.disclosure import (
    HIDDEN_JA,
    THRESHOLD,
    Suppressed,
    derived,
    exclusive_table,
    export_count,
    export_figure,
    group_table,
    is_small,
    mean,
    overlapping_table,
    percent,
    share_of,
    shown_count,
)


def shown(table) -> dict:  # type: ignore[no-untyped-def]
    return {cell.key: cell.count for cell in table.cells}


# --- single counts --------------------------------------------------------------------------------------------


def test_the_threshold_is_ten():
    assert THRESHOLD == 10


@pytest.mark.parametrize("count, expected", [(0, 0), (1, None), (9, None), (10, 10), (11, 11), (1234, 1234)])
def test_a_count_from_1_to_9_is_hidden_and_zero_is_shown(count, expected):
    assert shown_count(count) == expected
    assert is_small(count) == (expected is None)


def test_a_negative_count_is_a_mistake():
    with pytest.raises(ValueError):
        shown_count(-1)


def test_percentages_only_of_shown_counts_of_a_shown_base():
    assert percent(10, 40) == 25.0
    assert percent(1, 3) == 33.3
    assert percent(None, 40) is None
    assert percent(10, None) is None
    assert percent(0, 0) is None


def test_a_rate_needs_a_shown_count_and_a_base_of_at_least_10():
    assert share_of(10, 200) == 5.0
    assert share_of(9, 200) is None
    assert share_of(0, 200) == 0.0
    assert share_of(5, 9) is None


def test_exports_read_hidden_in_japanese():
    assert export_count(None) == HIDDEN_JA == "10未満のため非表示"
    assert export_count(0) == "0" and export_count(12) == "12"
    assert export_figure(None) == "" and export_figure(25.0) == "25" and export_figure(33.3) == "33.3"


# --- exclusive tables -----------------------------------------------------------------------------------------


def test_a_table_without_small_cells_is_shown_whole_with_percentages():
    table = exclusive_table({"a": 30, "b": 10, "c": 0})
    assert shown(table) == {"a": 30, "b": 10, "c": 0}
    assert table.total == 40 and not table.suppressed and table.exclusive
    assert [cell.percent for cell in table.cells] == [75.0, 25.0, 0.0]


def test_one_small_cell_takes_the_next_smallest_non_zero_cell_with_it():
    table = exclusive_table({"a": 30, "b": 12, "c": 9, "d": 0, "e": 15})
    assert shown(table) == {"a": 30, "b": None, "c": None, "d": 0, "e": 15}
    assert table.cell("c").suppressed == Suppressed.SMALL
    assert table.cell("b").suppressed == Suppressed.COMPLEMENTARY
    assert table.cell("b").percent is None and table.cell("c").percent is None
    assert table.total == 66  # the total stays: the hidden pair gives only its sum (21)


def test_the_complementary_cell_is_never_a_zero_and_ties_take_the_first():
    table = exclusive_table([("a", 0), ("b", 20), ("c", 1), ("d", 20)])
    assert shown(table) == {"a": 0, "b": None, "c": None, "d": 20}


def test_two_small_cells_take_a_third_when_together_they_leave_a_narrow_range():
    # 3 and 4 hidden: their sum (7) is known from the total, so each would lie between 1 and 6.
    table = exclusive_table({"a": 30, "b": 3, "c": 4, "d": 12})
    assert shown(table) == {"a": 30, "b": None, "c": None, "d": None}
    assert [cell.suppressed for cell in table.cells] == [None, Suppressed.SMALL, Suppressed.SMALL, Suppressed.COMPLEMENTARY]
    # 5 and 8: their sum (13) leaves each a range of 11 (1 to 12): enough.
    assert shown(exclusive_table({"a": 30, "b": 5, "c": 8, "d": 12})) == {"a": 30, "b": None, "c": None, "d": 12}


def test_a_hidden_cell_of_an_exclusive_table_can_never_be_worked_out_by_subtraction():
    for counts in itertools.product(range(0, 13), repeat=3):
        if sum(counts) < THRESHOLD:
            continue
        table = exclusive_table(list(enumerate(counts)))
        if table.suppressed:  # too few cells to hide the small ones among (e.g. 1, 9, 0): nothing is shown
            assert table.total is None and table.hidden_cells == 3, counts
            continue
        assert table.total == sum(counts)
        assert table.hidden_cells != 1, counts  # one hidden cell would be the total minus the shown ones
        assert all(cell.count is None or not is_small(cell.count) for cell in table.cells), counts
        assert all(cell.shown for count, cell in zip(counts, table.cells, strict=True) if count == 0), counts


@pytest.mark.parametrize("total, suppressed", [(9, True), (10, False), (1, True), (0, False)])
def test_a_table_about_fewer_than_10_people_is_hidden_whole(total, suppressed):
    table = exclusive_table({"a": total, "b": 0})
    assert table.suppressed is suppressed
    if suppressed:
        assert table.total is None and shown(table) == {"a": None, "b": None}
        assert {cell.suppressed for cell in table.cells} == {Suppressed.TABLE}
    else:
        assert table.total == total and shown(table) == {"a": total, "b": 0}


def test_a_table_of_9_and_1_and_of_10_and_0():
    # Both cells small and nothing else to hide with them: with the total, each would be known to lie in 1–9.
    table = exclusive_table({"a": 9, "b": 1})
    assert table.suppressed and table.total is None and shown(table) == {"a": None, "b": None}
    assert shown(exclusive_table({"a": 10, "b": 0})) == {"a": 10, "b": 0}


def test_a_key_twice_or_a_negative_count_is_a_mistake():
    with pytest.raises(ValueError):
        exclusive_table([("a", 1), ("a", 2)])
    with pytest.raises(ValueError):
        exclusive_table({"a": -1})


# --- overlapping (multiple-choice) tables -----------------------------------------------------------------------


def test_a_multiple_choice_table_hides_small_cells_only():
    table = overlapping_table({"a": 25, "b": 9, "c": 10, "d": 0}, 30)
    assert shown(table) == {"a": 25, "b": None, "c": 10, "d": 0}  # no complementary cell: they do not add up
    assert not table.exclusive and table.total == 30
    assert table.cell("a").percent == 83.3 and table.cell("c").percent == 33.3 and table.cell("b").percent is None


@pytest.mark.parametrize("people, suppressed", [(9, True), (10, False)])
def test_a_multiple_choice_table_about_fewer_than_10_people_is_hidden_whole(people, suppressed):
    table = overlapping_table({"a": people, "b": 0}, people)
    assert table.suppressed is suppressed


def test_a_multiple_choice_table_whose_base_is_hidden_shows_no_percentage():
    table = overlapping_table({"a": 12, "b": 3}, 15, base_shown=False)
    assert shown(table) == {"a": 12, "b": None} and table.total is None and not table.suppressed
    assert table.cell("a").percent is None


def test_a_cell_larger_than_the_base_is_a_mistake():
    with pytest.raises(ValueError):
        overlapping_table({"a": 12}, 11)


# --- derived figures ------------------------------------------------------------------------------------------


def test_a_mean_of_fewer_than_10_people_is_hidden():
    assert mean([4] * 9) is None
    assert mean([4] * 9 + [5]) == 4.1
    assert mean([]) is None


@pytest.mark.parametrize("people, expected", [(9, None), (10, 1.23), (0, None)])
def test_a_derived_figure_needs_10_people(people, expected):
    assert derived(1.234, people) == expected


GROUP_OF = {0: "low", 1: "low", 2: "low", 3: "high", 4: "high"}


def test_with_groups_the_complementary_rule_holds_within_each_group():
    counts = {0: 30, 1: 3, 2: 12, 3: 40, 4: 11}
    assert shown(exclusive_table(counts)) == {0: 30, 1: None, 2: 12, 3: 40, 4: None}  # 11: the next smallest
    # but with the "low" sum known (45), 45 − 30 − 12 would give the 3 back: the partner is found within the group
    assert shown(exclusive_table(counts, GROUP_OF)) == {0: 30, 1: None, 2: None, 3: 40, 4: 11}


def test_with_groups_every_group_with_a_hidden_cell_has_two_and_so_has_the_table():
    for counts in itertools.product((0, 1, 5, 9, 10, 14), repeat=5):
        table = exclusive_table(list(enumerate(counts)), GROUP_OF)
        if table.suppressed:
            continue
        sums = group_table(list(enumerate(counts)), GROUP_OF, ("low", "high"))
        for group in ("low", "high"):
            hidden = [cell for cell in table.cells if GROUP_OF[cell.key] == group and not cell.shown]
            if sums.cell(group).shown:  # a group whose sum is shown never has a hidden cell alone
                assert len(hidden) != 1, counts
        assert table.hidden_cells != 1, counts


def test_the_group_sums_are_an_exclusive_table_of_their_own():
    sums = group_table({0: 3, 1: 4, 2: 5, 3: 40, 4: 11}, GROUP_OF, ("low", "high"))
    # 3, 4 and 5 under a known sum of 12 would each lie between 1 and 10: the sum is not shown (nor, then, the other)
    assert shown(sums) == {"low": None, "high": None}
    assert shown(group_table({0: 3, 1: 9, 2: 5, 3: 40, 4: 11}, GROUP_OF, ("low", "high"))) == {"low": 17, "high": 51}
    sums = group_table({0: 3, 1: 4, 2: 0, 3: 40, 4: 11}, GROUP_OF, ("low", "high"))
    assert shown(sums) == {"low": None, "high": None}  # 7 hidden, and the only other group with it
    with pytest.raises(ValueError):
        group_table({7: 1}, GROUP_OF, ("low", "high"))
