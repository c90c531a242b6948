"""Streaming parse of an Apple Health export (`export.zip` or its main `export.xml`).

The main XML is found by content, never by name (it is localized: `export.xml`, `Export.xml`,
`exportar.xml`, `导出.xml`, …); `export_cda.xml` and AppleDouble `._*` files are skipped.

The XML is read through `SanitizingReader`, which removes the `<!DOCTYPE … ]>` block (iOS 16+ exports
ship a broken internal DTD) and the control characters XML 1.0 forbids (stray `\\x0b`), while streaming.
Then a strict lxml `iterparse` runs with entity resolution, DTD loading and network access off, and
never `recover=True` or `huge_tree=True`. Each top-level element is cleared once handled, so memory stays
flat whatever the file size.

Entity declarations found in the removed DOCTYPE are never expanded: they are reported as a warning,
and a document whose body references one is refused (`HealthImportError` with code "entity").

`iter_health_export()` / `iter_health_zip()` yield interchange dicts, each with a `kind`:
"health_record", "workout", "activity_summary" or "me" (see `schemas/*.json`). Pass an `ImportSummary`
to collect counts, the date range, sources and warnings.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, BinaryIO

from lxml import etree

from app.imports.archive import SafeZip, ZipEntry

__all__ = [
    "SCHEMA_VERSION",
    "HealthImportError",
    "ImportSummary",
    "SanitizingReader",
    "find_export_xml",
    "is_health_export_head",
    "iter_health_export",
    "iter_health_zip",
    "normalise_quantity",
    "parse_apple_date",
    "parse_beat_time",
]

SCHEMA_VERSION = 1
MiB = 1024**2
SNIFF_BYTES = 1 * MiB
PROLOG_LIMIT = 8 * MiB
CHUNK = 1 * MiB

# XML 1.0 forbids C0 controls except TAB, LF, CR. In UTF-8 these bytes never occur inside a multi-byte
# sequence, so deleting them byte-wise is safe.
_FORBIDDEN = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


class HealthImportError(Exception):
    """An Apple Health export refused. Codes: "not_found", "prolog", "encoding", "entity", "xml", "not_health_data"."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class ImportSummary:
    counts: Counter[str] = field(default_factory=Counter)
    sources: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: dict[str, dict[str, Any]] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None
    export_version: int | None = None
    export_date: str | None = None
    locale: str | None = None
    doctype_removed: bool = False
    main_file: str | None = None

    def warn(self, code: str, message: str, count: int = 1) -> None:
        entry = self.warnings.setdefault(code, {"code": code, "message": message, "count": 0})
        entry["count"] += count

    def see_range(self, start: str | None, end: str | None) -> None:
        for value in (start, end):
            if value is None or len(value) <= 10:
                continue
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                continue
            if self.first is None or moment < self.first:
                self.first = moment
            if self.last is None or moment > self.last:
                self.last = moment

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": dict(self.counts),
            "date_range": {
                "first": self.first.isoformat() if self.first else None,
                "last": self.last.isoformat() if self.last else None,
            },
            "sources": dict(self.sources),
            "skipped": dict(self.skipped),
            "warnings": list(self.warnings.values()),
            "export_version": self.export_version,
            "export_date": self.export_date,
            "locale": self.locale,
            "doctype_removed": self.doctype_removed,
            "main_file": self.main_file,
        }


# --------------------------------------------------------------------------- the streaming pre-filter

_ELEMENT_START = re.compile(rb"<[A-Za-z_:]")
_SUBSET_END = re.compile(rb"\]\s*>")
_ENTITY_DECL = re.compile(rb"<!ENTITY\s+(%\s+)?([^\s>]+)")
_EXPORT_VERSION = re.compile(rb"HealthKit Export Version:\s*(\d+)")


