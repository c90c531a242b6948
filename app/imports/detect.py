"""Which reader an uploaded file needs, told by its first bytes (never by its name or the browser's type).

- a zip: an Apple Health `export.zip` when it holds the Health XML, else a Google Takeout part;
- a gzipped tar: a Google Takeout part (`.tgz`);
- an XML document: a bare Apple Health `export.xml` (or, when Google's sniffers claim it, a Blogger export);
- JSON, an `.ics`, an HTML page: one Google file alone (an on-device Timeline, a calendar, a watch history …);
- anything else (a PNG, a PDF renamed .zip) is refused as `NotZipError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from app.imports import apple_health
from app.imports.apple_health import ImportSummary
from app.imports.archive import NotZipError, SafeZip
from app.imports.archive_tar import GZIP_MAGIC, SafeTar
from app.imports.google import takeout
from app.imports.summary import FormatError, HealthImportError

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_TEXT_STARTS = (b"<", b"{", b"[", b"BEGIN:VCALENDAR")


def _is_tar(head: bytes) -> bool:
    return len(head) > 262 and head[257:262] == b"ustar"


def open_export(fp: IO[bytes], summary: ImportSummary, *,
                rows: bool = False) -> tuple[Any | None, Iterator[dict[str, Any] | tuple[Any, ...]], str]:
    """(the archive to close, or None; the interchange items; the format) for a seekable file. With `rows`, Apple
    Health Records come as the tuples they are stored as (`apple_health.elements.record_row`), not as dicts."""
    head = fp.read(64 * 1024)
    fp.seek(0)
    if head.startswith(b"PK"):
        archive = SafeZip(fp)
        try:
            main = apple_health.find_export_xml(archive)
        except HealthImportError as error:
            if error.code != "not_found":
                raise
            return archive, takeout.iter_takeout_zip(archive, summary), "google_takeout_zip"
        return archive, apple_health.iter_health_zip(archive, summary, entry=main, rows=rows), "apple_health_zip"
    if head.startswith(GZIP_MAGIC) or _is_tar(head):
        tar = SafeTar(fp)
        return tar, takeout.iter_takeout_tar(tar, summary), "google_takeout_tgz"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if head.startswith(_UTF16_BOMS):
        return None, apple_health.iter_health_export(fp, summary, rows=rows), "apple_health_xml"
    if text.startswith(b"<") and (apple_health.is_health_export_head(head) or takeout.classify(head) is None):
        return None, apple_health.iter_health_export(fp, summary, rows=rows), "apple_health_xml"
    if text.startswith(_TEXT_STARTS):
        return None, takeout.iter_bare(fp, summary), "google_file"
    if _is_text(head):  # a CSV, a note: a document, just not one Azukari reads
        raise FormatError("not_supported", "a text file of a kind Azukari cannot read")
    raise NotZipError("neither an archive nor a document Azukari can read")


def _is_text(head: bytes) -> bool:
    try:
        head[:4096].decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start > 4090  # a character cut at the end of the sample
    return b"\x00" not in head[:4096]
