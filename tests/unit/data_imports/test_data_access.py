"""What residents bring (their health exports) is resident data like the household's: besides its own domain, only the
schema registry, the app factory, わたしのデータ (the resident's own list), `flask exports import` (which stores for
a resident named by the operator) and the consent door (a transfer reads an export only through
`app/consent/transfers.py`; `/api/v1/me` gives counts through `app/consent/items.py`) import it. Switching may know
that an import exists and what it counted (its metadata, the labels), never its records."""

from __future__ import annotations

import pytest

from tests.test_data_access_contract import APP, imports_of, package_imports

pytestmark = pytest.mark.smoke

READERS = ("app/data_imports/", "app/models.py", "app/__init__.py", "app/household/views.py", "app/imports/cli.py",
           "app/consent/transfers.py", "app/consent/items.py")
# What anyone may import of it: that an import exists, its state and counts, and how its kinds are named — and its
# erasure (a transfer's purge, the resident's choice, the files of an account being closed), which reads nothing.
METADATA = {"app.data_imports.models.DataImport", "app.data_imports.models.ImportFormat",
            "app.data_imports.models.ImportStatus", "app.data_imports.messages.KIND_LABELS",
            "app.data_imports.services.delete", "app.data_imports.services.erase_uploads_of"}


def test_only_the_residents_own_pages_the_cli_and_the_door_import_the_health_data() -> None:
    every = [reach for path in sorted(APP.rglob("*.py")) for reach in package_imports(path, "app.data_imports")]
    assert any(reach.startswith("app/household/views.py:") for reach in every)
    assert any(reach.startswith("app/consent/transfers.py:") for reach in every)
    outside = [path for path in sorted(APP.rglob("*.py"))
               if not any(path.relative_to(APP.parent).as_posix().startswith(rule) for rule in READERS)]
    offending = []
    for path in outside:
        found = [(where, name) for where, name in imports_of(path) if name.startswith("app.data_imports")]
        modules = {name for _where, name in found if any(other.startswith(name + ".") for _w, other in found)}
        offending += [f"{where}: {name}" for where, name in found if name not in modules and name not in METADATA]
    assert not offending, "modules outside the health data's readers import more than its metadata:\n" + "\n".join(offending)


def test_the_parser_stays_free_of_the_database() -> None:
    """app.imports reads files only: it imports neither the app's database nor any domain that holds resident data."""
    for forbidden in ("app.db", "app.data_imports", "app.household", "app.consent"):
        reaches = [reach for path in sorted((APP / "imports").rglob("*.py")) if path.name != "cli.py"
                   for reach in package_imports(path, forbidden)]
        assert not reaches, f"app.imports reaches {forbidden}: {reaches}"
