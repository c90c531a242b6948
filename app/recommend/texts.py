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


def grade_ja(grade: str) -> str:
    stage, _sep, year = grade.rpartition("_")
    names = {"elementary": "小学{}年生", "junior_high": "中学{}年生", "high": "高校{}年生相当"}
    if grade == "preschool":
        return "就学前"
    if grade == "preschool_senior":
        return "年長"
    return names[stage].format(year) if stage in names else grade


def grade_en(grade: str) -> str:
    stage, _sep, year = grade.rpartition("_")
    names = {"elementary": "elementary year {}", "junior_high": "junior high year {}", "high": "high-school year {}"}
    if grade == "preschool":
        return "preschool"
    if grade == "preschool_senior":
        return "the last year of kindergarten"
    return names[stage].format(year) if stage in names else grade


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
    if grade_low:
        ja.append(f"{grade_ja(grade_low)}から")
        en.append(f"from {grade_en(grade_low)}")
    if grade_high:
        ja.append(f"{grade_ja(grade_high)}まで")
        en.append(f"up to {grade_en(grade_high)}")
    classes = age.get("nursery_age_class")
    if isinstance(classes, list) and classes:
        ja.append(f"{min(classes)}〜{max(classes)}歳児クラス")
        en.append(f"{min(classes)}- to {max(classes)}-year-old classes")
    if not ja:
        return None
    return Reason("対象: " + "、".join(ja), "For: " + ", ".join(en))
