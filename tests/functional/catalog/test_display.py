"""What residents will read: a placeholder coupon is shown by its store category, never under a brand's name, and an
example event or coupon says it is an example. Checked over every coupon and event of the shipped file."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import select

from app.catalog.models import PLACEHOLDER_DISPLAY, CatalogCoupon, CatalogEvent
from app.catalog.services import coupon_title, event_title


def brand_names(catalog_data: dict[str, Any]) -> set[str]:
    """Every shop or chain the file names, whole and word by word ("スターバックス 柏の葉 蔦屋書店" → 蔦屋書店 too)."""
    names: set[str] = set()
    for coupon in catalog_data["coupons"]:
        names.update(coupon.get("tenant_examples", []))
    for category in catalog_data["store_categories"]:
        names.update(re.sub(r"[((].*$", "", example).strip() for example in category["examples"])
    for venue in catalog_data["venues"]:
        names.update(tenant["name"] for tenant in venue.get("tenants_reported", []))
    words = {word for name in names for word in name.split() if len(word) >= 2 and word != "柏の葉"}
    return {name for name in names | words if name}


def test_every_placeholder_coupon_is_shown_by_its_category_and_never_names_a_brand(db, loaded_catalog, catalog_data):
    brands = brand_names(catalog_data)
    assert {"アカチャンホンポ", "蔦屋書店", "モスバーガー", "タリーズコーヒー"} <= brands  # the check has teeth
    placeholders = 0
    for record in catalog_data["coupons"]:
        coupon = db.get(CatalogCoupon, record["id"])
        if record["merchant_display"] != PLACEHOLDER_DISPLAY:
            assert coupon.display_title_ja == record["title_ja"]  # a reported real policy keeps its title
            continue
        placeholders += 1
        assert coupon.names_brand == bool(record.get("tenant_examples"))
        for title in (coupon.display_title_ja, coupon.display_title_en):
            found = [brand for brand in brands if brand.casefold() in title.casefold()]
            assert not found, (record["id"], title, found)
        assert coupon.display_title_ja.startswith(f"【{coupon.merchant_category_ja}】")
        assert coupon.display_title_en.startswith(f"{coupon.merchant_category_en}: ")
    assert placeholders == 13


def test_a_placeholder_whose_title_names_its_brand_falls_back_to_the_category_alone():
    coupon = CatalogCoupon(id="cp_test", title_ja="アカチャンホンポで おむつ 5%OFF", venue_id="v_lalaport_main",
                           merchant_category="baby_goods", merchant_category_ja="ベビー用品", merchant_category_en="Baby goods",
                           merchant_display=PLACEHOLDER_DISPLAY, is_placeholder=True, brand_examples=["アカチャンホンポ"],
                           example=True)
    assert coupon.display_title_ja == "ベビー用品のクーポン(例)"
    assert coupon.display_title_en == "Baby goods coupon (example)"


def test_example_coupons_and_events_carry_the_example_label_in_both_languages(db, loaded_catalog, catalog_data):
    for section, model in (("events", CatalogEvent), ("coupons", CatalogCoupon)):
        for record in catalog_data[section]:
            row = db.get(model, record["id"])
            if record["example"]:
                assert "例" in row.display_title_ja, row.id
                assert "example" in row.display_title_en.lower(), row.id
            else:
                assert "(例)" not in row.display_title_ja, row.id
    assert db.get(CatalogEvent, "ev_tsite_ehon_baby").display_title_ja == "0〜3歳 えほんのじかん(読み聞かせ)(例)"
    # A title that already says so is not labelled twice.
    assert db.get(CatalogEvent, "ev_park_spring_fest").display_title_ja == "柏の葉公園 スプリングフェスタ・子供まつり(例)"
    assert db.get(CatalogEvent, "ev_park_swan_boat").display_title_ja == "ボート池でスワンボート(3月〜11月の土日祝)"


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_titles_follow_the_readers_language(app, db, loaded_catalog, language):
    event = db.get(CatalogEvent, "ev_lala_rhythmic")
    coupon = db.get(CatalogCoupon, "cp_cafe_parent")
    with app.test_request_context(headers={"Accept-Language": language}):
        if language == "ja":
            assert event_title(event) == "1〜3歳 親子リトミック(例)"
            assert coupon_title(coupon) == "【カフェ】ベビーカー来店で ドリンクサイズアップ(例)"
        else:
            assert event_title(event) == "Parent-toddler eurhythmics (ages 1–3) (example)"
            assert coupon_title(coupon) == "Café: ベビーカー来店で ドリンクサイズアップ (example)"


def test_every_coupon_is_in_the_list_once(db, loaded_catalog, catalog_data):
    assert len(db.exec(select(CatalogCoupon)).all()) == len(catalog_data["coupons"])
