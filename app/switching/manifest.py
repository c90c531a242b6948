"""The bank's manifest of a transfer, the destination's signed receipt, and the comparison of the two
(docs/switching.md, "Items, manifests and receipts").

- `build_manifest` lists what the bank sends: `{"manifest_version": 1, "job", "source", "destination", "format",
  "created_at", "items": [{"id", "sha256"}] (sorted by id), "counts": {"<kind>": n}}`, counts per interchange kind
  from the id prefix `<kind>:`.
- `verify_receipt` checks a receipt's compact JWS (ES256 only, the key chosen by `kid` from the destination's
  JWKS), then its `iss` and `job`, and returns the payload; any failure is a `ReceiptInvalid` with a stable
  `reason`, so the saga can record why a receipt was refused.
- `compare` says item by item what the destination did not store (`missing`), stored with another digest
  (`changed`), or stored without being sent (`unexpected`), and whether the counts agree.

Pure: no database, no network (the caller fetches the JWKS).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from app.switching.canonical import digest
from app.switching.sources.ids import kind_of

MANIFEST_VERSION = 1
RECEIPT_VERSION = 1
RECEIPT_ALG = "ES256"  # the only algorithm a receipt may use: never "none", never a shared-secret HMAC
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_ENTRY_KEYS = frozenset(("id", "sha256"))


class DuplicateItem(ValueError):
    """Two items with one id and different digests: the bank would send the destination a conflict."""

    def __init__(self, item_id: str) -> None:
        super().__init__(f"two different items share the id {item_id!r}")
        self.item_id = item_id


class ReceiptInvalid(Exception):
    """A receipt refused. `reason`: "malformed" (not a compact JWS), "wrong_alg" (anything but ES256),
    "unknown_kid" (no `kid`, or no P-256 signing key with it in the JWKS), "bad_jwks" (no key list, or the key named is
    unreadable),
    "bad_signature", "malformed_payload" (not the receipt's JSON shape), "wrong_version", "wrong_issuer",
    "wrong_job"."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


@dataclass(frozen=True)
class Comparison:
    """A manifest against a receipt: ids sorted; `counts_equal` compares the two `counts` maps (zeros ignored)."""

    missing: list[str]
    changed: list[str]
    unexpected: list[str]
    counts_equal: bool

    @property
    def matches(self) -> bool:
        return not (self.missing or self.changed or self.unexpected) and self.counts_equal

    def as_dict(self) -> dict[str, Any]:
        """The 409 `receipt_mismatch` body's lists (docs/switching.md, patterns 1 and 3)."""
        return {"missing": self.missing, "changed": self.changed, "unexpected": self.unexpected}


def manifest_entry(item: Mapping[str, Any]) -> dict[str, str]:
    """`{"id", "sha256"}` of a delivered item (its `id` must be `<kind>:<source id>`)."""
    item_id = item.get("id")
    if not isinstance(item_id, str):
        raise ValueError("a delivered item has a string id")
    kind_of(item_id)
    return {"id": item_id, "sha256": digest(dict(item))}


def build_manifest(job: str, source: str, destination: str, format: str,
                   items: Iterable[Mapping[str, Any] | tuple[str, str]], created_at: datetime | str) -> dict[str, Any]:
    """The manifest of a job. Each of `items` is either an entry already computed (a mapping with exactly the keys
    `id` and `sha256`, or an `(id, sha256)` pair) or a delivered item (any other mapping: a delivered item always
    has a `type`; its digest is computed). An id seen twice with one digest is listed once (the destination stores
    it once); with two digests it raises `DuplicateItem`. `created_at` is an aware datetime (written in UTC to the
    second) or an ISO 8601 text with an offset, kept as given."""
    entries: dict[str, str] = {}
    for item in items:
        if isinstance(item, tuple) or item.keys() == _ENTRY_KEYS:
            item_id, sha = item if isinstance(item, tuple) else (item["id"], item["sha256"])
            if not isinstance(item_id, str):
                raise ValueError("a manifest entry has a string id")
            kind_of(item_id)
            if not isinstance(sha, str) or not _SHA256_HEX.fullmatch(sha):
                raise ValueError(f"not a hex SHA-256 for {item_id!r}")
        else:
            entry = manifest_entry(item)
            item_id, sha = entry["id"], entry["sha256"]
        known = entries.setdefault(item_id, sha)
        if known != sha:
            raise DuplicateItem(item_id)
    ids = sorted(entries)
    return {
        "manifest_version": MANIFEST_VERSION,
        "job": job,
        "source": source,
        "destination": destination,
        "format": format,
        "created_at": _timestamp(created_at),
        "items": [{"id": item_id, "sha256": entries[item_id]} for item_id in ids],
        "counts": dict(sorted(Counter(kind_of(item_id) for item_id in ids).items())),
    }


def _timestamp(value: datetime | str) -> str:
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("created_at needs an offset")
        return value
    if value.tzinfo is None:
        raise ValueError("created_at must be an aware datetime")
    return value.astimezone(UTC).isoformat(timespec="seconds")


def compare(manifest: Mapping[str, Any], receipt_payload: Mapping[str, Any]) -> Comparison:
    """What the receipt says the destination stored, against what the manifest says the bank sent. An id the
    receipt lists twice counts as unexpected (the destination holds more than was sent)."""
    sent = {entry["id"]: entry["sha256"] for entry in manifest.get("items") or ()}
    stored: dict[str, str] = {}
    unexpected: set[str] = set()
    for entry in receipt_payload.get("items") or ():
        item_id, sha = entry["id"], entry["sha256"]
        if item_id in stored or item_id not in sent:
            unexpected.add(item_id)
        stored.setdefault(item_id, sha)
    missing = sorted(set(sent) - set(stored))
    changed = sorted(item_id for item_id, sha in stored.items() if item_id in sent and sent[item_id] != sha)
    return Comparison(missing=missing, changed=changed, unexpected=sorted(unexpected),
                      counts_equal=_nonzero(manifest.get("counts")) == _nonzero(receipt_payload.get("counts")))


def _nonzero(counts: Any) -> dict[str, Any]:
    return {kind: n for kind, n in counts.items() if n} if isinstance(counts, Mapping) else {}


def verify_receipt(token: str, jwks: Mapping[str, Any], *, issuer: str, job: str) -> dict[str, Any]:
    """The payload of a destination's receipt, once its ES256 signature verifies with the JWKS key named by its
    `kid` and its `iss`, `job` and shape are right; `ReceiptInvalid` otherwise."""
    payload = _payload(_signed_payload(token, jwks))
    if payload["iss"] != issuer:
        raise ReceiptInvalid("wrong_issuer", f"issued by {payload['iss']!r}, expected {issuer!r}")
    if payload["job"] != job:
        raise ReceiptInvalid("wrong_job", f"for job {payload['job']!r}, expected {job!r}")
    return payload


def verify_certificate(token: str, jwks: Mapping[str, Any], *, issuer: str, reference: str) -> dict[str, Any]:
    """The payload of a source's deletion certificate (docs/switching.md), once its ES256 signature verifies and its
    `iss`, `reference`, `services` and `deleted` counts are right; `ReceiptInvalid` otherwise."""
    try:
        payload = json.loads(_signed_payload(token, jwks))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReceiptInvalid("malformed_payload", "the payload is not JSON") from exc
    if not isinstance(payload, dict) or not all(isinstance(payload.get(n), str) for n in ("iss", "sub", "jti", "reference")):
        raise ReceiptInvalid("malformed_payload", "a certificate names iss, sub, jti and reference")
    if payload["iss"] != issuer:
        raise ReceiptInvalid("wrong_issuer", f"issued by {payload['iss']!r}, expected {issuer!r}")
    if payload["reference"] != reference:
        raise ReceiptInvalid("wrong_job", f"for {payload['reference']!r}, expected {reference!r}")
    services, deleted = payload.get("services"), payload.get("deleted")
    if not isinstance(services, list) or not all(isinstance(x, str) for x in services) or not isinstance(deleted, dict) \
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in deleted.values()):
        raise ReceiptInvalid("malformed_payload", "services is not a list of names or deleted not a map of counts")
    return payload


