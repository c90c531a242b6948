"""The release's other indicators, from what the app kept: uptake among households the feed showed a service to and
the rest (S), participation in the 4 weeks around a first recommendation (P), and satisfaction before and after
(Q); each only for households that consented to the item, small groups hidden, means from 10 households."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from app.ebpm import outcomes, services, uptake
from app.participation.models import Participation
from app.recommend import impressions
from app.surveys.models import Survey, SurveyResponse
from tests.factories.staff import StaffFactory
from tests.functional.catalog.conftest import loaded_catalog  # noqa: F401  (fixture)
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)
from tests.functional.ebpm.test_releases import ebpm_view, family  # noqa: F401  (fixtures)
from tests.functional.ebpm.test_uptake import ICHIJI, counts, user  # noqa: F401  (fixture)

OCTOBER = "2026-10"
SHOWN_USED = uptake.table_name(ICHIJI, uptake.SHOWN, uptake.USED)
SHOWN_ELIGIBLE = uptake.table_name(ICHIJI, uptake.SHOWN, uptake.ELIGIBLE)


def show(db, resident, day: date, kind: str = "service", item: str = ICHIJI, tags=("childcare_temporary",)) -> None:  # type: ignore[no-untyped-def]
    impressions.record(db, resident.id, [impressions.Shown(kind, item, tuple(tags))], day)


def test_uptake_among_households_the_feed_showed_it_to_and_the_rest(db, user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    for _ in range(12):
        show(db, user(date(2026, 10, 9)), date(2026, 10, 4))
    for _ in range(10):
        show(db, user(), date(2026, 10, 4))  # shown, not used
    for _ in range(20):
        user()  # eligible, not shown, not used
    for _ in range(11):
        show(db, user(date(2026, 10, 20)), date(2026, 9, 4))  # shown in September only: "not shown" in October
    made = services.release(db, OCTOBER)
    assert counts(made, SHOWN_ELIGIBLE) == {uptake.WAS_SHOWN: 22, uptake.NOT_SHOWN: 31}
    assert counts(made, SHOWN_USED) == {uptake.WAS_SHOWN: 12, uptake.NOT_SHOWN: 11}


def joined(db, resident, day: date, tag: str = "baby") -> None:  # type: ignore[no-untyped-def]
    db.add(Participation(resident_id=resident.id, kind="event", item_id=f"ev_{day.isoformat()}", venue_id="v",
                         categories=[tag], occurred_on=day))


def test_participation_around_a_first_recommendation_in_the_month_before(db, user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    for number in range(12):
        household = user()
        show(db, household, date(2026, 9, 10), kind="event", item="ev_x", tags=("baby",))
        joined(db, household, date(2026, 9, 1))  # before
        joined(db, household, date(2026, 9, 15))  # after
        if number < 6:
            joined(db, household, date(2026, 9, 22))  # after, half of them twice
    for _ in range(4):  # a small group: hidden
        household = user()
        show(db, household, date(2026, 9, 12), kind="event", item="ev_y", tags=("music",))
    late = user()
    show(db, late, date(2026, 10, 3), kind="event", item="ev_x", tags=("baby",))  # first in October: next release
    db.flush()
    made = services.release(db, OCTOBER)
    cells = {c["key"]: c for c in made.payload[outcomes.PARTICIPATION]["cells"]}
    assert cells["baby"]["count"] == 12 and cells["baby"]["before"] == 1.0 and cells["baby"]["after"] == 1.5
    assert cells["baby"]["change"] == 0.5
    assert cells["music"] == {"key": "music", "count": None, "percent": None, "paired": None, "before": None,
                              "after": None, "change": None}


def test_satisfaction_before_and_after_from_submitted_answers_only(app, db, user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    for key in ("pre_pilot", "post_pilot"):
        if db.get(Survey, key) is None:
            db.add(Survey(key=key, status="open"))
    now = datetime(2026, 10, 20, tzinfo=UTC)
    for number in range(14):
        household = user()
        db.add(SurveyResponse(survey_key="pre_pilot", resident_id=household.id, answers={"info_finding": 2},
                              submitted_at=now))
        db.add(SurveyResponse(survey_key="post_pilot", resident_id=household.id,
                              answers={"info_finding": 3 if number < 7 else 4, "service_satisfaction": 4},
                              submitted_at=None if number >= 12 else now))  # two never submitted the second
    db.flush()
    made = services.release(db, OCTOBER)
    cells = {c["key"]: c for c in made.payload[outcomes.SATISFACTION]["cells"]}
    assert cells["info_finding"]["count"] == 12 and cells["info_finding"]["before"] == 2.0
    assert cells["info_finding"]["after"] == 3.42 and cells["info_finding"]["change"] == 1.42
    assert cells["service_satisfaction"]["after"] == 4.0 and cells["service_satisfaction"]["paired"] == 0


def test_staff_read_the_three_indicators_on_the_page_and_in_the_file(client, login, db, user) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    for _ in range(12):
        household = user(date(2026, 10, 9))
        show(db, household, date(2026, 10, 4))
        show(db, household, date(2026, 9, 10), kind="event", item="ev_x", tags=("baby",))
        joined(db, household, date(2026, 9, 15))
    db.flush()
    services.release(db, OCTOBER)
    login(client, StaffFactory(municipal=True, locale="ja"))
    page = client.get("/municipal/ebpm/").get_data(as_text=True)
    assert "おすすめに表示された世帯" in page and "赤ちゃん向け" in page and "+1.00" in page
    body = client.get(f"/municipal/ebpm/{OCTOBER}.csv").get_data(as_text=True)
    assert "利用率（おすすめ表示の有無）,認可保育園の一時預かり,おすすめに表示された世帯,12,12,100.0" in body
    assert "おすすめ前後4週間の参加回数" in body and ",赤ちゃん向け,12,,0→1 +1," in body
    assert db.exec(select(Participation)).first() is not None
