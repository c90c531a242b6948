"""Which catalogue services a household can use on a given day, each with its status and reasons.

`evaluate(services, household, on)` is pure: it reads the services' attributes (CatalogService rows or anything
shaped like them) and the household's birth dates and city; no session, no clock.

Statuses, per service:
- eligible: a child meets the rule today, and nothing about it needs checking.
- soon: no child meets it today, but one will within `SOON_HORIZON_MONTHS` (6 months — long enough to cover the
  autumn applications for an April start of nursery or こどもルーム, short enough to stay news); `soon_from` is the
  first day. A rule a child reaches only later is not_eligible, and says from when.
- check (要確認), with `check_reasons`: income_test, facility_dependent, unverified_rule (a low-confidence or
  unconfirmed rule is never eligible, at most check), birth_day_needed (the possible days of a year-and-month birth
  date disagree), and two more: address_needed (no city known) and other_condition (the child's sex for HPV, a
  school or nursery in 柏市 for a 流山市 household). A soon result keeps the codes it will need checking for.
- other_city: a 流山市 household on a national scheme (fact_scope national_rule, kashiwa_applies_national_rule,
  or mixed such as the national 乳児家庭全戸訪問) that fits its child's age: 流山市でお手続き.
- not_eligible: otherwise — no child in the age range, a 柏市-only service for a 流山市 household, or ended.

Children: each is evaluated on every possible birth date (ages.possible_birth_dates); several children give the
best status of any of them (eligible > check > soon > not_eligible). Counted siblings (18–22) are never evaluated
themselves: they only count for 児童手当's third-child rate. An expected child (a birth date after `on`) counts
only for services whose life stages include pregnancy (妊婦支援給付, 相談, つどい, ひろば …); the services of a born
child start at the birth, not at an expected date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from app.household.ages import BirthDate, possible_birth_dates
from app.recommend import texts
from app.recommend.age_rules import expected_child_outcome, general_outcome, service_check_reasons
from app.recommend.allowance import CHILD_ALLOWANCE_ID, third_child_notes
from app.recommend.household import ChildInput, HouseholdInput
from app.recommend.outcomes import NEVER, CheckReason, DateOutcome, Reason, ServiceLike, Status, Timing, age_fields
from app.recommend.residence import apply_residence, turned_away
from app.recommend.service_rules import ServiceRule, rule_for
from app.recommend.spans import UnreadableRule, add_months

__all__ = ["CheckReason", "Reason", "ServiceResult", "Status", "evaluate", "SOON_HORIZON_MONTHS"]

SOON_HORIZON_MONTHS = 6
# Part of the rules' version, which the data ethics board approves (security anchor G6; app/recommend/rules.py adds
# the catalogue file's date): raised by hand when the engine's reading of the rules, or SOON_HORIZON_MONTHS, changes.
REVISION = 1


# Which child's answer is the household's: the first in this order.
_PRIORITY = (Status.ELIGIBLE, Status.CHECK, Status.SOON, Status.NOT_ELIGIBLE)
_PRIORITY_RANK = {status: rank for rank, status in enumerate(_PRIORITY)}
# The statuses as module constants for the per-household path: reading an enum member from its class costs a
# descriptor call (Python 3.11), and the batch reads them for every service of 50,000 households.
_ELIGIBLE, _CHECK, _SOON, _OTHER_CITY, _NOT_ELIGIBLE = (Status.ELIGIBLE, Status.CHECK, Status.SOON, Status.OTHER_CITY,
                                                     Status.NOT_ELIGIBLE)
# The codes in their order of declaration (results list them so), and the ones explained by a fixed line.
_CHECK_ORDER = tuple(CheckReason)
_EXPLAINED_CHECKS = tuple(code for code in _CHECK_ORDER if code is not CheckReason.OTHER_CONDITION)


@dataclass(frozen=True)
class ServiceResult:
    service_id: str
    status: Status
    soon_from: date | None
    check_reasons: tuple[CheckReason, ...]
    reasons: tuple[Reason, ...]
    child_indexes: tuple[int, ...]  # the children (positions in household.children) the status is about
    source_url: str
    last_checked: date


class _Verdict(NamedTuple):
    """The answer for one possible birth date, then for one child. `later`: not eligible only because it starts
    after the horizon. (A named tuple: the batch's memo holds one per service and birth date, made on first ask.)"""

    status: Status
    starts: date | None = None
    ends: date | None = None
    check_reasons: frozenset[CheckReason] = frozenset()
    notes: tuple[Reason, ...] = ()
    later: bool = False


# The most common answer by far, shared rather than built for every child and service.
_PLAIN_NOT_ELIGIBLE = _Verdict(Status.NOT_ELIGIBLE)
# What the memo holds for a child of a service whose rule cannot be read (the result is then 要確認).
_UNREADABLE = None
_NOT_ASKED = object()  # a service the child's table has no answer for yet
# A child's answers by service id: one table per birth date and day, in the memo.
_Answers = dict[str, "_Verdict | None"]


@dataclass
class _ServiceFacts:
    """What a service's result needs that does not depend on the household, worked out once per memo."""

    rule: ServiceRule
    shared_reasons: frozenset[CheckReason]
    description: list[Reason]
    # The result when no child is in the age range and nothing more is to be said, by "every child is expected".
    plain_not_eligible: dict[bool, ServiceResult] = field(default_factory=dict)
    no_child: ServiceResult | None = None  # the result for a household without children
    # By city: the result when the city alone makes it not_eligible (residence.turned_away), else None.
    turned_away: dict[str | None, ServiceResult | None] = field(default_factory=dict)
    residence: dict[Any, Any] = field(default_factory=dict)  # see _residence


@dataclass(frozen=True)
class _Subjects:
    """The children services are evaluated for (counted siblings are not), read once per household."""

    indexes: tuple[int, ...]  # positions in household.children
    births: tuple[BirthDate, ...]
    answers: tuple[_Answers, ...]  # each child's table in the memo
    labels: tuple[Reason, ...]
    all_expected: bool


def evaluate(services: Iterable[ServiceLike], household: HouseholdInput, on: date,
             memo: dict[Any, Any] | None = None) -> list[ServiceResult]:
    """One result per service, in the order given.

    `memo`: a dict kept across calls for the same services and day (the daily batch): a child's answer depends
    only on the service, the birth date and the day, so children born on the same day are evaluated once. The
    caller owns it and drops it when the services or the day change.
    """
    horizon_end = add_months(on, SOON_HORIZON_MONTHS)
    memo = {} if memo is None else memo
    # The batch evaluates 50,000 households against the same 30 services: a child's answers are found with one
    # look-up per household (a table per birth date and day), not one per service.
    indexes = tuple(index for index, child in enumerate(household.children) if not child.counted_sibling)
    children = [household.children[index] for index in indexes]
    subjects = _Subjects(indexes, tuple(child.birth for child in children),
                         tuple(_table(memo, ("child", child.birth, on)) for child in children),
                         tuple(_label(child, on) for child in children), all(_is_expected(child, on) for child in children))
    return [_evaluate_service(service, household, on, horizon_end, memo, subjects) for service in services]


def _table(memo: dict[Any, Any], key: tuple[Any, ...]) -> dict[Any, Any]:
    table = memo.get(key)
    if table is None:
        table = memo[key] = {}
    return table


def _facts(memo: dict[Any, Any], service: ServiceLike) -> _ServiceFacts:
    key = ("rule", service.id)
    facts = memo.get(key)
    if facts is None:
        rule = rule_for(service)
        facts = memo[key] = _ServiceFacts(rule, service_check_reasons(service, rule.decides_income) | rule.reasons,
                                          _description(service, rule))
    return facts


def _evaluate_service(service: ServiceLike, household: HouseholdInput, on: date, horizon_end: date,
                      memo: dict[Any, Any], subjects: _Subjects) -> ServiceResult:
    facts = _facts(memo, service)
    if not subjects.indexes:
        if facts.no_child is None:
            facts.no_child = _result(service, _NOT_ELIGIBLE, None, frozenset(), (), [texts.NO_CHILD])
        return facts.no_child
    verdicts: list[_Verdict] = []
    best_rank = _PRIORITY_RANK[_NOT_ELIGIBLE]
    for birth, answers in zip(subjects.births, subjects.answers, strict=True):
        verdict = answers.get(service.id, _NOT_ASKED)
        if verdict is _NOT_ASKED:
            verdict = answers[service.id] = _interned(_child_verdict(memo, service, facts, birth, on, horizon_end))
        if verdict is _UNREADABLE:
            return _result(service, _CHECK, None, frozenset({CheckReason.UNVERIFIED_RULE}), (), [Reason(
                "この制度の条件を読み取れませんでした。", "We could not read this scheme's conditions.")])
        verdicts.append(verdict)
        if verdict is not _PLAIN_NOT_ELIGIBLE:  # the memo holds that most common answer interned
            best_rank = min(best_rank, _PRIORITY_RANK[verdict.status])
    best = _PRIORITY[best_rank]
    if best is _NOT_ELIGIBLE:  # the residence changes nothing then
        return _not_eligible_result(service, facts, subjects, verdicts)
    if (away := _turned_away(service, facts, household.city)) is not None:
        return away
    if len(verdicts) == 1:  # one child (most households): it is the one chosen
        chosen, indexes, labels = verdicts, subjects.indexes, subjects.labels
    else:
        positions = [position for position, verdict in enumerate(verdicts) if verdict.status is best]
        chosen = [verdicts[position] for position in positions]
        indexes = tuple(subjects.indexes[position] for position in positions)
        labels = tuple(subjects.labels[position] for position in positions)
    status, soon_from, reasons, lines = _decided(service, facts, household.city, best, chosen, labels)
    if service.id == CHILD_ALLOWANCE_ID and best is _ELIGIBLE:
        lines += third_child_notes(household, indexes, on)
    return _result(service, status, soon_from, reasons, indexes, lines + facts.description)


def _turned_away(service: ServiceLike, facts: _ServiceFacts, city: str | None) -> ServiceResult | None:
    if city not in facts.turned_away:
        lines = turned_away(service, city)
        facts.turned_away[city] = None if lines is None else _result(
            service, _NOT_ELIGIBLE, None, frozenset(), (), lines + facts.description)
    return facts.turned_away[city]


def _residence(service: ServiceLike, facts: _ServiceFacts, status: Status, reasons: frozenset[CheckReason],
               city: str | None) -> tuple[Status, frozenset[CheckReason], list[Reason]]:
    """apply_residence, kept per (status, codes, city): a service sees few of them (the lines are not changed)."""
    key = (status, reasons, city)
    if key not in facts.residence:
        facts.residence[key] = apply_residence(service, status, reasons, city)
    return facts.residence[key]


def _decided(service: ServiceLike, facts: _ServiceFacts, city: str | None, best: Status, chosen: list[_Verdict],
             labels: tuple[Reason, ...]) -> tuple[Status, date | None, frozenset[CheckReason], list[Reason]]:
    """The status, soon_from, check codes and lines (but the description) once the chosen children's answers (`best`
    for each) and the city are taken into account."""
    reasons = frozenset()
    if best in (_CHECK, _SOON):
        reasons = chosen[0].check_reasons if len(chosen) == 1 else frozenset().union(*(v.check_reasons for v in chosen))
    starts = [v.starts for v in chosen if v.starts is not None]
    soon_from = min(starts) if best is _SOON and starts else None
    status, reasons, residence_lines = _residence(service, facts, best, reasons, city)  # not turned away (see above)
    lines = list(residence_lines) if status is _OTHER_CITY else []
    # Other city: what the national rule says for the children; otherwise the final status (a residence condition
    # may have turned eligible into check).
    who = labels[0] if len(labels) == 1 else _children_label(labels)
    lines.append(_main_line(best if status is _OTHER_CITY else status, who, chosen, soon_from))
    if status is not _SOON:
        soon_from = None  # other_city: 流山市 sends its own notices and dates
    if any(verdict.notes for verdict in chosen):
        lines += _notes_of(labels, chosen)
    if status is not _OTHER_CITY:
        lines += residence_lines
        lines += _check_lines(reasons)
    return status, soon_from, reasons, lines


def _not_eligible_result(service: ServiceLike, facts: _ServiceFacts, subjects: _Subjects,
                         verdicts: list[_Verdict]) -> ServiceResult:
    # Most services for most children: nothing to say but "no child in the age range" (or "once born"), the same
    # result for every such household. The memo holds that answer interned, so identity tells.
    plain = all(verdict is _PLAIN_NOT_ELIGIBLE for verdict in verdicts)
    if plain and (found := facts.plain_not_eligible.get(subjects.all_expected)) is not None:
        return found
    result = _result(service, _NOT_ELIGIBLE, None, frozenset(), (),
                     _not_eligible_lines(subjects, verdicts) + facts.description)
    if plain:
        facts.plain_not_eligible[subjects.all_expected] = result
    return result


@lru_cache(maxsize=1 << 14)  # pure, and asked for every service: the batch asks again for the same children
def _is_expected(child: ChildInput, on: date) -> bool:
    return not any(day <= on for day in possible_birth_dates(child.birth, on))


@lru_cache(maxsize=1 << 14)
def _label(child: ChildInput, on: date) -> Reason:
    return texts.child_label(child.birth, expected=_is_expected(child, on))


@lru_cache(maxsize=1 << 14)
def _children_label(labels: tuple[Reason, ...]) -> Reason:
    return texts.children_label(labels)


def _result(service: ServiceLike, status: Status, soon_from: date | None, reasons: frozenset[CheckReason],
            indexes: tuple[int, ...], lines: list[Reason]) -> ServiceResult:
    return ServiceResult(service.id, status, soon_from, _codes(reasons), tuple(dict.fromkeys(lines)), indexes,
                         service.source_url, service.last_checked)


# By set of codes (a handful of sets): results list the codes, and explain them, in the order of declaration.
@lru_cache(maxsize=256)
def _codes(reasons: frozenset[CheckReason]) -> tuple[CheckReason, ...]:
    return tuple(code for code in _CHECK_ORDER if code in reasons)


@lru_cache(maxsize=256)
def _check_lines(reasons: frozenset[CheckReason]) -> tuple[Reason, ...]:
    return tuple(texts.CHECK_REASON_TEXTS[code] for code in _EXPLAINED_CHECKS if code in reasons)


# --- one child -------------------------------------------------------------------------------------------------


def _child_verdict(memo: dict[Any, Any], service: ServiceLike, facts: _ServiceFacts, birth: BirthDate, on: date,
                   horizon_end: date) -> _Verdict | None:
    """The child's answer; None when the service's rule cannot be read."""
    dates = [day for day in possible_birth_dates(birth, on) if day <= on]
    if not dates:  # expected: not born on any possible day
        outcome = expected_child_outcome(service).adding(notes=facts.rule.notes)
        return _date_verdict(_within_validity(service, outcome, on), facts.shared_reasons, horizon_end)
    per_date = []
    for day in dates:
        # By day of birth too: a year-and-month birth date asks for every day of its month, which the batch's
        # children born on those days have mostly asked for already.
        answers = _table(memo, ("born", day, on))
        verdict = answers.get(service.id, _NOT_ASKED)
        if verdict is _NOT_ASKED:
            verdict = answers[service.id] = _interned(_born_verdict(service, facts, day, on, horizon_end))
        if verdict is _UNREADABLE:
            return _UNREADABLE
        per_date.append(verdict)
    return _agreed(per_date)


def _interned(verdict: _Verdict | None) -> _Verdict | None:
    """The shared plain not_eligible answer for an equal one: the per-household path tells it by identity."""
    if verdict is not None and verdict.status is _NOT_ELIGIBLE and verdict == _PLAIN_NOT_ELIGIBLE:
        return _PLAIN_NOT_ELIGIBLE
    return verdict


def _born_verdict(service: ServiceLike, facts: _ServiceFacts, day: date, on: date, horizon_end: date) -> _Verdict | None:
    """The answer for a child born on `day`; None when the service's rule cannot be read."""
    try:
        outcome = (facts.rule.outcome or general_outcome)(service, day, on)
    except UnreadableRule:
        return _UNREADABLE
    return _date_verdict(_within_validity(service, outcome.adding(notes=facts.rule.notes), on), facts.shared_reasons,
                         horizon_end)


def _within_validity(service: ServiceLike, outcome: DateOutcome, on: date) -> DateOutcome:
    """A scheme with `valid_until` (the MR catch-up) ends for everyone on that day."""
    ends = service.valid_until
    if ends is None or outcome.timing is Timing.NEVER:
        return outcome
    if on > ends or (outcome.timing is Timing.LATER and outcome.starts is not None and outcome.starts > ends):
        return NEVER.adding(notes=(texts.ended(ends),))
    if outcome.timing is Timing.NOW and (outcome.ends is None or outcome.ends > ends):
        return DateOutcome(Timing.NOW, None, ends, outcome.check_reasons, outcome.notes)
    return outcome


# The few distinct sets of check codes, shared by the memo's answers: the batch's memo holds an answer per service
# and birth date, and the fewer objects it holds, the less the garbage collector has to walk.
_CHECK_SETS: dict[frozenset[CheckReason], frozenset[CheckReason]] = {}


def _shared_set(reasons: frozenset[CheckReason]) -> frozenset[CheckReason]:
    return _CHECK_SETS.setdefault(reasons, reasons)


def _date_verdict(outcome: DateOutcome, shared_reasons: frozenset[CheckReason], horizon_end: date) -> _Verdict:
    if outcome.timing is Timing.NEVER:
        return _Verdict(Status.NOT_ELIGIBLE, notes=outcome.notes)
    reasons = _shared_set(outcome.check_reasons | shared_reasons)
    if outcome.timing is Timing.NOW:
        return _Verdict(Status.CHECK if reasons else Status.ELIGIBLE, ends=outcome.ends, check_reasons=reasons,
                        notes=outcome.notes)
    assert outcome.starts is not None
    if outcome.starts <= horizon_end:
        return _Verdict(Status.SOON, starts=outcome.starts, check_reasons=reasons, notes=outcome.notes)
    return _Verdict(Status.NOT_ELIGIBLE, starts=outcome.starts, notes=outcome.notes, later=True)


def _agreed(per_date: list[_Verdict]) -> _Verdict:
    """One child's answer from the answers for each possible birth date: theirs when they agree; 要確認
    (birth_day_needed) when the day decides. A start just beyond the horizon for some days is still soon."""
    if len(per_date) == 1:  # a known birth date (what merging one answer gives)
        return per_date[0]
    statuses = {verdict.status for verdict in per_date}
    if len(statuses) == 1:
        return _merged(per_date[0].status, per_date)
    if statuses == {Status.SOON, Status.NOT_ELIGIBLE} and all(v.later for v in per_date if v.status is Status.NOT_ELIGIBLE):
        return _merged(Status.SOON, [v for v in per_date if v.status is Status.SOON])
    possible = [v for v in per_date if v.status is not Status.NOT_ELIGIBLE]
    merged = _merged(Status.CHECK, possible)
    return _Verdict(Status.CHECK, check_reasons=_shared_set(merged.check_reasons | {CheckReason.BIRTH_DAY_NEEDED}),
                    notes=merged.notes)


def _merged(status: Status, verdicts: list[_Verdict]) -> _Verdict:
    starts = [v.starts for v in verdicts if v.starts is not None]
    ends = {v.ends for v in verdicts}
    return _Verdict(status, starts=min(starts) if starts else None, ends=ends.pop() if len(ends) == 1 else None,
                    check_reasons=_shared_set(frozenset().union(*(v.check_reasons for v in verdicts))),
                    notes=_common_notes(verdicts), later=all(v.later for v in verdicts))


def _common_notes(verdicts: list[_Verdict]) -> tuple[Reason, ...]:
    """The notes every verdict has (a note that depends on the unknown day is left out), in the first's order."""
    if len(verdicts) <= 1:
        return verdicts[0].notes if verdicts else ()
    return tuple(note for note in verdicts[0].notes if all(note in v.notes for v in verdicts[1:]))


def _notes_of(labels: tuple[Reason, ...], chosen: list[_Verdict]) -> list[Reason]:
    """The notes all chosen children share, then each child's own, with who it is about."""
    shared = _common_notes(chosen)
    lines = list(shared)
    for who, verdict in zip(labels, chosen, strict=True):
        lines += [Reason(f"{who.ja}: {note.ja}", f"{texts.capitalised(who.en)}: {note.en}")
                  for note in verdict.notes if note not in shared]
    return lines


# --- words -----------------------------------------------------------------------------------------------------


# Worded once per child and date: the batch words the same lines for every household with a child born that day.
_eligible_line = lru_cache(maxsize=1 << 14)(texts.eligible)
_becomes_eligible_line = lru_cache(maxsize=1 << 14)(texts.becomes_eligible)
_may_be_eligible_line = lru_cache(maxsize=1 << 12)(texts.may_be_eligible)


def _main_line(status: Status, who: Reason, chosen: list[_Verdict], soon_from: date | None) -> Reason:
    if status is _ELIGIBLE:
        return _eligible_line(who, chosen[0].ends if len(chosen) == 1 else None)
    if status is _SOON and soon_from is not None:
        return _becomes_eligible_line(who, soon_from)
    return _may_be_eligible_line(who)


def _not_eligible_lines(subjects: _Subjects, verdicts: list[_Verdict]) -> list[Reason]:
    later = {position: v.starts for position, v in enumerate(verdicts) if v.later and v.starts is not None}
    lines: list[Reason] = []
    if later:
        position = min(later, key=lambda i: later[i])
        lines.append(_becomes_eligible_line(subjects.labels[position], later[position]))
    lines += [note for v in verdicts for note in v.notes]
    if not lines and subjects.all_expected:
        lines.append(texts.ONLY_AFTER_BIRTH)
    return lines or [texts.NOT_IN_AGE_RANGE]


def _description(service: ServiceLike, rule: ServiceRule) -> list[Reason]:
    description = rule.description or texts.describe_age(age_fields(service))
    return [description] if description else []
