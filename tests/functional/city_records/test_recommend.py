"""Kept records improve the services feed, through the consent door only: with consent to 「子育て関連サービスの
利用履歴」 a service already used says so and a check-up done is no longer urged; without it, nothing of them is read
(the processing record names the item as withheld) and the feed is as before."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.city_records.models import ServiceUsage
from app.consent import catalogue, decisions, enforce
from app.consent.models import DataItem
from app.household import services as household
from app.household.ages import BirthDate, japan_today
from app.household.models import HomeAddress
from app.ledger.models import RecordKind
from app.ledger.services import history
from app.recommend.feed import compute
from tests.factories.accounts import ResidentFactory
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)

SERVICES = ("azukari", "municipal_recommendation")


def months_ago(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 - months, 12)
    return date(day.year + year, month + 1, 10)


@pytest.fixture
def family(app, db, loaded_catalog, offers):  # type: ignore[no-untyped-def]  # noqa: F811
    """A household in 若柴 with a child of 19 months (the 1歳6か月児健診 is due) who had that check-up, and a day of
    一時預かり last month — kept from 柏市."""
    resident = ResidentFactory(locale="en")
    today = japan_today()
    birth = months_ago(today, 19)
    with app.test_request_context():
        household.add_child(db, resident, nickname="はると", birth=BirthDate(birth.year, birth.month, birth.day),
                            counted=False)
        db.add(HomeAddress(resident_id=resident.id, postal_code="277-0871", region="千葉県", locality="柏市",
                           town="若柴", block="178-4", source="smart-life-pass"))
        db.add(ServiceUsage(resident_id=resident.id, service_id="svc_kenshin_1y6m", used_from=today - timedelta(days=20),
                            child_birth_date=birth, note="1歳6か月児健康診査（集団）"))
        db.add(ServiceUsage(resident_id=resident.id, service_id="svc_ichiji_azukari_hoikuen",
                            used_from=months_ago(today, 1)))
        db.flush()
    return resident


def grant(app, db, settings, resident, items):  # type: ignore[no-untyped-def]
    with app.test_request_context():
        view = catalogue.offer_view(db, catalogue.offer_for(db, *SERVICES).id)
        decisions.grant(db, settings, resident=resident, view=view, items=items)
        db.flush()


def statuses(app, db, resident):  # type: ignore[no-untyped-def]
    with app.test_request_context():
        payload = compute(db, resident, japan_today())
        db.flush()
    return {r["service_id"]: r for r in payload["services"]["results"]}, payload


def test_the_item_is_in_the_catalogue_and_the_banks_service_offer(db, loaded_catalogue) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    item = db.get(DataItem, "service_usage_history")
    assert item.name_ja == "子育て関連サービスの利用履歴" and item.name_en == "Use of child-raising services"
    assert catalogue.offer_for(db, *SERVICES).items[-1] == "service_usage_history"


def test_without_consent_the_history_is_not_read(app, db, settings, family) -> None:  # type: ignore[no-untyped-def]
    grant(app, db, settings, family, ["birth_dates", "home_town"])
    results, payload = statuses(app, db, family)
    assert results["svc_kenshin_1y6m"]["status"] == "eligible" and "used_on" not in results["svc_kenshin_1y6m"]
    assert all("You used it" not in r["reasons"][0]["en"] for r in results.values())
    assert payload["services"]["missing"] == [] and "service_usage_history" not in payload["services"]["used"]
    record = [e for e in history(db, family.principal, kinds=[RecordKind.PROCESSING])
              if e.payload.get("purpose") == "municipal_recommendation"][-1]
    assert record.payload["withheld"] == ["service_usage_history"]


def test_with_consent_a_used_service_says_so_and_a_check_up_done_is_not_urged(app, db, settings, client, login,
                                                                             family) -> None:  # type: ignore[no-untyped-def]
    grant(app, db, settings, family, ["birth_dates", "home_town", "service_usage_history"])
    results, payload = statuses(app, db, family)
    check_up = results["svc_kenshin_1y6m"]
    assert check_up["status"] == "done" and check_up["reasons"][0]["en"].startswith("Already done (")
    childcare = results["svc_ichiji_azukari_hoikuen"]
    assert childcare["status"] in ("eligible", "check") and childcare["reasons"][0]["en"].startswith("You used it (")
    assert "service_usage_history" in payload["services"]["used"]
    with app.test_request_context():
        values = enforce.use(db, resident=family, recipient="azukari", purpose="municipal_recommendation",
                             items=["service_usage_history"])
    assert {u["service_id"] for u in values["service_usage_history"]} == {"svc_kenshin_1y6m", "svc_ichiji_azukari_hoikuen"}

    login(client, family)
    html = client.get("/feed").get_data(as_text=True)
    assert "Already used" in html and "You used it (" in html
    used_group = html.split("Already used</h2>")[1].split("</ul>")[0]
    assert "svc_kenshin_1y6m" in used_group
    urged = html.split("Already used</h2>")[0]
    assert "/feed/services/svc_kenshin_1y6m" not in urged  # not among the services urged
