"""The one door to residents' data for any purpose (DESIGN: "Consent is enforced in one place").

`use` checks live consent for each requested item at this moment, returns only the consented items, and writes
the ledger record — processing by the bank, or a provision to a third party (APPI 法29条) — in the caller's
transaction. If the record cannot be written, the exception propagates and nothing is returned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from app.accounts.models import Resident
from app.consent.catalogue import items_by_key
from app.consent.decisions import is_live
from app.consent.items import RESOLVERS
from app.consent.models import BANK, Grant, Offer, Purpose, Recipient
from app.db import utcnow
from app.errors import DomainError
from app.household.services import today
from app.ledger.models import LedgerRecord, RecordKind
from app.ledger.services import append, lock_chain


class ConsentRequired(DomainError):
    status = 403
    message = _l("There is no live consent for this use of the resident's data.")


def live_consents(session: Session, resident: Resident, recipient: str, purpose: str,
                  now: datetime | None = None) -> dict[str, Grant]:
    """The items `use` would serve now for this recipient and purpose, with their grants: the offer is made, the
    item is part of it and its consent is live. Whoever decides whether a recipient may act (issue or keep a
    token, send a notice) asks this, never the grants directly. Read afresh from the database (not from objects
    the session may already hold), so that under the chain lock it sees what a withdrawal committed."""
    now = now or utcnow()
    offer = session.exec(select(Offer).where(Offer.recipient_key == recipient, Offer.purpose_key == purpose)
                         .execution_options(populate_existing=True)).first()
    if offer is None or not offer.active:
        return {}
    rows = session.exec(select(Grant).where(Grant.resident_id == resident.id, Grant.recipient_key == recipient,
                                            Grant.purpose_key == purpose).execution_options(populate_existing=True))
    grants = {row.item_key: row for row in rows}
    return {key: grants[key] for key in offer.items if is_live(grants.get(key), now)}


def use(session: Session, *, resident: Resident, recipient: str, purpose: str, items: Sequence[str],
        now: datetime | None = None) -> dict[str, Any]:
    """The values of the requested items that the resident consented to, for `recipient` and `purpose`, now."""
    values, _record = use_recorded(session, resident=resident, recipient=recipient, purpose=purpose, items=items,
                                   now=now)
    return values


def use_recorded(session: Session, *, resident: Resident, recipient: str, purpose: str, items: Sequence[str],
                 now: datetime | None = None, via: Mapping[str, str] | None = None,
                 ) -> tuple[dict[str, Any], LedgerRecord]:
    """`use`, also returning the ledger record it wrote; `via` says how the data left (e.g. the OAuth client and
    the API), for the 第三者提供記録."""
    now = now or utcnow()
    recipient_row = session.get(Recipient, recipient)
    purpose_row = session.get(Purpose, purpose)
    if recipient_row is None or purpose_row is None:
        raise ConsentRequired()
    lock_chain(session, resident.principal)  # decisions take the same lock: the grants read below stay true
    grants = live_consents(session, resident, recipient, purpose, now)
    allowed = [key for key in dict.fromkeys(items) if key in grants]
    if not allowed:
        raise ConsentRequired()
    on = today()
    values = {key: RESOLVERS[key](session, resident, on) for key in allowed}
    kind = RecordKind.PROCESSING if recipient == BANK else RecordKind.PROVISION
    record = append(session, subject=resident.principal, kind=kind, at=now, payload={
        "recipient": recipient,
        "recipient_name": recipient_row.legal_name,
        "purpose": purpose,
        "purpose_name": purpose_row.name_ja,
        "items": allowed,
        "item_names": {key: item.name_ja for key, item in items_by_key(session).items() if key in allowed},
        "withheld": [key for key in items if key not in allowed],
        "consent_receipts": sorted({str(grants[key].receipt_id) for key in allowed}),
        "date": now.isoformat(),
        **({"via": dict(via)} if via else {}),
    })
    session.flush()  # the record is in the database before any value leaves this function
    # The caller commits before the values leave the process (one transaction per request: the response is sent
    # after the commit), so a provision is never delivered without its record. `now` is for tests of expiry.
    return values, record