class SanitizingReader:
    """File-like wrapper: drops the DOCTYPE declaration and XML-forbidden control characters while streaming."""

    def __init__(self, raw: BinaryIO, summary: ImportSummary | None = None, *, prolog_limit: int = PROLOG_LIMIT) -> None:
        self._raw = raw
        self._summary = summary if summary is not None else ImportSummary()
        self._prolog_limit = prolog_limit
        self._pending = b""
        self._in_prolog = True
        self._eof = False
        self.control_chars_removed = 0

    def _clean(self, data: bytes) -> bytes:
        cleaned = data.translate(None, _FORBIDDEN)
        removed = len(data) - len(cleaned)
        if removed:
            self.control_chars_removed += removed
            self._summary.warn("control_characters_removed", "characters forbidden in XML 1.0 were removed", removed)
        return cleaned

    def _fill_prolog(self) -> None:
        buf = b""
        while True:
            if buf.startswith((b"\xff\xfe", b"\xfe\xff")) or buf[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
                raise HealthImportError("encoding", "UTF-16 exports are not supported")
            done = self._split_prolog(buf)
            if done is not None:
                self._pending = done
                self._in_prolog = False
                return
            if len(buf) > self._prolog_limit:
                raise HealthImportError("prolog", f"no document element within the first {self._prolog_limit} bytes")
            chunk = self._raw.read(CHUNK)
            if not chunk:
                if not buf.strip():
                    raise HealthImportError("xml", "empty document")
                raise HealthImportError("prolog", "document ends inside the prolog or an unterminated DOCTYPE")
            buf += chunk

    def _split_prolog(self, buf: bytes) -> bytes | None:
        """The prolog with the DOCTYPE removed, once `buf` holds enough to decide; else None."""
        element = _ELEMENT_START.search(buf)
        doctype = buf.find(b"<!DOCTYPE")
        if doctype == -1 or (element is not None and element.start() < doctype):
            return buf if element is not None else None
        bracket = buf.find(b"[", doctype)
        close = buf.find(b">", doctype)
        if close == -1 and bracket == -1:
            return None
        if bracket != -1 and (close == -1 or bracket < close):
            end_match = _SUBSET_END.search(buf, bracket)
            if end_match is None:
                return None
            end = end_match.end()
            subset = buf[bracket:end]
            header = buf[doctype:bracket]
        else:
            end = close + 1
            subset = b""
            header = buf[doctype:end]
        self._note_doctype(header, subset)
        return buf[:doctype] + buf[end:]

    def _note_doctype(self, header: bytes, subset: bytes) -> None:
        summary = self._summary
        summary.doctype_removed = True
        version = _EXPORT_VERSION.search(subset)
        if version:
            summary.export_version = int(version.group(1))
        if b"SYSTEM" in header or b"PUBLIC" in header:
            summary.warn("external_dtd_removed", "a reference to an external DTD was removed, never fetched")
        names = [m.group(2).decode("utf-8", "replace") for m in _ENTITY_DECL.finditer(subset)]
        if names:
            summary.warn(
                "entity_declarations_removed",
                "entity declarations were removed without expansion: " + ", ".join(sorted(set(names))[:20]),
                len(names),
            )

    def read(self, size: int = -1) -> bytes:
        if self._in_prolog:
            self._fill_prolog()
        if self._pending:
            if size is None or size < 0 or size >= len(self._pending):
                out, self._pending = self._pending, b""
            else:
                out, self._pending = self._pending[:size], self._pending[size:]
            return self._clean(out)
        if self._eof:
            return b""
        data = self._raw.read(CHUNK if size is None or size < 0 else size)
        if not data:
            self._eof = True
        return self._clean(data)


# --------------------------------------------------------------------------- values

_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,6}))?\s*(?:(Z)|([+-])(\d{2}):?(\d{2}))?$"
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\s*(?:(Z)|([+-])(\d{2}):?(\d{2}))?$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_apple_date(text: str | None) -> str | None:
    """An Apple Health date as ISO 8601, keeping its offset.

    `2019-06-11 15:00:00 -0700` → `2019-06-11T15:00:00-07:00`; the iOS 8 form `20150616071916-0700`
    → `2015-06-16T07:19:16-07:00`; a date alone stays `YYYY-MM-DD`. Empty gives None; anything else
    raises ValueError.
    """
    if text is None or not text.strip():
        return None
    text = text.strip()
    if _DATE.match(text):
        return datetime.strptime(text, "%Y-%m-%d").date().isoformat()
    match = _DATETIME.match(text)
    if match:
        year, month, day, hour, minute, second, fraction, zulu, sign, oh, om = match.groups()
    else:
        match = _COMPACT.match(text)
        if not match:
            raise ValueError(f"unrecognised date: {text!r}")
        year, month, day, hour, minute, second, zulu, sign, oh, om = match.groups()
        fraction = None
    tz = None
    if zulu:
        tz = UTC
    elif sign:
        offset = timedelta(hours=int(oh), minutes=int(om))
        tz = timezone(-offset if sign == "-" else offset)
    micro = int((fraction or "0").ljust(6, "0"))
    moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=tz)
    return moment.isoformat()


