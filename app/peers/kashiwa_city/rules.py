"""柏市 子育て支援システム's rules: which guidance a linked household gets.

- A preschool child ("0-2" or "3-5") → 一時預かりのご案内.
- A child of "0-2" → 乳幼児健康診査のご案内.
- A household in 流山市 (`nagareyama_ring`, `nagareyama_other`) gets nothing: these are services for people
  registered in 柏市. An unknown or ungranted town group does not stop a notice; its text says who may use it.

Each notice is sent once per fiscal year (年度, as the city's services run): its id carries the year, so a retry
or a second pull in the same year is the same notice at the bank.

Facts and links come from /work/shared/data/kashiwa/catalog.json (services `svc_ichiji_azukari_hoikuen`,
`svc_nyuji_kenshin`, `svc_kenshin_1y6m`, `svc_kenshin_3y`; 柏市's own FAQ pages). The FAQ page for health
check-ups is listed there as http; the same host serves https, and the bank accepts only https links.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.peers.recipient.rules import (
    NAGAREYAMA_TOWN_GROUPS,
    NoticeDraft,
    RuleContext,
    age_bands,
    fiscal_year,
    town_group,
)

PRESCHOOL_BANDS = frozenset({"0-2", "3-5"})
INFANT_BAND = "0-2"

ICHIJI_AZUKARI_URL = "https://faq2.city.kashiwa.lg.jp/category/show/41?page=2&site_domain=default&sort_order=asc"
KENSHIN_URL = "https://faq2.city.kashiwa.lg.jp/category/show/42?site_domain=default"

ICHIJI_AZUKARI_TITLE = "一時預かりのご案内"
ICHIJI_AZUKARI_BODY = (
    "柏市にお住まいで、ふだんはご家庭でお子さんを育てているかたは、一時的にお子さんの保育が難しいときに、"
    "市立保育園や私立認可保育園の一時預かり（一時預かり事業）を利用できます。\n"
    "対象年齢・料金・予約の方法は園ごとに異なります。利用したい園に直接お問い合わせください。\n"
    "詳しくは柏市の案内ページをご覧ください。"
)
KENSHIN_TITLE = "乳幼児健康診査のご案内"
KENSHIN_BODY = (
    "柏市では、お子さんの成長の節目に健康診査を公費で行っています。\n"
    "・乳児健康診査：生後3〜6か月と9〜11か月の2回、母子健康手帳別冊の受診票を持って指定医療機関で受診します。\n"
    "・1歳6か月児健康診査・3歳児健康診査：集団健診です。対象のかたに個別にお知らせします。\n"
    "お知らせが届かない場合や詳しいことは、柏市の案内ページをご覧ください。"
)


def municipal_notices(items: Mapping[str, Any], context: RuleContext) -> list[NoticeDraft]:
    """The notices for one household's items (children_count, age_bands, town_group)."""
    if town_group(items) in NAGAREYAMA_TOWN_GROUPS:
        return []
    bands = age_bands(items)
    year = fiscal_year(context.today)
    notices: list[NoticeDraft] = []
    if bands & PRESCHOOL_BANDS:
        notices.append(NoticeDraft(id=f"ichiji-azukari-fy{year}", title=ICHIJI_AZUKARI_TITLE,
                                   body=ICHIJI_AZUKARI_BODY, link=ICHIJI_AZUKARI_URL))
    if INFANT_BAND in bands:
        notices.append(NoticeDraft(id=f"nyuyoji-kenshin-fy{year}", title=KENSHIN_TITLE, body=KENSHIN_BODY,
                                   link=KENSHIN_URL))
    return notices
