"""The vocabulary shared by the rules and the engine: statuses, check codes, reasons, and what a rule says for one
birth date.

`eligibility` re-exports `Status`, `CheckReason` and `Reason`; they live here so that the rule modules do not import
the engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, NamedTuple, Protocol


class Status(StrEnum):
    """A service's answer for a household (see `eligibility` for when each applies)."""

    ELIGIBLE = "eligible"
    SOON = "soon"
    CHECK = "check"
    OTHER_CITY = "other_city"
    NOT_ELIGIBLE = "not_eligible"


class CheckReason(StrEnum):
    """Why a result is 要確認 (or why a まもなく result will need checking when it comes)."""

    INCOME_TEST = "income_test"  # the catalogue's income_condition_text states an income limit
    FACILITY_DEPENDENT = "facility_dependent"  # eligibility.age.status == facility_dependent
    UNVERIFIED_RULE = "unverified_rule"  # confidence low, or the rule is not (fully) confirmed for 柏市
    BIRTH_DAY_NEEDED = "birth_day_needed"  # only year and month are known, and the day changes the answer
    # Beyond the four codes of the issue:
    ADDRESS_NEEDED = "address_needed"  # the city is not known (no address given or consented to)
    OTHER_CONDITION = "other_condition"  # a condition the bank does not hold (the child's sex, the school attended)


@dataclass(frozen=True)
class Reason:
    """One short sentence of explanation, in Japanese and English (data, not a Babel msgid)."""

    ja: str
    en: str


class Timing(StrEnum):
    NOW = "now"
    LATER = "later"
    NEVER = "never"


class DateOutcome(NamedTuple):
    """What a service's rule says for one possible birth date on the evaluation day.

    NOW: the age conditions hold (`ends` is the last day they hold, None when open-ended); LATER: they will hold
    from `starts`; NEVER: not any more, or not at all. `check_reasons` are particular to this date (an income test
    only from 小学4年生, say); `notes` explain (which vaccines are due now, when the check-up is held).

    A named tuple rather than a frozen dataclass: one is made for every service and possible birth date, and these
    are cheaper to make.
    """

    timing: Timing
    starts: date | None = None
    ends: date | None = None
    check_reasons: frozenset[CheckReason] = frozenset()
    notes: tuple[Reason, ...] = ()

    def adding(self, reasons: Iterable[CheckReason] = (), notes: Iterable[Reason] = ()) -> DateOutcome:
        if reasons == () and notes == ():  # nothing to add (most rules add no notes): the outcome as it is
            return self
        return DateOutcome(self.timing, self.starts, self.ends, self.check_reasons | frozenset(reasons),
                           self.notes + tuple(notes))


NEVER = DateOutcome(Timing.NEVER)


class ServiceLike(Protocol):
    """What the engine reads of a service: the attributes of app.catalog.models.CatalogService."""

    id: str
    category: str
    fact_scope: str
    confidence: str
    eligibility: dict[str, Any]
    milestones: list[dict[str, Any]]
    birthdate_ranges: list[dict[str, Any]]
    valid_until: date | None
    life_stages: list[str]
    source_url: str
    last_checked: date


def age_fields(service: ServiceLike) -> dict[str, Any]:
    """eligibility.age, or {} when missing or not an object (an edited row may have either)."""
    eligibility = service.eligibility if isinstance(service.eligibility, dict) else {}
    age = eligibility.get("age")
    return age if isinstance(age, dict) else {}
