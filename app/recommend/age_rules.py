"""The general reading of a service's rule, as the catalogue's `meta.conventions` define its fields.

- `envelope`: the conditions of eligibility.age, all at once (months, 31 March after age N, grades, 年齢クラス).
- `window_outcome`: services with `milestones` (check-ups, vaccinations) are due only inside their windows.
- `service_check_reasons`: what makes every answer of a service 要確認 (low confidence, an unconfirmed rule, a
  facility-dependent age, an income limit).
- `expected_child_outcome`: an expected child (birth date in the future) counts only for pregnancy services.

Rules particular to one service (with their sources) are in `service_rules`.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from app.recommend.outcomes import NEVER, CheckReason, DateOutcome, Reason, ServiceLike, Timing, age_fields
from app.recommend.spans import (
    Span,
    class_span,
    days_span,
    grade_span,
    intersect_all,
    months_span,
    until_end_of_fiscal_year_of_age_span,
    vaccination_months_span,
    weeks_span,
)

# Rule statuses (eligibility.age.status) that let a result be plainly eligible. partially_verified: the part the
# file encodes is confirmed (病児保育: 乳幼児 per the FAQ; はぐはぐひろば: 就学前), what is open is outside it.
CONFIRMED_AGE_STATUSES = ("verified", "partially_verified")
FACILITY_DEPENDENT = "facility_dependent"
# The life stage that marks services for expected parents (妊婦, プレママ・プレパパ, 妊娠中の保護者).
PREGNANCY_STAGE = "pregnancy"
# An income limit on who may use it (所得制限あり / 収入制限あり / 支給停止 / 非課税世帯のみ対象), as opposed to fees
# that depend on income (料金区分, 保育料, 減免), which decide nothing about eligibility.
_INCOME_LIMIT = re.compile(r"(所得|収入)制限あり|支給停止|のみ対象")
_NO_INCOME_LIMIT = re.compile(r"(所得|収入)制限なし")
# Vaccination windows are written as 予防接種法施行令 writes them ("生後a月から生後b月に至るまで").
VACCINATION_CATEGORY = "vaccination"

# The names of the milestones in English (the file has them in Japanese only).
MILESTONE_NAMES_EN = {
    "B型肝炎": "hepatitis B", "ロタウイルス(1価)": "rotavirus (1-valent)", "ロタウイルス(5価)": "rotavirus (5-valent)",
    "五種混合(DPT-IPV-Hib)": "5-in-1 (DPT-IPV-Hib)", "小児用肺炎球菌": "pneumococcal (children)", "BCG": "BCG",
    "麻しん風しん(MR)1期": "measles-rubella (MR) phase 1", "麻しん風しん(MR)2期": "measles-rubella (MR) phase 2",
    "水痘": "chickenpox", "日本脳炎1期": "Japanese encephalitis phase 1", "日本脳炎2期": "Japanese encephalitis phase 2",
    "二種混合(DT)2期": "DT phase 2", "HPV(子宮頸がん予防)": "HPV (cervical cancer prevention)",
    "乳児健診(1回目)": "infant check-up (1st)", "乳児健診(2回目)": "infant check-up (2nd)", "1か月児健診": "1-month check-up",
}


def states_income_limit(text: str | None) -> bool:
    return bool(text) and not _NO_INCOME_LIMIT.search(text or "") and bool(_INCOME_LIMIT.search(text or ""))


def rule_is_unconfirmed(service: ServiceLike) -> bool:
    """Confidence low, or an age rule not confirmed for 柏市 (unverified, possibly_outdated, third_party_report,
    kashiwa_implementation_unverified, kashiwa_details_unverified, or a status this engine does not know)."""
    status = age_fields(service).get("status") or "verified"
    return service.confidence == "low" or status not in (*CONFIRMED_AGE_STATUSES, FACILITY_DEPENDENT)


def service_check_reasons(service: ServiceLike, income_decided_by_rule: bool) -> frozenset[CheckReason]:
    reasons = set()
    if rule_is_unconfirmed(service):
        reasons.add(CheckReason.UNVERIFIED_RULE)
    if age_fields(service).get("status") == FACILITY_DEPENDENT:
        reasons.add(CheckReason.FACILITY_DEPENDENT)
    eligibility = service.eligibility if isinstance(service.eligibility, dict) else {}
    if not income_decided_by_rule and states_income_limit(eligibility.get("income_condition_text")):
        reasons.add(CheckReason.INCOME_TEST)
    return frozenset(reasons)


def outcome_of(span: Span | None, on: date) -> DateOutcome:
    if span is None or span.has_ended(on):
        return NEVER
    if on < span.first:
        return DateOutcome(Timing.LATER, starts=span.first)
    return DateOutcome(Timing.NOW, ends=span.last)


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def envelope(age: dict[str, Any], birth: date) -> Span | None:
    """Every condition of eligibility.age at once; None when no day satisfies them all."""
    spans: list[Span | None] = [months_span(birth, _whole(age.get("min_months")), _whole(age.get("max_months_exclusive")))]
    if (fiscal_age := _whole(age.get("until_end_of_fiscal_year_of_age"))) is not None:
        spans.append(until_end_of_fiscal_year_of_age_span(birth, fiscal_age))
    if age.get("school_grade_min") or age.get("school_grade_max"):
        spans.append(grade_span(birth, age.get("school_grade_min"), age.get("school_grade_max")))
    classes = age.get("nursery_age_class")
    if isinstance(classes, list) and classes:
        spans.append(class_span(birth, min(classes), max(classes)))
    return intersect_all(birth, spans)


@lru_cache(maxsize=4096)
def _note(ja: str, en: str) -> Reason:
    """One object per note: the batch's memo keeps the notes of every service and birth date, mostly the same few."""
    return Reason(ja, en)