def _signed_payload(token: str, jwks: Mapping[str, Any]) -> bytes:
    """The payload bytes of a compact JWS whose ES256 signature verifies with the JWKS key its `kid` names."""
    if not isinstance(token, str) or token.count(".") != 2:
        raise ReceiptInvalid("malformed", "a receipt is a compact JWS (three dot-separated parts)")
    try:
        signed = jws.extract_compact(token.encode("ascii"))
        header = signed.headers()
    except (JoseError, ValueError, TypeError) as exc:  # UnicodeEncodeError is a ValueError
        raise ReceiptInvalid("malformed", f"unreadable JWS ({exc})") from exc
    if header.get("alg") != RECEIPT_ALG:
        raise ReceiptInvalid("wrong_alg", f"alg {header.get('alg')!r}; only {RECEIPT_ALG} is accepted")
    key = _key(jwks, header.get("kid"))
    try:
        valid = jws.validate_compact(signed, key, algorithms=[RECEIPT_ALG])
    except (JoseError, ValueError) as exc:  # e.g. an unknown `crit` header
        raise ReceiptInvalid("bad_signature", f"not verifiable ({exc})") from exc
    if not valid:
        raise ReceiptInvalid("bad_signature", "the signature does not verify")
    return bytes(signed.payload)


def _key(jwks: Mapping[str, Any], kid: Any) -> ECKey:
    if not isinstance(kid, str) or not kid:
        raise ReceiptInvalid("unknown_kid", "the receipt's header names no kid")
    published = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(published, list):
        raise ReceiptInvalid("bad_jwks", "the JWKS has no list of keys")
    for data in published:
        # Only a P-256 signing key can verify ES256: a key with this kid published for encryption, for another
        # algorithm or of another type is passed over (and never imported, so no other key type is parsed).
        if (isinstance(data, dict) and data.get("kid") == kid and data.get("kty") == "EC" and data.get("crv") == "P-256"
                and data.get("use") in (None, "sig") and data.get("alg") in (None, RECEIPT_ALG)):
            try:
                return ECKey.import_key(data)
            except (JoseError, ValueError, TypeError) as exc:
                raise ReceiptInvalid("bad_jwks", f"unreadable key {kid!r} ({exc})") from exc
    raise ReceiptInvalid("unknown_kid", f"no ES256 key {kid!r} in the JWKS")


def _payload(raw: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReceiptInvalid("malformed_payload", "the payload is not JSON") from exc
    if not isinstance(payload, dict):
        raise ReceiptInvalid("malformed_payload", "the payload is not a JSON object")
    if payload.get("receipt_version") != RECEIPT_VERSION:
        raise ReceiptInvalid("wrong_version", f"receipt_version {payload.get('receipt_version')!r}")
    for name in ("iss", "job", "received_at"):
        if not isinstance(payload.get(name), str):
            raise ReceiptInvalid("malformed_payload", f"{name} is not a string")
    items = payload.get("items")
    if not isinstance(items, list) or not all(
            isinstance(entry, dict) and isinstance(entry.get("id"), str)
            and isinstance(entry.get("sha256"), str) and _SHA256_HEX.fullmatch(entry["sha256"]) for entry in items):
        raise ReceiptInvalid("malformed_payload", "items is not a list of {id, sha256}")
    counts = payload.get("counts")
    if not isinstance(counts, dict) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts.values()):
        raise ReceiptInvalid("malformed_payload", "counts is not a map of kinds to counts")
    return payload
