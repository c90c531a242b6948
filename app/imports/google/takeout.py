"""A Google Takeout part (zip or tgz), or one of its files alone, read file by file: each file's format is told by its
first bytes, never by its name (folder and file names are localized: `ロケーション履歴（タイムライン）`,
`YouTube と YouTube Music/履歴`, `Standortverlauf` …), and handed to its parser.

`FORMATS` lists the formats in the order they are tried; a file no format claims is counted in
`summary.skipped["file"]` (a Takeout part holds much Azukari does not read: photos, mail, settings).
"""

from __future__ import annotations

import importlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from app.imports.archive import SafeZip
from app.imports.archive_tar import SafeTar
from app.imports.summary import FormatError, ImportSummary

HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Format:
    """One file format: `sniff(head)` says whether (and in which variant) a file is of it; `read` parses it."""

    name: str
    module: str
    sniff: str
    read: str
    variant_keyword: str | None = None  # the reader's keyword for the sniffed variant, if it takes one

    def load(self) -> tuple[Callable[[bytes], Any], Callable[..., Iterator[dict[str, Any]]]]:
        module = importlib.import_module(self.module)
        return getattr(module, self.sniff), getattr(module, self.read)


# YouTube's watch history (JSON) has the shape of My Activity: it is tried first and claims only YouTube's.
FORMATS = (
    Format("location_history", "app.imports.google.location", "sniff_location", "iter_location", "layout"),
    Format("watch_history", "app.imports.google.activity", "sniff_watch_history", "iter_watch_history", "fmt"),
    Format("my_activity", "app.imports.google.activity", "sniff_my_activity", "iter_my_activity"),
    Format("profile", "app.imports.google.profile", "sniff_profile", "iter_profile", "kind"),
    Format("calendar", "app.imports.google.calendar", "sniff_calendar", "iter_calendar"),
    Format("blogger", "app.imports.google.blogger", "sniff_blogger", "iter_blogger", "layout"),
)


class _Replay(io.RawIOBase):
    """A stream that gives back the bytes already read for sniffing, then the rest."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                out, self._head = self._head + self._rest.read(), b""
                return out
            out, self._head = self._head[:size], self._head[size:]
            return out
        return self._rest.read(size)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _read_head(stream: IO[bytes]) -> bytes:
    head = b""
    while len(head) < HEAD_BYTES:
        chunk = stream.read(HEAD_BYTES - len(head))
        if not chunk:
            break
        head += chunk
    return head


def classify(head: bytes) -> tuple[Format, Any] | None:
    """The format of a file from its first bytes, with the variant its sniffer named; None if none claims it."""
    for fmt in FORMATS:
        sniff, _read = fmt.load()
        variant = sniff(head)
        if variant:
            return fmt, variant
    return None


def iter_file(stream: IO[bytes], summary: ImportSummary, *, name: str = "") -> Iterator[dict[str, Any]]:
    """The items of one file (of an archive, or uploaded alone); a file no format claims yields nothing."""
    head = _read_head(stream)
    found = classify(head)
    if found is None:
        summary.skipped["file"] += 1
        return
    fmt, variant = found
    summary.formats[fmt.name] += 1
    _sniff, read = fmt.load()
    options = {fmt.variant_keyword: variant} if fmt.variant_keyword and variant is not True else {}
    try:
        yield from read(_Replay(head, stream), summary, **options)
    except FormatError as error:
        raise FormatError(error.code, f"{name or 'the file'}: {error}") from error


def iter_takeout_zip(archive: SafeZip, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    for entry in archive.entries():
        with archive.open(entry) as stream:
            yield from iter_file(stream, summary, name=entry.name)
    if not summary.formats:
        raise FormatError("not_found", "no data Azukari can read was found in the archive")


def iter_takeout_tar(archive: SafeTar, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    for member, stream in archive.members():
        yield from iter_file(stream, summary, name=member.name)
    if not summary.formats:
        raise FormatError("not_found", "no data Azukari can read was found in the archive")


def iter_bare(stream: BinaryIO, summary: ImportSummary) -> Iterator[dict[str, Any]]:
    """One file uploaded alone (a Timeline.json from a phone, a calendar .ics, a Blogger export …)."""
    head = _read_head(stream)
    if classify(head) is None:
        raise FormatError("not_supported", "a file of a kind Azukari cannot read")
    yield from iter_file(_Replay(head, stream), summary)
