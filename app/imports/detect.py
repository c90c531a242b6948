"""Which reader an uploaded file needs, told by its first bytes (never by its name or the browser's type)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

from app.imports import apple_health
from app.imports.apple_health import ImportSummary
from app.imports.archive import NotZipError, SafeZip

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def open_export(fp: IO[bytes], summary: ImportSummary) -> tuple[SafeZip | None, Iterator[dict[str, Any]], str]:
    """(the archive to close, or None; the interchange items; the format) for a seekable file.

    A zip (even a truncated or corrupt one: SafeZip says which) is read as an export archive, an XML document as
    a bare `export.xml`; anything else (a PNG, a PDF renamed .zip) is refused as `NotZipError`.
    """
    head = fp.read(64)
    fp.seek(0)
    if head.startswith(b"PK"):
        archive = SafeZip(fp)
        return archive, apple_health.iter_health_zip(archive, summary), "apple_health_zip"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<") or head.startswith(_UTF16_BOMS):
        return None, apple_health.iter_health_export(fp, summary), "apple_health_xml"
    raise NotZipError("neither a zip archive nor an XML document")
