"""Items the bank derives for statistics, so that a recipient of aggregates never needs the facts behind them.

`eligible_services` says which of 柏市's services the household could use on a day by their age and residence rules
(from the children's birth dates and the home's city), and for which 年齢クラス; the birth dates and the
address themselves are not provided. `services_used` says in which months of the last year the household used each
service (from the records 柏市 disclosed to the resident). Only app.consent.items calls these.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from app.catalog.models import CatalogService
from app.household.ages import InvalidBirthDate, describe_child
from app.household.models import Child, HomeAddress
from app.household.services import birth_of, born_by
from app.months import month_key, months_back
from app.recommend.eligibility import CheckReason, Status, evaluate
from app.recommend.household import ChildInput, HouseholdInput

UNKNOWN_CLASS = "不明"
# A 要確認 for these reasons only still fits the service's age and residence rules: the facility decides (一時預かり), or
# 柏市 has not confirmed the rule. Income, a missing birth day or another unknown fact leave it out.
RULES_MET = frozenset({CheckReason.FACILITY_DEPENDENT, CheckReason.UNVERIFIED_RULE})
USED_MONTHS = 12  # how far back `services_used` looks, the month of its day included


@dataclass
class ServiceBook:
    """The catalogue's services as plain copies, read once for a batch of households, with the engine's memo."""

    services: list[Any]
    memo: dict[Any, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, session: Session) -> ServiceBook:
        columns = [column.key for column in sa.inspect(CatalogService).column_attrs]
        rows = session.exec(select(CatalogService).order_by(CatalogService.id))
        return cls([SimpleNamespace(**{key: getattr(row, key) for key in columns}) for row in rows])


@dataclass(frozen=True)
class HouseholdFacts:
    """What the derivation reads of one household (never provided as such)."""

    children: tuple[Child, ...]
    city: str | None
    town: str | None
    book: ServiceBook


def household_facts(children: dict[uuid.UUID, list[Child]], places: dict[uuid.UUID, tuple[str, str] | None],
                    book: ServiceBook, ids: list[uuid.UUID]) -> dict[uuid.UUID, HouseholdFacts]:
    """{resident id: facts}; `places` gives (city, town) of the homes found in the town list."""
    found = {}
    for resident_id in ids:
        place = places.get(resident_id)
        found[resident_id] = HouseholdFacts(tuple(children.get(resident_id, ())), place[0] if place else None,
                                            place[1] if place else None, book)
    return found


def _class_label(child: Child, on: date) -> str:
    try:
        return describe_child(birth_of(child), on).class_label_ja or UNKNOWN_CLASS
    except InvalidBirthDate:
        return UNKNOWN_CLASS


def eligible_services(facts: HouseholdFacts | None, on: date) -> dict[str, list[str]]:
    """{service id: the 年齢クラス of the children that make the household eligible on `on`} for every service the
    engine calls eligible, or 要確認 only because the facility decides or the rule is unconfirmed (never "soon"); an
    empty list for a service about no child in particular."""
    if facts is None:
        return {}
    children = [child for child in facts.children if born_by(child, on)]
    household = HouseholdInput(children=tuple(ChildInput(birth_of(child), counted_sibling=child.counted_for_allowance)
                                              for child in children), city=facts.city, town=facts.town)  # type: ignore[arg-type]
    found: dict[str, list[str]] = {}
    for result in evaluate(facts.book.services, household, on, memo=facts.book.memo):
        if result.status == Status.ELIGIBLE or (result.status == Status.CHECK and result.check_reasons
                                                 and RULES_MET.issuperset(result.check_reasons)):
            found[result.service_id] = sorted({_class_label(children[i], on) for i in result.child_indexes})
    return found


def window(on: date) -> set[str]:
    """The 12 months ending with the month of `on`: what `services_used` and `services_shown` look back over."""
    return set(months_back(on, USED_MONTHS))


def _months_by_key(pairs: Iterable[tuple[str, date]], on: date) -> dict[str, list[str]]:
    """{key: the months of its days} over the window, a day after `on` left out."""
    within = window(on)
    found: dict[str, set[str]] = defaultdict(set)
    for key, day in pairs:
        if day <= on and month_key(day) in within:
            found[key].add(month_key(day))
    return {key: sorted(months) for key, months in sorted(found.items())}


def services_used(rows: list[tuple[str, date, date | None]] | None, on: date) -> dict[str, list[str]]:
    """{service id: the months it was used in} over the 12 months ending with the month of `on` (a use after `on`
    is left out)."""
    return _months_by_key(((service_id, used_from) for service_id, used_from, _child in rows or ()), on)


def load_places(addresses: dict[uuid.UUID, HomeAddress], locate: Any) -> dict[uuid.UUID, tuple[str, str] | None]:
    """(city key, town) of each address found in the town list (`locate`: address → HomeArea or None)."""
    places: dict[uuid.UUID, tuple[str, str] | None] = {}
    for resident_id, address in addresses.items():
        area = locate(address)
        places[resident_id] = None if area is None else ("kashiwa" if area.is_kashiwa_resident else "nagareyama",
                                                         area.town)
    return places


def services_shown(impressions: list[Any] | None, on: date) -> dict[str, list[str]]:
    """{service id: the months the feed showed it in} over the 12 months ending with the month of `on` (a day
    after `on` left out)."""
    return _months_by_key(((i.item_id, i.first_shown_on) for i in impressions or () if i.kind == "service"), on)


RESPONSE_DAYS = 28  # the weeks before and after a first recommendation that participation is counted over


@dataclass(frozen=True)
class ShownAndJoined:
    impressions: list[Any]
    participations: list[Any]


def recommendation_response(rows: ShownAndJoined | None, on: date) -> list[dict[str, Any]]:
    """For each category of events and coupons first recommended in the 12 months ending with `on` (and at least
    4 weeks before it, so the weeks after are complete): the month of that first recommendation and how many times
    the household joined an event or used a coupon of the category in the 4 weeks before it and in the 4 weeks
    from it. No day is given."""
    if rows is None:
        return []
    within = window(on)
    first: dict[str, date] = {}
    for impression in rows.impressions:
        if impression.kind in ("event", "coupon") and impression.month in within:
            for category in impression.categories:
                if category not in first or impression.first_shown_on < first[category]:
                    first[category] = impression.first_shown_on
    found = []
    for category, day in sorted(first.items()):
        if (on - day).days < RESPONSE_DAYS:
            continue
        before = sum(1 for p in rows.participations if category in p.categories
                     and 0 < (day - p.occurred_on).days <= RESPONSE_DAYS)
        after = sum(1 for p in rows.participations if category in p.categories
                    and 0 <= (p.occurred_on - day).days < RESPONSE_DAYS)
        found.append({"category": category, "month": month_key(day), "before": before,
                      "after": after})
    return found


# The survey questions 柏市's child-raising policy asks about (pre/post, and post only); nothing else of the answers.
SATISFACTION_PAIRED = ("info_finding",)
SATISFACTION_POST = ("service_satisfaction",)
SCALE = range(1, 6)


def childcare_satisfaction(answers: dict[str, dict[str, Any]] | None, on: date) -> dict[str, list[int | None]]:
    """{measure: [before, after]} of the submitted pre- and post-pilot answers (1–5; None when not answered):
    how easy finding information on raising children is (both surveys) and the satisfaction with the services used
    (post only)."""
    pre, post = (answers or {}).get("pre_pilot") or {}, (answers or {}).get("post_pilot") or {}

    def value(found: dict[str, Any], key: str) -> int | None:
        answer = found.get(key)
        return answer if isinstance(answer, int) and not isinstance(answer, bool) and answer in SCALE else None

    measures: dict[str, list[int | None]] = {}
    for key in SATISFACTION_PAIRED:
        if value(pre, key) is not None or value(post, key) is not None:
            measures[key] = [value(pre, key), value(post, key)]
    for key in SATISFACTION_POST:
        if value(post, key) is not None:
            measures[key] = [None, value(post, key)]
    return measures
