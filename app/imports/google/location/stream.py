"""The bytes of one Location History file: its head (read once, for sniffing, then given back before the rest,
so the stream need not seek), ijson over them, and ijson's errors as FormatError "json"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson

from app.imports.summary import FormatError

SNIFF_BYTES = 64 * 1024
READ_BYTES = 256 * 1024
BOM = b"\xef\xbb\xbf"


def _first_line(exc: Exception) -> str:
    text = exc.args[0] if exc.args else str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text).split("\n", 1)[0].strip()  # yajl's next lines quote the file's bytes: not for messages


class _Rejoined:
    """The bytes already read for sniffing, then the rest of the stream (for streams that cannot seek)."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = head
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size == 0:
                return b""
            if size < 0:
                data, self._head = self._head + self._stream.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            return data
        return self._stream.read(size)


def _read_head(stream: BinaryIO) -> tuple[bytes, bool]:
    parts: list[bytes] = []
    size = 0
    while size < SNIFF_BYTES:
        chunk = stream.read(SNIFF_BYTES - size)
        if not chunk:
            return b"".join(parts), True
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts), False


def _json_error(exc: Exception) -> FormatError:
    return FormatError("json", f"the file is not valid JSON ({_first_line(exc)})")


def _json_errors(items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    try:
        yield from items
    except ijson.JSONError as exc:
        raise _json_error(exc) from exc


def _items(source: _Rejoined, prefix: str) -> Iterator[Any]:
    return ijson.items(source, prefix, use_float=True, buf_size=READ_BYTES)