_BEAT_TIME = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*([AaPp]\.?[Mm]\.?)?$")


def parse_beat_time(text: str | None) -> str | None:
    """`InstantaneousBeatsPerMinute@time` (time only, locale-formatted) as `HH:MM:SS[.ff]`; None if unknown."""
    if not text:
        return None
    match = _BEAT_TIME.match(text.strip())
    if not match:
        return None
    hour, minute, second, fraction, meridiem = match.groups()
    h = int(hour)
    if meridiem:
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if meridiem[0] in "Pp" else 0)
    if h > 23 or int(minute) > 59 or int(second) > 60:
        return None
    return f"{h:02d}:{minute}:{second}" + (f".{fraction}" if fraction else "")


_UNIT_FACTORS: dict[str, tuple[str, float]] = {
    # length → m
    "m": ("m", 1.0),
    "km": ("m", 1000.0),
    "mi": ("m", 1609.344),
    "cm": ("m", 0.01),
    "mm": ("m", 0.001),
    "ft": ("m", 0.3048),
    "in": ("m", 0.0254),
    "yd": ("m", 0.9144),
    # energy → kcal ("Cal" is the food calorie, i.e. a kcal)
    "kcal": ("kcal", 1.0),
    "Cal": ("kcal", 1.0),
    "kJ": ("kcal", 1 / 4.184),
    # mass → kg
    "kg": ("kg", 1.0),
    "lb": ("kg", 0.45359237),
    "st": ("kg", 6.35029318),
    # duration → s
    "s": ("s", 1.0),
    "min": ("s", 60.0),
    "hr": ("s", 3600.0),
    "h": ("s", 3600.0),
}


def normalise_quantity(value: float | None, unit: str | None) -> tuple[float | None, str | None]:
    """Convert `value` in `unit` to the canonical unit: m, kcal, kg, s; `%` becomes a 0–1 "fraction".

    Apple writes `%` values as fractions already (`0.97`), so they are kept as they are. Other units
    (`count/min`, `mg/dL`, `mmol<180.1558800000541>/L`, `g`, …) pass through unchanged.
    """
    if unit is None:
        return value, None
    if unit == "%":
        return value, "fraction"
    known = _UNIT_FACTORS.get(unit)
    if known is None or value is None:
        return value, unit
    canonical, factor = known
    return (value if factor == 1.0 else value * factor), canonical


def _number(text: str | None) -> float | None:
    if text is None or text.strip() == "":
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _record_family(record_type: str) -> str:
    if record_type.startswith("HKQuantityTypeIdentifier"):
        return "quantity"
    if record_type.startswith("HKCategoryTypeIdentifier"):
        return "category"
    if record_type.startswith("HKDataType"):
        return "data_type"
    return "other"


# --------------------------------------------------------------------------- elements → dicts


def _metadata(el: etree._Element) -> dict[str, str]:
    return {m.get("key", ""): m.get("value", "") for m in el.iterchildren("MetadataEntry")}


def _common(el: etree._Element) -> dict[str, Any]:
    start = parse_apple_date(el.get("startDate"))
    end = parse_apple_date(el.get("endDate"))
    if start is None or end is None:
        raise ValueError("missing startDate or endDate")
    return {
        "source_name": el.get("sourceName"),
        "source_version": el.get("sourceVersion"),
        "device": el.get("device"),
        "start": start,
        "end": end,
        "created": parse_apple_date(el.get("creationDate")),
    }


