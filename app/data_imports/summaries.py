"""What the resident is shown about one import: counts by kind and by record type, the dates, the sources, what was
withheld as 要配慮 and the warnings, from the summary kept when it was read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from app.data_imports.messages import (
    FORMAT_LABELS,
    KIND_LABELS,
    OTHER_FILES,
    TYPE_LABELS,
    UNKNOWN_WARNING,
    WARNING_LABELS,
)
from app.data_imports.models import DataImport

SENSITIVE_KINDS = ("ecg", "clinical_record")  # 要配慮 as a whole
TOP_TYPES = 12


@dataclass
class Line:
    label: str
    count: int
    sensitive: int = 0  # how many of `count` are 要配慮


@dataclass
class SummaryView:
    kinds: list[Line] = field(default_factory=list)
    types: list[Line] = field(default_factory=list)
    more_types: int = 0
    withheld: list[Line] = field(default_factory=list)
    sources: list[Line] = field(default_factory=list)
    warnings: list[Line] = field(default_factory=list)
    not_read: list[Line] = field(default_factory=list)
    formats: list[Line] = field(default_factory=list)  # files read, by format (a Google export holds several)
    first: datetime | None = None
    last: datetime | None = None
    duplicates: int = 0


def type_label(record_type: str) -> str:
    known = TYPE_LABELS.get(record_type)
    if known is not None:
        return str(known)
    for prefix in ("HKQuantityTypeIdentifier", "HKCategoryTypeIdentifier", "HKDataTypeIdentifier", "HKDataType"):
        if record_type.startswith(prefix):
            return record_type[len(prefix):]
    return record_type


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def summary_view(data_import: DataImport, _language: str) -> SummaryView | None:
    summary = data_import.summary or {}
    if not summary:
        return None
    stored = summary.get("stored", {})
    view = SummaryView(duplicates=int(summary.get("duplicates", 0)))
    found_sensitive, withheld = summary.get("sensitive", {}), summary.get("withheld", {})
    # 要配慮 items kept: those found, less those withheld (all or none of them, by the resident's choice).
    view.kinds = [Line(str(KIND_LABELS.get(kind, kind)), count, found_sensitive.get(kind, 0) - withheld.get(kind, 0))
                  for kind, count in stored.items() if kind != "me"]
    types = sorted(summary.get("types", {}).items(), key=lambda pair: (-pair[1], pair[0]))
    view.types = [Line(type_label(name), count) for name, count in types[:TOP_TYPES]]
    view.more_types = max(0, len(types) - TOP_TYPES)
    view.withheld = [Line(str(KIND_LABELS.get(kind, kind)), count, count) for kind, count in withheld.items()]
    sources = sorted(summary.get("sources", {}).items(), key=lambda pair: (-pair[1], pair[0]))
    view.sources = [Line(name, count) for name, count in sources]
    view.warnings = [Line(str(WARNING_LABELS.get(w["code"], UNKNOWN_WARNING)), int(w.get("count", 1)))
                     for w in summary.get("warnings", [])]
    # Elements read past on purpose: a Correlation's records are repeated at top level (and kept there); the
    # other kinds (Audiogram, VisionPrescription …) are not imported yet. Unreadable ones are warnings above.
    unreadable = {w["code"][4:] for w in summary.get("warnings", []) if w["code"].startswith("bad_")}
    view.not_read = [Line(tag, count) for tag, count in sorted(summary.get("skipped", {}).items())
                     if tag not in unreadable and tag not in ("Correlation", "file") and tag not in SENSITIVE_KINDS
                     and tag not in KIND_LABELS]
    view.formats = [Line(str(FORMAT_LABELS.get(name, name)), count) for name, count in summary.get("formats", {}).items()]
    files_skipped = summary.get("skipped", {}).get("file", 0)
    if files_skipped:
        view.not_read.append(Line(str(OTHER_FILES), files_skipped))
    dates = summary.get("date_range", {})
    view.first, view.last = _when(dates.get("first")), _when(dates.get("last"))
    return view
