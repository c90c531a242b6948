"""The uptake indicator: of the consenting households eligible for a service at the month's end, those that used it
in the month, by area group and 年齢クラス; the eligible who did not use it never shown as 1–9; the fiscal year's
users and the cost per user from a budget staff enter."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from app.audit import AuditEvent, EventTag
from app.city_records import usage as city_usage
from app.consent import decisions
from app.ebpm import budgets, services, uptake
from tests.factories.staff import StaffFactory
from tests.functional.catalog.conftest import loaded_catalog  # noqa: F401  (fixture)
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)
from tests.functional.ebpm.test_releases import ebpm_view, family  # noqa: F401  (fixtures)

OCTOBER = "2026-10"
ICHIJI = "svc_ichiji_azukari_hoikuen"
AREA_ELIGIBLE = uptake.table_name(ICHIJI, uptake.AREA, uptake.ELIGIBLE)
AREA_USED = uptake.table_name(ICHIJI, uptake.AREA, uptake.USED)
CLASS_USED = uptake.table_name(ICHIJI, uptake.CLASS, uptake.USED)


@pytest.fixture
def user(db, family, loaded_catalog):  # type: ignore[no-untyped-def]  # noqa: F811
    """A consenting household in 若柴 with a child born 2024-06-10 (1歳児クラス in October 2026) that used
    一時預かり on the given days."""
    def _user(*days: date, consented: bool = True):  # type: ignore[no-untyped-def]
        resident = family(consented=consented)
        city_usage.store(db, resident.id, None, [{"service_id": ICHIJI, "used_from": day.isoformat(), "used_to": None,
                                                  "child_birth_date": "2024-06-10", "note": ""} for day in days])
        return resident

    return _user


def table(made, name):  # type: ignore[no-untyped-def]
    return made.payload[name]


def counts(made, name):  # type: ignore[no-untyped-def]
    return {c["key"]: c["count"] for c in made.payload[name]["cells"]}


def test_uptake_counts_the_eligible_and_those_that_used_it_in_the_month(db, user) -> None:  # type: ignore[no-untyped-def]
    for _ in range(12):
        user(date(2026, 10, 7))
    for _ in range(10):
        user(date(2026, 9, 20))  # used it, but not in October
    for _ in range(5):
        user(date(2026, 10, 8), consented=False)  # not counted at all
    made = services.release(db, OCTOBER)
    assert table(made, AREA_ELIGIBLE)["total"] == 22 and table(made, AREA_USED)["total"] == 12
    assert counts(made, AREA_ELIGIBLE) == {"kashiwanoha_pilot": 22} and counts(made, AREA_USED) == {"kashiwanoha_pilot": 12}
    assert counts(made, CLASS_USED) == {"1歳児クラス": 12}
    assert uptake.rate(22, 12) == 54.5
    assert counts(made, uptake.FY_USERS) == {ICHIJI: 22}  # April to October: both months count


def test_the_eligible_that_did_not_use_it_are_never_shown_as_fewer_than_10(db, user) -> None:  # type: ignore[no-untyped-def]
    for _ in range(15):
        user(date(2026, 10, 7))
    for _ in range(4):
        user()  # eligible, never used it: 19 − 15 would give 4
    made = services.release(db, OCTOBER)
    assert table(made, AREA_ELIGIBLE)["total"] == 19
    assert table(made, AREA_USED)["total"] is None and set(counts(made, AREA_USED).values()) == {None}
    assert set(counts(made, CLASS_USED).values()) == {None}


def test_a_household_that_did_not_agree_to_the_new_items_is_only_in_the_household_tables(app, db, settings, user,
                                                                                         ebpm_view) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    households = [user(date(2026, 10, 7)) for _ in range(12)]
    with app.test_request_context():
        decisions.withdraw(db, settings, resident=households[0], view=ebpm_view, items=["services_used"])
    made = services.release(db, OCTOBER)
    assert made.households == 12
    assert table(made, uptake.POPULATION)["total"] == 11 and table(made, AREA_ELIGIBLE)["total"] == 11


def test_staff_see_where_the_service_is_not_reaching_and_filter_by_age_class(client, login, db, user) -> None:  # type: ignore[no-untyped-def]
    for _ in range(12):
        user(date(2026, 10, 7))
    for _ in range(10):
        user()
    services.release(db, OCTOBER)
    login(client, StaffFactory(municipal=True, locale="ja"))
    page = client.get("/municipal/ebpm/").get_data(as_text=True)
    assert "認可保育園の一時預かり" in page and "54.5%" in page and "柏の葉実証エリア" in page
    only = client.get("/municipal/ebpm/?age_class=1歳児クラス").get_data(as_text=True)
    assert "1歳児クラス" in only and "54.5%" in only
    assert client.get("/municipal/ebpm/?age_class=nonsense&area=<script>").status_code == 200  # ignored, not echoed
    body = client.get(f"/municipal/ebpm/{OCTOBER}.csv").get_data(as_text=True)
    assert "利用率（町丁目グループ）,認可保育園の一時預かり,柏の葉実証エリア,22,12,54.5" in body


def test_a_budget_gives_the_cost_per_household_served(client, login, db, user) -> None:  # type: ignore[no-untyped-def]
    for _ in range(12):
        user(date(2026, 10, 7))
    services.release(db, OCTOBER)
    staff = StaffFactory(municipal=True, locale="ja")
    login(client, staff)
    page = client.get("/municipal/ebpm/")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    saved = client.post(f"/municipal/ebpm/budgets?month={OCTOBER}", data={
        "csrf_token": token, "service_id": ICHIJI, "fiscal_year": "2026", "amount_yen": "6000000"})
    assert saved.status_code == 303
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "6,000,000" in page and "500,000" in page  # 6,000,000 ÷ 12 households
    event = db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.EBPM_BUDGET.value)).one()
    assert event.actor == staff.principal and event.details["amount_yen"] == 6000000
    refused = client.post(f"/municipal/ebpm/budgets?month={OCTOBER}", data={
        "csrf_token": token, "service_id": ICHIJI, "fiscal_year": "2026", "amount_yen": "-5"})
    assert refused.status_code == 422
    assert client.post(f"/municipal/ebpm/budgets?month={OCTOBER}", data={
        "service_id": ICHIJI, "fiscal_year": "2026", "amount_yen": "1"}).status_code in (400, 403)  # no CSRF token
    assert len(budgets.of_year(db, 2026)) == 1 and budgets.of_year(db, 2026)[0].amount_yen == 6000000


def test_staff_follow_the_uptake_month_by_month(client, login, db, user) -> None:  # type: ignore[no-untyped-def]
    for _ in range(12):
        user(date(2026, 9, 7), date(2026, 10, 7))
    for _ in range(12):
        user(date(2026, 10, 9))
    for _ in range(12):
        user()
    services.release(db, "2026-09")
    services.release(db, OCTOBER)
    login(client, StaffFactory(municipal=True, locale="ja"))
    page = client.get("/municipal/ebpm/").get_data(as_text=True)
    assert "月ごとの利用率" in page
    trend = page[page.index("月ごとの利用率"):]
    assert trend.index("2026-09") < trend.index("2026-10")
    assert "33.3%" in trend and "66.7%" in trend  # 12 of 36, then 24 of 36
    september = client.get("/municipal/ebpm/?month=2026-09").get_data(as_text=True)
    assert "月ごとの利用率" not in september  # one month up to September: no series