def _record(el: etree._Element, summary: ImportSummary) -> dict[str, Any]:
    record_type = el.get("type") or ""
    family = _record_family(record_type)
    raw_value, raw_unit = el.get("value"), el.get("unit")
    value: float | str | None = raw_value
    unit = raw_unit
    number = _number(raw_value)
    if number is not None and (family == "quantity" or raw_unit is not None):
        value, unit = normalise_quantity(number, raw_unit)
        if raw_unit == "%" and number > 1:
            summary.warn("percent_above_one", "a % value above 1 was kept as written (Apple writes fractions)")
    out: dict[str, Any] = {
        "kind": "health_record",
        "schema_version": SCHEMA_VERSION,
        "type": record_type,
        "family": family,
        **_common(el),
        "value": value,
        "unit": unit,
        "raw_value": raw_value,
        "raw_unit": raw_unit,
        "metadata": _metadata(el),
    }
    beats = [
        {"bpm": _number(b.get("bpm")), "time": parse_beat_time(b.get("time")), "raw_time": b.get("time")}
        for hrv in el.iterchildren("HeartRateVariabilityMetadataList")
        for b in hrv.iterchildren("InstantaneousBeatsPerMinute")
    ]
    if beats:
        out["beats"] = beats
    return out


def _statistics(el: etree._Element) -> list[dict[str, Any]]:
    stats = []
    for s in el.iterchildren("WorkoutStatistics"):
        raw_unit = s.get("unit")
        item: dict[str, Any] = {
            "type": s.get("type"),
            "start": parse_apple_date(s.get("startDate")),
            "end": parse_apple_date(s.get("endDate")),
            "unit": normalise_quantity(1.0, raw_unit)[1],
            "raw_unit": raw_unit,
        }
        for key in ("sum", "average", "minimum", "maximum"):
            item[key] = normalise_quantity(_number(s.get(key)), raw_unit)[0]
        stats.append(item)
    return stats


def _duration_s(value: str | None, unit: str | None) -> float | None:
    number = _number(value)
    if number is None:
        return None
    converted, canonical = normalise_quantity(number, unit or "min")
    return converted if canonical == "s" else None


def _total(value: str | None, unit: str | None, canonical: str) -> float | None:
    converted, got = normalise_quantity(_number(value), unit)
    return converted if got == canonical else None


def _workout(el: etree._Element) -> dict[str, Any]:
    statistics = _statistics(el)
    distance = _total(el.get("totalDistance"), el.get("totalDistanceUnit"), "m")
    if distance is None:
        sums = [s["sum"] for s in statistics if "Distance" in (s["type"] or "") and s["unit"] == "m" and s["sum"] is not None]
        distance = sum(sums) if sums else None
    energy = _total(el.get("totalEnergyBurned"), el.get("totalEnergyBurnedUnit"), "kcal")
    if energy is None:
        sums = [s["sum"] for s in statistics if (s["type"] or "").endswith("ActiveEnergyBurned") and s["sum"] is not None]
        energy = sum(sums) if sums else None
    events = [
        {
            "type": e.get("type"),
            "date": parse_apple_date(e.get("date")),
            "duration_s": _duration_s(e.get("duration"), e.get("durationUnit")),
        }
        for e in el.iterchildren("WorkoutEvent")
    ]
    routes = []
    for r in el.iterchildren("WorkoutRoute"):
        ref = r.find("FileReference")
        routes.append(
            {
                **_common(r),
                "file": ref.get("path") if ref is not None else None,
                "metadata": _metadata(r),
                "locations": [
                    {
                        "time": parse_apple_date(loc.get("date")),
                        "latitude": _number(loc.get("latitude")),
                        "longitude": _number(loc.get("longitude")),
                        "altitude_m": _number(loc.get("altitude")),
                        "horizontal_accuracy_m": _number(loc.get("horizontalAccuracy")),
                        "vertical_accuracy_m": _number(loc.get("verticalAccuracy")),
                        "course": _number(loc.get("course")),
                        "speed_mps": _number(loc.get("speed")),
                    }
                    for loc in r.iterchildren("Location")
                ],
            }
        )
    activities = [
        {
            "activity_type": a.get("workoutActivityType"),
            "start": parse_apple_date(a.get("startDate")),
            "end": parse_apple_date(a.get("endDate")),
            "duration_s": _duration_s(a.get("duration"), a.get("durationUnit")),
            "statistics": _statistics(a),
            "metadata": _metadata(a),
        }
        for a in el.iterchildren("WorkoutActivity")
    ]
    return {
        "kind": "workout",
        "schema_version": SCHEMA_VERSION,
        "activity_type": el.get("workoutActivityType"),
        **_common(el),
        "duration_s": _duration_s(el.get("duration"), el.get("durationUnit")),
        "total_distance_m": distance,
        "total_energy_kcal": energy,
        "metadata": _metadata(el),
        "statistics": statistics,
        "events": events,
        "routes": routes,
        "activities": activities,
    }


