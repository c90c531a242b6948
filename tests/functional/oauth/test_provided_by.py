# ruff: noqa: F811  (the pytest fixtures imported below are the tests' parameters)
"""G1, third line: recipients get what they need for their own 法30条 確認 with every provision — the bank's name,
address and representative, and how the bank obtained the data (as a whole, and item by item): `provided_by` in
`/api/v1/me` and in each page of `/api/v1/transfers/{id}/items`. Its schema is checked in test_response_schema.py."""

from __future__ import annotations

import tomllib
from types import SimpleNamespace

from app.accounts.providers import MYNAPORTAL_SOURCE
from app.config import Settings
from app.consent import items, provenance
from app.consent.catalogue import CATALOGUE_FILE
from app.consent.transfers import ReleasedItem
from app.switching import api as switching_api
from app.switching import transfers
from app.switching.registry import GOOGLE_SOURCE
from tests.functional.oauth.test_resource_api import _household
from tests.functional.switching.conftest import (  # noqa: F401  (fixtures)
    BLOG_ITEMS,
    CASE_I,
    CASE_I_COUNTS,
    CASE_I_RECORDS,
    GOOGLE_ITEMS,
    bearer,
    blog_a,
    google,
    token_for,
)

REGISTERED = {"bank_legal_name": "株式会社かしわのは情報銀行", "bank_address": "千葉県柏市若柴1番地",
              "bank_representative": "代表取締役 柏の葉 一郎"}


def test_me_names_the_bank_and_how_each_served_item_was_obtained(city, hanako, db, settings, authorized,  # type: ignore[no-untyped-def]
                                                                 monkeypatch) -> None:
    for name, value in REGISTERED.items():  # what production configures (BANK_LEGAL_NAME …)
        monkeypatch.setattr(settings, name, value)
    _household(db, hanako)
    body = city.me(authorized["access_token"]).get_json()
    assert body["provided_by"] == {
        "name": "株式会社かしわのは情報銀行",
        "address": "千葉県柏市若柴1番地",
        "representative": "代表取締役 柏の葉 一郎",
        "how_obtained": provenance.HOW_OBTAINED,
        "items": {"children_count": provenance.ITEM_OBTAINED["children_count"],
                  "town_group": provenance.ITEM_OBTAINED["town_group"]},
    }
    assert "本人" in body["provided_by"]["how_obtained"]
    assert "マイナポータル" in body["provided_by"]["items"]["children_count"]  # typed in, or from MyNa Portal
    assert "Smart Life Pass" in body["provided_by"]["items"]["town_group"]
    one = city.me(authorized["access_token"], items="children_count").get_json()
    assert list(one["provided_by"]["items"]) == ["children_count"]  # the items of this answer, no others


def test_every_catalogue_item_says_how_it_was_obtained() -> None:
    catalogue_keys = {row["key"] for row in tomllib.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))["items"]}
    assert set(items.ITEMS) <= set(provenance.ITEM_OBTAINED)
    assert catalogue_keys <= set(provenance.ITEM_OBTAINED)
    assert MYNAPORTAL_SOURCE.how_obtained  # the source the children's text names keeps its own record (RECEIPT)


def test_the_demo_bank_is_the_catalogues_bank() -> None:
    """Out of the box `provided_by` names the bank as the consent receipts do (the catalogue's `azukari` row)."""
    bank = next(row for row in tomllib.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))["recipients"]
                if row["key"] == "azukari")
    defaults = Settings.model_fields
    assert defaults["bank_legal_name"].default == bank["legal_name"]
    assert defaults["bank_address"].default == bank["address"]
    assert "（デモ）" in defaults["bank_representative"].default


def test_a_transfer_page_names_the_bank_and_the_service_the_data_came_from(app, db, settings, google, blog_a,  # type: ignore[no-untyped-def]
                                                                           hanako, hanako_browser) -> None:
    job = transfers.start(db, hanako, source=CASE_I.source, destination=CASE_I.destination, pattern=1, kinds=CASE_I.kinds)
    db.flush()
    source = bearer(token_for(google, hanako_browser, GOOGLE_ITEMS))
    assert google.http.post(f"/api/v1/intake/{job.id}/records", json={"records": CASE_I_RECORDS},
                            headers=source).status_code == 200
    assert google.http.post(f"/api/v1/intake/{job.id}/complete", json={"counts": CASE_I_COUNTS},
                            headers=source).status_code == 200
    db.refresh(job)
    transfers.send(db, hanako, job)
    transfers.deliver(db, settings, hanako, job)
    db.flush()
    destination = bearer(token_for(blog_a, hanako_browser, BLOG_ITEMS))
    page = blog_a.http.get(f"/api/v1/transfers/{job.id}/items", headers=destination).get_json()
    provided_by = page["provided_by"]
    assert (provided_by["name"], provided_by["address"], provided_by["representative"]) == (
        settings.bank_legal_name, settings.bank_address, settings.bank_representative)
    assert provided_by["how_obtained"] == provenance.HOW_OBTAINED
    assert set(provided_by["items"]) == {"blog_posts", "profile", "interests"}  # the page's records' items
    for how in provided_by["items"].values():  # received at her request from Google, who got it from her
        assert how.startswith(f"本人の求めにより {GOOGLE_SOURCE.legal_name}から受け取ったもの")
        assert GOOGLE_SOURCE.how_obtained in how


def test_a_transfer_of_an_uploaded_export_says_the_resident_brought_the_file(app) -> None:  # type: ignore[no-untyped-def]
    """Case iv: the records came from an Apple Health export she uploaded, not from a service."""
    page = [ReleasedItem(1, "ecg:1", "ecg", "0" * 64, "{}"), ReleasedItem(2, "workout:1", "workout", "0" * 64, "{}")]
    with app.app_context():
        provided_by = switching_api._provided_by(SimpleNamespace(source="apple_health"), page)
    how = "本人が持ち込んだ Apple ヘルスケア（書き出し）のファイルから取得したもの"
    assert provided_by["items"] == {"ecg": how, "health_records": how}
