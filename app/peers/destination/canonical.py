"""Digests of items: SHA-256 over the RFC 8785 (JSON Canonicalization Scheme) form of the item.

The bank and the destination serialise the same item differently (key order, whitespace, `1.0` or `1`), so a
digest over the bytes that travelled would not match; over the canonical form it does. The pinned `rfc8785`
package does the canonicalisation (number forms per ECMAScript, UTF-16 key order).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import rfc8785

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class NotCanonicalisable(ValueError):
    """The value has no RFC 8785 form (a float that is NaN or infinite, an integer past 2**53, ...)."""


def canonical_bytes(value: Any) -> bytes:
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as error:
        raise NotCanonicalisable(str(error)) from error


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def item_digest(item: Any) -> str:
    """The contract's digest of one item (docs/switching.md "Items, manifests and receipts")."""
    return sha256_hex(canonical_bytes(item))


def is_digest(value: Any) -> bool:
    return isinstance(value, str) and SHA256_HEX.match(value) is not None
