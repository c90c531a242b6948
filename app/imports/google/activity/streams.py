"""A file's first bytes (after a UTF-8 BOM and leading whitespace) read to tell its kind, and the stream put back
together so that the reader starts from its beginning."""

from __future__ import annotations

from typing import BinaryIO

SNIFF_BYTES = 64 * 1024
_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"


class _Replay:
    """A byte stream with the bytes already read from it put back in front."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head, self._rest = head, rest

    def read(self, size: int | None = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                out, self._head = self._head + self._rest.read(), b""
                return out
            out, self._head = self._head[:size], self._head[size:]
            return out
        return self._rest.read(size if size is not None else -1)


def _open(stream: BinaryIO, limit: int = SNIFF_BYTES) -> tuple[bytes, _Replay]:
    """(the first bytes (≤ `limit`) after a BOM and leading whitespace; the stream from after the BOM)."""
    head = b""
    while len(head) < limit:
        chunk = stream.read(limit - len(head))
        if not chunk:
            break
        head += chunk
    if head.startswith(_BOM):
        head = head[3:]
    return head.lstrip(_WHITESPACE), _Replay(head, stream)


class _Empty:
    """A stream with nothing left in it: a head read alone, as if it were the whole file (the sniffers)."""

    def read(self, size: int = -1) -> bytes:
        return b""

