"""The catalogue loaded into the test's database, as `flask catalog load` would: the catalogue tests' fixture."""

from __future__ import annotations

from tests.functional.catalog.conftest import loaded_catalog  # noqa: F401  (fixture)
