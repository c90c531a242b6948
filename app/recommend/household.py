"""What the recommendation engines know about a household: independent of the database and of any account.

The app builds it from what the resident consented to (through the enforcement point); the CLI builds it from its
options; tests write it by hand. Only what eligibility needs is here, plus the 町丁目 the ranking measures walking
distances from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.household.ages import BirthDate

City = Literal["kashiwa", "nagareyama"]
CITY_NAMES_JA: dict[str, str] = {"kashiwa": "柏市", "nagareyama": "流山市"}


@dataclass(frozen=True)
class ChildInput:
    """A child by birth date (the day may be unknown).

    `counted_sibling`: an older sibling aged 18–22 recorded only because 児童手当 counts them for the third-child
    rate (児童手当法, 令和6年10月改正); no service is evaluated for them. A birth date in the future is an expected
    child: only services for pregnancy apply (see `eligibility`).
    """

    birth: BirthDate
    counted_sibling: bool = False


@dataclass(frozen=True)
class HouseholdInput:
    """A household as the engines see it.

    `children` in any order; their positions are the `child_indexes` of the results. `city` is None when the
    address is not known (not consented to, or not entered): services that depend on residence are then 要確認.
    `town` is the 町丁目 as in the town list (e.g. "若柴", "柏の葉二丁目"), used by the ranking for distances.
    """

    children: tuple[ChildInput, ...]
    city: City | None
    town: str | None = None
