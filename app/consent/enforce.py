"""The one door to residents' data for any purpose (DESIGN: "Consent is enforced in one place").

`use` checks live consent for each requested item at this moment, returns only the consented items, and writes
the ledger record — processing by the bank, or a provision to a third party (APPI 法29条) — in the caller's
transaction. If the record cannot be written, the exception propagates and nothing is returned.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from app.accounts.models import Resident
from app.consent import special_care
from app.consent.catalogue import items_by_key
from app.consent.items import resolve_many
from app.consent.models import BANK, DataItem, Grant, Offer, Purpose, Recipient, Sensitivity
from app.db import in_values, utcnow
from app.errors import DomainError
from app.household.services import today
from app.ledger.models import RecordKind
from app.ledger.services import NewRecord, WrittenRecord, append_many, lock_chains


class ConsentRequired(DomainError):
    status = 403
    message = _l("There is no live consent for this use of the resident's data.")


def live_consents(session: Session, resident: Resident, recipient: str, purpose: str,
                  now: datetime | None = None) -> dict[str, LiveGrant]:
    """The items `use` would serve now for this recipient and purpose, with their grants: the offer is made, the
    item is part of it and its consent is live. Whoever decides whether a recipient may act (issue or keep a
    token, send a notice) asks this, never the grants directly. Read afresh from the database (columns, never
    objects the session may already hold), so that under the chain lock it sees what a withdrawal committed."""
    return live_consents_many(session, [resident.id], recipient, purpose, now)[resident.id]


class LiveGrant(NamedTuple):
    """A live grant as the door reads it: the columns its callers use, not the ORM object (the batch reads tens of
    thousands)."""

    item_key: str
    decided_at: datetime
    expires_at: datetime
    receipt_id: uuid.UUID | None


def live_consents_many(session: Session, resident_ids: Sequence[uuid.UUID], recipient: str, purpose: str,
                       now: datetime | None = None) -> dict[uuid.UUID, dict[str, LiveGrant]]:
    """`live_consents` for many residents, in two queries: {resident id: {item: grant}} (an empty dict for a
    resident with none)."""
    now = now or utcnow()
    found: dict[uuid.UUID, dict[str, LiveGrant]] = {resident_id: {} for resident_id in resident_ids}
    offer = session.exec(select(Offer).where(Offer.recipient_key == recipient, Offer.purpose_key == purpose)
                         .execution_options(populate_existing=True)).first()
    if offer is None or not offer.active or not found:
        return found
    rows = session.execute(
        select(Grant.resident_id, Grant.item_key, Grant.decided_at, Grant.expires_at, Grant.receipt_id)
        .where(in_values(session, col(Grant.resident_id), found), Grant.recipient_key == recipient,
               Grant.purpose_key == purpose, col(Grant.item_key).in_(_servable(session, offer.items)),
               col(Grant.granted).is_(True),
               col(Grant.expires_at) > now))  # is_live, in SQL: granted, with an end, not yet ended
    for resident_id, item_key, decided_at, expires_at, receipt_id in rows:
        found[resident_id][item_key] = LiveGrant(item_key, decided_at, expires_at, receipt_id)
    return found


def _servable(session: Session, keys: Sequence[str]) -> list[str]:
    """The offer's items but a 要配慮 one outside the 指針 Ver3.0 list (B5): such an item is never served, whatever
    grant a row made before the list (or by hand) may still hold."""
    special = session.exec(select(DataItem).where(DataItem.sensitivity == Sensitivity.SPECIAL.value))
    blocked = {item.key for item in special if not special_care.pickable(item)}
    return [key for key in keys if key not in blocked]


def use(session: Session, *, resident: Resident, recipient: str, purpose: str, items: Sequence[str],
        now: datetime | None = None) -> dict[str, Any]:
    """The values of the requested items that the resident consented to, for `recipient` and `purpose`, now."""
    values, _record = use_recorded(session, resident=resident, recipient=recipient, purpose=purpose, items=items,
                                   now=now)
    return values


def use_recorded(session: Session, *, resident: Resident, recipient: str, purpose: str, items: Sequence[str],
                 now: datetime | None = None, via: Mapping[str, str] | None = None,
                 ) -> tuple[dict[str, Any], WrittenRecord]:
    """`use`, also returning the ledger record it wrote; `via` says how the data left (e.g. the OAuth client and
    the API), for the 第三者提供記録."""
    used = use_recorded_many(session, residents=[resident], recipient=recipient, purpose=purpose, items=items,
                             now=now, via=via)
    if resident.id not in used:
        raise ConsentRequired()
    return used[resident.id]


def use_recorded_many(session: Session, *, residents: Sequence[Resident], recipient: str, purpose: str,
                      items: Sequence[str], now: datetime | None = None, via: Mapping[str, str] | None = None,
                      on: date | None = None) -> dict[uuid.UUID, tuple[dict[str, Any], WrittenRecord]]:
    """`use_recorded` for many residents at once (the daily batch of feeds): {resident id: (values, record)} for
    those with a live consent to at least one of the items; the others are left out, and nothing of theirs is
    read or recorded. The same steps as for one: lock the chains, read the live grants under the lock, read only
    the allowed items, write one record per resident.

    `on` is the day the values are for (an age class, a household's area: a monthly statistic reads them as of the
    month's end); today by default. Consent is always checked now."""
    now = now or utcnow()
    recipient_row = session.get(Recipient, recipient)
    purpose_row = session.get(Purpose, purpose)
    if recipient_row is None or purpose_row is None:
        return {}
    # Decisions take the same locks: the grants read below stay true until the caller's transaction ends.
    chains = lock_chains(session, [resident.principal for resident in residents])
    live = live_consents_many(session, [resident.id for resident in residents], recipient, purpose, now)
    allowed = {resident.id: [key for key in dict.fromkeys(items) if key in live[resident.id]] for resident in residents}
    users = [resident for resident in residents if allowed[resident.id]]
    if not users:
        return {}
    on = on or today()
    wanted = sorted({key for resident in users for key in allowed[resident.id]})
    resolved = resolve_many(session, users, wanted, on)
    kind = RecordKind.PROCESSING if recipient == BANK else RecordKind.PROVISION
    names = {key: item.name_ja for key, item in items_by_key(session).items()}
    records = append_many(session, [NewRecord(chains[resident.principal], kind, at=now, payload={
        "recipient": recipient,
        "recipient_name": recipient_row.legal_name,
        "purpose": purpose,
        "purpose_name": purpose_row.name_ja,
        "items": allowed[resident.id],
        "item_names": {key: names[key] for key in allowed[resident.id] if key in names},
        "withheld": [key for key in items if key not in allowed[resident.id]],
        "consent_receipts": sorted({str(live[resident.id][key].receipt_id) for key in allowed[resident.id]}),
        "date": now.isoformat(),
        **({"via": dict(via)} if via else {}),
    }) for resident in users])
    # The records are in the database before any value leaves this function. The caller commits before the values
    # leave the process (one transaction per request: the response is sent after the commit), so a provision is
    # never delivered without its record. `now` is for tests of expiry.
    return {resident.id: ({key: resolved[resident.id][key] for key in allowed[resident.id]}, record)
            for resident, record in zip(users, records, strict=True)}
