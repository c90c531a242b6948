"""Statistical disclosure control: the rules every figure shown to staff (pages and exports) goes through.

The unit is a person (a respondent, a household). The rules, with THRESHOLD = 10:

1. Primary suppression. A count of 1 to 9 is not shown (「10未満のため非表示」 / "Hidden (fewer than 10)"). A count
   of 0 is shown: it says that nobody is in the cell, which protects nobody.
2. Small tables. A table about fewer than 10 people (its total from 1 to 9) is suppressed whole: every cell and the
   total. A table about nobody (total 0) is shown, all zeros. So is one whose hidden cells cannot be given a wide
   enough range by rule 3 (e.g. 1 and 9 and nothing else).
3. Complementary (secondary) suppression, for a one-way table of mutually exclusive categories whose total is shown
   (every person in exactly one cell, so the cells add up to the total). The hidden cells' sum can then be worked
   out by subtracting the shown cells from the total, and each hidden cell is known to be at least 1 (a zero is
   shown), so a hidden cell can be anything from 1 to that sum minus one for each other hidden cell: a range as wide
   as the sum minus the number of hidden cells. While that is under 10, the next smallest non-zero shown cell is
   hidden too (on equal counts, the first in the table's order). One small cell alone takes one more cell (of 10 or
   more) with it; two hidden cells of 1 each take more. A zero is never the complementary cell: it adds nothing to
   the sum. `app.disclosure.audit` checks the result by linear programming (the tests run it over random tables).
   Tables whose cells overlap (a multiple-choice question: one person may be in several cells) do not add up to a
   total, so subtraction reveals nothing and only rules 1 and 2 apply.
4. Percentages are computed only for shown cells of a shown total (a percentage of a hidden count would give the
   count back).
5. Derived figures (a mean, a mean change, a score) are shown only for a group of at least 10 people.
6. Groups of cells. When a figure shown with a table gives away the sums of groups of its cells (the NPS: the
   promoters minus the detractors, over those who answered), every group sum must be 0 or at least 10 (`group_table`
   says whether they are), and rule 3 applies within each group as well as over the table (`exclusive_table` with
   `group_of`): a group's sum minus its shown cells must not give a hidden cell either.

What these rules do not control: differences between overlapping groups shown in different places (e.g. all the
respondents of one survey and the respondents of both surveys), and what an extreme mean of a group of 10 or more
implies (a mean of 4.9 over 10 answers on a 1–5 scale means nine 5s and one 4). Keep such breakdowns for the
analysts' own work.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l

THRESHOLD = 10
HIDDEN_JA = "10未満のため非表示"  # in exports, whatever the reader's language (the exports are in Japanese)
HIDDEN_LABEL = _l("Hidden (fewer than 10)")


class Suppressed(StrEnum):
    SMALL = "small"  # rule 1: a count of 1 to 9
    COMPLEMENTARY = "complementary"  # rule 3: hidden so that a small cell cannot be worked out
    TABLE = "table"  # rule 2: the whole table is about fewer than 10 people


@dataclass(frozen=True)
class Cell:
    """One cell of a table as it may be shown: `count` and `percent` are None when the cell is hidden."""

    key: Hashable
    count: int | None
    percent: float | None = None
    suppressed: Suppressed | None = None

    @property
    def shown(self) -> bool:
        return self.count is not None


@dataclass(frozen=True)
class Table:
    """A one-way table as it may be shown. `total`: the number of people the table is about (None when hidden);
    `exclusive`: every person is in exactly one cell; `suppressed`: the whole table is hidden (rule 2)."""

    cells: tuple[Cell, ...]
    total: int | None
    exclusive: bool
    suppressed: bool = False

    @property
    def hidden_cells(self) -> int:
        return sum(1 for cell in self.cells if not cell.shown)

    def cell(self, key: Hashable) -> Cell:
        for cell in self.cells:
            if cell.key == key:
                return cell
        raise KeyError(key)

    def counts(self) -> dict[Hashable, int | None]:
        return {cell.key: cell.count for cell in self.cells}

    @property
    def largest(self) -> int:
        """The largest shown count (for a chart's scale); 0 when none is shown."""
        return max((cell.count for cell in self.cells if cell.count is not None), default=0)


# --- single figures ----------------------------------------------------------------------------------------------


def is_small(count: int) -> bool:
    """A count that is never shown: 1 to 9."""
    return 0 < count < THRESHOLD


def shown_count(count: int) -> int | None:
    """The count, or None when it is hidden (rule 1)."""
    if count < 0:
        raise ValueError("a count is never negative")
    return None if is_small(count) else count


def percent(count: int | None, base: int | None) -> float | None:
    """count ÷ base as a percentage (one decimal), only when both are shown and the base is not 0 (rule 4)."""
    if count is None or base is None or base <= 0:
        return None
    return round(100 * count / base, 1)


def derived(value: float | None, people: int, *, digits: int = 2) -> float | None:
    """A figure computed over `people` (a mean, a change, a score): shown only for at least 10 (rule 5)."""
    if value is None or people < THRESHOLD:
        return None
    return round(value, digits)


def mean(values: Sequence[float], *, digits: int = 2) -> float | None:
    """The mean of one value per person, shown only for at least 10 people (rule 5)."""
    if len(values) < THRESHOLD:
        return None
    return derived(sum(values) / len(values), len(values), digits=digits)


def share_of(count: int, people: int) -> float | None:
    """A rate (percent) of people: shown only when the count is shown and the base is at least 10."""
    if people < THRESHOLD:
        return None
    return percent(shown_count(count), people)


# --- tables ------------------------------------------------------------------------------------------------------


def _pairs(counts: Mapping[Any, int] | Iterable[tuple[Any, int]]) -> list[tuple[Any, int]]:
    pairs = list(counts.items()) if isinstance(counts, Mapping) else list(counts)
    if any(count < 0 for _key, count in pairs):
        raise ValueError("a count is never negative")
    if len({key for key, _count in pairs}) != len(pairs):
        raise ValueError("a key is used twice")
    return pairs


def exclusive_table(counts: Mapping[Any, int] | Iterable[tuple[Any, int]],
                    group_of: Mapping[Hashable, Hashable] | None = None, *, hide: Iterable[Hashable] = ()) -> Table:
    """A one-way table of mutually exclusive categories (in the given order); its total is the cells' sum.
    Rules 1–4: small cells hidden, the complementary cell when one alone is hidden, the whole table under 10.
    `group_of` (rule 6): the cells' groups whose sums are shown or can be worked out (a cell not in it is a group of
    its own); the complementary rule then holds within each group too. `hide`: cells hidden whatever their count
    (a figure elsewhere would give them away), counted as hidden by the complementary rule."""
    pairs = _pairs(counts)
    hidden = set(hide)
    return _exclusive(pairs, group_of, [i for i, (key, _count) in enumerate(pairs) if key in hidden])


def _exclusive(pairs: Sequence[tuple[Any, int]], group_of: Mapping[Hashable, Hashable] | None = None,
               forced: Iterable[int] = ()) -> Table:
    """`exclusive_table`, with the cells at positions `forced` hidden whatever their counts (complementary)."""
    total = sum(count for _key, count in pairs)
    if is_small(total):
        return Table(tuple(Cell(key, None, None, Suppressed.TABLE) for key, _count in pairs), None, True, True)
    hidden: dict[int, Suppressed] = {i: Suppressed.SMALL for i, (_key, count) in enumerate(pairs) if is_small(count)}
    hidden.update((i, Suppressed.COMPLEMENTARY) for i in forced if i not in hidden)
    # Until nothing changes: a cell hidden for one known sum adds to another's hidden cells.
    while any([_complement(pairs, hidden, members) for members in _known_sums(pairs, group_of)]):
        pass
    if (inside := list(hidden)) and not _wide_enough(pairs, inside):  # too few cells to hide among: the whole table
        return Table(tuple(Cell(key, None, None, Suppressed.TABLE) for key, _count in pairs), None, True, True)
    cells = tuple(
        Cell(key, None, None, hidden[i]) if i in hidden else Cell(key, count, percent(count, total))
        for i, (key, count) in enumerate(pairs)
    )
    return Table(cells, total, True)


def _known_sums(pairs: Sequence[tuple[Any, int]], group_of: Mapping[Hashable, Hashable] | None) -> list[list[int]]:
    """The sets of cells (positions) whose sum is known: each group (rule 6), then the whole table."""
    everything = list(range(len(pairs)))
    if not group_of:
        return [everything]
    groups: dict[Hashable, list[int]] = {}
    for i, (key, _count) in enumerate(pairs):
        groups.setdefault(group_of.get(key, ("cell", key)), []).append(i)
    return [*groups.values(), everything]


def _complement(pairs: Sequence[tuple[Any, int]], hidden: dict[int, Suppressed], members: Iterable[int]) -> bool:
    """Rule 3 over `members` (a table, or a group of its cells whose sum is known): while the hidden cells there
    leave a range under 10, the next smallest non-zero shown cell is hidden too (none left: the sum itself is small,
    and rules 2 and 6 keep it from being shown). True when a cell was hidden."""
    members = list(members)
    changed = False
    while (inside := [i for i in members if i in hidden]) and not _wide_enough(pairs, inside):
        candidates = [(pairs[i][1], i) for i in members if i not in hidden and pairs[i][1] > 0]
        if not candidates:
            break
        hidden[min(candidates)[1]] = Suppressed.COMPLEMENTARY
        changed = True
    return changed


def _wide_enough(pairs: Sequence[tuple[Any, int]], hidden: Sequence[int]) -> bool:
    """Each hidden cell is known to be 1 or more and the hidden cells' sum is known: with two or more, each lies in a
    range as wide as the sum minus the number of hidden cells; one alone is the sum itself."""
    return len(hidden) >= 2 and sum(pairs[i][1] for i in hidden) - len(hidden) >= THRESHOLD


def group_table(counts: Mapping[Any, int] | Iterable[tuple[Any, int]], group_of: Mapping[Hashable, Hashable],
                groups: Sequence[Hashable]) -> Table:
    """The sums of the groups of an exclusive table's cells (in the order of `groups`), as an exclusive table
    itself (rules 1–3). A figure that gives the group sums away may be shown only when none is hidden."""
    pairs = _pairs(counts)
    sums: dict[Hashable, int] = dict.fromkeys(groups, 0)
    for key, count in pairs:
        group = group_of.get(key)
        if group not in sums:
            raise ValueError(f"{key!r} is in no group")
        sums[group] += count
    # A group whose hidden cells cannot be given a wide enough range inside it (too few non-zero cells) must not
    # have its sum shown: that sum would narrow them.
    cells = _exclusive(pairs, group_of)
    exposed = [position for position, group in enumerate(sums)
               if (inside := [i for i, (key, _count) in enumerate(pairs) if group_of.get(key) == group
                              and not cells.cells[i].shown]) and not _wide_enough(pairs, inside)]
    return _exclusive(list(sums.items()), forced=exposed)


def overlapping_table(counts: Mapping[Any, int] | Iterable[tuple[Any, int]], people: int, *,
                      base_shown: bool = True) -> Table:
    """A one-way table whose cells may overlap (a multiple-choice question's options) over `people`, the number of
    people who could be in each cell. Rules 1, 2 and 4: no complementary suppression (the cells do not add up to
    anything); percentages of `people` only when that number is shown (`base_shown`: it may be hidden elsewhere,
    e.g. by the complementary rule of the table that splits it off)."""
    pairs = _pairs(counts)
    if any(count > people for _key, count in pairs):
        raise ValueError("a cell counts more people than the table is about")
    if is_small(people):
        return Table(tuple(Cell(key, None, None, Suppressed.TABLE) for key, _count in pairs), None, False, True)
    base = people if base_shown else None
    cells = tuple(
        Cell(key, None, None, Suppressed.SMALL) if is_small(count) else Cell(key, count, percent(count, base))
        for key, count in pairs
    )
    return Table(cells, base, False)


# --- how a figure reads --------------------------------------------------------------------------------------------


def export_count(count: int | None) -> str:
    """A cell of an export: the number, or 「10未満のため非表示」."""
    return HIDDEN_JA if count is None else str(count)


def export_figure(value: float | None) -> str:
    """A percentage or a mean in an export: the number, or empty when it is not shown (its count says why)."""
    return "" if value is None else f"{value:g}"
