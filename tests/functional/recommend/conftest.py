"""The catalogue loaded into the test's database, as `flask catalog load` would."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlmodel import Session

from app.catalog.services import load_catalog


@pytest.fixture
def loaded_catalog(app: Flask, db: Session) -> dict[str, int]:
    with app.app_context():
        counts = load_catalog(db)
        db.flush()
    return counts
