"""Import of third-party data exports (pure Python: no Flask, no database).

- `archive`: safe streaming reading of an uploaded zip (`SafeZip`, typed `ArchiveError`s).
- `apple_health`: streaming parse of an Apple Health `export.zip` / `export.xml` into interchange dicts.
- `schemas/`: versioned JSON Schemas (draft 2020-12) of those dicts; load one with `load_schema`.

Importing this package has no side effects.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

SCHEMA_NAMES = ("health_record", "workout", "activity_summary", "me", "ecg", "clinical_record")


def load_schema(name: str) -> dict[str, Any]:
    """Return the JSON Schema `schemas/<name>.json` (one of `SCHEMA_NAMES`)."""
    if name not in SCHEMA_NAMES:
        raise KeyError(name)
    text = resources.files(__package__).joinpath("schemas", f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)
