"""The pass's codes: what a QR code carries, how it is signed and read. Pure functions (key and clock passed in).

A code is bytes, written in Crockford's base32 (digits and capitals without I, L, O, U: QR's alphanumeric mode
stores it compactly, and a clerk typing it from the screen cannot confuse 0 and O or 1 and I — both are read alike):

    rotating:  version 1 | "R" | pass id (5) | minute window (4)            | MAC (8)   -> 31 characters
    offline:   version 1 | "O" | pass id (5) | expiry, minutes (4) | nonce (4) | MAC (8)   -> 37 characters

The MAC is HMAC-SHA256 under a key derived from SECRET_KEY, cut to 64 bits: only the bank verifies codes, always
online, and scans are throttled, so a forgery would need ~2^63 tries. A code names the pass, never the account.
The rotating code changes every minute and is accepted for its minute and the one before (a slow scan, a clock a
little off); the offline codes are pre-issued in a batch, each valid for 24 hours. Each code, of either kind, is
accepted once: `PassScan` keeps the ones spent.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = 1
ROTATING, OFFLINE = b"R", b"O"
ROTATION = timedelta(seconds=60)
ROTATING_GRACE_WINDOWS = 1  # the previous minute's code is still accepted
OFFLINE_VALIDITY = timedelta(hours=24)
OFFLINE_BATCH_SIZE = 10
PASS_ID_BYTES, MAC_BYTES, NONCE_BYTES = 5, 8, 4
PREFIX = "AZ"  # what the scanner looks for first: a QR code of something else is "not a pass" at once

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {char: value for value, char in enumerate(ALPHABET)}
_DECODE.update({"O": 0, "I": 1, "L": 1})  # what a person may type for 0 and 1


class CodeInvalid(ValueError):
    """Not a code of ours: wrong shape, unknown version, or a MAC that does not match (forged or damaged)."""


class CodeExpired(ValueError):
    """A code of ours whose time is over (a rotating code from an earlier minute, an offline code after 24 h)."""


def pass_key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"azukari:pass-codes:v1").derive(secret_key.encode())


def encode32(raw: bytes) -> str:
    number, bits = int.from_bytes(raw, "big"), len(raw) * 8
    length = -(-bits // 5)
    number <<= length * 5 - bits
    return "".join(ALPHABET[(number >> (5 * (length - 1 - i))) & 31] for i in range(length))


def decode32(text: str, size: int) -> bytes:
    number = 0
    for char in text:
        value = _DECODE.get(char)
        if value is None:
            raise CodeInvalid(f"not a base32 character: {char!r}")
        number = number << 5 | value
    extra = len(text) * 5 - size * 8
    if extra < 0 or extra >= 5 or number & ((1 << extra) - 1):
        raise CodeInvalid("wrong length")
    return (number >> extra).to_bytes(size, "big")


def normalise(typed: str) -> str:
    """What a scanner read or a clerk typed, as a code: capitals, without spaces and hyphens."""
    return "".join(typed.split()).replace("-", "").upper()


def new_pass_id() -> str:
    return encode32(os.urandom(PASS_ID_BYTES))


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, body, hashlib.sha256).digest()[:MAC_BYTES]


def _window(at: datetime) -> int:
    return int(at.timestamp()) // int(ROTATION.total_seconds())


def rotating_code(key: bytes, pass_id: str, at: datetime) -> str:
    body = bytes([VERSION]) + ROTATING + decode32(pass_id, PASS_ID_BYTES) + struct.pack(">I", _window(at))
    return PREFIX + encode32(body + _mac(key, body))


def offline_code(key: bytes, pass_id: str, issued_at: datetime, nonce: bytes | None = None) -> str:
    expires = int((issued_at + OFFLINE_VALIDITY).timestamp()) // 60
    body = (bytes([VERSION]) + OFFLINE + decode32(pass_id, PASS_ID_BYTES) + struct.pack(">I", expires)
            + (nonce or os.urandom(NONCE_BYTES)))
    return PREFIX + encode32(body + _mac(key, body))


def offline_batch(key: bytes, pass_id: str, issued_at: datetime, size: int = OFFLINE_BATCH_SIZE) -> list[str]:
    return [offline_code(key, pass_id, issued_at) for _ in range(size)]


def next_rotation(at: datetime) -> datetime:
    """When the rotating code shown at `at` is replaced."""
    seconds = int(ROTATION.total_seconds())
    return datetime.fromtimestamp((_window(at) + 1) * seconds, UTC)


@dataclass(frozen=True)
class ReadCode:
    """A code that is ours and in time: which pass, and the code's own id (what `PassScan` keeps as spent)."""

    pass_id: str
    code_id: str
    offline: bool
    expires_at: datetime


def read(key: bytes, text: str, now: datetime) -> ReadCode:
    """Check a code's shape, MAC and time. Raises CodeInvalid (forged, damaged, not ours) or CodeExpired."""
    code = normalise(text)
    if not code.startswith(PREFIX):
        raise CodeInvalid("no prefix")
    code = code[len(PREFIX):]
    sizes = {31: 1 + 1 + PASS_ID_BYTES + 4 + MAC_BYTES, 37: 1 + 1 + PASS_ID_BYTES + 4 + NONCE_BYTES + MAC_BYTES}
    if len(code) not in sizes:
        raise CodeInvalid("wrong length")
    raw = decode32(code, sizes[len(code)])
    body, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(key, body)):
        raise CodeInvalid("MAC does not match")
    if body[0] != VERSION:
        raise CodeInvalid("unknown version")
    kind, pass_id = body[1:2], encode32(body[2:2 + PASS_ID_BYTES])
    (stamp,) = struct.unpack(">I", body[2 + PASS_ID_BYTES:6 + PASS_ID_BYTES])
    seconds = int(ROTATION.total_seconds())
    if kind == ROTATING and len(body) == 11:
        if not 0 <= _window(now) - stamp <= ROTATING_GRACE_WINDOWS:
            raise CodeExpired("rotating code outside its minutes")
        return ReadCode(pass_id, f"r{stamp}", False, datetime.fromtimestamp((stamp + 1 + ROTATING_GRACE_WINDOWS) * seconds, UTC))
    if kind == OFFLINE and len(body) == 15:
        expires_at = datetime.fromtimestamp(stamp * 60, UTC)
        if now >= expires_at or expires_at - now > OFFLINE_VALIDITY + ROTATION:
            raise CodeExpired("offline code out of its validity")
        return ReadCode(pass_id, f"o{body[-NONCE_BYTES:].hex()}", True, expires_at)
    raise CodeInvalid("unknown kind")


def grouped(code: str) -> str:
    """For reading aloud or typing: groups of four."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))
