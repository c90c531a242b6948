"""Streaming parse of an Apple Health export (`export.zip` or its main `export.xml`) into interchange dicts.

The main XML is found by content, never by name (it is localized: `export.xml`, `Export.xml`, `exportar.xml`,
`导出.xml`, …); `export_cda.xml` and AppleDouble `._*` files are skipped. `reader.SanitizingReader` removes the
DOCTYPE block and XML-forbidden control characters while streaming; `stream` parses strictly (entities, DTDs
and network off; never `recover` or `huge_tree`); `elements` turns each top-level element into a dict;
`values` reads dates, numbers and units.

`iter_health_export()` / `iter_health_zip()` yield dicts with a `kind`: "health_record", "workout",
"activity_summary", "me", "clinical_record" or "ecg" (see `app/imports/schemas/`). The last two, and the
record types in `elements.SENSITIVE_RECORD_TYPES`, carry `sensitive: True` (要配慮個人情報). Pass an
`ImportSummary` to collect counts, the date range, sources and warnings.
"""

from app.imports.apple_health.elements import SCHEMA_VERSION, SENSITIVE_RECORD_TYPES
from app.imports.apple_health.reader import SanitizingReader
from app.imports.apple_health.stream import (
    find_export_xml,
    is_health_export_head,
    iter_gpx_points,
    iter_health_export,
    iter_health_zip,
)
from app.imports.apple_health.values import normalise_quantity, parse_apple_date, parse_beat_time
from app.imports.summary import HealthImportError, ImportSummary

__all__ = [
    "SCHEMA_VERSION",
    "SENSITIVE_RECORD_TYPES",
    "HealthImportError",
    "ImportSummary",
    "SanitizingReader",
    "find_export_xml",
    "is_health_export_head",
    "iter_gpx_points",
    "iter_health_export",
    "iter_health_zip",
    "normalise_quantity",
    "parse_apple_date",
    "parse_beat_time",
]
