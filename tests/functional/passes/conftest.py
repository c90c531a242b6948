"""Fixtures for the pass and scanning: the catalogue loaded, a partner at two of its venues with a clerk logged in
on `client`, a resident (English, the msgids) whose codes the tests make, and the key the app signs them with."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from freezegun import freeze_time
from sqlmodel import Session

from app.accounts.models import Resident
from app.db import utcnow
from app.partners.models import Partner
from app.passes import codes, services
from app.staff.models import StaffMember
from tests.factories import TEST_SECRET_KEY
from tests.factories.accounts import ResidentFactory
from tests.factories.staff import PartnerFactory, StaffFactory
from tests.functional.catalog.conftest import loaded_catalog  # noqa: F401  (fixture)

NOW = "2026-12-12 01:00:00"  # 10:00 in Japan, the day of EVENT; the December coupons are valid
KEY = codes.pass_key(TEST_SECRET_KEY)
EVENT = "ev_tsite_ehon_baby"  # えほんのじかん at T-SITE, 2026-12-12 10:30
OTHER_VENUE_EVENT = "ev_park_toride"  # at 柏の葉公園, not the partner's venue
COUPON = "cp_bookstore_ehon"  # at T-SITE, 2026-12-01 … 2027-03-31
LATER_COUPON = "cp_fitness_trial"  # from 2027-01-01


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with freeze_time(NOW, tick=True):
        yield


@pytest.fixture
def partner(loaded_catalog) -> Partner:  # type: ignore[no-untyped-def]  # noqa: F811
    return PartnerFactory(key="tsite_demo", venue_ids=["v_tsite", "v_lalaport_main"])


@pytest.fixture
def clerk(client: FlaskClient, login, partner: Partner) -> StaffMember:  # type: ignore[no-untyped-def]
    member = StaffFactory(partner=True, partner_id=partner.id, locale="en")
    login(client, member)
    return member


@pytest.fixture
def resident(loaded_catalog) -> Resident:  # type: ignore[no-untyped-def]  # noqa: F811
    return ResidentFactory(locale="en")


@pytest.fixture
def code_of(app: Flask, db: Session) -> Callable[..., str]:
    """A code of the resident's pass: the rotating one at `at` (now by default), or one offline code."""

    def _code(resident: Resident, *, at: datetime | None = None, offline: bool = False) -> str:
        with app.app_context():
            held = services.pass_of(db, resident)
            db.flush()
        moment = at or utcnow()
        return codes.offline_code(KEY, held.pass_id, moment) if offline else codes.rotating_code(KEY, held.pass_id, moment)

    return _code


def minutes_ago(minutes: int) -> datetime:
    return utcnow() - timedelta(minutes=minutes)
