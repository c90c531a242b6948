"""B5, second line: only the health items that 指針 Ver3.0 lists are allowed; one that is not on the list cannot be
picked in the UI.

The list (with its sources: read through secondary sources only) is `app/consent/data/special_care.toml`; each 要配慮
item of the catalogue names its category there. A catalogue with a 要配慮 item outside the list is refused at load;
an item that reached the database another way is offered on no screen where items are picked (the resident's
consent page, the operator's offer editor, the OAuth client registry), cannot be granted, and is not served."""

from __future__ import annotations

import functools
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from app.consent import catalogue, decisions, enforce, special_care
from app.consent.catalogue import CATALOGUE_FILE
from app.consent.decisions import ItemNotOffered
from app.consent.enforce import ConsentRequired
from app.consent.models import ConsentReceipt, DataItem, Grant, Offer
from app.consent.special_care import UnlistedSpecialCareItem
from app.db import utcnow
from app.errors import NotFound
from app.oauth import clients
from app.oauth.models import OAuthClient
from tests.factories.accounts import ResidentFactory
from tests.factories.staff import StaffFactory
from tests.functional.consent.test_consent_pages import HEALTH_OFFER, grant_page, live_items, post, receipt_id_of
from tests.functional.oauth.conftest import new_key

UNLISTED = "genome"  # 要配慮 (ゲノム情報), but in no category of the list

ORDINARY_ROW = """
[[items]]
key = "b5_steps"
name_ja = "歩数（テスト）"
name_en = "Steps (test)"
sensitivity = "ordinary"
granularity = "coarse"
"""


def _special_row(category_line: str, *, sensitivity: str = "special") -> str:
    return f"""
[[items]]
key = "{UNLISTED}"
name_ja = "ゲノム情報"
name_en = "Genome data"
sensitivity = "{sensitivity}"
granularity = "exact"
{category_line}
"""


def test_every_special_care_item_of_the_catalogue_is_in_a_category_of_the_guideline_list() -> None:
    listed = special_care.read_list()
    source = listed.source
    assert (source["title"], source["version"], source["published"]) == ("情報信託機能の認定に係る指針 Ver3.0", "3.0",
                                                                          "2023-07-07")
    assert source["url"].startswith("https://www.soumu.go.jp/") and source["read_through"] == "secondary sources"
    assert source["secondary"] and all(s["url"].startswith("https://") and s["supports"] for s in source["secondary"])
    assert set(listed.categories) == {"checkup_results", "vaccination_history", "medication", "clinical_information",
                                      "self_recorded_vitals"}
    assert {c.phr_kind for c in listed.categories.values()} == {"mynaportal", "from_institution", "self_recorded"}

    rows = tomllib.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))["items"]
    special = {row["key"]: row.get(special_care.FIELD) for row in rows if row["sensitivity"] == "special"}
    assert special == {"ecg": "self_recorded_vitals", "clinical_records": "clinical_information"}
    special_care.check_items(rows)  # the shipped catalogue passes
    assert special_care.category_of("ecg").key == "self_recorded_vitals"
    assert special_care.category_of("health_score") is None  # ordinary: no category


