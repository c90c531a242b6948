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
from dataclasses import dataclass
from datetime import date

from app.household.ages import possible_birth_dates
from app.recommend import texts
from app.recommend.age_rules import expected_child_outcome, general_outcome, service_check_reasons
from app.recommend.allowance import CHILD_ALLOWANCE_ID, third_child_notes
from app.recommend.household import ChildInput, HouseholdInput
from app.recommend.outcomes import NEVER, CheckReason, DateOutcome, Reason, ServiceLike, Status, Timing, age_fields
from app.recommend.residence import apply_residence
from app.recommend.service_rules import ServiceRule, rule_for
from app.recommend.spans import UnreadableRule, add_months

__all__ = ["CheckReason", "Reason", "ServiceResult", "Status", "evaluate", "SOON_HORIZON_MONTHS"]

SOON_HORIZON_MONTHS = 6


# Which child's answer is the household's: the first in this order.
_PRIORITY = (Status.ELIGIBLE, Status.CHECK, Status.SOON, Status.NOT_ELIGIBLE)


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


@dataclass(frozen=True)
class _Verdict:
    """The answer for one possible birth date, then for one child. `later`: not eligible only because it starts
    after the horizon."""

    status: Status
    starts: date | None = None
    ends: date | None = None
    check_reasons: frozenset[CheckReason] = frozenset()
    notes: tuple[Reason, ...] = ()
    later: bool = False


def evaluate(services: Iterable[ServiceLike], household: HouseholdInput, on: date) -> list[ServiceResult]:
    """One result per service, in the order given."""
    horizon_end = add_months(on, SOON_HORIZON_MONTHS)
    return [_evaluate_service(service, household, on, horizon_end) for service in services]


def _evaluate_service(service: ServiceLike, household: HouseholdInput, on: date, horizon_end: date) -> ServiceResult:
    rule = rule_for(service)
    shared_reasons = service_check_reasons(service, rule.decides_income) | rule.reasons
    subjects = [(index, child) for index, child in enumerate(household.children) if not child.counted_sibling]
    try:
        verdicts = {index: _child_verdict(service, rule, child, on, horizon_end, shared_reasons) for index, child in subjects}
    except UnreadableRule:
        return _result(service, Status.CHECK, None, frozenset({CheckReason.UNVERIFIED_RULE}), (), [Reason(
            "この制度の条件を読み取れませんでした。", "We could not read this scheme's conditions.")])
    if not verdicts:
        return _result(service, Status.NOT_ELIGIBLE, None, frozenset(), (), [texts.NO_CHILD])
    best = min((verdict.status for verdict in verdicts.values()), key=_PRIORITY.index)
    indexes = tuple(index for index, verdict in verdicts.items() if verdict.status is best)
    chosen = [verdicts[index] for index in indexes]
    reasons = frozenset().union(*(v.check_reasons for v in chosen)) if best in (Status.CHECK, Status.SOON) else frozenset()
    starts = [v.starts for v in chosen if v.starts is not None]
    soon_from = min(starts) if best is Status.SOON and starts else None
    status, reasons, residence_lines = apply_residence(service, best, reasons, household.city)
    who = texts.children_label([_label(household.children[index], on) for index in indexes]) if indexes else None
    lines: list[Reason] = []
    if status is Status.NOT_ELIGIBLE:
        lines += residence_lines or _not_eligible_lines(household, verdicts, on)
        return _result(service, status, None, frozenset(), (), lines + _description(service, rule))
    assert who is not None
    if status is Status.OTHER_CITY:
        lines += residence_lines
    # Other city: what the national rule says for the children; otherwise the final status (a residence condition
    # may have turned eligible into check).
    lines.append(_main_line(best if status is Status.OTHER_CITY else status, who, chosen, soon_from))
    if status is not Status.SOON:
        soon_from = None  # other_city: 流山市 sends its own notices and dates
    lines += _notes_of(household, indexes, chosen, on)
    if status is not Status.OTHER_CITY:
        lines += residence_lines
        lines += [texts.CHECK_REASON_TEXTS[code] for code in CheckReason
                  if code in reasons and code is not CheckReason.OTHER_CONDITION]
    if service.id == CHILD_ALLOWANCE_ID and best is Status.ELIGIBLE:
        lines += third_child_notes(household, indexes, on)
    return _result(service, status, soon_from, reasons, indexes, lines + _description(service, rule))


def _is_expected(child: ChildInput, on: date) -> bool:
    return not any(day <= on for day in possible_birth_dates(child.birth, on))


def _label(child: ChildInput, on: date) -> Reason:
    return texts.child_label(child.birth, expected=_is_expected(child, on))


