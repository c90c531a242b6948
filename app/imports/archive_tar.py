"""Safe, streaming reading of a `.tgz` Takeout part (Google offers zip or tgz).

A gzipped tar can only be read front to back, so `SafeTar.members()` yields each regular file once, in archive
order, as a stream the caller must read (or leave) before asking for the next. The same limits as `SafeZip` hold,
counted on the bytes really read: 8 GB uncompressed in total, 100,000 entries, a compression ratio of 100:1 over
the whole stream past a 1 MiB floor (gzip has one stream, so the ratio is the archive's, not an entry's); names
that climb out (`..`, absolute) and links (symbolic or hard), devices and FIFOs are refused; macOS litter is
skipped. Every refusal is an `ArchiveError` with the same codes as the zip reader's.
"""

from __future__ import annotations

import io
import tarfile
import zlib
from collections.abc import Iterator
from typing import IO, BinaryIO

from app.imports.archive import (
    ArchiveError,
    ArchiveMember,
    CorruptArchiveError,
    CountedMember,
    Limits,
    RatioError,
    SymlinkError,
    TooLargeError,
    TooManyEntriesError,
    UnsafePathError,
    check_path,
    is_ignored,
)

GZIP_MAGIC = b"\x1f\x8b"


class _CountingReader(io.RawIOBase):
    """The compressed file, counting the bytes gzip has taken from it (for the ratio)."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__()
        self._raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self.consumed += len(data)
        return len(data)


class SafeTar:
    """A `.tgz` (or plain `.tar`) opened for one pass. Use as a context manager."""

    def __init__(self, fp: BinaryIO, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.total_read = 0
        self.skipped: list[str] = []
        self._counting = _CountingReader(fp)
        try:
            # Stream mode ("r|*"): one pass, never seeking; closed in close().
            self._tar = tarfile.open(fileobj=io.BufferedReader(self._counting, 1024 * 1024), mode="r|*")  # noqa: SIM115
        except (tarfile.TarError, zlib.error, EOFError, OSError) as exc:
            raise CorruptArchiveError(f"not a readable tar archive: {exc}") from exc

    def members(self) -> Iterator[tuple[ArchiveMember, IO[bytes]]]:
        """Each regular file with a stream over it, in archive order; read a stream before asking for the next."""
        count = 0
        try:
            for info in self._tar:
                count += 1
                if count > self.limits.max_entries:
                    raise TooManyEntriesError(f"more than {self.limits.max_entries} entries")
                name = info.name
                check_path(name)
                if info.issym() or info.islnk():
                    raise SymlinkError(f"link entry: {name!r}", entry=name)
                if info.isdir():
                    continue
                if not info.isfile():
                    raise UnsafePathError(f"special file in the archive: {name!r}", entry=name)
                if is_ignored(name):
                    self.skipped.append(name)
                    continue
                extracted = self._tar.extractfile(info)
                if extracted is None:
                    continue
                yield ArchiveMember(name=name, size=info.size), _LimitedMember(self, name, extracted)
        except ArchiveError:
            raise
        except (tarfile.TarError, zlib.error, EOFError, OSError) as exc:
            raise CorruptArchiveError(f"corrupt or truncated tar archive: {exc}") from exc

    def _account(self, name: str, delta: int) -> None:
        self.total_read += delta
        if self.total_read > self.limits.max_total_bytes:
            raise TooLargeError(f"more than {self.limits.max_total_bytes} bytes uncompressed", entry=name)
        compressed = max(self._counting.consumed, 1)
        if self.total_read > self.limits.ratio_floor and self.total_read > self.limits.max_ratio * compressed:
            raise RatioError(f"compression ratio above {self.limits.max_ratio:g}:1", entry=name)

    def close(self) -> None:
        self._tar.close()

    def __enter__(self) -> SafeTar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _LimitedMember(CountedMember):
    """A tar member's stream; every read is counted against the archive's limits."""

    BROKEN = (tarfile.TarError, zlib.error, EOFError, OSError)
    ENDS_EARLY = "the archive ends early"

    def __init__(self, archive: SafeTar, name: str, raw: IO[bytes]) -> None:
        super().__init__(name, raw)
        self._archive = archive

    def _count(self, delta: int) -> None:
        self._archive._account(self._member_name, delta)

    def close(self) -> None:
        # The tar stream owns the member's bytes: closing a member must not close the archive's file.
        io.RawIOBase.close(self)
