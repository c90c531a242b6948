"""The words of the ranking's reasons, in Japanese and English (docs UI.md: です・ます, short, no pressure).

Pure: no Flask, no translation catalogue. A reason is shown as it is, in the reader's language, so both texts are
written here side by side. Reasons never name a venue (a placeholder coupon's venue can be the brand it was
modelled on, e.g. 柏の葉 蔦屋書店), only what was used: the children's ages, the walking band, dates, categories.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Literal

from app.household.address import WALK_BAND_LABEL_EN, WALK_BAND_LABEL_JA, WalkBand
from app.household.ages import AGE_BAND_LABEL_EN, AGE_BAND_LABEL_JA
from app.recommend.ranking_age import AgeFit, AgeTier, ChildBirths, TargetAges
from app.recommend.ranking_types import Reason
from app.recommend.texts import grades_en, grades_ja, months_en, months_ja

WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# The catalogue's event tags, for "similar to what you joined before (…)". A tag without a label is shown as is.
TAG_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "outdoor": ("屋外", "outdoors"), "festival": ("お祭り", "festivals"), "activity": ("アクティビティ", "activities"),
    "with_parent": ("親子で", "with a parent"), "playground": ("あそび場", "playgrounds"),
    "seasonal": ("季節の催し", "seasonal events"), "stroller_ok": ("ベビーカーOK", "stroller-friendly"),
    "reading": ("絵本・読み聞かせ", "picture books"), "baby": ("赤ちゃん向け", "for babies"),
    "science": ("科学", "science"), "workshop": ("ワークショップ", "workshops"), "digital": ("デジタル", "digital"),
    "nature": ("自然", "nature"), "market": ("マルシェ", "markets"), "programming": ("プログラミング", "programming"),
    "stem": ("ものづくり", "making"), "toddler": ("幼児向け", "for toddlers"), "consultation": ("子育て相談", "parenting advice"),
    "music": ("音楽", "music"), "parent_wellbeing": ("保護者のケア", "parents' wellbeing"), "photo": ("写真", "photos"),
    "health": ("健康", "health"), "food_education": ("食育", "food education"), "multiples": ("ふたご・みつご", "twins"),
    "peer_support": ("仲間づくり", "meeting other parents"), "rainy_day": ("雨の日", "rainy days"),
    "parent_learning": ("保護者の学び", "learning for parents"), "sports": ("スポーツ", "sports"), "free": ("無料", "free"),
    "all_ages": ("全年齢", "all ages"), "indoor": ("屋内", "indoors"), "outdoor_indoor": ("屋外・屋内", "indoors and out"),
})


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@lru_cache(maxsize=1024)  # pure: the same few items' ages are worded for every household's reasons
def target_ja(target: TargetAges) -> str:
    """0〜3歳, 2〜6か月, 6か月〜8歳, 6歳以上, 年齢を問わず; grades follow: 6〜9歳、小学1〜4年生."""
    low, high = target.min_months or 0, target.max_months_exclusive
    if high is None:
        text = "年齢を問わず" if low == 0 else f"{months_ja(low)}以上"
    elif high <= 12:
        text = f"{low}〜{high - 1}か月"
    elif high % 12 == 0 and low % 12 == 0:
        text = f"{low // 12}〜{high // 12 - 1}歳"
    elif high % 12 == 0:
        text = f"{months_ja(low)}〜{high // 12 - 1}歳"
    else:
        text = f"{months_ja(low)}〜{months_ja(high - 1)}"
    if target.grade_keys:
        text += f"、{grades_ja(*target.grade_keys)}"
    return text


@lru_cache(maxsize=1024)
def target_en(target: TargetAges) -> str:
    low, high = target.min_months or 0, target.max_months_exclusive
    if high is None:
        text = "all ages" if low == 0 else f"{months_en(low)} and over"
    elif high <= 12:
        text = f"{low}–{high - 1} months"
    elif high % 12 == 0 and low % 12 == 0:
        text = f"ages {low // 12}–{high // 12 - 1}"
    elif high % 12 == 0:
        text = f"{months_en(low)} to {_plural(high // 12 - 1, 'year')}"
    else:
        text = f"{months_en(low)} to {months_en(high - 1)}"
    if target.grade_keys:
        text += f", {grades_en(*target.grade_keys)}"
    return text


@lru_cache(maxsize=4096)  # pure: a child's age is worded for each shown item of the household
def child_age_ja(child: ChildBirths, months: tuple[int, int]) -> str:
    if child.source == "band" and child.band is not None:
        return AGE_BAND_LABEL_JA[child.band]
    low, high = months
    if low == high:
        return months_ja(low)
    return f"{low}〜{high}か月" if high < 12 else f"{months_ja(low)}〜{months_ja(high)}"


@lru_cache(maxsize=4096)
def child_age_en(child: ChildBirths, months: tuple[int, int]) -> str:
    if child.source == "band" and child.band is not None:
        return AGE_BAND_LABEL_EN[child.band].lower()
    low, high = months
    if low == high:
        return months_en(low)
    return f"{low}–{high} months" if high < 12 else f"{months_en(low)} to {months_en(high)}"


def join_ja(parts: Sequence[str]) -> str:
    return "と".join(parts)


def join_en(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def date_ja(day: date) -> str:
    """2026年12月12日(土)."""
    return f"{day.year}年{day.month}月{day.day}日({WEEKDAYS_JA[day.weekday()]})"


def date_en(day: date) -> str:
    """Sat, 12 Dec 2026."""
    return f"{WEEKDAYS_EN[day.weekday()]}, {day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def when_ja(start: datetime, end: datetime | None) -> str:
    """2026年12月12日(土) 10:30〜11:00, or 2027年5月15日(土) 9:00〜6月15日(火) 17:00 over several days."""
    if end is None:
        return f"{date_ja(start.date())} {start:%H:%M}〜"
    if end.date() == start.date():
        return f"{date_ja(start.date())} {start:%H:%M}〜{end:%H:%M}"
    return f"{date_ja(start.date())} {start:%H:%M}〜{end.month}月{end.day}日({WEEKDAYS_JA[end.weekday()]}) {end:%H:%M}"


def when_en(start: datetime, end: datetime | None) -> str:
    if end is None:
        return f"{date_en(start.date())}, from {start:%H:%M}"
    if end.date() == start.date():
        return f"{date_en(start.date())}, {start:%H:%M}–{end:%H:%M}"
    return f"{date_en(start.date())} {start:%H:%M} to {date_en(end.date())} {end:%H:%M}"


def month_span_ja(first: int, last: int) -> str:
    return f"{first}月〜{last}月"


def month_span_en(first: int, last: int) -> str:
    return f"{MONTHS_EN[first - 1]}–{MONTHS_EN[last - 1]}"


def walk_ja(band: WalkBand) -> str:
    return WALK_BAND_LABEL_JA[band]


def walk_en(band: WalkBand) -> str:
    return WALK_BAND_LABEL_EN[band]


def age_reason(fit: AgeFit, target: TargetAges, on: date, day: date, *, parent_focused: bool,
               kind: Literal["event", "coupon"]) -> Reason:
    """Why the item is (or is not) placed for the children's ages; `day` is the day ages were checked on."""
    range_ja, range_en = target_ja(target), target_en(target)
    if fit.uncertain_because == "no_age":
        return Reason("お子さまの年齢が分からないため、年齢では並べていません。",
                      "Not ordered by age: your children's ages are not available.", "age_unknown")
    if fit.uncertain_because == "no_children":
        return Reason("お子さまの登録がないため、年齢では並べていません。",
                      "Not ordered by age: no children are registered.", "age_unknown")
    if fit.tier is AgeTier.OUTSIDE:
        return Reason(f"対象年齢({range_ja})がお子さまの年齢と合わないため、下の方に表示しています。",
                      f"Shown lower: the age range ({range_en}) does not match your children.", "age_outside")
    if target.is_open_to_all:
        can_ja, can_en = ("参加できます", "Open to all ages") if kind == "event" else ("使えます", "For all ages")
        if parent_focused:
            return Reason(f"保護者向けで、年齢を問わず{can_ja}。", f"Aimed at parents. {can_en}.", "age_fit")
        return Reason(f"年齢を問わず{can_ja}。", f"{can_en}.", "age_fit")
    ages_ja = join_ja([child_age_ja(child, months) for child, months in fit.fitting])
    ages_en = join_en([child_age_en(child, months) for child, months in fit.fitting])
    child_en = "your child" if len(fit.fitting) == 1 else "your children"
    by_band = all(child.source == "band" for child, _ in fit.fitting)
    if fit.uncertain_because == "birth_dates":
        return Reason(f"{ages_ja}のお子さまが対象年齢({range_ja})に合うかもしれません。生年月日があると確かめられます。",
                      f"May suit {child_en} ({ages_en}); the age range is {range_en}. Birth dates would settle it.",
                      "age_maybe")
    if by_band:  # the band is today's: say so rather than an age on the day
        return Reason(f"{ages_ja}のお子さまが対象年齢({range_ja})に合います。",
                      f"Suits {child_en} ({ages_en}); the age range is {range_en}.", "age_fit")
    if fit.uncertain_because == "birth_day":
        return Reason(f"対象年齢({range_ja})の境目です。お誕生日の日にちがあると確かめられます。",
                      f"On the edge of the age range ({range_en}); the day of birth would settle it.", "age_maybe")
    if day != on:
        return Reason(f"開催日に{ages_ja}のお子さまが、対象年齢({range_ja})に合います。",
                      f"On the day, {child_en} will be {ages_en} old: within the age range ({range_en}).", "age_fit")
    return Reason(f"{ages_ja}のお子さまが対象年齢({range_ja})に合います。",
                  f"Suits {child_en} aged {ages_en} (age range: {range_en}).", "age_fit")


