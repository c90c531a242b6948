"""The partner's weekly report: counts of its own scans by week and age group, with every figure through the
disclosure control, age groups read through the consent door (a provision record per resident read), made once a
week and kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlmodel import select

from app.consent import decisions
from app.household.models import Child
from app.ledger.models import RecordKind
from app.ledger.services import history
from app.partners import report
from app.partners.models import PartnerReport
from app.passes.models import PassScan
from tests.factories.accounts import ResidentFactory
from tests.factories.staff import PartnerFactory, StaffFactory
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)

TODAY = date(2026, 12, 9)  # a Wednesday: the release of the week of Monday 7 December
WEEK_OF = date(2026, 12, 7)


@pytest.fixture
def partner(db, offers):  # type: ignore[no-untyped-def]  # noqa: F811
    return PartnerFactory(key="kashiwanoha_partner")


@pytest.fixture
def household(app, db, settings, offers):  # type: ignore[no-untyped-def]  # noqa: F811
    def _household(*, birth_year: int, consented: bool):  # type: ignore[no-untyped-def]
        resident = ResidentFactory()
        db.add(Child(guardian_id=resident.id, birth_year=birth_year, birth_month=4, birth_day=2))
        db.flush()
        if consented:
            with app.test_request_context():
                view = offers[("kashiwanoha_partner", report.PURPOSE)]
                decisions.grant(db, settings, resident=resident, view=view, items=["age_bands"])
                db.flush()
        return resident

    return _household


def scanned(db, partner, resident, day: date, action: str = "check_in") -> None:  # type: ignore[no-untyped-def]
    db.add(PassScan(resident_id=resident.id, code_id=f"r{day.isoformat()}-{action}", partner_id=partner.id,
                    action=action, item_id="ev_tsite_ehon_baby", venue_id="v_tsite",
                    scanned_at=datetime(day.year, day.month, day.day, 3, tzinfo=UTC)))
    db.flush()


def test_groups_come_only_from_consenting_residents_and_small_figures_are_hidden(app, db, partner, household) -> None:  # type: ignore[no-untyped-def]
    week = WEEK_OF - timedelta(weeks=1)  # 30 Nov
    toddlers = [household(birth_year=2025, consented=True) for _ in range(14)]
    pupils = [household(birth_year=2019, consented=True) for _ in range(11)]
    silent = [household(birth_year=2019, consented=False) for _ in range(3)]
    for resident in toddlers + pupils + silent:
        scanned(db, partner, resident, week + timedelta(days=2))
    scanned(db, partner, toddlers[0], week + timedelta(days=3))  # twice in a week: one person
    scanned(db, partner, toddlers[1], week - timedelta(days=7), "redeem")  # one coupon use, the week before
    with app.test_request_context(), freeze_time(TODAY):
        data = report.release(db, partner).payload
    check_ins = data["kinds"]["check_in"]
    overview = {cell["key"]: cell["count"] for cell in check_ins["overview"]["cells"]}
    assert overview[week.isoformat()] == 28 and check_ins["overview"]["total"] == 28
    assert overview[(week - timedelta(weeks=1)).isoformat()] == 0
    groups = {cell["key"]: cell["count"] for cell in check_ins["by_week"][week.isoformat()]["cells"]}
    assert groups["0-2"] == 14 and groups["3-5"] == 0
    assert groups["not_shared"] is None  # 3: hidden
    assert groups["elementary"] is None  # 11, hidden with them: else 28 - 14 - 11 would give the 3 away
    assert data["consented"] == 25  # the silent ones were not read
    redeemed = data["kinds"]["redeem"]
    assert redeemed["overview"]["total"] is None and redeemed["overview"]["suppressed"]  # one person: hidden whole
    # The age groups were read through the door: a provision record for each consenting resident, none for others.
    provisions = [e for e in history(db, toddlers[0].principal) if e.record.kind == RecordKind.PROVISION]
    assert len(provisions) == 1 and provisions[0].payload["purpose"] == report.PURPOSE
    assert provisions[0].payload["items"] == ["age_bands"]
    assert not [e for e in history(db, silent[0].principal) if e.record.kind == RecordKind.PROVISION]


def test_a_release_is_made_once_a_week_and_kept(app, db, partner, household) -> None:  # type: ignore[no-untyped-def]
    resident = household(birth_year=2024, consented=True)
    scanned(db, partner, resident, WEEK_OF - timedelta(days=3))
    with app.test_request_context(), freeze_time(TODAY):
        first = report.release(db, partner)
        again = report.release(db, partner)
    assert first.id == again.id and first.week_of == WEEK_OF
    assert len([e for e in history(db, resident.principal) if e.record.kind == RecordKind.PROVISION]) == 1
    with app.test_request_context(), freeze_time(TODAY + timedelta(days=7)):
        later = report.release(db, partner)
    assert later.id != first.id and later.week_of == WEEK_OF + timedelta(weeks=1)
    assert len(db.exec(select(PartnerReport)).all()) == 2


def test_only_the_partners_own_scans_are_counted(app, db, partner, household) -> None:  # type: ignore[no-untyped-def]
    other = PartnerFactory()
    resident = household(birth_year=2024, consented=True)
    for n in range(12):
        scanned(db, other, household(birth_year=2024, consented=True), WEEK_OF - timedelta(days=3 + n % 2))
    scanned(db, partner, resident, WEEK_OF - timedelta(days=3))
    with app.test_request_context(), freeze_time(TODAY):
        data = report.release(db, partner).payload
    assert data["kinds"]["check_in"]["overview"]["total"] is None  # one person: hidden
    assert data["consented"] == 1


def test_the_report_page_is_the_partners_alone(client, other_client, login, db, partner) -> None:  # type: ignore[no-untyped-def]
    with freeze_time(TODAY):
        login(client, StaffFactory(partner=True, partner_id=partner.id, locale="en"))
        page = client.get("/partner/report")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "Weekly report" in body and "Different people over the eight weeks: 0" in body
    login(other_client, StaffFactory(municipal=True))
    assert other_client.get("/partner/report").status_code == 403


def test_youngest_group_orders_by_age() -> None:
    assert report.youngest_group(["elementary", "0-2"]) == "0-2"
    assert report.youngest_group(["unknown"]) == report.NOT_SHARED
    assert report.youngest_group(None) == report.NOT_SHARED
