"""Reading a file's first bytes to tell what it is, then handing the reader the whole stream again, without seeking
(zip entries and tar members cannot seek)."""

from __future__ import annotations

import io
from typing import IO


class Replay(io.RawIOBase):
    """A byte stream with the bytes already read from it (`head`) put back in front of the rest."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                out, self._head = self._head + self._rest.read(), b""
                return out
            out, self._head = self._head[:size], self._head[size:]
            return out
        return self._rest.read(-1 if size is None else size)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def read_head(stream: IO[bytes], limit: int) -> bytes:
    """Up to `limit` first bytes (fewer only at the end of the stream: a read may return less than asked)."""
    parts: list[bytes] = []
    size = 0
    while size < limit:
        chunk = stream.read(limit - size)
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)
