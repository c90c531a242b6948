"""`SanitizingReader`: the byte stream the strict parser reads, with the `<!DOCTYPE … ]>` block removed
(iOS 16+ exports ship a broken internal DTD) and the control characters XML 1.0 forbids (stray `\\x0b`)
deleted, while streaming. Entity declarations found in the removed DOCTYPE are reported, never expanded."""

from __future__ import annotations

import re
from typing import BinaryIO

from app.imports.summary import HealthImportError, ImportSummary

MiB = 1024**2
PROLOG_LIMIT = 8 * MiB
CHUNK = 1 * MiB

# XML 1.0 forbids C0 controls except TAB, LF, CR. In UTF-8 these bytes never occur inside a multi-byte
# sequence, so deleting them byte-wise is safe.
_FORBIDDEN = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])

_ELEMENT_START = re.compile(rb"<[A-Za-z_:]")
_SUBSET_END = re.compile(rb"\]\s*>")
_ENTITY_DECL = re.compile(rb"<!ENTITY\s+(%\s+)?([^\s>]+)")
_EXPORT_VERSION = re.compile(rb"HealthKit Export Version:\s*(\d+)")


class SanitizingReader:
    """File-like wrapper: drops the DOCTYPE declaration and XML-forbidden control characters while streaming."""

    def __init__(self, raw: BinaryIO, summary: ImportSummary | None = None, *, prolog_limit: int = PROLOG_LIMIT) -> None:
        self._raw = raw
        self._summary = summary if summary is not None else ImportSummary()
        self._prolog_limit = prolog_limit
        self._pending = b""
        self._in_prolog = True
        self._eof = False
        self.control_chars_removed = 0

    def _clean(self, data: bytes) -> bytes:
        cleaned = data.translate(None, _FORBIDDEN)
        removed = len(data) - len(cleaned)
        if removed:
            self.control_chars_removed += removed
            self._summary.warn("control_characters_removed", "characters forbidden in XML 1.0 were removed", removed)
        return cleaned

    def _fill_prolog(self) -> None:
        buf = b""
        while True:
            if buf.startswith((b"\xff\xfe", b"\xfe\xff")) or buf[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
                raise HealthImportError("encoding", "UTF-16 exports are not supported")
            done = self._split_prolog(buf)
            if done is not None:
                self._pending = done
                self._in_prolog = False
                return
            if len(buf) > self._prolog_limit:
                raise HealthImportError("prolog", f"no document element within the first {self._prolog_limit} bytes")
            chunk = self._raw.read(CHUNK)
            if not chunk:
                done = self._split_prolog(buf, final=True)
                if done is not None:
                    self._pending, self._in_prolog = done, False
                    return
                if not buf.strip():
                    raise HealthImportError("xml", "empty document")
                raise HealthImportError("prolog", "document ends inside the prolog or an unterminated DOCTYPE")
            buf += chunk

    def _split_prolog(self, buf: bytes, *, final: bool = False) -> bytes | None:
        """The prolog with every DOCTYPE removed, once `buf` holds enough to decide; else None.

        The prolog is scanned construct by construct (XML declaration, processing instructions, comments,
        DOCTYPEs), so a `<` inside a comment is not taken for the document element, and nothing but those may
        come before it: anything else is refused rather than handed to the parser.
        """
        out = bytearray()
        pos = 3 if buf.startswith(b"\xef\xbb\xbf") else 0
        out += buf[:pos]
        while True:
            space = len(buf[pos:]) - len(buf[pos:].lstrip())
            out += buf[pos:pos + space]
            pos += space
            if pos >= len(buf) or (len(buf) - pos < 9 and not final):
                return None  # (a `<!DOCTYPE` may be cut at the chunk's end)
            if buf.startswith(b"<?", pos) or buf.startswith(b"<!--", pos):
                end = buf.find(b"?>" if buf[pos + 1] == ord("?") else b"-->", pos + 2)
                if end == -1:
                    return None
                end += 2 if buf[pos + 1] == ord("?") else 3
                out += buf[pos:end]
                pos = end
            elif buf.startswith(b"<!DOCTYPE", pos):
                end = self._doctype_end(buf, pos)
                if end is None:
                    return None
                pos = end
            elif _ELEMENT_START.match(buf, pos):
                return bytes(out) + buf[pos:]
            else:
                raise HealthImportError("prolog", "unexpected content before the document element")

    def _doctype_end(self, buf: bytes, doctype: int) -> int | None:
        """Where the DOCTYPE at `doctype` ends (its entity declarations are noted, never used); None if not yet known."""
        bracket = buf.find(b"[", doctype)
        close = buf.find(b">", doctype)
        if close == -1 and bracket == -1:
            return None
        if bracket != -1 and (close == -1 or bracket < close):
            end_match = _SUBSET_END.search(buf, bracket)
            if end_match is None:
                return None
            end = end_match.end()
            subset = buf[bracket:end]
            header = buf[doctype:bracket]
        else:
            end = close + 1
            subset = b""
            header = buf[doctype:end]
        self._note_doctype(header, subset)
        return end

    def _note_doctype(self, header: bytes, subset: bytes) -> None:
        summary = self._summary
        summary.doctype_removed = True
        version = _EXPORT_VERSION.search(subset)
        if version:
            summary.export_version = int(version.group(1))
        if b"SYSTEM" in header or b"PUBLIC" in header:
            summary.warn("external_dtd_removed", "a reference to an external DTD was removed, never fetched")
        names = [m.group(2).decode("utf-8", "replace") for m in _ENTITY_DECL.finditer(subset)]
        if names:
            # Apple's DTD declares elements and attributes only: an entity declaration (internal, external or a
            # parameter entity) has no business in an export, and the file is refused whether or not it is used.
            raise HealthImportError(
                "entity", "the document declares XML entities, which are never read: " + ", ".join(sorted(set(names))[:20]))

    def read(self, size: int = -1) -> bytes:
        # An empty answer means the end to the parser: a chunk that was all forbidden characters must not be one.
        if self._in_prolog:
            self._fill_prolog()
        while self._pending:
            if size is None or size < 0 or size >= len(self._pending):
                out, self._pending = self._pending, b""
            else:
                out, self._pending = self._pending[:size], self._pending[size:]
            cleaned = self._clean(out)
            if cleaned:
                return cleaned
        while not self._eof:
            data = self._raw.read(CHUNK if size is None or size < 0 else size)
            if not data:
                self._eof = True
                break
            cleaned = self._clean(data)
            if cleaned:
                return cleaned
        return b""
