"""The interchange dicts validate against the versioned JSON Schemas."""

from __future__ import annotations

import io

import pytest

from app.imports import APPLE_HEALTH_KINDS, SCHEMA_NAMES, load_schema
from app.imports.apple_health import iter_health_export, iter_health_zip
from app.imports.archive import SafeZip
from tests.factories.exports import export_zip
from tests.unit.imports.test_apple_health import BODY, BROKEN_DTD

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed: the schema validation test cannot run")


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schemas_are_valid_and_versioned(name):
    schema = load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/{name}/1.json")


def test_yielded_dicts_validate():
    """Every kind the parser yields, from the bare XML and from a whole export.zip (GPX, ECG, clinical records)."""
    validators = {name: jsonschema.Draft202012Validator(load_schema(name)) for name in SCHEMA_NAMES}
    seen: set[str] = set()
    items = list(iter_health_export(io.BytesIO((BROKEN_DTD + BODY).encode())))
    with SafeZip(io.BytesIO(export_zip())) as archive:
        items += list(iter_health_zip(archive))
    for item in items:
        validators[item["kind"]].validate(item)
        seen.add(item["kind"])
    assert seen == set(APPLE_HEALTH_KINDS)  # the Google kinds: tests/unit/imports/google/


def test_schema_rejects_a_wrong_dict():
    validator = jsonschema.Draft202012Validator(load_schema("health_record"))
    assert not validator.is_valid(
        {"kind": "health_record", "schema_version": 1, "type": "X", "start": "2024-01-01 00:00:00 +0000"}
    )
