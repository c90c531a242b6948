"""The words of the results: dates, who in the household, the fixed explanations of each check code, age rules.

Plain, polite and short (UI.md): one sentence per reason, dates as 2026年12月1日(火) / 1 December 2026 (Tue).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from app.household.ages import BirthDate
from app.recommend.outcomes import CheckReason, Reason

_WEEKDAYS_JA = "月火水木金土日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")


def date_ja(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日({_WEEKDAYS_JA[day.weekday()]})"


def date_en(day: date) -> str:
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year} ({_WEEKDAYS_EN[day.weekday()]})"


def month_ja(day: date) -> str:
    return f"{day.year}年{day.month}月"


def month_en(day: date) -> str:
    return f"{_MONTHS_EN[day.month - 1]} {day.year}"


def child_label(birth: BirthDate, expected: bool) -> Reason:
    """"2025年4月生まれのお子さま" / "your child born in April 2025"; an expected child by the due month."""
    month = f"{_MONTHS_EN[birth.month - 1]} {birth.year}"
    if expected:
        return Reason(f"{birth.year}年{birth.month}月に生まれる予定のお子さま", f"your child due in {month}")
    if birth.day is None:
        return Reason(f"{birth.year}年{birth.month}月生まれのお子さま", f"your child born in {month}")
    return Reason(f"{birth.year}年{birth.month}月{birth.day}日生まれのお子さま", f"your child born on {birth.day} {month}")


def children_label(labels: Sequence[Reason]) -> Reason:
    """Several children in one phrase: "2025年4月生まれ・2021年5月生まれのお子さま" / "your children born in …"."""
    if len(labels) == 1:
        return labels[0]
    suffix = "のお子さま"
    ja = "・".join(label.ja.removesuffix(suffix) for label in labels) + suffix
    parts = [label.en.removeprefix("your child ") for label in labels]
    # "born on 1 May 2012 and 2 January 2009", not "… and born on 2 January 2009": a repeated verb goes.
    for index in range(len(parts) - 1, 0, -1):
        verb = " ".join(parts[index].split(" ", 2)[:2]) + " "  # "born on ", "born in ", "due in "
        if parts[index - 1].startswith(verb):
            parts[index] = parts[index].removeprefix(verb)
    return Reason(ja, "your children " + ", ".join(parts[:-1]) + " and " + parts[-1])


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


CHECK_REASON_TEXTS: dict[CheckReason, Reason] = {
    CheckReason.INCOME_TEST: Reason("所得などの条件があります。公式ページで確認してください。",
                                    "There is an income condition. Please check the official page."),
    CheckReason.FACILITY_DEPENDENT: Reason("対象年齢や料金は施設ごとに違います。利用したい施設に確認してください。",
                                           "Ages and fees differ by facility. Please ask the facility you want to use."),
    CheckReason.UNVERIFIED_RULE: Reason("最新の条件を確認できていません。公式ページで確認してください。",
                                        "We could not confirm the latest rules. Please check the official page."),
    CheckReason.BIRTH_DAY_NEEDED: Reason("生まれた日によって結果が変わります。生年月日を日付まで入力してください。",
                                         "The answer depends on the day of birth. Please enter the full date of birth."),
    CheckReason.ADDRESS_NEEDED: Reason("お住まいの市がわかると判定できます。",
                                       "We can tell once we know which city you live in."),
    CheckReason.OTHER_CONDITION: Reason("ほかにも条件があります。公式ページで確認してください。",
                                        "There are other conditions. Please check the official page."),
}

NO_CHILD = Reason("お子さまの情報がありません。", "No child has been entered.")
NOT_IN_AGE_RANGE = Reason("対象の年齢のお子さまがいません。", "No child in the household is in the age range.")
ONLY_AFTER_BIRTH = Reason("お子さまが生まれてから対象になります。", "This starts once your child is born.")
KASHIWA_RESIDENTS_ONLY = Reason("柏市に住民登録のある方が対象です。", "This is for residents registered in Kashiwa.")
OTHER_CITY = Reason("国の制度です。流山市にお住まいのため、流山市でお手続きください。",
                    "This is a national scheme: as you live in Nagareyama, please apply to Nagareyama City.")
RESIDENCE_NOT_STATED = Reason("資料には住んでいる市の条件が書かれていません。利用する前に確認してください。",
                              "The sources say nothing about where users must live. Please check before you go.")


def ended(day: date) -> Reason:
    return Reason(f"受付は{date_ja(day)}で終了しました。", f"This ended on {date_en(day)}.")


def eligible(who: Reason, until: date | None) -> Reason:
    if until is None:
        return Reason(f"{who.ja}が対象です。", f"{capitalised(who.en)} can use this.")
    return Reason(f"{who.ja}は{date_ja(until)}まで対象です。", f"{capitalised(who.en)} can use this until {date_en(until)}.")


def becomes_eligible(who: Reason, starts: date) -> Reason:
    return Reason(f"{who.ja}は{date_ja(starts)}から対象になります。",
                  f"{capitalised(who.en)} can use this from {date_en(starts)}.")


def may_be_eligible(who: Reason) -> Reason:
    return Reason(f"{who.ja}が対象になる可能性があります。", f"{capitalised(who.en)} may be able to use this.")


# --- the age rule in words ------------------------------------------------------------------------------------


def months_ja(months: int) -> str:
    """12 → "1歳", 19 → "1歳7か月", 6 → "6か月"."""
    years, rest = divmod(months, 12)
    if not years:
        return f"{rest}か月"
    return f"{years}歳" + (f"{rest}か月" if rest else "")


def months_en(months: int) -> str:
    """12 → "1 year", 19 → "1 year 7 months", 6 → "6 months"."""
    years, rest = divmod(months, 12)
    parts = [f"{years} year{'s' if years > 1 else ''}"] if years else []
    if rest or not years:
        parts.append(f"{rest} month{'s' if rest != 1 else ''}")
    return " ".join(parts)


# School grades (meta.conventions.school_grade: preschool, preschool_senior, elementary_1..6, junior_high_1..3,
# high_1..3), worded one way for the eligibility and the ranking reasons alike: 小学1年生, 小学1〜4年生,
# 高校1〜3年生相当 / grade 1 of elementary school, grades 1–4 of elementary school. A key the conventions do not
# define is shown as it is. (household.ages' class labels, 小学1年 etc., are data values and stay as they are.)
_BEFORE_SCHOOL = {"preschool": ("就学前", "preschool age"), "preschool_senior": ("年長", "the final year of kindergarten")}
_STAGES = {"elementary": ("小学", "", "elementary school"), "junior_high": ("中学", "", "junior high school"),
           "high": ("高校", "相当", "high school (or the same age)")}


def _stage_year(grade: str) -> tuple[str, str] | None:
    """"elementary_3" → ("elementary", "3"); None for preschool, preschool_senior or an unknown key."""
    stage, _sep, year = grade.rpartition("_")
    return (stage, year) if stage in _STAGES and year.isdigit() else None


def grades_ja(first: str, last: str | None = None) -> str:
    """"小学1年生", or a range: "小学1〜4年生", "高校1〜3年生相当", "小学3年生〜中学3年生", "年長〜小学2年生"."""
    if last is None or last == first:
        if first in _BEFORE_SCHOOL:
            return _BEFORE_SCHOOL[first][0]
        if (grade := _stage_year(first)) is None:
            return first
        prefix, suffix, _en = _STAGES[grade[0]]
        return f"{prefix}{grade[1]}年生{suffix}"
    low, high = _stage_year(first), _stage_year(last)
    if low and high and low[0] == high[0]:
        prefix, suffix, _en = _STAGES[low[0]]
        return f"{prefix}{low[1]}〜{high[1]}年生{suffix}"
    return f"{grades_ja(first)}〜{grades_ja(last)}"


def grades_en(first: str, last: str | None = None) -> str:
    """"grade 1 of elementary school", or a range: "grades 1–4 of elementary school",
    "grades 1–3 of high school (or the same age)", "grade 3 of elementary school to grade 3 of junior high school"."""
    if last is None or last == first:
        if first in _BEFORE_SCHOOL:
            return _BEFORE_SCHOOL[first][1]
        if (grade := _stage_year(first)) is None:
            return first
        return f"grade {grade[1]} of {_STAGES[grade[0]][2]}"
    low, high = _stage_year(first), _stage_year(last)
    if low and high and low[0] == high[0]:
        return f"grades {low[1]}–{high[1]} of {_STAGES[low[0]][2]}"
    return f"{grades_en(first)} to {grades_en(last)}"


def describe_age(age: dict[str, Any]) -> Reason | None:
    """The age conditions of eligibility.age in one line ("対象: 生後6か月〜3歳未満"), or None when there are none."""
    ja: list[str] = []
    en: list[str] = []
    low, high = age.get("min_months"), age.get("max_months_exclusive")
    if isinstance(low, int) and low > 0:
        ja.append(f"{'' if low >= 12 else '生後'}{months_ja(low)}から")
        en.append(f"from {months_en(low)} old")
    if isinstance(high, int):
        ja.append(f"{months_ja(high)}未満")
        en.append(f"under {months_en(high)} old")
    if isinstance(fiscal_age := age.get("until_end_of_fiscal_year_of_age"), int):
        ja.append(f"{fiscal_age}歳になった後の最初の3月31日まで")
        en.append(f"until the first 31 March after turning {fiscal_age}")
    grade_low, grade_high = age.get("school_grade_min"), age.get("school_grade_max")
    if grade_low and grade_high:
        ja.append(grades_ja(grade_low, grade_high))
        en.append(grades_en(grade_low, grade_high))
    elif grade_low:
        ja.append(f"{grades_ja(grade_low)}から")
        en.append(f"from {grades_en(grade_low)}")
    elif grade_high:
        ja.append(f"{grades_ja(grade_high)}まで")
        en.append(f"up to {grades_en(grade_high)}")
    classes = age.get("nursery_age_class")
    if isinstance(classes, list) and classes:
        ja.append(f"{min(classes)}〜{max(classes)}歳児クラス")
        en.append(f"{min(classes)}- to {max(classes)}-year-old classes")
    if not ja:
        return None
    return Reason("対象: " + "、".join(ja), "For: " + ", ".join(en))
