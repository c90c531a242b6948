"""The parse: the main XML (strict lxml `iterparse`, memory flat) and, in a zip, its GPX routes and ECG files.

lxml runs with entity resolution, DTD loading and network access off, and never `recover=True` (it drops
records silently) or `huge_tree=True` (it lifts libxml2's limits). Each top-level element is cleared once
handled and its earlier siblings deleted, so memory stays flat whatever the file size.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from lxml import etree

from app.imports.apple_health import elements
from app.imports.apple_health.reader import SanitizingReader
from app.imports.apple_health.values import number, parse_apple_date, parse_gpx_time
from app.imports.archive import SafeZip, ZipEntry
from app.imports.strict_xml import strict_iterparse, strict_pull_parser, xml_error
from app.imports.summary import HealthImportError, ImportSummary

MiB = 1024**2
SNIFF_BYTES = 1 * MiB
ECG_LIMIT = 8 * MiB  # one 30 s recording at 512 Hz is about 200 kB

_HANDLERS: dict[str, Callable[..., dict[str, Any]]] = {
    "Workout": elements.workout,
    "ActivitySummary": elements.activity_summary,
    "Me": elements.me,
    "ClinicalRecord": elements.clinical_record,
}


# The children of <HealthData> in Apple's DTD. Only these produce parse events (the filter runs in C, so the millions
# of MetadataEntry and beat elements inside Records never reach Python); a top-level element of another name is
# counted as skipped when it is deleted (see `_drop_finished`).
TOP_LEVEL = ("ExportDate", "Me", "Record", "Correlation", "Workout", "ActivitySummary", "ClinicalRecord", "Audiogram",
             "VisionPrescription")
FEED_BYTES = 256 * 1024


def iter_health_export(stream: BinaryIO, summary: ImportSummary | None = None, *,
                       rows: bool = False) -> Iterator[dict[str, Any] | tuple[Any, ...]]:
    """Yield interchange dicts from the main Apple Health XML, read as a byte stream; with `rows`, each Record as
    the tuple it is stored as (`elements.record_row`) instead of its dict (what the reader process sends).

    The parser is fed 256 KiB at a time; after each feed every finished top-level element is gone from the tree, so
    memory stays flat whatever the file holds, unknown elements included.
    """
    summary = summary if summary is not None else ImportSummary()
    reader = SanitizingReader(stream, summary)
    parser = strict_pull_parser(tag=TOP_LEVEL)
    root: etree._Element | None = None
    counts, sources, skipped, see_range = summary.counts, summary.sources, summary.skipped, summary.see_range
    record_row, record_dict, bounds = elements.record_row, elements.record_dict, summary._bounds
    record_sources: dict[str | None, int] = {}
    health_records = sensitive_records = in_tree = 0
    last: etree._Element | None = None
    try:
        while True:
            data = reader.read(FEED_BYTES)
            if data:
                parser.feed(data)
            else:
                root = parser.close()
            for _event, el in parser.read_events():
                parent = el.getparent()
                if parent is not root:
                    if root is not None or parent.getparent() is not None:
                        continue  # a Record inside a Correlation: the Correlation is counted as skipped
                    root = parent
                    if root.tag != "HealthData":
                        raise HealthImportError("not_health_data", f"the document element is <{root.tag}>, not <HealthData>")
                    summary.locale = root.get("locale")
                in_tree += 1
                last = el
                tag = el.tag
                try:
                    if tag == "Record":
                        row = record_row(el, summary)
                        health_records += 1
                        source, start, end = row[2], row[5], row[6]
                        record_sources[source] = record_sources.get(source, 0) + 1
                        # (the date range's common case inline: see ImportSummary.see_range)
                        bound = bounds.get(start[19:])
                        if bound is None or start < bound[0] or end > bound[1] or end[19:] != start[19:]:
                            see_range(start, end)
                        if row[15]:
                            sensitive_records += 1
                        yield row if rows else record_dict(row)
                        continue
                    if tag == "ExportDate":
                        summary.export_date = parse_apple_date(el.get("value"))
                        continue
                    handler = _HANDLERS.get(tag)
                    if handler is None:
                        skipped[tag] += 1  # Correlation wraps Records repeated at top level; the others are not read yet
                        continue
                    item = handler(el)
                except ValueError as exc:
                    skipped[tag] += 1
                    summary.warn(f"bad_{tag}", f"<{tag}> elements skipped for an unreadable value ({exc})")
                    continue
                kind = item["kind"]
                counts[kind] += 1
                if item.get("sensitive"):
                    summary.sensitive[kind] += 1
                source = item.get("source_name")
                if source:
                    sources[source] += 1
                see_range(item.get("start"), item.get("end"))
                yield item
            if root is not None:
                in_tree = _drop_finished(root, in_tree, last, skipped, final=not data)
            if not data:
                break
    except etree.XMLSyntaxError as exc:
        raise xml_error(exc, HealthImportError) from exc
    finally:
        if health_records:
            counts["health_record"] += health_records
        if sensitive_records:
            summary.sensitive["health_record"] += sensitive_records
        for source, count in record_sources.items():
            if source:
                sources[source] += count
    if root is None:
        raise HealthImportError("xml", "no document element")
    if root.tag != "HealthData":
        raise HealthImportError("not_health_data", f"the document element is <{root.tag}>, not <HealthData>")


def _drop_finished(root: etree._Element, in_tree: int, last: etree._Element | None, skipped: Any, *,
                   final: bool) -> int:
    """Delete the finished top-level elements: all but the last one (it may still be being parsed), or all at the end.

    `in_tree` of them produced an event (`last` most recently); when more are to be deleted, some have a name
    outside TOP_LEVEL and are counted as skipped. Returns how many handled elements are left (0 or 1)."""
    size = len(root)
    if size == 0:
        return 0
    keep = 0 if final else 1
    kept_handled = int(keep == 1 and root[-1] is last)
    if size - keep > in_tree - kept_handled:
        for child in root[:size - keep]:
            tag = child.tag
            if tag not in _KNOWN and isinstance(tag, str):
                skipped[tag] += 1
    del root[:size - keep]
    return kept_handled


_KNOWN = frozenset(TOP_LEVEL)


# --------------------------------------------------------------------------- zips


def is_health_export_head(head: bytes) -> bool:
    """True when the first bytes of a file show the main Apple Health XML."""
    return b"<!DOCTYPE HealthData" in head or _HEALTH_DATA.search(head) is not None


def _sniff(archive: SafeZip, entry: ZipEntry) -> bool:
    """Whether the entry starts like the main export: read until `<HealthData` shows, or another element starts
    (past the DOCTYPE, whose declarations mention HealthData too), or SNIFF_BYTES."""
    head = b""
    with archive.open(entry) as stream:
        while len(head) < SNIFF_BYTES:
            chunk = stream.read(64 * 1024)
            if not chunk:
                break
            scan_from = max(0, len(head) - 32)  # only the new bytes, with room for a tag cut between chunks
            head += chunk
            window = head[scan_from:]
            if b"<!DOCTYPE HealthData" in window or _HEALTH_DATA.search(window):
                return True
            other = _OTHER_ROOT.search(head, scan_from)
            if other is not None and len(head) - other.start() > 16:  # (near the end it may be `<HealthDa|ta`)
                return False
    return False


_HEALTH_DATA = re.compile(rb"<HealthData[\s>/]")
_OTHER_ROOT = re.compile(rb"<(?!HealthData[\s>/])[A-Za-z_]")
# At most this many XML files are opened to find the export: a real one has two (export.xml, export_cda.xml), and an
# archive of thousands of decoys must not cost a read of each.
MAX_SNIFFED = 16


def find_export_xml(archive: SafeZip) -> ZipEntry:
    """The main export XML of an Apple Health zip, found by content (shallowest first)."""
    candidates = [e for e in archive.entries() if e.name.lower().endswith(".xml") and e.basename.lower() != "export_cda.xml"]
    for entry in sorted(candidates, key=lambda e: (e.depth, e.name))[:MAX_SNIFFED]:
        if _sniff(archive, entry):
            return entry
    raise HealthImportError("not_found", "no Apple Health export XML in the archive")


def iter_health_zip(archive: SafeZip, summary: ImportSummary | None = None, *, entry: ZipEntry | None = None,
                    rows: bool = False) -> Iterator[dict[str, Any] | tuple[Any, ...]]:
    """Yield interchange dicts from an Apple Health `export.zip`: the main XML's items, then its ECG recordings.

    `entry` is the main XML when the caller has found it already (`find_export_xml`). A workout route gets
    `archive_path` (its GPX entry, None when missing) and, from the GPX, its `locations`.
    """
    summary = summary if summary is not None else ImportSummary()
    entry = entry if entry is not None else find_export_xml(archive)
    summary.main_file = entry.name
    base = posixpath.dirname(entry.name)
    names = {e.name: e for e in archive.entries()}
    with archive.open(entry) as stream:
        for item in iter_health_export(stream, summary, rows=rows):
            if item.__class__ is dict and item["kind"] == "workout":
                for route in item["routes"]:
                    _attach_gpx(archive, names, base, route, summary)
            yield item
    for ecg_entry in sorted((e for e in names.values() if _is_ecg(e)), key=lambda e: e.name):
        ecg = _ecg(archive, ecg_entry, summary)
        if ecg is not None:
            summary.counts["ecg"] += 1
            summary.sensitive["ecg"] += 1
            summary.see_range(ecg["start"], ecg["start"])
            yield ecg


def _attach_gpx(archive: SafeZip, names: dict[str, ZipEntry], base: str, route: dict[str, Any],
                summary: ImportSummary) -> None:
    route["archive_path"] = None
    if not route["file"]:
        return
    path = posixpath.normpath(posixpath.join(base, route["file"].lstrip("/")))
    found = names.get(path)
    if found is None:
        summary.warn("route_file_missing", "a workout route's GPX file is not in the archive")
        return
    route["archive_path"] = path
    try:
        with archive.open(found) as stream:
            route["locations"] = list(iter_gpx_points(stream))
    except etree.XMLSyntaxError:
        summary.warn("route_file_unreadable", "a workout route's GPX file could not be read; the workout is kept without it")


def iter_gpx_points(stream: BinaryIO) -> Iterator[dict[str, Any]]:
    """The track points of a GPX 1.1 route, in the shape of an inline `<Location>` (strict parse, entities off).

    A point's children are read in one walk by their local names (lxml's `find` goes through ElementPath, in Python).
    """
    fields = _GPX_POINT_FIELDS
    for _event, el in strict_iterparse(stream, tag=("{*}trkpt",)):
        point: dict[str, Any] = {
            "time": None, "latitude": number(el.get("lat")), "longitude": number(el.get("lon")), "altitude_m": None,
            "horizontal_accuracy_m": None, "vertical_accuracy_m": None, "course": None, "speed_mps": None,
        }
        for child in el.iter():
            tag = child.tag
            if tag.__class__ is not str:
                continue
            key = fields.get(tag[tag.find("}") + 1:])
            if key is None:
                continue
            if key == "time":
                when = child.text
                point["time"] = parse_gpx_time(when.strip()) if when else None
            else:
                point[key] = number(child.text)
        el.clear(keep_tail=False)
        while el.getprevious() is not None:
            del el.getparent()[0]
        yield point


# local name → key: `time` and `ele` are children of <trkpt>, the others of its <extensions>
_GPX_POINT_FIELDS = {"time": "time", "ele": "altitude_m", "speed": "speed_mps", "course": "course",
                     "hAcc": "horizontal_accuracy_m", "vAcc": "vertical_accuracy_m"}


# --------------------------------------------------------------------------- ECG recordings (要配慮)


def _is_ecg(entry: ZipEntry) -> bool:
    return entry.name.lower().endswith(".csv") and "electrocardiograms/" in entry.name.lower()


# Header names in English and Japanese exports.
_ECG_HEADERS = {
    "recorded date": "start", "記録日": "start", "記録日時": "start",
    "classification": "classification", "分類": "classification",
    "sample rate": "sample_rate", "サンプルレート": "sample_rate",
    "lead": "lead", "リード": "lead", "誘導": "lead",
    "unit": "unit", "単位": "unit",
    "software version": "software_version", "ソフトウェアバージョン": "software_version",
    "device": "device", "デバイス": "device",
}


def _ecg(archive: SafeZip, entry: ZipEntry, summary: ImportSummary) -> dict[str, Any] | None:
    """One `electrocardiograms/ecg_*.csv`: the header facts and the voltage samples. The name and birth date
    lines are not kept (the bank knows who the resident is)."""
    with archive.open(entry) as stream:
        raw = stream.read(ECG_LIMIT + 1)
    if len(raw) > ECG_LIMIT:
        summary.warn("ecg_too_large", "an ECG file larger than 8 MB was skipped")
        return None
    text = raw.decode("utf-8-sig", errors="replace")
    facts: dict[str, str] = {}
    samples: list[float] = []
    for row in csv.reader(io.StringIO(text)):
        if not row or not any(cell.strip() for cell in row):
            continue
        value = number(row[0].strip())
        if value is not None and (len(row) == 1 or not row[1].strip()):
            samples.append(value)
            continue
        key = _ECG_HEADERS.get(row[0].strip().lower())
        if key and len(row) > 1:
            facts[key] = row[1].strip()
    start = None
    try:
        start = parse_apple_date(facts.get("start"))
    except ValueError:
        summary.warn("ecg_date_unreadable", "an ECG recording's date could not be read")
    if not samples:
        summary.skipped["ecg"] += 1
        summary.warn("ecg_without_samples", "an ECG file without samples was skipped")
        return None
    rate = re.match(r"\s*([\d.]+)", facts.get("sample_rate", ""))
    return {
        "kind": "ecg",
        "schema_version": elements.SCHEMA_VERSION,
        "start": start,
        "classification": facts.get("classification"),
        "sample_rate_hz": float(rate.group(1)) if rate else None,
        "lead": facts.get("lead"),
        "unit": facts.get("unit"),
        "device": facts.get("device"),
        "software_version": facts.get("software_version"),
        "file": entry.name,
        "samples": samples,
        "sensitive": True,
    }