class Window(NamedTuple):  # a named tuple: made for every milestone of every possible birth date
    name: Reason
    span: Span
    female_only: bool


def _is_window(milestone: dict[str, Any]) -> bool:
    """Whether `_window_span` gives the milestone a window (whatever the birth date)."""
    return (isinstance(milestone.get("window_months"), list) or isinstance(milestone.get("window_weeks"), list)
            or isinstance(milestone.get("window_days"), list) or isinstance(milestone.get("school_grade"), str)
            or isinstance(milestone.get("school_grade_range"), list))


def _window_span(milestone: dict[str, Any], birth: date, vaccination: bool) -> Span | None:
    if isinstance(months := milestone.get("window_months"), list):
        return vaccination_months_span(birth, *months) if vaccination else months_span(birth, months[0], months[1])
    if isinstance(weeks := milestone.get("window_weeks"), list):
        return weeks_span(birth, *weeks)
    if isinstance(days := milestone.get("window_days"), list):
        return days_span(birth, *days)
    if isinstance(grade := milestone.get("school_grade"), str):
        return grade_span(birth, grade, grade)
    if isinstance(grades := milestone.get("school_grade_range"), list):
        return grade_span(birth, grades[0], grades[1])
    return None  # a target month only (the check-ups held in one month): not a window


def windows(service: ServiceLike, birth: date, within: Span | None) -> list[Window]:
    """The milestones that are windows, each cut to the service's age envelope (empty ones left out)."""
    vaccination = service.category == VACCINATION_CATEGORY
    found = []
    for milestone in service.milestones or []:
        span = _window_span(milestone, birth, vaccination)
        cut = span.intersect(within) if span is not None and within is not None else None
        if cut is not None:
            name_ja = str(milestone.get("vaccine") or milestone.get("name_ja") or "")
            found.append(Window(_note(name_ja, MILESTONE_NAMES_EN.get(name_ja, name_ja)), cut,
                                milestone.get("sex") == "female"))
    return found


def window_outcome(service: ServiceLike, birth: date, on: date, within: Span | None) -> DateOutcome | None:
    """Due now when a window is open, later when the next one opens; None when the service has no windows."""
    if not any(_is_window(m) for m in service.milestones or []):
        return None
    found = windows(service, birth, within)
    open_now = [window for window in found if window.span.contains(on)]
    if open_now:
        names = Reason("、".join(w.name.ja for w in open_now), ", ".join(w.name.en for w in open_now))
        notes = [_note(f"今の時期: {names.ja}", f"Due now: {names.en}")]
        reasons: set[CheckReason] = set()
        if all(window.female_only for window in open_now):
            reasons.add(CheckReason.OTHER_CONDITION)
            notes.append(_note("女のお子さまが対象です。", "This is for girls."))
        lasts = [window.span.last for window in open_now]
        ends = None if None in lasts else max(last for last in lasts if last is not None)
        return DateOutcome(Timing.NOW, ends=ends, check_reasons=frozenset(reasons), notes=tuple(notes))
    upcoming = [window for window in found if window.span.first > on]
    if upcoming:
        first = min(window.span.first for window in upcoming)
        names = [window.name for window in upcoming if window.span.first == first]
        return DateOutcome(Timing.LATER, starts=first, notes=(_note(
            f"次の時期: {'、'.join(n.ja for n in names)}", f"Next: {', '.join(n.en for n in names)}"),))
    return NEVER


def general_outcome(service: ServiceLike, birth: date, on: date) -> DateOutcome:
    """The catalogue's conventions, with no rule of the service's own."""
    within = envelope(age_fields(service), birth)
    by_window = window_outcome(service, birth, on, within)
    return by_window if by_window is not None else outcome_of(within, on)


def expected_child_outcome(service: ServiceLike) -> DateOutcome:
    """Not born yet: only services for pregnancy apply (their `life_stages` include "pregnancy")."""
    if PREGNANCY_STAGE in (service.life_stages or []):
        return DateOutcome(Timing.NOW, notes=(_note("妊娠中の方も対象です。", "Expectant parents can use it too."),))
    return NEVER
