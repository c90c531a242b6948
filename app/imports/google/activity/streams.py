"""A file's first bytes (after a UTF-8 BOM and leading whitespace) read to tell its kind, and the stream put back
together so that the reader starts from its beginning."""

from __future__ import annotations

from typing import BinaryIO

from app.imports.streams import Replay, read_head

SNIFF_BYTES = 64 * 1024
_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n"


def _open(stream: BinaryIO, limit: int = SNIFF_BYTES) -> tuple[bytes, Replay]:
    """(the first bytes (≤ `limit`) after a BOM and leading whitespace; the stream from after the BOM)."""
    head = read_head(stream, limit).removeprefix(_BOM)
    return head.lstrip(_WHITESPACE), Replay(head, stream)
