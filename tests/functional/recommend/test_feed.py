"""The feed as the bank's own processing: read through the consent door once per purpose and day, kept for the
day, dropped when a consent is withdrawn or the household changes, and working with only what may be used."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from app.consent import catalogue, decisions
from app.household import services as household
from app.household.ages import BirthDate
from app.household.models import HomeAddress
from app.ledger.models import RecordKind
from app.ledger.services import history
from app.recommend.feed import feed_for
from app.recommend.models import RecommendFeed
from tests.factories.accounts import ResidentFactory
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)

ON = date(2026, 11, 26)
SERVICES = ("azukari", "municipal_recommendation")
EVENTS = ("azukari", "event_recommendation")


@pytest.fixture
def family(app, db, loaded_catalog, offers):  # type: ignore[no-untyped-def]  # noqa: F811
    return wakashiba_family(app, db)


def wakashiba_family(app, db):  # type: ignore[no-untyped-def]
    """A household in 若柴 with a 10-month-old and a 4-year-old."""
    resident = ResidentFactory()
    with app.test_request_context():
        household.add_child(db, resident, nickname="はると", birth=BirthDate(2026, 1, 20), counted=False)
        household.add_child(db, resident, nickname="ゆい", birth=BirthDate(2022, 6, 10), counted=False)
        db.add(HomeAddress(resident_id=resident.id, postal_code="277-0871", region="千葉県", locality="柏市",
                           town="若柴", block="178-4", source="smart-life-pass"))
        db.flush()
    return resident


def grant(app, db, settings, resident, key, items=None):  # type: ignore[no-untyped-def]
    with app.test_request_context():
        view = catalogue.offer_view(db, catalogue.offer_for(db, *key).id)
        decisions.grant(db, settings, resident=resident, view=view, items=items or view.offer.items)
        db.flush()


def processing(db, resident):  # type: ignore[no-untyped-def]
    return [e for e in history(db, resident.principal, kinds=[RecordKind.PROCESSING])
            if (e.payload or {}).get("via") == {"method": "recommendation_feed"}]


def feed(app, db, resident):  # type: ignore[no-untyped-def]
    with app.test_request_context():
        payload = feed_for(db, resident, ON)
        db.flush()
    return payload


def test_the_feed_reads_once_a_day_and_says_what_it_used(app, db, settings, family) -> None:  # type: ignore[no-untyped-def]
    grant(app, db, settings, family, SERVICES)
    grant(app, db, settings, family, EVENTS)
    payload = feed(app, db, family)
    statuses = {r["service_id"]: r["status"] for r in payload["services"]["results"]}
    assert statuses["svc_daretsu"] == "eligible"  # こども誰でも通園制度: the 10-month-old
    assert statuses["svc_kenshin_3y"] == "not_eligible"
    assert payload["services"]["used"] == ["birth_dates", "home_town"] and payload["services"]["missing"] == []
    assert payload["events"]["ranked"] and payload["events"]["missing"] == []
    assert payload["events"]["used"] == ["age_bands", "birth_dates", "home_town"]  # no health score is held
    records = processing(db, family)
    assert sorted(r.payload["purpose"] for r in records) == ["event_recommendation", "municipal_recommendation"]
    assert feed(app, db, family) == payload  # kept for the day: no second reading
    assert len(processing(db, family)) == 2


def test_without_consent_nothing_is_read_and_the_feed_says_what_is_missing(app, db, settings, family) -> None:  # type: ignore[no-untyped-def]
    payload = feed(app, db, family)
    assert payload["services"]["results"] == [] and payload["services"]["missing"] == ["birth_dates", "home_town"]
    assert payload["events"]["ranked"] == [] and payload["events"]["record"] is None
    assert processing(db, family) == []


def test_with_age_bands_only_events_are_still_ranked(app, db, settings, family) -> None:  # type: ignore[no-untyped-def]
    grant(app, db, settings, family, EVENTS, items=["age_bands"])
    payload = feed(app, db, family)
    assert payload["events"]["ranked"] and payload["events"]["used"] == ["age_bands"]
    assert {"birth_dates", "home_town"} <= set(payload["events"]["missing"])
    assert all("birth_dates" not in item["used"] for item in payload["events"]["ranked"])


def test_a_withdrawal_drops_the_days_feed_and_the_item_is_not_read_again(app, db, settings, family) -> None:  # type: ignore[no-untyped-def]
    grant(app, db, settings, family, EVENTS)
    first = feed(app, db, family)
    assert "birth_dates" in first["events"]["used"]
    with app.test_request_context():
        view = catalogue.offer_view(db, catalogue.offer_for(db, *EVENTS).id)
        decisions.withdraw(db, settings, resident=family, view=view, items=["birth_dates"])
        db.flush()
    assert db.exec(select(RecommendFeed)).first() is None
    second = feed(app, db, family)
    assert "birth_dates" not in second["events"]["used"] and "birth_dates" in second["events"]["missing"]
    latest = processing(db, family)[0]
    assert "birth_dates" not in latest.payload["items"]


def test_a_household_change_drops_the_days_feed(app, db, settings, family) -> None:  # type: ignore[no-untyped-def]
    grant(app, db, settings, family, SERVICES)
    before = feed(app, db, family)
    with app.test_request_context():
        household.add_child(db, family, nickname="あおい", birth=BirthDate(2013, 5, 1), counted=False)
        db.flush()
    after = feed(app, db, family)
    assert after != before and len(processing(db, family)) == 2


def test_withdrawing_the_participation_history_changes_the_feed_and_it_is_never_read_again(  # type: ignore[no-untyped-def]
        app, db, settings, family) -> None:
    from app.participation import services as participation

    grant(app, db, settings, family, EVENTS)
    before_history = feed(app, db, family)
    joined = before_history["events"]["ranked"][-1]["id"]  # the last ranked event: its kind of event moves up
    with app.test_request_context():
        participation.record(db, family, "event", joined, ON - timedelta(days=30))
        participation.record(db, family, "coupon", before_history["events"]["coupons"][-1]["id"], ON - timedelta(days=9))
        db.flush()
    with_history = feed(app, db, family)
    assert with_history != before_history
    assert "participation_history" in with_history["events"]["used"]
    assert any(reason["code"] == "history" for item in with_history["events"]["ranked"] for reason in item["reasons"])
    assert "participation_history" in processing(db, family)[0].payload["items"]

    with app.test_request_context():
        view = catalogue.offer_view(db, catalogue.offer_for(db, *EVENTS).id)
        decisions.withdraw(db, settings, resident=family, view=view, items=["participation_history"])
        db.flush()
    seen = len(processing(db, family))
    after = feed(app, db, family)
    assert after != with_history and "participation_history" in after["events"]["missing"]
    assert not any(reason["code"] == "history" for item in after["events"]["ranked"] + after["events"]["coupons"]
                   for reason in item["reasons"])
    with app.test_request_context():  # the next days too
        for day in (ON + timedelta(days=1), ON + timedelta(days=2)):
            feed_for(db, family, day)
        db.flush()
    later = processing(db, family)[: len(processing(db, family)) - seen]
    assert len(later) == 3 and all("participation_history" not in record.payload["items"] for record in later)
    assert all("participation_history" in record.payload["withheld"] for record in later)


def test_a_consent_given_after_the_days_feed_is_used_the_same_day(app, db, settings, family) -> None:  # type: ignore[no-untyped-def]
    before = feed(app, db, family)
    assert before["services"]["results"] == [] and "birth_dates" in before["services"]["missing"]
    grant(app, db, settings, family, SERVICES)
    after = feed(app, db, family)
    assert after["services"]["results"] and after["services"]["missing"] == []
