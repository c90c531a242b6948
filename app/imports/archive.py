"""Safe, streaming reading of an uploaded zip archive.

Nothing is extracted to disk. `SafeZip` validates every central-directory entry before it hands out any
(count, names, symlinks, encryption), skips macOS litter (`__MACOSX/`, `.DS_Store`, `._*` AppleDouble
files), and `SafeZip.open()` returns a stream that enforces the limits while bytes are actually read:
the per-entry compression ratio and the total uncompressed size are counted from the decompressed
bytes, never trusted from the headers (the headers are checked too, as an early refusal). The whole archive is held
to the same ratio (its uncompressed total against its size on disk), as `SafeTar` holds a tgz: the per-entry floor
lets any entry expand 1 MiB whatever its ratio, and 8,191 such entries made 8 GiB of a 9.9 MB zip.

Every refusal is an `ArchiveError` subclass with a stable `code`:
"not_zip", "corrupt", "too_many_entries", "path", "symlink", "encrypted", "ratio", "too_large".
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, BinaryIO

__all__ = [
    "ArchiveError",
    "CorruptArchiveError",
    "EncryptedEntryError",
    "Limits",
    "NotZipError",
    "RatioError",
    "SafeZip",
    "SymlinkError",
    "TooLargeError",
    "TooManyEntriesError",
    "UnsafePathError",
    "ZipEntry",
]

GiB = 1024**3
MiB = 1024**2


class ArchiveError(Exception):
    """An archive refused; `code` is stable and meant for programs, the message for people."""

    code = "archive"

    def __init__(self, message: str, *, entry: str | None = None) -> None:
        super().__init__(message)
        self.entry = entry


class NotZipError(ArchiveError):
    code = "not_zip"


class CorruptArchiveError(ArchiveError):
    code = "corrupt"


class TooManyEntriesError(ArchiveError):
    code = "too_many_entries"


class UnsafePathError(ArchiveError):
    code = "path"


class SymlinkError(ArchiveError):
    code = "symlink"


class EncryptedEntryError(ArchiveError):
    code = "encrypted"


class RatioError(ArchiveError):
    code = "ratio"


class TooLargeError(ArchiveError):
    code = "too_large"


@dataclass(frozen=True)
class Limits:
    """Limits applied to one archive.

    `ratio_floor` is the number of uncompressed bytes an entry may always produce whatever its ratio:
    tiny, very regular files (a `.DS_Store`, an empty-ish XML) legitimately compress better than 100:1,
    and a bomb needs far more than 1 MiB to hurt. The archive as a whole gets the same floor and `max_ratio`
    (its uncompressed total against its size on disk): the floor of each entry does not add up to a bomb.
    """

    max_ratio: float = 100.0
    max_total_bytes: int = 8 * GiB
    max_entries: int = 100_000
    ratio_floor: int = 1 * MiB


@dataclass(frozen=True)
class ArchiveMember:
    """A regular file in an archive (zip or tar)."""

    name: str
    size: int  # declared uncompressed size (not trusted: enforced while reading)

    @property
    def basename(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    @property
    def depth(self) -> int:
        return self.name.count("/")


@dataclass(frozen=True)
class ZipEntry(ArchiveMember):
    compressed_size: int
    info: zipfile.ZipInfo


def is_ignored(name: str) -> bool:
    parts = name.split("/")
    return parts[0] == "__MACOSX" or parts[-1] == ".DS_Store" or parts[-1].startswith("._")


def check_path(name: str) -> None:
    if not name or "\x00" in name:
        raise UnsafePathError("empty or NUL in entry name", entry=name)
    normalized = name.replace("\\", "/")
    if normalized.startswith("/") or (len(normalized) > 1 and normalized[1] == ":"):
        raise UnsafePathError(f"absolute entry name: {name!r}", entry=name)
    if any(part == ".." for part in normalized.split("/")):
        raise UnsafePathError(f"path traversal in entry name: {name!r}", entry=name)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return stat.S_ISLNK(mode)


class SafeZip:
    """A zip archive opened for safe reading. Use as a context manager.

    `source` is a path or a seekable binary file object. All entries are validated on open.
    """

    def __init__(self, source: str | os.PathLike[str] | BinaryIO, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.total_read = 0
        self.archive_size = 0
        self._furthest: dict[str, int] = {}
        self.skipped: list[str] = []
        if isinstance(source, str | os.PathLike):
            self._fp: IO[bytes] = open(source, "rb")  # noqa: SIM115 - closed in close()
            self._owns_fp = True
        else:
            self._fp = source
            self._owns_fp = False
        try:
            self._zip = self._open_zip()
            self._entries = self._validate()
        except BaseException:
            self.close()
            raise

    def _open_zip(self) -> zipfile.ZipFile:
        self._fp.seek(0)
        head = self._fp.read(4)
        self._fp.seek(0)
        try:
            return zipfile.ZipFile(self._fp)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
            if head.startswith(b"PK"):
                raise CorruptArchiveError(f"corrupt or truncated zip: {exc}") from exc
            raise NotZipError("not a zip archive") from exc

    def _validate(self) -> list[ZipEntry]:
        infos = self._zip.infolist()
        self._fp.seek(0, io.SEEK_END)
        file_size = self.archive_size = self._fp.tell()
        self._fp.seek(0)
        if len(infos) > self.limits.max_entries:
            raise TooManyEntriesError(f"{len(infos)} entries, more than {self.limits.max_entries}")
        entries: list[ZipEntry] = []
        declared_total = 0
        for info in infos:
            name = info.filename
            check_path(name)
            if _is_symlink(info):
                raise SymlinkError(f"symlink entry: {name!r}", entry=name)
            if info.is_dir():
                continue
            if is_ignored(name):
                self.skipped.append(name)
                continue
            if info.flag_bits & 0x1:
                raise EncryptedEntryError(f"encrypted entry: {name!r}", entry=name)
            if info.header_offset + info.compress_size > file_size:
                # The entry claims more compressed bytes than the file has: truncated, or a header that lies to
                # look like a modest ratio. Either way it cannot be read to its end.
                raise CorruptArchiveError(f"entry {name!r} extends past the end of the file", entry=name)
            self._check_ratio(name, info.file_size, info.compress_size)
            declared_total += info.file_size
            if declared_total > self.limits.max_total_bytes:
                raise TooLargeError(f"more than {self.limits.max_total_bytes} bytes uncompressed (declared)", entry=name)
            entries.append(ZipEntry(name=name, size=info.file_size, compressed_size=info.compress_size, info=info))
        self._check_archive_ratio(declared_total, "declared")
        return entries

    def _check_ratio(self, name: str, uncompressed: int, compressed: int) -> None:
        if uncompressed <= self.limits.ratio_floor:
            return
        if uncompressed > self.limits.max_ratio * max(compressed, 1):
            raise RatioError(f"compression ratio above {self.limits.max_ratio:g}:1 in {name!r}", entry=name)

    def _check_archive_ratio(self, uncompressed: int, how: str) -> None:
        """The whole archive's ratio: entries each under the floor (so never checked alone) must not add up to a bomb.
        zipfile stops every entry at its declared size, so the declared total bounds what can be read; the streamed
        total is checked too (defence in depth, as for `max_total_bytes`)."""
        if uncompressed > self.limits.ratio_floor and uncompressed > self.limits.max_ratio * max(self.archive_size, 1):
            raise RatioError(f"compression ratio above {self.limits.max_ratio:g}:1 over the whole archive ({how}: "
                             f"{uncompressed} bytes from {self.archive_size})")

    def entries(self) -> list[ZipEntry]:
        """The regular-file entries, in archive order, without macOS litter."""
        return list(self._entries)

    def __iter__(self) -> Iterator[ZipEntry]:
        return iter(self._entries)

    def open(self, entry: ZipEntry | str) -> LimitedEntryReader:
        """A binary stream over one entry that enforces the limits as bytes are read."""
        if isinstance(entry, str):
            found = [e for e in self._entries if e.name == entry]
            if not found:
                raise KeyError(entry)
            entry = found[0]
        try:
            raw = self._zip.open(entry.info)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            raise CorruptArchiveError(f"cannot open {entry.name!r}: {exc}", entry=entry.name) from exc
        return LimitedEntryReader(self, entry, raw)

    def read(self, entry: ZipEntry | str) -> bytes:
        with self.open(entry) as stream:
            return stream.read()

    def _account(self, entry: ZipEntry, entry_bytes: int, compressed_used: int | None) -> None:
        """Count an entry's bytes read so far. The total counts each entry's furthest read once (finding the export
        and then parsing it reads the main file twice); the ratio is checked against the compressed bytes really
        used so far when the stream tells them, so zero padding behind a small deflate stream hides nothing."""
        furthest = self._furthest.get(entry.name, 0)
        if entry_bytes > furthest:
            self.total_read += entry_bytes - furthest
            self._furthest[entry.name] = entry_bytes
        if self.total_read > self.limits.max_total_bytes:
            raise TooLargeError(f"more than {self.limits.max_total_bytes} bytes uncompressed", entry=entry.name)
        self._check_ratio(entry.name, entry_bytes, entry.compressed_size if compressed_used is None else compressed_used)
        self._check_archive_ratio(self.total_read, "read")

    def close(self) -> None:
        zf = getattr(self, "_zip", None)
        if zf is not None:
            zf.close()
        if self._owns_fp:
            self._fp.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class CountedMember(io.RawIOBase):
    """A readable binary stream over one archive member: each read goes through `_count`, which enforces the archive's
    limits, and a broken read is a `CorruptArchiveError` (zip entries here, tar members in archive_tar)."""

    BROKEN: tuple[type[BaseException], ...] = (zlib.error, EOFError, OSError)
    ENDS_EARLY = "the data ends before the entry's declared end"

    def __init__(self, name: str, raw: IO[bytes]) -> None:
        super().__init__()
        self._member_name = name
        self._raw = raw
        self.bytes_read = 0

    @property
    def name(self) -> str:
        return self._member_name

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while chunk := self.read(64 * 1024):
                chunks.append(chunk)
            return b"".join(chunks)
        try:
            data = self._raw.read(size)
        except self.BROKEN as exc:
            reason = str(exc) or self.ENDS_EARLY
            raise CorruptArchiveError(f"corrupt entry {self._member_name!r}: {reason}", entry=self._member_name) from exc
        self.bytes_read += len(data)
        self._count(len(data))
        return data

    def _count(self, delta: int) -> None:
        raise NotImplementedError

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class LimitedEntryReader(CountedMember):
    """A zip entry's stream; every read is counted against the archive's limits."""

    BROKEN = (zipfile.BadZipFile, zlib.error, EOFError, OSError)

    def __init__(self, archive: SafeZip, entry: ZipEntry, raw: IO[bytes]) -> None:
        super().__init__(entry.name, raw)
        self._archive = archive
        self._entry = entry

    def _count(self, delta: int) -> None:
        # CPython's ZipExtFile keeps the compressed bytes it has not consumed yet; without it, the header's figure.
        left = getattr(self._raw, "_compress_left", None)
        used = self._entry.compressed_size - left if isinstance(left, int) else None
        self._archive._account(self._entry, self.bytes_read, used)
