"""Fixtures for the catalogue tests: the shipped file, read as the tests' own reference, and loaded."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session

from app.catalog.services import CATALOG_FILE, load_catalog


@pytest.fixture(scope="session")
def catalog_data() -> dict[str, Any]:
    """The data file as shipped (app/catalog/data/catalog.json), read independently of the loader."""
    return json.loads(CATALOG_FILE.read_text(encoding="utf-8"))


# As in the consent fixtures: an app context only while the fixture works, so the test client's requests get their
# own context (and their own logged-in user).
@pytest.fixture
def loaded_catalog(app: Flask, db: Session) -> dict[str, int]:
    with app.app_context():
        counts = load_catalog(db)
        db.flush()
    return counts
