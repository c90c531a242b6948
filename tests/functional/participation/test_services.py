"""The participation services: record (idempotent per day), remove (only one's own), the history, and the summary
the consent item gives (12 months, one query for many residents)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import col, func, select

from app.accounts.models import Resident
from app.audit import AuditEvent, EventTag
from app.catalog.models import CatalogCoupon, CatalogEvent
from app.errors import NotFound
from app.ledger.models import RecordKind
from app.ledger.services import history
from app.participation import services
from app.participation.models import Participation
from tests.factories.accounts import ResidentFactory
from tests.functional.participation.conftest import COUPON, EVENT, TODAY


def rows_of(db, resident) -> list[Participation]:  # type: ignore[no-untyped-def]
    db.expire_all()
    return list(db.exec(select(Participation).where(Participation.resident_id == resident.id)))


def audits(db, tag: EventTag) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    return list(db.exec(select(AuditEvent).where(AuditEvent.tag == tag.value)))


def test_recording_an_event_keeps_a_snapshot_of_its_tags_and_venue(db, resident, recorded) -> None:  # type: ignore[no-untyped-def]
    participation = recorded(resident, "event", EVENT)
    event = db.get(CatalogEvent, EVENT)
    assert participation.kind == "event" and participation.item_id == EVENT and participation.occurred_on == TODAY
    assert participation.categories == event.tags == ["outdoor", "playground", "free"]
    assert participation.venue_id == event.venue_id and participation.source == "resident"
    assert participation.recorded_at.tzinfo is not None
    [event_row] = audits(db, EventTag.PARTICIPATION_RECORD)
    assert event_row.actor == resident.principal and event_row.details == {"kind": "event", "source": "resident"}


def test_a_coupon_is_counted_by_its_store_category(db, resident, recorded) -> None:  # type: ignore[no-untyped-def]
    participation = recorded(resident, "coupon", COUPON)
    assert participation.categories == [db.get(CatalogCoupon, COUPON).merchant_category] == ["cafe"]


def test_recording_twice_the_same_day_is_one_record(db, resident, recorded) -> None:  # type: ignore[no-untyped-def]
    first = recorded(resident)
    second = recorded(resident)
    assert second.id == first.id and len(rows_of(db, resident)) == 1
    assert len(audits(db, EventTag.PARTICIPATION_RECORD)) == 1  # the repeat changed nothing, so audits nothing
    other_day = recorded(resident, on=TODAY - timedelta(days=7))
    assert other_day.id != first.id and len(rows_of(db, resident)) == 2


def test_a_unique_day_per_item_holds_in_the_database(db, resident, recorded) -> None:  # type: ignore[no-untyped-def]
    first = recorded(resident)
    with pytest.raises(sa.exc.IntegrityError), db.begin_nested():
        db.add(Participation(resident_id=resident.id, kind="event", item_id=EVENT, venue_id=first.venue_id,
                             categories=[], occurred_on=TODAY))
        db.flush()


def test_an_unknown_item_or_a_future_day_is_refused_with_a_message(app, db, resident) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        for kind, item_id in (("event", "ev_no_such_event"), ("coupon", EVENT), ("event", COUPON), ("quiz", EVENT)):
            with pytest.raises(services.UnknownItem) as error:
                services.record(db, resident, kind, item_id, TODAY)
            assert error.value.status == 404 and "見つかりませんでした" in str(error.value.message)  # Japanese first
        with pytest.raises(services.FutureParticipation) as future:
            services.record(db, resident, "event", EVENT, TODAY + timedelta(days=1))
        assert future.value.status == 422 and str(future.value.message) == "記録できるのは、今日または過去の日付だけです。"
    assert rows_of(db, resident) == []


def test_removing_ones_own_record_deletes_it_and_is_on_the_ledger(app, db, resident, recorded) -> None:  # type: ignore[no-untyped-def]
    participation = recorded(resident)
    with app.app_context():
        services.remove(db, resident, participation.id)
        db.flush()
    assert rows_of(db, resident) == []
    [deletion] = history(db, resident.principal, kinds=[RecordKind.DELETION])
    assert deletion.payload["items"] == ["participation_history"] and deletion.payload["by"] == "resident"
    assert EVENT not in str(deletion.payload)  # which event it was is not kept anywhere else
    assert len(audits(db, EventTag.PARTICIPATION_REMOVE)) == 1


def test_another_resident_cannot_remove_or_see_a_record(app, db, resident, other_resident, recorded) -> None:  # type: ignore[no-untyped-def]
    participation = recorded(resident)
    with app.app_context():
        with pytest.raises(NotFound) as error:
            services.remove(db, other_resident, participation.id)
        assert isinstance(error.value, services.UnknownParticipation) and error.value.status == 404
        with pytest.raises(services.UnknownParticipation):
            services.participation_of(db, other_resident, participation.id)
    assert [p.id for p in rows_of(db, resident)] == [participation.id]
    assert services.history_of(db, other_resident) == []
    assert audits(db, EventTag.PARTICIPATION_REMOVE) == []


def test_the_history_is_newest_first_with_titles_for_residents(app, db, resident, recorded) -> None:  # type: ignore[no-untyped-def]
    older = recorded(resident, "event", EVENT, TODAY - timedelta(days=30))
    newer = recorded(resident, "coupon", COUPON, TODAY - timedelta(days=2))
    assert [p.id for p in services.history_of(db, resident)] == [newer.id, older.id]
    with app.test_request_context():
        views = services.history_views(db, resident)
    coupon = db.get(CatalogCoupon, COUPON)
    assert [v.participation.id for v in views] == [newer.id, older.id]
    assert views[1].is_event and views[1].title == db.get(CatalogEvent, EVENT).display_title_ja
    assert not views[0].is_event and views[0].title == coupon.display_title_ja  # by its category (a placeholder)
    assert coupon.merchant_category_ja in views[0].title


# --- the summary ---------------------------------------------------------------------------------------------


def test_the_window_is_the_last_twelve_months_ending_on_the_day() -> None:
    assert services.window_start(date(2026, 11, 26)) == date(2025, 11, 27)
    assert services.window_start(date(2024, 2, 29)) == date(2023, 3, 1)  # 2023-02-28, the day after
    assert services.window_start(date(2026, 3, 31), months=1) == date(2026, 3, 1)  # 2026-02-28 + 1


def test_the_summary_counts_categories_over_twelve_months(db, resident, recorded) -> None:  # type: ignore[no-untyped-def]
    recorded(resident, "event", EVENT, TODAY)  # outdoor, playground, free
    recorded(resident, "event", EVENT, TODAY - timedelta(days=40))
    recorded(resident, "event", "ev_tsite_ehon_baby", date(2025, 11, 27))  # the window's first day
    recorded(resident, "event", "ev_park_swan_boat", date(2025, 11, 26))  # a day too old
    recorded(resident, "coupon", COUPON, TODAY - timedelta(days=1))
    summary = services.summary(db, resident, TODAY)
    assert summary == {
        "counts": {"baby": 1, "cafe": 1, "free": 3, "indoor": 1, "outdoor": 2, "playground": 2, "reading": 1},
        "attended_event_ids": ["ev_park_toride", "ev_tsite_ehon_baby"],
    }
    assert list(summary["counts"]) == sorted(summary["counts"])
    # Seen from an earlier day, later records are not counted, and the older one is inside the window.
    earlier = services.summary(db, resident, date(2026, 10, 1))
    assert earlier["attended_event_ids"] == ["ev_park_swan_boat", "ev_tsite_ehon_baby"]
    assert "cafe" not in earlier["counts"]
    assert services.summary(db, ResidentFactory(), TODAY) == {"counts": {}, "attended_event_ids": []}


def test_bulk_summaries_equal_each_residents_summary_in_one_query(db, resident, other_resident, recorded) -> None:  # type: ignore[no-untyped-def]
    nobody = ResidentFactory()
    recorded(resident, "event", EVENT, TODAY - timedelta(days=3))
    recorded(resident, "coupon", COUPON, TODAY - timedelta(days=100))
    recorded(other_resident, "event", "ev_tsite_ehon_baby", TODAY)
    recorded(other_resident, "event", "ev_park_swan_boat", TODAY - timedelta(days=400))  # outside: absent
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    connection = db.connection()
    sa.event.listen(connection, "before_cursor_execute", count)
    try:
        bulk = services.summaries(db, [resident.id, other_resident.id, nobody.id], TODAY)
    finally:
        sa.event.remove(connection, "before_cursor_execute", count)
    assert len(statements) == 1
    assert set(bulk) == {resident.id, other_resident.id}  # nobody has no record: absent
    assert bulk[resident.id] == services.summary(db, resident, TODAY)
    assert bulk[other_resident.id] == services.summary(db, other_resident, TODAY)
    assert bulk[other_resident.id]["attended_event_ids"] == ["ev_tsite_ehon_baby"]
    assert services.summaries(db, [], TODAY) == {}


def test_a_deleted_account_takes_its_records_with_it(db, resident, recorded) -> None:  # type: ignore[no-untyped-def]
    recorded(resident)
    db.execute(sa.delete(Resident).where(col(Resident.id) == resident.id))
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Participation)).one() == 0


def test_a_new_or_removed_record_drops_the_days_kept_feed(app, db, resident, recorded) -> None:  # type: ignore[no-untyped-def]
    from app.recommend.models import RecommendFeed

    def keep_a_feed() -> None:
        db.add(RecommendFeed(resident_id=resident.id, day=TODAY, payload={}))
        db.flush()

    def kept() -> bool:
        db.expire_all()
        return db.exec(select(RecommendFeed).where(RecommendFeed.resident_id == resident.id)).first() is not None

    keep_a_feed()
    participation = recorded(resident)
    assert not kept()  # computed without this record: dropped
    keep_a_feed()
    recorded(resident)  # the same day again: nothing changed, the feed stays
    assert kept()
    with app.app_context():
        services.remove(db, resident, participation.id)
        db.flush()
    assert not kept()
