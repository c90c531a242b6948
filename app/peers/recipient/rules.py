"""What a recipient's rules work with: the items the bank sends (docs/oauth.md, Scopes), the notice a rule
produces, and readers that tolerate an item the resident did not grant (it is simply absent).

A peer's rules are one function ``(items, context) -> list[NoticeDraft]``, pure, so they are unit-tested apart
from any HTTP.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

JST = timezone(timedelta(hours=9), "Asia/Tokyo")

# The bank's limits for a notice (docs/oauth.md, POST /api/v1/notices; the inbox keeps the id in 100 characters).
MAX_ID_LENGTH = 100
MAX_TITLE_LENGTH = 120
MAX_BODY_LENGTH = 2000

AGE_BAND_LABELS = {
    "0-2": "0〜2歳",
    "3-5": "3〜5歳",
    "elementary": "小学生",
    "junior_high": "中学生",
    "high_school": "高校生相当",
    "young_adult": "18〜22歳",
    "unknown": "不明",
}
TOWN_GROUP_LABELS = {
    "kashiwanoha_pilot": "柏の葉（実証地区）",
    "kashiwanoha_ring": "柏の葉周辺（柏市）",
    "nagareyama_ring": "柏の葉周辺（流山市）",
    "kashiwa_other": "柏市（その他の地域）",
    "nagareyama_other": "流山市（その他の地域）",
}
ITEM_LABELS = {
    "children_count": "児童数",
    "age_bands": "年齢区分",
    "age_classes": "年齢クラス",
    "town_group": "町丁目グループ",
}
NAGAREYAMA_TOWN_GROUPS = frozenset({"nagareyama_ring", "nagareyama_other"})


@dataclass(frozen=True, slots=True)
class NoticeDraft:
    """A notice to send. `id` is stable for the same news to the same resident, so a retry is not a second
    notice at the bank (it answers 200 for an id it has)."""

    id: str
    title: str
    body: str
    link: str | None = None

    def __post_init__(self) -> None:
        if not 0 < len(self.id) <= MAX_ID_LENGTH:
            raise ValueError(f"a notice id must be 1 to {MAX_ID_LENGTH} characters")
        if not 0 < len(self.title) <= MAX_TITLE_LENGTH or not 0 < len(self.body) <= MAX_BODY_LENGTH:
            raise ValueError(f"a notice needs a title (≤ {MAX_TITLE_LENGTH}) and a body (≤ {MAX_BODY_LENGTH})")


@dataclass(frozen=True, slots=True)
class RuleContext:
    today: date  # in Japan
    base_url: str  # the recipient's own site, for links to its pages


Rules = Callable[[Mapping[str, Any], RuleContext], list[NoticeDraft]]


def today_in_japan() -> date:
    return datetime.now(JST).date()


def fiscal_year(day: date) -> int:
    """The Japanese fiscal year (年度) a day falls in: April to March, named by the year it starts."""
    return day.year if day.month >= 4 else day.year - 1


def age_bands(items: Mapping[str, Any]) -> set[str]:
    bands = items.get("age_bands")
    if not isinstance(bands, list):
        return set()
    return {band for band in bands if isinstance(band, str)}


def town_group(items: Mapping[str, Any]) -> str | None:
    group = items.get("town_group")
    return group if isinstance(group, str) else None


def describe_items(items: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The items as (label, value) lines for a page, in the bank's order; unknown items keep their key."""
    lines: list[tuple[str, str]] = []
    for key, value in items.items():
        if key == "children_count":
            text = f"{value}人"
        elif key == "age_bands" and isinstance(value, list):
            text = "、".join(AGE_BAND_LABELS.get(str(band), str(band)) for band in value) or "なし"
        elif key == "age_classes" and isinstance(value, list):
            text = "、".join(str(label) for label in value) or "なし"
        elif key == "town_group":
            text = TOWN_GROUP_LABELS.get(str(value), str(value)) if value is not None else "不明"
        else:
            text = str(value)
        lines.append((ITEM_LABELS.get(key, key), text))
    return lines
