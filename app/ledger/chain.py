"""The ledger's hashes, as pure functions: anyone holding an export can recompute them.

- payload digest = SHA-256( salt (its hex text, ASCII) ‖ canonical JSON of the payload )
- record hash    = SHA-256( canonical JSON of {"at", "chain", "kind", "payload", "prev", "seq"} )
  where `at` is the UTC time with microseconds (`2026-11-26T04:05:06.000123+00:00`), `chain` the chain's UUID,
  `prev` the previous record's hash (64 zeros for seq 1) and `payload` the payload digest.
- anchor digest  = SHA-256( canonical JSON of {"at", "heads": [[chain id, seq, record hash], …]} )

Canonical JSON is `app.signing.canonical_json` (sorted keys, no spaces, UTF-8). The salt makes the digest of a
small payload (a count, a yes/no) impossible to guess once the payload is erased; the chain rows keep only hashes.
These functions are frozen: changing them breaks the verification of every chain already written (the
migration that moved the 法30条 receipts into the ledger uses them too).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from app.signing import canonical_json

ZERO_HASH = "0" * 64
SALT_BYTES = 16


def new_salt() -> str:
    return secrets.token_hex(SALT_BYTES)


def normalise_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as it reads back from a JSON column (tuples become lists, keys strings); TypeError for
    anything JSON cannot hold, so a payload is digested exactly as it will be stored."""
    if not isinstance(payload, dict):
        raise TypeError("a ledger payload is a JSON object")
    return json.loads(canonical_json(payload))


def payload_digest(salt: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256(salt.encode("ascii") + canonical_json(payload)).hexdigest()


def timestamp(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("ledger times are aware UTC")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def record_hash(*, chain_id: uuid.UUID | str, seq: int, kind: str, at: datetime, prev_hash: str,
                payload_digest: str) -> str:
    fields = {"at": timestamp(at), "chain": str(chain_id), "kind": str(kind), "payload": payload_digest,
              "prev": prev_hash, "seq": seq}
    return hashlib.sha256(canonical_json(fields)).hexdigest()


def anchor_digest(at: datetime, heads: list[list[Any]]) -> str:
    return hashlib.sha256(canonical_json({"at": timestamp(at), "heads": heads})).hexdigest()
