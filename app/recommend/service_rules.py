"""Rules particular to one service, where the catalogue's notes, conditions or sources say more than its age fields.

Each reads the row's own fields where it can (so that a staff edit of the ages still counts) and cites where its
reading comes from (the service's `source` ids in catalog.json). Services not listed here follow `age_rules`.

How end days are read (meta.conventions.age_months asks to check each rule's own wording):
- こども誰でも通園制度 "3歳の誕生日の前々日まで" is the conventions' `max_months_exclusive: 36` as it stands: fewer
  than 36 full months ends the day before the child reaches 3, two days before the birthday (kashiwa_daretsu).
- 定期予防接種 "生後24月に至るまで" and every window of the vaccination category: through the day the child reaches
  the upper age (the day before the birthday) — `spans.vaccination_months_span` (kashiwa_yobo, 予防接種法施行令).
- 1歳6か月児健診 / 3歳児健診: 母子保健法12条 "満1歳6か月を超え満2歳に達しない", "満3歳を超え満4歳に達しない" (the
  milestones' notes, boshihokenho): from the 1歳6か月 / 3rd birthday through the day before the 2nd / 4th birthday.
- 産後ケア: 母子保健法17条の2 "出産後1年を経過しない" (boshihokenho). Read with 民法140条 (the day of birth not
  counted) the year runs through the first birthday; read as an age, through the day before. The answer is 要確認
  anyway (柏市's details are unconfirmed), so the longer reading is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from app.household.ages import class_index
from app.recommend.age_rules import general_outcome, outcome_of
from app.recommend.outcomes import NEVER, CheckReason, DateOutcome, Reason, ServiceLike, Timing, age_fields
from app.recommend.spans import ONE_DAY, Span, class_span, grade_span, months_span, over_until_reaching_span, reaches_months
from app.recommend.texts import ended, grades_en, grades_ja, month_en, month_ja, months_en, months_ja

Outcome = Callable[[ServiceLike, date, date], DateOutcome]


@dataclass(frozen=True)
class ServiceRule:
    """`outcome`: the rule for a born child (None = the general one); `decides_income`: it applies the income
    condition itself (so the general income test does not); `description`: the age rule in words; `reasons` and
    `notes`: added to every answer of the service."""

    outcome: Outcome | None = None
    decides_income: bool = False
    description: Reason | None = None
    reasons: frozenset[CheckReason] = frozenset()
    notes: tuple[Reason, ...] = field(default_factory=tuple)


def legal_checkup(service: ServiceLike, birth: date, on: date) -> DateOutcome:
    """母子保健法12条's window, and the month 柏市 holds the group check-up in (milestone target_month, kashiwa_faq42)."""
    age = age_fields(service)
    low, high = age.get("min_months"), age.get("max_months_exclusive")
    if not isinstance(low, int) or not isinstance(high, int):
        return general_outcome(service, birth, on)
    outcome = outcome_of(over_until_reaching_span(birth, low, high), on)
    targets = [m["target_month"] for m in service.milestones or [] if isinstance(m.get("target_month"), int)]
    if outcome.timing is Timing.NEVER or not targets:
        return outcome
    target = targets[0]
    # "1歳7か月になる月": the month of the 1歳7か月 "birthday", the day after the child legally reaches 19 months.
    month = reaches_months(birth, target) + ONE_DAY
    return outcome.adding(notes=(
        Reason(f"柏市では{months_ja(target)}になる月に実施し、対象の方に通知が届きます。",
               f"Kashiwa holds it in the month your child turns {months_en(target)} and sends a notice."),
        Reason(f"{month_ja(month)}の予定です。", f"Expected in {month_en(month)}."),
    ))


def postpartum_care(service: ServiceLike, birth: date, on: date) -> DateOutcome:
    """母子保健法17条の2 "出産後1年を経過しない" (boshihokenho): through the first birthday (see the module's notes)."""
    high = age_fields(service).get("max_months_exclusive")
    if not isinstance(high, int):
        return general_outcome(service, birth, on)
    return outcome_of(Span(birth, reaches_months(birth, high) + ONE_DAY), on)


# svc_mr_catchup's benefit.note (kashiwa_mr_catchup): "第1期のうち令和7年度に2歳を迎えるかた(柏市独自)は2026-03-31
# まで". 2歳を迎える (the 2nd birthday) in 令和7年度 = born 2023-04-01 .. 2024-03-31, as the file's range is written.
KASHIWA_ONLY_MR_COHORT = Span(date(2023, 4, 1), date(2024, 3, 31))
KASHIWA_ONLY_MR_COHORT_ENDS = date(2026, 3, 31)
MR_PERIODS_EN = {"第1期": "phase 1", "第2期": "phase 2"}


def mr_catchup(service: ServiceLike, birth: date, on: date) -> DateOutcome:
    """Children born within one of `birthdate_ranges` who have not had the vaccine, until `valid_until`; the
    Kashiwa-only 2-year-old cohort until 2026-03-31."""
    for birth_range in service.birthdate_ranges or []:
        born_in = Span(date.fromisoformat(birth_range["from"]), date.fromisoformat(birth_range["to"]))
        if not born_in.contains(birth):
            continue
        ends = KASHIWA_ONLY_MR_COHORT_ENDS if KASHIWA_ONLY_MR_COHORT.contains(birth) else service.valid_until
        if ends is not None and on > ends:
            return NEVER.adding(notes=(ended(ends),))
        label = str(birth_range.get("label") or "")
        return DateOutcome(Timing.NOW, ends=ends, notes=(
            Reason(f"{label}の対象の生年月日です。まだ接種していない場合に受けられます。",
                   f"The birth date is within the dates for {MR_PERIODS_EN.get(label, label)}. It can be given if your child "
                   "has not had it yet."),
        ))
    return NEVER


