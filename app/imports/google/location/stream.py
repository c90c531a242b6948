"""The bytes of one Location History file: its head (read once, for sniffing, then given back before the rest,
so the stream need not seek), ijson over them, and ijson's errors as FormatError "json"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson

from app.imports.streams import Replay, read_head
from app.imports.summary import FormatError

SNIFF_BYTES = 64 * 1024
READ_BYTES = 256 * 1024
BOM = b"\xef\xbb\xbf"


def _first_line(exc: Exception) -> str:
    text = exc.args[0] if exc.args else str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text).split("\n", 1)[0].strip()  # yajl's next lines quote the file's bytes: not for messages


def _read_head(stream: BinaryIO) -> tuple[bytes, bool]:
    """(the first SNIFF_BYTES, whether that is the whole file)."""
    head = read_head(stream, SNIFF_BYTES)
    return head, len(head) < SNIFF_BYTES


def _json_error(exc: Exception) -> FormatError:
    return FormatError("json", f"the file is not valid JSON ({_first_line(exc)})")


def _json_errors(items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    try:
        yield from items
    except ijson.JSONError as exc:
        raise _json_error(exc) from exc


def _items(source: Replay, prefix: str) -> Iterator[Any]:
    return ijson.items(source, prefix, use_float=True, buf_size=READ_BYTES)
