"""Statistical disclosure control: the rules every figure shown to staff (pages and exports) goes through.

The unit is a person (a respondent, a household). The rules, with THRESHOLD = 10:

1. Primary suppression. A count of 1 to 9 is not shown (「10未満のため非表示」 / "Hidden (fewer than 10)"). A count
   of 0 is shown: it says that nobody is in the cell, which protects nobody.
2. Small tables. A table about fewer than 10 people (its total from 1 to 9) is suppressed whole: every cell and the
   total. A table about nobody (total 0) is shown, all zeros.
3. Complementary (secondary) suppression, for a one-way table of mutually exclusive categories whose total is shown
   (every person in exactly one cell, so the cells add up to the total). If exactly one cell is hidden by rule 1,
   it could be worked out by subtracting the shown cells from the total; so the next smallest non-zero shown cell is
   hidden too (on equal counts, the first in the table's order). Then only the sum of the two hidden cells can be
   worked out, and either of them may be the small one (two cells of 1 to 9 look the same), so neither count is
   known. With two or more cells hidden by rule 1, they already protect each other. A zero is never the
   complementary cell: the two hidden cells would then add up to the small count itself.
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
                    group_of: Mapping[Hashable, Hashable] | None = None) -> Table:
    """A one-way table of mutually exclusive categories (in the given order); its total is the cells' sum.
    Rules 1–4: small cells hidden, the complementary cell when one alone is hidden, the whole table under 10.
    `group_of` (rule 6): the cells' groups whose sums are shown or can be worked out (a cell not in it is a group of
    its own); the complementary rule then holds within each group too."""
    pairs = _pairs(counts)
    total = sum(count for _key, count in pairs)
    if is_small(total):
        return Table(tuple(Cell(key, None, None, Suppressed.TABLE) for key, _count in pairs), None, True, True)
    hidden: dict[int, Suppressed] = {i: Suppressed.SMALL for i, (_key, count) in enumerate(pairs) if is_small(count)}
    if group_of:
        groups: dict[Hashable, list[int]] = {}
        for i, (key, _count) in enumerate(pairs):
            groups.setdefault(group_of.get(key, ("cell", key)), []).append(i)
        for members in groups.values():
            _complement(pairs, hidden, members)
    _complement(pairs, hidden, range(len(pairs)))
    cells = tuple(
        Cell(key, None, None, hidden[i]) if i in hidden else Cell(key, count, percent(count, total))
        for i, (key, count) in enumerate(pairs)
    )
    return Table(cells, total, True)


def _complement(pairs: Sequence[tuple[Any, int]], hidden: dict[int, Suppressed], members: Iterable[int]) -> None:
    """Rule 3 over `members` (a table, or a group of its cells whose sum is known): a hidden cell alone there takes
    the next smallest non-zero cell with it (none when it is the group's only non-zero cell: then the group's sum is
    small, and rule 6 keeps it from being shown)."""
    members = list(members)
    if sum(1 for i in members if i in hidden) != 1:
        return
    candidates = [(pairs[i][1], i) for i in members if i not in hidden and pairs[i][1] > 0]
    if candidates:
        hidden[min(candidates)[1]] = Suppressed.COMPLEMENTARY


def group_table(counts: Mapping[Any, int] | Iterable[tuple[Any, int]], group_of: Mapping[Hashable, Hashable],
                groups: Sequence[Hashable]) -> Table:
    """The sums of the groups of an exclusive table's cells (in the order of `groups`), as an exclusive table
    itself (rules 1–3). A figure that gives the group sums away may be shown only when none is hidden."""
    sums: dict[Hashable, int] = dict.fromkeys(groups, 0)
    for key, count in _pairs(counts):
        group = group_of.get(key)
        if group not in sums:
            raise ValueError(f"{key!r} is in no group")
        sums[group] += count
    return exclusive_table(sums)


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
