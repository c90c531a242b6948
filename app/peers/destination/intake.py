"""Taking items in, the same way whichever side moves them: the bank pushing to the importer API, or this peer
pulling from the bank's transfer API. And the receipt: what was stored for a job, signed.

Each item is checked in the contract's order: its shape, its digest (over RFC 8785, so any serialisation of
the same item verifies), its type, its required fields, then whether the job already holds that id. Nothing of
a call is stored if the account would go past its quota.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.orm import Session

from app.peers.destination.canonical import NotCanonicalisable, canonical_bytes, is_digest, sha256_hex
from app.peers.destination.profile import DestinationProfile
from app.peers.destination.storage import (
    JOB_COMPLETED,
    Account,
    ImportJob,
    StoredItem,
    items_held,
    job_manifest,
    stored_digests,
)

JST = timezone(timedelta(hours=9), "JST")
MAX_ITEMS_PER_CALL = 500
MAX_ID_LENGTH = 512

INVALID_ITEM = "invalid_item"
DIGEST_MISMATCH = "digest_mismatch"
UNSUPPORTED_TYPE = "unsupported_type"
CONFLICT = "conflict"

# Signs a receipt payload as a compact JWS (ES256, kid): the peer's key, the one at /.well-known/jwks.json.
Signer = Callable[[dict[str, Any]], str]


class DestinationFull(Exception):
    """Storing the call would take the account past its quota (507 destination_full)."""


@dataclass
class Outcome:
    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected}


@dataclass(frozen=True, slots=True)
class _Checked:
    item_id: str
    item_type: str
    digest: str
    canonical: bytes


def receive(session: Session, profile: DestinationProfile, account: Account, job: ImportJob,
            envelopes: Sequence[Any], *, quota: int, drop_first: bool, now: int) -> Outcome:
    """Check and store `envelopes` (`{"id", "sha256", "item"}`) for `job`; the caller commits.

    `drop_first` is the `drop_item` switch: the call's first envelope is acknowledged but not stored.
    Raises `DestinationFull` before storing anything if the new items would not fit.
    """
    outcome = Outcome()
    checked: list[tuple[int, _Checked]] = []
    for index, envelope in enumerate(envelopes):
        result = _check(profile, envelope)
        if isinstance(result, _Checked):
            checked.append((index, result))
        else:
            outcome.rejected.append(result)
    known = stored_digests(session, job, [entry.item_id for _, entry in checked])
    to_store: list[tuple[int, _Checked]] = []
    for index, entry in checked:
        held = known.get(entry.item_id)
        if held is None:
            known[entry.item_id] = entry.digest  # a repeat later in the same call is a duplicate or a conflict
            outcome.accepted.append(entry.item_id)
            to_store.append((index, entry))
        elif held == entry.digest:
            outcome.duplicates.append(entry.item_id)
        else:
            outcome.rejected.append({"id": entry.item_id, "error": CONFLICT})
    if drop_first:
        to_store = [(index, entry) for index, entry in to_store if index != 0]
    if to_store and items_held(session, account) + len(to_store) > quota:
        raise DestinationFull
    for _, entry in to_store:
        session.add(StoredItem(job_id=job.id, account_id=account.id, item_id=entry.item_id, type=entry.item_type,
                               sha256=entry.digest, canonical=entry.canonical, stored_at=now))
    if to_store:
        job.last_stored_at = now
    return outcome


def _check(profile: DestinationProfile, envelope: Any) -> _Checked | dict[str, Any]:
    """The item ready to store, or its rejection."""
    envelope_id = envelope.get("id") if isinstance(envelope, dict) else None
    if not isinstance(envelope_id, str) or not 0 < len(envelope_id) <= MAX_ID_LENGTH:
        return {"id": envelope_id if isinstance(envelope_id, str) else None, "error": INVALID_ITEM}
    item, claimed = envelope.get("item"), envelope.get("sha256")
    if not isinstance(item, dict) or not is_digest(claimed):
        return {"id": envelope_id, "error": INVALID_ITEM}
    try:
        canonical = canonical_bytes(item)
    except NotCanonicalisable:
        return {"id": envelope_id, "error": INVALID_ITEM}
    digest = sha256_hex(canonical)
    if digest != claimed:
        return {"id": envelope_id, "error": DIGEST_MISMATCH}
    item_type = item.get("type")
    if not isinstance(item_type, str) or item.get("id") != envelope_id:
        return {"id": envelope_id, "error": INVALID_ITEM}
    if item_type not in profile.accepted_types:
        return {"id": envelope_id, "error": UNSUPPORTED_TYPE}
    if any(name not in item for name in profile.required_fields(item_type)):
        return {"id": envelope_id, "error": INVALID_ITEM}
    return _Checked(envelope_id, item_type, digest, canonical)


def kind_of(item_id: str) -> str:
    """The interchange kind an item id starts with (`"<kind>:<source id>"`); counts are kept per kind."""
    kind, separator, _ = item_id.partition(":")
    return kind if separator else item_id


def jst_iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, JST).isoformat(timespec="seconds")


def receipt_payload(session: Session, job: ImportJob, *, issuer: str, wrong_hash: bool) -> dict[str, Any]:
    """The receipt's claims, from what is stored for `job` (docs/switching.md "Items, manifests and receipts").

    `wrong_hash` is the switch of that name: the first item's digest is stated changed, as a destination whose
    copy was corrupted would state it.
    """
    items = [{"id": item_id, "sha256": digest} for item_id, digest in job_manifest(session, job)]
    if wrong_hash and items:
        items[0]["sha256"] = hashlib.sha256(("changed:" + items[0]["sha256"]).encode()).hexdigest()
    counts = Counter(kind_of(entry["id"]) for entry in items)
    return {
        "receipt_version": 1,
        "iss": issuer,
        "job": job.bank_job,
        "received_at": jst_iso(job.completed_at or job.last_stored_at or job.created_at),
        "items": items,
        "counts": dict(sorted(counts.items())),
    }


def mark_completed(job: ImportJob, now: int) -> None:
    """Fix `received_at`: at the first completion, and again if items arrived after the last one."""
    if job.completed_at is None or (job.last_stored_at or 0) > job.completed_at:
        job.completed_at = now
    job.status = JOB_COMPLETED
