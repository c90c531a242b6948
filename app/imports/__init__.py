"""Import of third-party data exports (pure Python: no Flask, no database).

- `archive`: safe streaming reading of an uploaded zip (`SafeZip`, typed `ArchiveError`s).
- `apple_health`: streaming parse of an Apple Health `export.zip` / `export.xml` into interchange dicts.
- `google`: the Takeout walker (`google.takeout`) and one streaming parser per Google format.
- `detect.open_export`: which of those a file needs, from its first bytes.
- `schemas/`: versioned JSON Schemas (draft 2020-12) of those dicts; load one with `load_schema`.

Importing this package has no side effects.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

APPLE_HEALTH_KINDS = ("health_record", "workout", "activity_summary", "me", "ecg", "clinical_record")
GOOGLE_KINDS = ("location_point", "place_visit", "activity_segment", "watch_event", "calendar_event", "post", "comment",
                "my_activity", "profile", "interest")
SCHEMA_NAMES = APPLE_HEALTH_KINDS + GOOGLE_KINDS


def load_schema(name: str) -> dict[str, Any]:
    """Return the JSON Schema `schemas/<name>.json` (one of `SCHEMA_NAMES`)."""
    if name not in SCHEMA_NAMES:
        raise KeyError(name)
    text = resources.files(__package__).joinpath("schemas", f"{name}.json").read_text(encoding="utf-8")
    return json.loads(text)
