"""What residents bring (their health exports) is resident data like the household's: besides its own domain, only the
schema registry, the app factory, わたしのデータ (the resident's own list) and `flask exports import` (which stores
for a resident named by the operator) import it. Nothing reads it for a purpose yet; when a transfer does, it goes
through the consent door (app.consent), which will then be added here."""

from __future__ import annotations

import pytest

from tests.test_data_access_contract import APP, package_imports

pytestmark = pytest.mark.smoke

READERS = ("app/data_imports/", "app/models.py", "app/__init__.py", "app/household/views.py", "app/imports/cli.py")


def test_only_the_residents_own_pages_and_the_cli_import_the_health_data() -> None:
    every = [reach for path in sorted(APP.rglob("*.py")) for reach in package_imports(path, "app.data_imports")]
    assert any(reach.startswith("app/household/views.py:") for reach in every)
    offending = [reach for reach in every if not any(reach.startswith(rule) for rule in READERS)]
    assert not offending, "modules outside the health data's readers import app.data_imports:\n" + "\n".join(offending)


def test_the_parser_stays_free_of_the_database() -> None:
    """app.imports reads files only: it imports neither the app's database nor any domain that holds resident data."""
    for forbidden in ("app.db", "app.data_imports", "app.household", "app.consent"):
        reaches = [reach for path in sorted((APP / "imports").rglob("*.py")) if path.name != "cli.py"
                   for reach in package_imports(path, forbidden)]
        assert not reaches, f"app.imports reaches {forbidden}: {reaches}"
