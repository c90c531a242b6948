"""児童手当: which eligible children are paid at the rate for a third or later child (多子加算).

児童手当法 as revised in 令和6年10月 (kashiwa_jidoteate_r6; other_conditions of svc_jidoteate): children are ranked
from the eldest among the 児童 (to the 31 March after turning 18) and the older siblings up to the 31 March after
turning 22 whose living costs the parent bears — the household's counted siblings. Expected children are not
counted. With year-and-month birth dates the rank may be open: the note then says so instead of guessing.
"""

from __future__ import annotations

from datetime import date

from app.household.ages import LAST_CHILD_CLASS_INDEX, LAST_COUNTED_SIBLING_CLASS_INDEX, class_index, possible_birth_dates
from app.recommend.household import HouseholdInput
from app.recommend.outcomes import Reason
from app.recommend.texts import capitalised, child_label

CHILD_ALLOWANCE_ID = "svc_jidoteate"
THIRD_CHILD_RANK = 3


def _born_dates(household: HouseholdInput, on: date) -> list[tuple[date, ...]]:
    return [tuple(d for d in possible_birth_dates(child.birth, on) if d <= on) for child in household.children]


def _counted(counted_sibling: bool, birth: date, on: date) -> bool:
    limit = LAST_COUNTED_SIBLING_CLASS_INDEX if counted_sibling else LAST_CHILD_CLASS_INDEX
    return class_index(birth, on) <= limit


def rank_bounds(household: HouseholdInput, index: int, on: date,
                dates: list[tuple[date, ...]] | None = None) -> tuple[int, int]:
    """The lowest and highest rank the child at `index` can have among the counted children (1 = the eldest);
    `dates`: each child's possible birth dates (`_born_dates`), when already at hand."""
    dates = _born_dates(household, on) if dates is None else dates
    own = dates[index]
    surely_older = possibly_older = 0
    for other, (child, other_dates) in enumerate(zip(household.children, dates, strict=True)):
        if other == index or not other_dates or not own:
            continue
        # The class index only grows with an earlier birth: every possible birth is counted when the earliest is,
        # and one is when the latest is.
        earliest, latest = min(other_dates), max(other_dates)
        if _counted(child.counted_sibling, earliest, on) and latest < min(own):
            surely_older += 1
        if _counted(child.counted_sibling, latest, on) and earliest <= max(own):
            possibly_older += 1
    return 1 + surely_older, 1 + possibly_older


def third_child_notes(household: HouseholdInput, indexes: tuple[int, ...], on: date) -> list[Reason]:
    notes = []
    dates = _born_dates(household, on)
    for index in indexes:
        lowest, highest = rank_bounds(household, index, on, dates)
        who = child_label(household.children[index].birth, expected=False)
        if lowest >= THIRD_CHILD_RANK:
            notes.append(Reason(f"{who.ja}は第3子以降の額(多子加算)になります。",
                                f"{capitalised(who.en)} is paid at the rate for a third or later child."))
        elif highest >= THIRD_CHILD_RANK:
            notes.append(Reason(f"{who.ja}が第3子以降の額になるかは、生年月日の日付や上のお子さまの状況で変わります。",
                                f"Whether {who.en} gets the third-child rate depends on the birth dates and the older "
                                "children."))
    return notes
