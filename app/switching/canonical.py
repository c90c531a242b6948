"""RFC 8785 (JSON Canonicalization Scheme) bytes and SHA-256 digests of delivered items.

The bank and every destination hash the same canonical bytes (docs/switching.md, "Items, manifests and
receipts"), so an item's digest survives any JSON round trip: key order, whitespace, escapes and number
spellings (`1.0` / `1` / `1e0`) all canonicalise to one form. The pinned `rfc8785` package does the encoding.

What cannot be canonical is refused *before* encoding, with a typed `NotCanonical` error and the JSON path of
the offending value, rather than rfc8785's bare exceptions deep inside a transfer:

- NaN and the infinities (`float_domain`): JSON has no spelling for them;
- integers outside ±(2^53 − 1) (`integer_domain`), which RFC 8785 (I-JSON) cannot represent exactly;
- floats of magnitude 2^53 or more (`integer_domain` too): RFC 8785 writes those below 1e21 without a fraction or
  an exponent (`1e20` → `100000000000000000000`), so a destination that parses the JSON back gets an integer beyond
  2^53 and can no longer canonicalise the item it was sent: its digest check would fail;
- strings with lone surrogates (`bad_string`), which are not Unicode text;
- anything that is not JSON: other types, non-string keys (`not_json`).

The converters never produce these (they turn a non-finite or out-of-range number into null); the check is for
everything else that is hashed.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import rfc8785

# The exact-integer range of an IEEE 754 double, which RFC 8785 / I-JSON numbers are.
MAX_SAFE_INTEGER = 2**53 - 1


class NotCanonical(ValueError):
    """A value that has no RFC 8785 form. `code` is one of "float_domain", "integer_domain", "bad_string",
    "not_json"; `path` is where it sits (`$`, `$.items[3].value`)."""

    def __init__(self, code: str, path: str, message: str) -> None:
        super().__init__(f"{message} at {path}")
        self.code = code
        self.path = path


def canonical(obj: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of a JSON value (dicts, lists or tuples, str, int, float, bool, None).
    Raises `NotCanonical` for a value that has none (see the module docstring)."""
    _check(obj, "$")
    try:
        return rfc8785.dumps(obj)
    except rfc8785.CanonicalizationError as exc:  # _check should have caught it; keep the error typed anyway
        raise NotCanonical("not_json", "$", str(exc)) from exc


def digest(item: Any) -> str:
    """The hex SHA-256 of `canonical(item)`: a delivered item's `sha256` in pushes, pages, manifests and receipts."""
    return hashlib.sha256(canonical(item)).hexdigest()


def _check(value: Any, path: str) -> None:
    # An explicit stack rather than recursion: a deeply nested value is refused by type, never by RecursionError.
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        value, path = stack.pop()
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, str):
            _check_string(value, path)
        elif isinstance(value, int):
            if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                raise NotCanonical("integer_domain", path, f"integer {value} is outside ±(2^53 − 1)")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise NotCanonical("float_domain", path, f"{value} has no JSON form")
            if abs(value) > MAX_SAFE_INTEGER:
                raise NotCanonical("integer_domain", path, f"number {value!r} is beyond 2^53 and would read back as an integer")
        elif isinstance(value, dict):
            for key, child in value.items():
                if not isinstance(key, str):
                    raise NotCanonical("not_json", path, f"object key {key!r} is not a string")
                _check_string(key, path)
                stack.append((child, f"{path}.{key}"))
        elif isinstance(value, list | tuple):
            stack.extend((child, f"{path}[{index}]") for index, child in enumerate(value))
        else:
            raise NotCanonical("not_json", path, f"a {type(value).__name__} is not a JSON value")


def _check_string(text: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise NotCanonical("bad_string", path, "a string with a lone surrogate is not Unicode text") from exc
