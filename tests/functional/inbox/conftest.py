"""Fixtures for the inbox: the catalogue offered (the consent tests' fixtures), residents, and consents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from app.accounts.models import Resident
from app.config import Settings
from app.consent import decisions
from app.consent.catalogue import OfferView
from app.consent.models import ConsentReceipt
from app.inbox import services
from app.inbox.models import Notice
from tests.factories.accounts import ResidentFactory
from tests.factories.inbox import CITY_CLIENT
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401 (fixtures)

CITY_OFFER = ("kashiwa_kosodate", "municipal_recommendation")
PARTNER_OFFER = ("kashiwanoha_partner", "event_recommendation")


@pytest.fixture
def resident(client: FlaskClient, login, offers) -> Resident:  # type: ignore[no-untyped-def]  # noqa: F811
    """Resident A, logged in on `client`, reading in English (the msgids), so texts can be asserted."""
    resident = ResidentFactory(locale="en")
    login(client, resident)
    return resident


@pytest.fixture
def other_resident(other_client: FlaskClient, login, offers) -> Resident:  # type: ignore[no-untyped-def]  # noqa: F811
    """Resident B, logged in on `other_client`."""
    resident = ResidentFactory(locale="en")
    login(other_client, resident)
    return resident


@pytest.fixture
def grant(app: Flask, db: Session, settings: Settings,
          offers: dict[tuple[str, str], OfferView]) -> Callable[..., ConsentReceipt]:  # noqa: F811
    """Give `resident` a consent to an offer (all its items unless named), as the consent screen would."""

    def _grant(resident: Resident, offer: tuple[str, str] = CITY_OFFER,
               items: list[str] | None = None) -> ConsentReceipt:
        view = offers[offer]
        with app.app_context():
            receipt = decisions.grant(db, settings, resident=resident, view=view, items=items or view.offer.items)
            db.flush()
        return receipt

    return _grant


@pytest.fixture
def deliver(app: Flask, db: Session) -> Callable[..., tuple[Notice, bool]]:
    """Deliver a notice as the resource API does (defaults: the city, under the given receipt)."""

    def _deliver(resident: Resident, receipt: ConsentReceipt | None = None, **fields: Any) -> tuple[Notice, bool]:
        values: dict[str, Any] = {
            "resident_id": resident.id, "client_id": CITY_CLIENT, "recipient_key": CITY_OFFER[0],
            "purpose_key": CITY_OFFER[1], "external_id": "ichiji-2026-11", "title": "一時預かりのご案内",
            "body": "空きがあります。\nご予約ください。", "link_url": "https://www.city.kashiwa.lg.jp/",
            "consent_receipt_id": receipt.id if receipt is not None else None, "ledger_seq": None,
        }
        values.update(fields)
        with app.app_context():
            result = services.deliver(db, **values)
            db.flush()
        return result

    return _deliver
