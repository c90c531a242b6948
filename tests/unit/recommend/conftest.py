"""The shipped catalogue's services as plain objects (no database): the engine reads only their attributes."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from app.catalog.services import CATALOG_FILE, service_values
from app.household.ages import BirthDate


def catalogue_services() -> list[SimpleNamespace]:
    """Each service of app/catalog/data/catalog.json with the attributes a CatalogService row would have."""
    document = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    return [SimpleNamespace(**service_values(record)) for record in document["services"]]


@pytest.fixture(scope="session")
def services() -> list[SimpleNamespace]:
    return catalogue_services()


def birth(text: str) -> BirthDate:
    """"2025-04" or "2025-04-10"."""
    parts = [int(part) for part in text.split("-")]
    return BirthDate(parts[0], parts[1], parts[2] if len(parts) == 3 else None)
