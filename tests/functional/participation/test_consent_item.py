"""The history as the consent item 「イベント参加・クーポン利用の履歴」: in the catalogue and the bank's event offer
(appended to an offer that exists), read only through the door, None without records; and the demo seed."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.accounts.models import Resident
from app.consent import catalogue, decisions, enforce, items
from app.consent.models import DataItem, Offer
from app.participation import services
from app.participation.models import Participation
from tests.factories.accounts import ResidentFactory
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)
from tests.functional.participation.conftest import COUPON, EVENT, TODAY

EVENTS = ("azukari", "event_recommendation")


def test_the_item_is_in_the_catalogue_and_the_banks_event_offer(db, loaded_catalogue) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    item = db.get(DataItem, "participation_history")
    assert item.name_ja == "イベント参加・クーポン利用の履歴" and item.name_en == "Event participation and coupon use"
    assert "12か月" in item.description_ja and "12 months" in item.description_en
    assert (item.sensitivity, item.granularity) == ("ordinary", "coarse")
    assert "participation_history" in catalogue.offer_for(db, *EVENTS).items
    others = [o for o in db.exec(select(Offer)) if (o.recipient_key, o.purpose_key) != EVENTS]
    assert all("participation_history" not in o.items for o in others)  # nobody else asks for it


def test_loading_again_appends_the_item_to_an_existing_offer(app, db, loaded_catalogue) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    offer = catalogue.offer_for(db, *EVENTS)
    offer.items = [key for key in offer.items if key != "participation_history"]  # as released before this item
    db.add(offer)
    db.flush()
    with app.app_context():
        counts = catalogue.load_catalogue(db)
    assert counts["offer items"] == 1 and counts["items"] == 0
    assert catalogue.offer_for(db, *EVENTS).items[-1] == "participation_history"
    with app.app_context():
        assert "offer items" not in catalogue.load_catalogue(db)  # idempotent


def test_the_resolver_is_none_without_records_and_the_summary_with_them(app, db, recorded, loaded_catalog) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    resident, other = ResidentFactory(), ResidentFactory()
    assert items.participation_history(db, resident, TODAY) is None
    recorded(resident, "event", EVENT, TODAY - timedelta(days=400))  # outside the 12 months: still nothing
    assert items.participation_history(db, resident, TODAY) is None
    recorded(resident, "coupon", COUPON, TODAY - timedelta(days=3))
    assert items.participation_history(db, resident, TODAY) == services.summary(db, resident, TODAY) == {
        "counts": {"cafe": 1}, "attended_event_ids": []}
    both = items.resolve_many(db, [resident, other], ["participation_history"], TODAY)
    assert both == {resident.id: {"participation_history": {"counts": {"cafe": 1}, "attended_event_ids": []}},
                    other.id: {"participation_history": None}}


def test_the_bank_reads_it_only_with_consent_to_the_item(app, db, settings, offers, recorded, loaded_catalog) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    resident = ResidentFactory()
    recorded(resident, "event", EVENT, TODAY - timedelta(days=10))
    view = offers[EVENTS]
    with app.test_request_context():
        decisions.grant(db, settings, resident=resident, view=view, items=["age_bands"])
        values = enforce.use(db, resident=resident, recipient="azukari", purpose="event_recommendation",
                             items=["age_bands", "participation_history"])
        assert "participation_history" not in values  # not consented: not read
        decisions.grant(db, settings, resident=resident, view=view, items=["age_bands", "participation_history"])
        values = enforce.use(db, resident=resident, recipient="azukari", purpose="event_recommendation",
                             items=["participation_history"])
    assert values["participation_history"] == {"counts": {"free": 1, "outdoor": 1, "playground": 1},
                                               "attended_event_ids": [EVENT]}


def test_the_demo_seed_gives_taro_a_history_once(app, db, settings, loaded_catalog) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    from app.demo.participation import TARO, seed_participation
    from app.demo.seed import seed

    with app.app_context():
        seed(db, settings)
        first = seed_participation(db)
        second = seed_participation(db)
    taro = db.exec(select(Resident).where(Resident.email == TARO)).one()
    records = db.exec(select(Participation).where(Participation.resident_id == taro.id)).all()
    assert first == {"participations": 3} and second == {"participations": 0} and len(records) == 3
    assert {r.kind for r in records} == {"event", "coupon"}
    assert all(TODAY - timedelta(days=365) < r.occurred_on < TODAY for r in records)
    summary = services.summary(db, taro, TODAY)
    assert summary["counts"]["outdoor"] == 2 and summary["counts"]["cafe"] == 1
    assert summary["attended_event_ids"] == ["ev_park_swan_boat", "ev_park_toride"]
