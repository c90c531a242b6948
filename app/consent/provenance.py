"""What a recipient needs for its own APPI 法30条 確認 of a provision (security anchor G1): who provides the data — the
bank's operator: name, address, representative (settings `BANK_*`) — and how the bank obtained it, as a whole and
item by item. The resource API sends it with every answer that provides data (`provided_by`: `/api/v1/me`, a
transfer's pages), the way the bank's own RECEIPT records note the same facts of what it receives.

The texts are Japanese, as the recipients' records are (the ledger's `how_obtained` texts are too).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.config import Settings

# The bank holds what the resident entrusts to it, under the mandate (委任) of the terms, and gives it only as consented.
HOW_OBTAINED = "本人から取得したもの（本人との委任契約に基づき、本人が同意した範囲で本人が預託したもの）"

_CHILDREN = "本人が入力したもの、または本人の求めによりマイナポータル（自己情報取得API）から取得したもの"
_ADDRESS = "本人の求めにより Smart Life Pass から取得したもの"
_PASS_SCANS = "本人が提示したパスを協力店が読み取った参加・利用の記録（協力店から取得したもの）"
_CITY = "本人の開示請求（本人の委任により当行が代理）に対して柏市が開示し、本人が保存したもの"
_EXPORT = "本人が持ち込んだ書き出しのファイル（Apple ヘルスケア・Google など）から取得したもの"

# How each catalogue item (app/consent/items.py) was obtained: what the item is read from, and whether the bank
# derived it. Every item has one (tests/functional/oauth/test_provided_by.py).
ITEM_OBTAINED: dict[str, str] = {
    "birth_dates": _CHILDREN,
    "children_count": f"子どもの生年月日（{_CHILDREN}）から当行が算出したもの",
    "age_bands": f"子どもの生年月日（{_CHILDREN}）から当行が算出したもの",
    "age_classes": f"子どもの生年月日（{_CHILDREN}）から当行が算出したもの",
    "home_address": _ADDRESS,
    "home_town": f"住所（{_ADDRESS}）から当行が算出したもの",
    "town_group": f"住所（{_ADDRESS}）から当行が算出したもの",
    "health_score": "本人の求めにより Smart Life Pass から取得したもの（カロママプラスの健康スコア）",
    "participation_history": f"{_PASS_SCANS}を当行が集計したもの",
    "survey_answers": "本人が回答したもの",
    "childcare_satisfaction": "本人が回答したアンケートから当行が抜き出したもの",
    "service_usage_history": _CITY,
    "services_used": f"利用履歴（{_CITY}）から当行が算出したもの",
    "eligible_services": "子どもの生年月日と住所（上記のとおり取得したもの）から当行が判定したもの",
    "services_shown": "当行のおすすめ表示の記録（当行が作成したもの）",
    "recommendation_response": f"当行のおすすめ表示の記録と、{_PASS_SCANS}から当行が算出したもの",
    **{key: _EXPORT for key in ("ecg", "health_records", "clinical_records", "location_history", "viewing_history",
                                "calendar_events", "blog_posts", "activity_history", "profile", "interests")},
}


def provided_by(settings: Settings, items: Mapping[str, str]) -> dict[str, Any]:
    """The `provided_by` object of an answer: the bank, how it obtained the data, and `items` ({item: how})."""
    return {
        "name": settings.bank_legal_name,
        "address": settings.bank_address,
        "representative": settings.bank_representative,
        "how_obtained": HOW_OBTAINED,
        "items": dict(items),
    }


def for_items(settings: Settings, keys: Iterable[str]) -> dict[str, Any]:
    """`provided_by` for catalogue items served as they are held (`/api/v1/me`)."""
    return provided_by(settings, {key: ITEM_OBTAINED.get(key, HOW_OBTAINED) for key in keys})
