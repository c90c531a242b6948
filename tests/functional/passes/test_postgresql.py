"""On PostgreSQL, with real commits and one connection per request: a clerk who taps twice, two tills scanning the
same customer's coupon at once, and a screenshot of a code shown at two shops at once. The constraints decide:
remove `uq_coupon_redemption_coupon_id` or `uq_pass_scan_resident_id` and these tests fail."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from freezegun import freeze_time
from sqlalchemy.pool import NullPool
from sqlmodel import Session, select

from app import create_app
from app.db import get_database
from app.passes import codes, services
from app.passes.models import CouponRedemption, PassScan
from tests.conftest import make_test_settings
from tests.factories import TEST_SECRET_KEY
from tests.functional.passes.conftest import COUPON, EVENT, NOW

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL", "").startswith("postgres"),
                                reason="PostgreSQL only (set TEST_DATABASE_URL)")
KEY = codes.pass_key(TEST_SECRET_KEY)


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    """Not the package's frozen clock while the fresh database is migrated (pydantic refuses freezegun's dates at
    import): each test freezes its own body."""
    yield


def _setting_up(fresh_database_url: str, tmp_path: Path) -> tuple[Any, dict[str, Any]]:
    from app.accounts.models import Resident
    from app.partners.models import Partner
    from app.staff.models import StaffMember

    app = create_app(make_test_settings(fresh_database_url, tmp_path / "instance"))
    result = app.test_cli_runner().invoke(args=["catalog", "load"])
    assert result.exit_code == 0, result.output
    with app.app_context(), Session(get_database(app).engine) as session:
        partner = Partner(key="tsite_demo", name_ja="T-SITE デモ", name_en="T-SITE demo", venue_ids=["v_tsite"])
        resident = Resident(email="concurrent@example.jp", password_hash="x", locale="en")
        session.add_all([partner, resident])
        session.flush()
        clerks = [StaffMember(email=f"till{n}@example.jp", display_name=f"レジ{n}", role="partner", partner_id=partner.id)
                  for n in range(2)]
        session.add_all(clerks)
        held = services.pass_of(session, resident)
        session.commit()
        ids = {"partner": partner.id, "resident": resident.id, "clerks": [c.id for c in clerks], "pass_id": held.pass_id}
    return app, ids


def _race(app: Any, ids: dict[str, Any], attempts: list[tuple[int, str, str, str]]) -> list[Any]:
    """Each attempt (clerk index, action, item, code) in its own thread, request context and connection, all
    released at once; returns the results (or raises the first error)."""
    from app.partners.models import Partner
    from app.staff.models import StaffMember

    engine = sa.create_engine(get_database(app).engine.url, poolclass=NullPool)
    start = threading.Barrier(len(attempts))
    results: list[Any] = []
    errors: list[BaseException] = []

    def one(clerk_index: int, action: str, item_id: str, code: str) -> None:
        try:
            with app.test_request_context(), Session(engine) as session:
                partner = session.get(Partner, ids["partner"])
                clerk = session.get(StaffMember, ids["clerks"][clerk_index])
                start.wait(timeout=30)
                results.append(services.scan(session, partner=partner, staff_principal=clerk.principal,
                                             staff_id=clerk.id, key=KEY, code_text=code, action=action, item_id=item_id))
                session.commit()
        except BaseException as error:  # re-raised in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=one, args=attempt) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    engine.dispose()
    assert not errors, errors
    return results


def _rows(app: Any, model: Any) -> list[Any]:
    with Session(get_database(app).engine) as session:
        return list(session.exec(select(model)))


@freeze_time(NOW, tick=True)
def test_two_tills_redeeming_one_coupon_at_once_redeem_it_once(fresh_database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app, ids = _setting_up(fresh_database_url, tmp_path)
    try:
        now = codes.datetime.now(codes.UTC)
        batch = [codes.offline_code(KEY, ids["pass_id"], now) for _ in range(6)]  # six different codes, one coupon
        results = _race(app, ids, [(n % 2, "redeem", COUPON, code) for n, code in enumerate(batch)])
        assert Counter(r.accepted for r in results) == Counter({True: 1, False: 5})
        assert {r.refusal.value for r in results if not r.accepted} == {"coupon_used"}
        assert len(_rows(app, CouponRedemption)) == 1
        assert len(_rows(app, PassScan)) == 1  # the refused codes were not spent
    finally:
        get_database(app).dispose()


@freeze_time(NOW, tick=True)
def test_one_code_tapped_many_times_at_once_counts_once(fresh_database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app, ids = _setting_up(fresh_database_url, tmp_path)
    try:
        code = codes.rotating_code(KEY, ids["pass_id"], codes.datetime.now(codes.UTC))
        same_till = _race(app, ids, [(0, "check_in", EVENT, code)] * 5)
        assert all(r.accepted for r in same_till) and sum(not r.repeated for r in same_till) == 1
        screenshot = codes.offline_code(KEY, ids["pass_id"], codes.datetime.now(codes.UTC))
        two_shops = _race(app, ids, [(0, "check_in", EVENT, screenshot), (1, "redeem", COUPON, screenshot)])
        assert Counter(r.accepted for r in two_shops) == Counter({True: 1, False: 1})
        assert [r.refusal.value for r in two_shops if not r.accepted] == ["used"]
        assert len(_rows(app, PassScan)) == 2
    finally:
        get_database(app).dispose()
