"""What the feed showed is kept per resident, item and month (the evidence for 柏市's "shown vs used" statistics):
the services for the household (eligible, soon, to check) and the listed events, once a month, never another
resident's."""

from __future__ import annotations

import pytest
from freezegun import freeze_time
from sqlmodel import select

from app.recommend.models import RecommendImpression
from tests.conftest import login_as
from tests.factories.accounts import ResidentFactory
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)
from tests.functional.recommend.test_feed import EVENTS, SERVICES, family, grant  # noqa: F401  (fixture)


@pytest.fixture
def consented(app, db, settings, family):  # type: ignore[no-untyped-def]  # noqa: F811
    grant(app, db, settings, family, SERVICES)
    grant(app, db, settings, family, EVENTS)
    return family


def shown(db, resident, kind: str | None = None) -> list[RecommendImpression]:  # type: ignore[no-untyped-def]
    rows = db.exec(select(RecommendImpression).where(RecommendImpression.resident_id == resident.id)).all()
    return [row for row in rows if kind is None or row.kind == kind]


def test_the_feed_keeps_what_it_showed_once_a_month(client, db, consented) -> None:  # type: ignore[no-untyped-def]
    with freeze_time("2026-11-03 03:00:00", tick=True):
        login_as(client, db, consented)
        assert client.get("/feed").status_code == 200
        assert client.get("/feed").status_code == 200  # the same month: nothing more
    services = shown(db, consented, "service")
    assert services and {row.month for row in services} == {"2026-11"}
    assert {row.first_shown_on.isoformat() for row in services} == {"2026-11-03"}
    assert "svc_daretsu" in {row.item_id for row in services}  # eligible: shown
    assert all(row.categories for row in services)  # the service's category, for the statistics
    assert len({row.item_id for row in services}) == len(services)
    with freeze_time("2026-11-26 03:00:00", tick=True):
        login_as(client, db, consented)  # (three weeks later: a new session)
        assert client.get("/feed?tab=events").status_code == 200
    events = shown(db, consented, "event")
    assert events and {row.first_shown_on.isoformat() for row in events} == {"2026-11-26"}
    assert all(row.categories for row in events)  # the event's tags
    with freeze_time("2026-12-02 03:00:00", tick=True):
        login_as(client, db, consented)
        assert client.get("/feed").status_code == 200
    months = [row.month for row in shown(db, consented, "service")]
    assert "2026-12" in months and months.count("2026-11") == len(services)  # a new month, a new row


def test_another_residents_feed_is_not_kept_as_theirs(client, db, consented) -> None:  # type: ignore[no-untyped-def]
    other = ResidentFactory()
    login_as(client, db, consented)
    client.get("/feed")
    assert shown(db, consented) and shown(db, other) == []
