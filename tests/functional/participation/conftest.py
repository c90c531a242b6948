"""Fixtures for the participation history: the catalog loaded (the catalogue tests' fixture), a day in Japan, and
two residents reading in English (the msgids), each logged in on their own browser."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from freezegun import freeze_time
from sqlmodel import Session

from app.accounts.models import Resident
from app.participation import services
from app.participation.models import Participation
from tests.factories.accounts import ResidentFactory
from tests.functional.catalog.conftest import loaded_catalog  # noqa: F401  (fixture)

NOW = "2026-11-26 03:00:00"  # 12:00 in Japan
TODAY = date(2026, 11, 26)
EVENT = "ev_park_toride"  # 冒険のトリデ: outdoor, playground, free; at 柏の葉公園
COUPON = "cp_cafe_parent"  # a placeholder café coupon
BRANDED_COUPON = "cp_baby_goods_diaper"  # a placeholder modelled on named brands


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with freeze_time(NOW, tick=True):
        yield


@pytest.fixture
def resident(client: FlaskClient, login, loaded_catalog) -> Resident:  # type: ignore[no-untyped-def]  # noqa: F811
    resident = ResidentFactory(locale="en")
    login(client, resident)
    return resident


@pytest.fixture
def other_resident(other_client: FlaskClient, login, loaded_catalog) -> Resident:  # type: ignore[no-untyped-def]  # noqa: F811
    resident = ResidentFactory(locale="en")
    login(other_client, resident)
    return resident


@pytest.fixture
def recorded(app: Flask, db: Session) -> Callable[..., Participation]:
    """Record through the service, in an app context only while it works (the test client's requests get theirs)."""

    def _record(resident: Resident, kind: str = "event", item_id: str = EVENT, on: date = TODAY, **kwargs: Any) -> Participation:
        with app.app_context():
            participation = services.record(db, resident, kind, item_id, on, **kwargs)
            db.flush()
        return participation

    return _record