def walk_reason(home_town: str | None, band: WalkBand, *, approximate: bool) -> Reason:
    if home_town is not None:
        ja, en = f"{home_town}から{walk_ja(band)}(目安)です。", f"{walk_en(band)} from your home in {home_town} (estimate)."
    else:
        ja, en = (f"柏の葉キャンパス駅から{walk_ja(band)}(目安)です。",
                  f"{walk_en(band)} from Kashiwanoha-campus Station (estimate).")
    if approximate:
        ja, en = ja + "場所は概算です。", en + " The location is approximate."
    return Reason(ja, en, "walk" if home_town is not None else "walk_station")


# What each input would add, for the card's neutral "another item would add …" note (no nudge to consent).
MISSING_INPUT_NOTES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "birth_dates": ("お子さまの生年月日があると、対象年齢に合うかを確かめて並べます。",
                    "With your children's birth dates, items are checked against their age ranges."),
    "birth_day": ("お誕生日の日にちがあると、年齢の境目やお誕生日の特典も確かめられます。",
                  "With the day of birth, age limits and birthday offers can be checked exactly."),
    "town": ("お住まいの町丁目があると、ご自宅からの徒歩の目安で並べます。",
             "With your neighbourhood (町丁目), items are ordered by the walk from home."),
    "history": ("イベントの参加やクーポン利用の記録があると、これまでに近い内容を上にします。",
                "With your event and coupon history, items like the ones you chose before come first."),
    "health_score": ("健康スコアがあると、からだを動かす内容の並び順に反映します。",
                     "With your health score, active items are placed accordingly."),
})