# benefit.second_timing "出生後(胎児数の届出)": the second payment is claimed after the birth, and the file does not
# say until when. While the child is a newborn (under 2 months, the file's "newborn" stage as in the 1か月児健診's
# rule) the answer is 要確認; after that, the benefit is for pregnancies.
NEWBORN_MONTHS = 2


def pregnancy_benefit(service: ServiceLike, birth: date, on: date) -> DateOutcome:
    if months_span(birth, 0, NEWBORN_MONTHS).contains(on):
        return DateOutcome(Timing.NOW, check_reasons=frozenset({CheckReason.UNVERIFIED_RULE}), notes=(
            Reason("出生後の2回目の給付の申請期限を確認してください。",
                   "Please check the deadline to claim the second payment after the birth."),))
    return NEVER


ELEMENTARY_4_CLASS = 9


def child_medical_subsidy(service: ServiceLike, birth: date, on: date) -> DateOutcome:
    """Only the old page was found (kashiwa_iryohi_old): 中学3年生まで, with an income limit for 通院 from 小学4年生.
    The notes say 柏市 has probably extended it to 高校3年生相当 like its neighbours: those ages are 要確認 too."""
    outcome = general_outcome(service, birth, on)
    if outcome.timing is Timing.NOW:
        if class_index(birth, on) >= ELEMENTARY_4_CLASS:
            return outcome.adding((CheckReason.INCOME_TEST,), (
                Reason(f"以前の案内では、{grades_ja('elementary_4')}以上の通院に所得制限がありました。",
                       f"Under the old rules, outpatient visits from {grades_en('elementary_4')} had an income limit."),))
        return outcome
    if outcome.timing is Timing.NEVER and grade_span(birth, "high_1", "high_3").contains(on):
        return DateOutcome(Timing.NOW, check_reasons=frozenset({CheckReason.UNVERIFIED_RULE}), notes=(
            Reason(f"以前の案内では{grades_ja('junior_high_3')}までですが、{grades_ja('high_3')}まで広がっている可能性があります。",
                   f"The old rules end at {grades_en('junior_high_3')}, but it may now cover high-school age."),))
    return outcome


def free_early_education(service: ServiceLike, birth: date, on: date) -> DateOutcome:
    """income_condition_text (kashiwa_mushoka): "0〜2歳児クラスは市民税非課税世帯のみ対象"; 3〜5歳児クラス for all."""
    outcome = general_outcome(service, birth, on)
    classes = age_fields(service).get("nursery_age_class")
    if outcome.timing is Timing.NOW or not isinstance(classes, list) or not classes or min(classes) == 0:
        return outcome
    if class_span(birth, 0, min(classes) - 1).contains(on):
        return DateOutcome(Timing.NOW, check_reasons=frozenset({CheckReason.INCOME_TEST}), notes=(
            Reason("0〜2歳児クラスは、住民税非課税の世帯が対象です。",
                   "In the 0- to 2-year-old classes, it is for households exempt from residence tax."),))
    return outcome


SERVICE_RULES: dict[str, ServiceRule] = {
    "svc_daretsu": ServiceRule(description=Reason("対象: 生後6か月から3歳の誕生日の前々日まで",
                                                  "For: from 6 months old until two days before the 3rd birthday")),
    "svc_kenshin_1y6m": ServiceRule(legal_checkup, description=Reason(
        "対象: 1歳6か月を過ぎてから2歳の誕生日の前日まで", "For: from 1 year 6 months until the day before the 2nd birthday")),
    "svc_kenshin_3y": ServiceRule(legal_checkup, description=Reason(
        "対象: 3歳の誕生日から4歳の誕生日の前日まで", "For: from the 3rd birthday until the day before the 4th birthday")),
    "svc_sango_care": ServiceRule(postpartum_care, description=Reason(
        "対象: 出産後1年までの母子", "For: mothers and babies within a year of the birth")),
    "svc_mr_catchup": ServiceRule(mr_catchup, description=Reason(
        "対象: ワクチン不足の時期に接種できなかった生年月日のお子さま",
        "For: children born on the dates whose vaccination the shortage delayed")),
    "svc_ninpu_kyufu": ServiceRule(pregnancy_benefit, description=Reason("対象: 妊娠中の方", "For: expectant mothers")),
    "svc_kodomo_iryohi": ServiceRule(child_medical_subsidy, decides_income=True),
    "svc_mushoka": ServiceRule(free_early_education, decides_income=True),
    # Planned for 令和8年度 (benefit.note, how_to_apply "開設状況は要確認"; kashiwa_r7_kaigi): not known to be open.
    "svc_kodomo_wakamono_center": ServiceRule(reasons=frozenset({CheckReason.UNVERIFIED_RULE}), notes=(
        Reason("令和8年度中に開設予定の施設です。開設しているか確認してください。",
               "It is planned to open during fiscal 2026. Please check that it has opened."),)),
}


def rule_for(service: ServiceLike) -> ServiceRule:
    return SERVICE_RULES.get(service.id, ServiceRule())
