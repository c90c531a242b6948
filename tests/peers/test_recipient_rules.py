"""The recipient peers' rules, as pure functions: which household gets which notice, and its stable id."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.peers.kashiwa_city import PROFILE as CITY
from app.peers.kashiwa_city.rules import ICHIJI_AZUKARI_URL, KENSHIN_URL, municipal_notices
from app.peers.partner import PROFILE as PARTNER
from app.peers.partner.rules import EVENT, event_invitations
from app.peers.recipient.rules import NoticeDraft, RuleContext, describe_items, fiscal_year

BOTH = ["ichiji-azukari-fy2026", "nyuyoji-kenshin-fy2026"]
NOVEMBER_2026 = RuleContext(today=date(2026, 11, 26), base_url="http://127.0.0.5:5100")


def ids(notices: list[NoticeDraft]) -> list[str]:
    return [notice.id for notice in notices]


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ({"age_bands": ["0-2"], "town_group": "kashiwanoha_pilot"}, BOTH),
        ({"age_bands": ["3-5", "elementary"], "town_group": "kashiwa_other"}, ["ichiji-azukari-fy2026"]),
        ({"age_bands": ["0-2", "3-5"], "town_group": "kashiwanoha_ring"}, BOTH),
        ({"age_bands": ["elementary", "junior_high"], "town_group": "kashiwanoha_pilot"}, []),
        ({"age_bands": [], "town_group": "kashiwanoha_pilot"}, []),
        # 流山市 households are not 柏市's residents: nothing, whatever the ages.
        ({"age_bands": ["0-2"], "town_group": "nagareyama_ring"}, []),
        ({"age_bands": ["3-5"], "town_group": "nagareyama_other"}, []),
        # An unknown or ungranted town group does not stop the notice (its text says who may use the service).
        ({"age_bands": ["3-5"], "town_group": None}, ["ichiji-azukari-fy2026"]),
        ({"age_bands": ["0-2"]}, BOTH),
        # Without age bands (not granted, or garbage) there is nothing to go on.
        ({"children_count": 2, "town_group": "kashiwanoha_pilot"}, []),
        ({"age_bands": "0-2", "town_group": "kashiwanoha_pilot"}, []),
        ({"age_bands": [None, 3], "town_group": "kashiwanoha_pilot"}, []),
    ],
)
def test_kashiwa_city_rules(items: dict[str, Any], expected: list[str]) -> None:
    assert ids(municipal_notices(items, NOVEMBER_2026)) == expected


def test_kashiwa_city_notices_name_the_service_and_link_to_kashiwa() -> None:
    ichiji, kenshin = municipal_notices({"age_bands": ["0-2"], "town_group": "kashiwanoha_pilot"}, NOVEMBER_2026)
    assert ichiji.title == "一時預かりのご案内"
    assert "一時預かり" in ichiji.body and "柏市" in ichiji.body
    assert ichiji.link == ICHIJI_AZUKARI_URL
    assert kenshin.title == "乳幼児健康診査のご案内" and "乳児健康診査" in kenshin.body
    assert kenshin.link == KENSHIN_URL
    for notice in (ichiji, kenshin):
        assert notice.link and notice.link.startswith("https://") and ".city.kashiwa.lg.jp/" in notice.link


def test_kashiwa_city_notice_ids_change_with_the_fiscal_year_only() -> None:
    items = {"age_bands": ["3-5"], "town_group": "kashiwa_other"}
    april, march = RuleContext(date(2026, 4, 1), ""), RuleContext(date(2027, 3, 31), "")
    assert ids(municipal_notices(items, april)) == ids(municipal_notices(items, march)) == ["ichiji-azukari-fy2026"]
    assert ids(municipal_notices(items, RuleContext(date(2027, 4, 1), ""))) == ["ichiji-azukari-fy2027"]


@pytest.mark.parametrize(
    ("bands", "invited"),
    [
        (["3-5"], True),
        (["elementary"], True),
        (["0-2", "elementary"], True),
        (["0-2"], False),
        (["junior_high", "high_school"], False),
        ([], False),
    ],
)
def test_partner_invites_households_with_a_child_of_3_to_12(bands: list[str], invited: bool) -> None:
    for town in ("kashiwanoha_pilot", "nagareyama_ring", None):  # the venue is open to anyone
        notices = event_invitations({"age_bands": bands, "town_group": town}, NOVEMBER_2026)
        assert ids(notices) == (["event-ev_ashita_yogurt"] if invited else [])


def test_partner_invitation_is_labelled_an_example_and_links_to_the_partners_page() -> None:
    [invitation] = event_invitations({"age_bands": ["3-5"]}, NOVEMBER_2026)
    assert "（例）" in invitation.title and invitation.title.startswith("【例】")
    assert "架空" in invitation.body and EVENT.venue in invitation.body and EVENT.when in invitation.body
    assert invitation.link == "http://127.0.0.5:5100/events/ev_ashita_yogurt"


def test_profiles_ask_for_their_offer_and_notices() -> None:
    assert (CITY.recipient_key, CITY.purpose_key) == ("kashiwa_kosodate", "municipal_recommendation")
    assert CITY.scope == "children_count age_bands town_group notices"
    assert (PARTNER.recipient_key, PARTNER.purpose_key) == ("kashiwanoha_partner", "event_recommendation")
    assert PARTNER.scope == "age_bands town_group notices"


def test_fiscal_year_starts_in_april() -> None:
    assert [fiscal_year(date(2027, month, 1)) for month in (1, 3, 4, 12)] == [2026, 2026, 2027, 2027]


def test_notice_drafts_respect_the_banks_limits() -> None:
    with pytest.raises(ValueError):
        NoticeDraft(id="x" * 101, title="t", body="b")
    with pytest.raises(ValueError):
        NoticeDraft(id="x", title="t" * 121, body="b")
    with pytest.raises(ValueError):
        NoticeDraft(id="x", title="t", body="")


def test_items_are_described_in_japanese() -> None:
    lines = describe_items({"children_count": 2, "age_bands": ["0-2", "elementary"], "town_group": "nagareyama_ring"})
    assert lines == [("児童数", "2人"), ("年齢区分", "0〜2歳、小学生"), ("町丁目グループ", "柏の葉周辺（流山市）")]
    assert describe_items({"town_group": None, "new_item": 1}) == [("町丁目グループ", "不明"), ("new_item", "1")]
