"""The EBPM dashboard for 柏市 staff: the released figures only, hidden ones in words, a CSV of the same, and
nothing that names a household."""

from __future__ import annotations

import re

from sqlmodel import select

from app.audit import AuditEvent, EventTag
from app.ebpm import services
from app.household.ages import BirthDate
from tests.factories.staff import StaffFactory
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)
from tests.functional.ebpm.test_releases import ebpm_view, family  # noqa: F401  (fixtures)

OCTOBER = "2026-10"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}")


def released(db, family):  # type: ignore[no-untyped-def]  # noqa: F811
    households = [family() for _ in range(12)] + [family(birth=BirthDate(2025, 9, 1)) for _ in range(3)]
    services.release(db, OCTOBER)
    return households


def test_staff_read_the_figures_with_small_ones_hidden(client, login, db, family) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    households = released(db, family)
    login(client, StaffFactory(municipal=True, locale="ja"))
    page = client.get("/municipal/ebpm/").get_data(as_text=True)
    assert "年齢クラス別の世帯" in page and "町丁目グループ別の世帯" in page and "子どもの数別の世帯" in page
    assert "10未満のため非表示" in page  # the class of 3
    assert ">15<" in page  # households counted
    for resident in households:
        assert str(resident.id) not in page and resident.id.hex not in page and resident.email not in page


def test_the_csv_says_the_same_and_is_audited(client, login, db, family) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    households = released(db, family)
    staff = StaffFactory(municipal=True)
    login(client, staff)
    response = client.get(f"/municipal/ebpm/{OCTOBER}.csv")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff月,版,表,サービス,区分,世帯数,うち利用した世帯")
    assert "合計,,同意した世帯,15" in body and "年齢クラス" in body and "10未満のため非表示" in body
    assert not UUID.search(body) and not any(resident.email in body for resident in households)
    event = db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.EBPM_EXPORT.value)).one()
    assert event.actor == staff.principal and event.details["month"] == OCTOBER


def test_months_not_released_are_not_found(client, login, db, family) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    login(client, StaffFactory(municipal=True))
    assert "まだ公表された集計はありません" in client.get("/municipal/ebpm/").get_data(as_text=True)
    released(db, family)
    assert client.get("/municipal/ebpm/?month=2026-09").status_code == 404
    assert client.get("/municipal/ebpm/?month=../etc").status_code == 404
    assert client.get("/municipal/ebpm/2026-09.csv").status_code == 404
    assert client.get(f"/municipal/ebpm/?month={OCTOBER}").status_code == 200


def test_other_staff_cannot_read_it(client, login, db, family) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    released(db, family)
    login(client, StaffFactory(partner=True))
    assert client.get("/municipal/ebpm/").status_code == 403
    assert client.get(f"/municipal/ebpm/{OCTOBER}.csv").status_code == 403
