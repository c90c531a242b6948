"""The records 柏市 disclosed are resident data like the household's: besides their own domain, only the consent door
(app.consent.items, whose item `service_usage_history` the bank reads under consent), the schema registry, the app
factory, わたしのデータ (the resident's own list and export), the seed, and account deletion (which withdraws the
mandates still open) import them. The recommendation engine gets them
only through `enforce.use`; its use of the item's value is app.recommend.usage_history, which imports nothing of them."""

from __future__ import annotations

import pytest

from tests.test_data_access_contract import APP, package_imports

pytestmark = pytest.mark.smoke

READERS = ("app/city_records/", "app/consent/items.py", "app/models.py", "app/__init__.py", "app/demo/",
           "app/household/views.py", "app/household/export.py", "app/accounts/services.py")


def test_only_the_door_and_the_residents_own_pages_import_the_city_records() -> None:
    every = [reach for path in sorted(APP.rglob("*.py")) for reach in package_imports(path, "app.city_records")]
    assert any(reach.startswith("app/consent/items.py:") for reach in every)
    offending = [reach for reach in every if not any(reach.startswith(rule) for rule in READERS)]
    assert not offending, "modules outside the door import app.city_records:\n" + "\n".join(offending)