def _result(service: ServiceLike, status: Status, soon_from: date | None, reasons: frozenset[CheckReason],
            indexes: tuple[int, ...], lines: list[Reason]) -> ServiceResult:
    unique = tuple(dict.fromkeys(lines))
    return ServiceResult(service.id, status, soon_from, tuple(code for code in CheckReason if code in reasons), unique,
                         indexes, service.source_url, service.last_checked)


# --- one child -------------------------------------------------------------------------------------------------


def _child_verdict(service: ServiceLike, rule: ServiceRule, child: ChildInput, on: date, horizon_end: date,
                   shared_reasons: frozenset[CheckReason]) -> _Verdict:
    dates = [day for day in possible_birth_dates(child.birth, on) if day <= on]
    if not dates:  # expected: not born on any possible day
        outcome = expected_child_outcome(service).adding(notes=rule.notes)
        return _date_verdict(_within_validity(service, outcome, on), shared_reasons, horizon_end)
    outcome_for = rule.outcome or general_outcome
    per_date = [_date_verdict(_within_validity(service, outcome_for(service, day, on).adding(notes=rule.notes), on),
                              shared_reasons, horizon_end) for day in dates]
    return _agreed(per_date)


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


def _date_verdict(outcome: DateOutcome, shared_reasons: frozenset[CheckReason], horizon_end: date) -> _Verdict:
    if outcome.timing is Timing.NEVER:
        return _Verdict(Status.NOT_ELIGIBLE, notes=outcome.notes)
    reasons = outcome.check_reasons | shared_reasons
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
    statuses = {verdict.status for verdict in per_date}
    if len(statuses) == 1:
        return _merged(per_date[0].status, per_date)
    if statuses == {Status.SOON, Status.NOT_ELIGIBLE} and all(v.later for v in per_date if v.status is Status.NOT_ELIGIBLE):
        return _merged(Status.SOON, [v for v in per_date if v.status is Status.SOON])
    possible = [v for v in per_date if v.status is not Status.NOT_ELIGIBLE]
    merged = _merged(Status.CHECK, possible)
    return _Verdict(Status.CHECK, check_reasons=merged.check_reasons | {CheckReason.BIRTH_DAY_NEEDED}, notes=merged.notes)


def _merged(status: Status, verdicts: list[_Verdict]) -> _Verdict:
    starts = [v.starts for v in verdicts if v.starts is not None]
    ends = {v.ends for v in verdicts}
    return _Verdict(status, starts=min(starts) if starts else None, ends=ends.pop() if len(ends) == 1 else None,
                    check_reasons=frozenset().union(*(v.check_reasons for v in verdicts)),
                    notes=_common_notes(verdicts), later=all(v.later for v in verdicts))


def _common_notes(verdicts: list[_Verdict]) -> tuple[Reason, ...]:
    """The notes every verdict has (a note that depends on the unknown day is left out), in the first's order."""
    if not verdicts:
        return ()
    return tuple(note for note in verdicts[0].notes if all(note in v.notes for v in verdicts[1:]))


def _notes_of(household: HouseholdInput, indexes: tuple[int, ...], chosen: list[_Verdict], on: date) -> list[Reason]:
    """The notes all chosen children share, then each child's own, with who it is about."""
    shared = _common_notes(chosen)
    lines = list(shared)
    for index, verdict in zip(indexes, chosen, strict=True):
        who = _label(household.children[index], on)
        lines += [Reason(f"{who.ja}: {note.ja}", f"{texts.capitalised(who.en)}: {note.en}")
                  for note in verdict.notes if note not in shared]
    return lines


# --- words -----------------------------------------------------------------------------------------------------


def _main_line(status: Status, who: Reason, chosen: list[_Verdict], soon_from: date | None) -> Reason:
    if status is Status.ELIGIBLE:
        return texts.eligible(who, chosen[0].ends if len(chosen) == 1 else None)
    if status is Status.SOON and soon_from is not None:
        return texts.becomes_eligible(who, soon_from)
    return texts.may_be_eligible(who)


def _not_eligible_lines(household: HouseholdInput, verdicts: dict[int, _Verdict], on: date) -> list[Reason]:
    later = {index: v.starts for index, v in verdicts.items() if v.later and v.starts is not None}
    lines: list[Reason] = []
    if later:
        index = min(later, key=lambda i: later[i])
        lines.append(texts.becomes_eligible(_label(household.children[index], on), later[index]))
    lines += [note for v in verdicts.values() for note in v.notes]
    if not lines and all(_is_expected(household.children[index], on) for index in verdicts):
        lines.append(texts.ONLY_AFTER_BIRTH)
    return lines or [texts.NOT_IN_AGE_RANGE]


def _description(service: ServiceLike, rule: ServiceRule) -> list[Reason]:
    description = rule.description or texts.describe_age(age_fields(service))
    return [description] if description else []
