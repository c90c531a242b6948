"""The interchange dicts validate against the versioned JSON Schemas."""

from __future__ import annotations

import io

import pytest

from app.imports import SCHEMA_NAMES, load_schema
from app.imports.apple_health import iter_health_export
from tests.unit.imports.test_apple_health import BODY, BROKEN_DTD

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed: the schema validation test cannot run")


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schemas_are_valid_and_versioned(name):
    schema = load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/{name}/1.json")


def test_yielded_dicts_validate():
    validators = {name: jsonschema.Draft202012Validator(load_schema(name)) for name in SCHEMA_NAMES}
    seen = set()
    for item in iter_health_export(io.BytesIO((BROKEN_DTD + BODY).encode())):
        if item["kind"] in validators:
            validators[item["kind"]].validate(item)
            seen.add(item["kind"])
    assert seen == set(SCHEMA_NAMES)


def test_schema_rejects_a_wrong_dict():
    validator = jsonschema.Draft202012Validator(load_schema("health_record"))
    assert not validator.is_valid(
        {"kind": "health_record", "schema_version": 1, "type": "X", "start": "2024-01-01 00:00:00 +0000"}
    )
