"""The daily batch of feeds: the same feed as a visit computes, through the same consent door (one record per
resident and purpose, none for a resident without consent), kept so that the day's visit reads it, resumable
after a killed worker, and never twice for a resident whose feed is already kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app.household import services as household
from app.household.ages import BirthDate
from app.household.models import HealthScore, HomeAddress
from app.recommend.feed import compute, feed_for
from app.recommend.jobs import precompute_feeds
from app.recommend.models import RecommendFeed
from tests.factories.accounts import ResidentFactory
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)
from tests.functional.recommend.test_feed import EVENTS, ON, SERVICES, grant, processing

HOMES = [("277-0871", "柏市", "若柴"), ("277-0882", "柏市", "柏の葉二丁目"), ("270-0128", "流山市", "おおたかの森西一丁目")]
BIRTHS = [BirthDate(2026, 1, 20), BirthDate(2022, 6, 10), BirthDate(2019, 4, 1), BirthDate(2024, 3, None),
          BirthDate(2013, 4, 2), BirthDate(2026, 1, 20)]


@pytest.fixture
def residents(app, db, settings, loaded_catalog, offers):  # type: ignore[no-untyped-def]  # noqa: F811
    """Six households of different shapes: two share a child's birth date (the memo), one has no address, one
    consented only to services, one to nothing."""
    made = []
    with app.test_request_context():
        for index in range(6):
            resident = ResidentFactory()
            household.add_child(db, resident, nickname=None, birth=BIRTHS[index], counted=False)
            if index % 2 == 0:
                household.add_child(db, resident, nickname=None, birth=BirthDate(2023, 11, 26), counted=False)
            if index != 3:
                postal, city, town = HOMES[index % 3]
                db.add(HomeAddress(resident_id=resident.id, postal_code=postal, region="千葉県", locality=city, town=town,
                                   block="1-1", source="smart-life-pass"))
            if index == 1:
                db.add(HealthScore(resident_id=resident.id, day=ON - timedelta(days=1), score=38, meal=40, exercise=20,
                                   source="smart-life-pass"))
            made.append(resident)
        db.flush()
    for index, resident in enumerate(made):
        if index != 5:
            grant(app, db, settings, resident, SERVICES)
        if index not in (4, 5):
            grant(app, db, settings, resident, EVENTS)
    return made


def kept(db, resident):  # type: ignore[no-untyped-def]
    return db.exec(select(RecommendFeed).where(RecommendFeed.resident_id == resident.id, RecommendFeed.day == ON)).first()


def test_the_batch_keeps_each_residents_feed_as_a_visit_would_compute_it(app, db, residents) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        alone = {}
        for resident in residents:  # computed one by one, then rolled back: the reference
            with db.begin_nested() as savepoint:
                alone[resident.id] = compute(db, resident, ON)
                savepoint.rollback()
        assert precompute_feeds(db, ON) >= len(residents)
        for resident in residents:
            payload = kept(db, resident).payload
            for part in ("services", "events"):  # the processing record's number is the batch's own
                payload[part].pop("record"), alone[resident.id][part].pop("record")
            assert payload == alone[resident.id]
    records = {resident.id: sorted(r.payload["purpose"] for r in processing(db, resident)) for resident in residents}
    assert records[residents[0].id] == ["event_recommendation", "municipal_recommendation"]
    assert records[residents[4].id] == ["municipal_recommendation"]
    assert records[residents[5].id] == []  # no consent: nothing read, nothing recorded, the feed says what is missing
    assert kept(db, residents[5]).payload["services"]["missing"] == ["birth_dates", "home_town"]
    with app.test_request_context():  # the day's visit reads the kept feed: no second processing
        feed_for(db, residents[0], ON)
    assert len(processing(db, residents[0])) == 2


def test_a_resumed_batch_starts_after_its_checkpoint_and_skips_kept_feeds(app, db, residents) -> None:  # type: ignore[no-untyped-def]
    ordered = sorted(residents, key=lambda r: r.id)
    with app.test_request_context():
        feed_for(db, ordered[3], ON)  # a visit before the batch
        visited = len(processing(db, ordered[3]))
        saved = []
        precompute_feeds(db, ON, after=ordered[1].id, save=lambda after, n: saved.append((after, n)))
    assert saved and saved[-1][1] >= 3
    assert [kept(db, r) is not None for r in ordered] == [False, False, True, True, True, True]
    assert len(processing(db, ordered[3])) == visited  # the visit's records only


def test_the_days_job_drops_earlier_feeds_and_queues_parts_that_cover_every_resident_once(app, db, residents) -> None:  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    from app.jobs.models import Job
    from app.recommend.jobs import PART_KIND, PARTS, part_bounds, precompute

    with app.test_request_context():
        feed_for(db, residents[0], ON - timedelta(days=1))
        precompute(SimpleNamespace(session=db, payload={"day": ON.isoformat()}, job=SimpleNamespace(id=7)))
        db.flush()
        parts = db.exec(select(Job).where(Job.kind == PART_KIND)).all()
        assert sorted(job.payload["part"] for job in parts) == list(range(PARTS))
        assert db.exec(select(RecommendFeed).where(RecommendFeed.day < ON)).first() is None
        counts = [precompute_feeds(db, ON, low=low, high=high) for low, high in (part_bounds(p, PARTS) for p in range(PARTS))]
    kept_ids = set(db.exec(select(RecommendFeed.resident_id).where(RecommendFeed.day == ON)))
    assert {r.id for r in residents} <= kept_ids and sum(counts) == len(kept_ids)
    bounds = [part_bounds(p, PARTS) for p in range(PARTS)]
    assert bounds[0][0].int == 0 and bounds[-1][1] is None
    assert all(bounds[i][1] == bounds[i + 1][0] for i in range(PARTS - 1))  # adjacent: no gap, no overlap


def test_the_job_is_registered_to_run_daily_before_the_morning_in_japan() -> None:
    from app.jobs.registry import load_registry
    from app.jobs.scheduler import EPOCH

    registry = load_registry()
    assert registry.handler("recommend.precompute_feeds") is not None
    task = next(t for t in registry.periodic if t.kind == "recommend.precompute_feeds")
    slot_start_jst = (EPOCH + task.offset + timedelta(hours=9)).time()
    assert task.every == timedelta(days=1) and slot_start_jst.hour == 4




def test_items_read_for_many_residents_are_each_residents_own(app, db, residents) -> None:  # type: ignore[no-untyped-def]
    from app.consent.items import ITEMS, resolve, resolve_many

    together = resolve_many(db, residents, list(ITEMS), ON)
    for resident in residents:
        assert together[resident.id] == {key: resolve(db, resident, key, ON) for key in ITEMS}
    assert together[residents[1].id]["health_score"] == 38 and together[residents[0].id]["health_score"] is None
    assert together[residents[3].id]["home_town"] is None
    assert together[residents[2].id]["home_town"] == {"city": "nagareyama", "town": "おおたかの森西一丁目"}
    assert together[residents[0].id]["birth_dates"] == ["2023-11-26", "2026-01-20"]