@pytest.mark.parametrize(("category_line", "sensitivity", "problem"), [
    ("", "special", f"{UNLISTED}: a 要配慮 item that names no special_care_category"),
    (f'special_care_category = "{UNLISTED}"', "special",
     f"{UNLISTED}: special_care_category = '{UNLISTED}' is not a category of the list"),
    ('special_care_category = "clinical_information"', "ordinary",
     f"{UNLISTED}: names special_care_category = 'clinical_information' but is not marked sensitivity = \"special\""),
])
def test_a_catalogue_with_a_special_care_item_outside_the_list_is_refused_at_load(
        app, db, tmp_path: Path, category_line: str, sensitivity: str, problem: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "catalogue.toml"
    path.write_text(ORDINARY_ROW + _special_row(category_line, sensitivity=sensitivity), encoding="utf-8")
    with app.app_context(), pytest.raises(UnlistedSpecialCareItem) as refused:
        catalogue.load_catalogue(db, path)
    message = str(refused.value)
    assert problem in message
    assert "指針 Ver3.0 list (app/consent/data/special_care.toml)" in message
    assert "Listed categories: checkup_results, clinical_information, medication, self_recorded_vitals, " \
           "vaccination_history" in message
    # The whole file is refused: not even its ordinary item is added.
    assert db.get(DataItem, UNLISTED) is None and db.get(DataItem, "b5_steps") is None


def test_the_command_refuses_such_a_catalogue_with_the_message(app, db, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "catalogue.toml"
    path.write_text(ORDINARY_ROW + _special_row(""), encoding="utf-8")
    monkeypatch.setattr(catalogue, "load_catalogue", functools.partial(catalogue.load_catalogue, path=path))
    result = app.test_cli_runner().invoke(args=["consent", "load-catalogue"])
    assert result.exit_code == 1, result.output
    assert "The catalogue was not loaded" in result.output and f"{UNLISTED}: a 要配慮 item" in result.output
    assert db.get(DataItem, "b5_steps") is None


def test_a_special_care_item_outside_the_list_cannot_be_picked_on_any_consent_screen(
        app, client, other_client, db, settings, login, offers) -> None:  # type: ignore[no-untyped-def]
    # A 要配慮 row that did not come through the load (an older catalogue, a row made by hand), in health-b's offer
    # next to the listed ECG.
    with app.app_context():
        db.add(DataItem(key=UNLISTED, name_ja="ゲノム情報", name_en="Genome data", description_en="Genome data (test)",
                        sensitivity="special", granularity="exact"))
        offer = db.get(Offer, offers[HEALTH_OFFER].offer.id)
        offer.items = [*offer.items, UNLISTED]
        db.add(offer)
        db.flush()
        view = catalogue.offer_view(db, offer.id)
    assert [item.key for item in view.items] == ["health_records", "health_score", "ecg"]

    # The resident's consent page: the listed 要配慮 item is offered, the unlisted one is not, and asking for it is
    # refused however it is sent.
    resident = ResidentFactory(locale="en")
    login(client, resident)
    page = client.get("/consents").get_data(as_text=True)
    assert 'value="ecg"' in page
    assert f'value="{UNLISTED}"' not in page and "Genome data" not in page
    for data in ({"items": [UNLISTED], "special_confirmed": "y"},
                 {"items": [UNLISTED, "health_score"], "special_confirmed": "y"}):
        response = grant_page(client, view, **data)
        assert response.status_code == 303 and "/consents/receipts/" not in response.headers["Location"]
        assert live_items(db, resident, view) == set()
    with app.app_context(), pytest.raises(ItemNotOffered):
        decisions.grant(db, settings, resident=resident, view=view, items=[UNLISTED], special_confirmed=True)
    receipt_id_of(grant_page(client, view, all="1", special_confirmed="y"))  # "all" is all the pickable items
    assert live_items(db, resident, view) == {"health_records", "health_score", "ecg"}

    # The consent door does not serve it either, whatever grant a row may hold (one made before the list).
    now = utcnow()
    db.add(Grant(resident_id=resident.id, recipient_key=HEALTH_OFFER[0], purpose_key=HEALTH_OFFER[1],
                 item_key=UNLISTED, granted=True, decided_at=now, expires_at=now + timedelta(days=30)))
    db.flush()
    with app.app_context():
        served = enforce.use(db, resident=resident, recipient=HEALTH_OFFER[0], purpose=HEALTH_OFFER[1],
                             items=[UNLISTED, "health_score"])
        assert set(served) == {"health_score"}
        with pytest.raises(ConsentRequired):
            enforce.use(db, resident=resident, recipient=HEALTH_OFFER[0], purpose=HEALTH_OFFER[1], items=[UNLISTED])
    # … and withdrawing everything still withdraws it, named on the receipt.
    assert post(client, f"/consents/{view.offer.id}/withdraw").status_code in (200, 303)
    db.expire_all()
    assert not db.exec(select(Grant).where(Grant.resident_id == resident.id, Grant.item_key == UNLISTED)).one().granted
    withdrawn = db.exec(select(ConsentReceipt).where(ConsentReceipt.resident_id == resident.id,
                                                     ConsentReceipt.event == "withdrawn")).one()
    assert UNLISTED in withdrawn.items

    # The operator's offer editor: not a choice, and refused when posted.
    login(other_client, StaffFactory(operator=True, locale="en"))
    console = other_client.get("/operator/catalogue/").get_data(as_text=True)
    assert 'value="ecg"' in console and f'value="{UNLISTED}"' not in console
    refused = post(other_client, "/operator/catalogue/offers", csrf_from="/operator/catalogue/", **{
        "offer-recipient": "health_app_b", "offer-purpose": "ebpm_statistics", "offer-items": UNLISTED})
    assert refused.status_code == 422
    assert catalogue.offer_for(db, "health_app_b", "ebpm_statistics") is None
    with app.app_context(), pytest.raises(NotFound):  # not an item that may be offered
        catalogue.add_offer(db, actor="test", recipient_key="health_app_b", purpose_key="ebpm_statistics",
                            items=[UNLISTED])

    # The OAuth client registry offers no 要配慮 item at all (listed or not), and refuses one.
    registry = other_client.get("/operator/clients/").get_data(as_text=True)
    assert 'value="health_score"' in registry
    assert 'value="ecg"' not in registry and f'value="{UNLISTED}"' not in registry
    with app.app_context(), pytest.raises(clients.InvalidClientRegistration):
        clients.register(db, clients.ClientRegistration(
            client_id="health-b-2", name="ヘルスケアアプリB 2", recipient_key=HEALTH_OFFER[0], purpose_key=HEALTH_OFFER[1],
            redirect_uris=["https://health-b.example.jp/cb"], scopes=[UNLISTED],
            jwks={"keys": [new_key().as_dict(private=False)]}), actor="test")
    assert db.get(OAuthClient, "health-b-2") is None
