"""The participation history is resident data like the household's: besides its own domain, only the consent door
(app.consent.items, whose item `participation_history` the bank reads under consent), the schema registry, the
app factory (the blueprint), the seed, わたしのデータ (the resident's own list and export) and the pass (which records
what a partner hands over at a scan, and shows residents their own check-in from a poster) import it. The
recommendation engine in particular gets it only through `enforce.use`."""

from __future__ import annotations

import pytest

from tests.test_data_access_contract import APP, package_imports

pytestmark = pytest.mark.smoke

READERS = ("app/participation/", "app/consent/items.py", "app/models.py", "app/__init__.py", "app/demo/",
           "app/household/views.py", "app/household/export.py", "app/passes/")


def test_only_the_door_and_the_residents_own_pages_import_the_participation_history() -> None:
    every = [reach for path in sorted(APP.rglob("*.py")) for reach in package_imports(path, "app.participation")]
    assert any(reach.startswith("app/consent/items.py:") for reach in every)
    offending = [reach for reach in every if not any(reach.startswith(rule) for rule in READERS)]
    assert not offending, "modules outside the door import app.participation:\n" + "\n".join(offending)