_SUMMARY_FIELDS = {
    "activeEnergyBurned": "active_energy_kcal",
    "activeEnergyBurnedGoal": "active_energy_goal_kcal",
    "appleMoveTime": "move_time_min",
    "appleMoveTimeGoal": "move_time_goal_min",
    "appleMoveMinutes": "move_time_min",
    "appleMoveMinutesGoal": "move_time_goal_min",
    "appleExerciseTime": "exercise_time_min",
    "appleExerciseTimeGoal": "exercise_time_goal_min",
    "appleStandHours": "stand_hours",
    "appleStandHoursGoal": "stand_hours_goal",
}


def _activity_summary(el: etree._Element) -> dict[str, Any]:
    date = parse_apple_date(el.get("dateComponents"))
    if date is None:
        raise ValueError("missing dateComponents")
    out: dict[str, Any] = {"kind": "activity_summary", "schema_version": SCHEMA_VERSION, "date": date}
    out.update(dict.fromkeys(_SUMMARY_FIELDS.values()))
    energy_unit = el.get("activeEnergyBurnedUnit") or "kcal"
    extra: dict[str, str] = {}
    for name, raw in el.attrib.items():
        target = _SUMMARY_FIELDS.get(name)
        if target is None:
            if name not in ("dateComponents", "activeEnergyBurnedUnit"):
                extra[name] = raw
            continue
        number = _number(raw)
        if target.startswith("active_energy"):
            number, unit = normalise_quantity(number, energy_unit)
            if unit != "kcal":
                extra[name] = raw
                number = None
        out[target] = number
    out["extra"] = extra
    return out


_ME_FIELDS = {
    "HKCharacteristicTypeIdentifierDateOfBirth": "date_of_birth",
    "HKCharacteristicTypeIdentifierBiologicalSex": "biological_sex",
    "HKCharacteristicTypeIdentifierBloodType": "blood_type",
    "HKCharacteristicTypeIdentifierFitzpatrickSkinType": "fitzpatrick_skin_type",
    "HKCharacteristicTypeIdentifierCardioFitnessMedicationsUse": "cardio_fitness_medications_use",
}


def _me(el: etree._Element) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "me", "schema_version": SCHEMA_VERSION}
    out.update(dict.fromkeys(_ME_FIELDS.values()))
    extra = {}
    for name, raw in el.attrib.items():
        target = _ME_FIELDS.get(name)
        if target is None:
            extra[name] = raw
        elif target == "date_of_birth":
            out[target] = parse_apple_date(raw) if raw else None
        else:
            out[target] = raw or None
    out["extra"] = extra
    return out


# --------------------------------------------------------------------------- the parse


def _xml_error(exc: etree.XMLSyntaxError) -> HealthImportError:
    # The error log can still hold entries of earlier parses in this thread: the last fatal one stopped this one.
    fatal = [entry for entry in exc.error_log if entry.level_name == "FATAL"]
    last = fatal[-1] if fatal else None
    message = f"{last.message} (line {last.line})" if last else str(exc)
    if last is not None and "ENTITY" in last.type_name:
        return HealthImportError("entity", f"the document uses an entity that is never expanded: {message}")
    return HealthImportError("xml", f"malformed XML: {message}")


def iter_health_export(stream: BinaryIO, summary: ImportSummary | None = None) -> Iterator[dict[str, Any]]:
    """Yield interchange dicts from the main Apple Health XML, read as a byte stream."""
    summary = summary if summary is not None else ImportSummary()
    reader = SanitizingReader(stream, summary)
    parser = etree.iterparse(
        reader,
        events=("end",),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=False,
        remove_comments=True,
        remove_pis=True,
    )
    root: etree._Element | None = None
    try:
        for _event, el in parser:
            parent = el.getparent()
            if parent is None:
                root = el
                continue
            if parent.getparent() is not None:
                continue  # a child of a top-level element: handled with its parent
            if root is None:
                root = parent
                if root.tag != "HealthData":
                    raise HealthImportError("not_health_data", f"the document element is <{root.tag}>, not <HealthData>")
                summary.locale = root.get("locale")
            item = _handle(el, summary)
            el.clear(keep_tail=False)
            while el.getprevious() is not None:
                del parent[0]
            if item is not None:
                yield item
    except etree.XMLSyntaxError as exc:
        raise _xml_error(exc) from exc
    if root is None:
        raise HealthImportError("xml", "no document element")
    if root.tag != "HealthData":
        raise HealthImportError("not_health_data", f"the document element is <{root.tag}>, not <HealthData>")


def _handle(el: etree._Element, summary: ImportSummary) -> dict[str, Any] | None:
    tag = el.tag
    if not isinstance(tag, str):
        return None
    try:
        if tag == "Record":
            item = _record(el, summary)
        elif tag == "Workout":
            item = _workout(el)
        elif tag == "ActivitySummary":
            item = _activity_summary(el)
        elif tag == "Me":
            item = _me(el)
        elif tag == "ExportDate":
            summary.export_date = parse_apple_date(el.get("value"))
            return None
        else:
            # Correlation wraps Records that are repeated at top level; the others are not imported yet.
            summary.skipped[tag] += 1
            return None
    except ValueError as exc:
        summary.skipped[tag] += 1
        summary.warn(f"bad_{tag}", f"<{tag}> elements skipped for an unreadable value ({exc})")
        return None
    summary.counts[item["kind"]] += 1
    if item.get("source_name"):
        summary.sources[item["source_name"]] += 1
    summary.see_range(item.get("start"), item.get("end"))
    return item


# --------------------------------------------------------------------------- zips


def is_health_export_head(head: bytes) -> bool:
    """True when the first bytes of a file show the main Apple Health XML."""
    return b"<!DOCTYPE HealthData" in head or re.search(rb"<HealthData[\s>/]", head) is not None


def _sniff(archive: SafeZip, entry: ZipEntry) -> bool:
    head = b""
    with archive.open(entry) as stream:
        while len(head) < SNIFF_BYTES:
            chunk = stream.read(64 * 1024)
            if not chunk:
                break
            head += chunk
            if is_health_export_head(head):
                return True
    return False


def find_export_xml(archive: SafeZip) -> ZipEntry:
    """The main export XML of an Apple Health zip, found by content (shallowest first)."""
    candidates = [e for e in archive.entries() if e.name.lower().endswith(".xml") and e.basename.lower() != "export_cda.xml"]
    for entry in sorted(candidates, key=lambda e: (e.depth, e.name)):
        if _sniff(archive, entry):
            return entry
    raise HealthImportError("not_found", "no Apple Health export XML in the archive")


def iter_health_zip(archive: SafeZip, summary: ImportSummary | None = None) -> Iterator[dict[str, Any]]:
    """Yield interchange dicts from an Apple Health `export.zip`.

    Workout routes get `archive_path`: the zip entry of their GPX file, or None when it is missing.
    """
    summary = summary if summary is not None else ImportSummary()
    entry = find_export_xml(archive)
    summary.main_file = entry.name
    base = posixpath.dirname(entry.name)
    names = {e.name for e in archive.entries()}
    with archive.open(entry) as stream:
        for item in iter_health_export(stream, summary):
            if item["kind"] == "workout":
                for route in item["routes"]:
                    route["archive_path"] = None
                    if route["file"]:
                        path = posixpath.normpath(posixpath.join(base, route["file"].lstrip("/")))
                        if path in names:
                            route["archive_path"] = path
                        else:
                            summary.warn("route_file_missing", "a workout route's GPX file is not in the archive")
            yield item
