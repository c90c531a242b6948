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
from sqlmodel import Session

from app.accounts.models import Resident
from app.consent.catalogue import items_by_key, offer_for
from app.consent.decisions import grants_for, is_live
from app.consent.items import RESOLVERS
from app.consent.models import BANK, Purpose, Recipient
from app.db import utcnow
from app.errors import DomainError
from app.household.services import today
from app.ledger.models import LedgerRecord, RecordKind
from app.ledger.services import append, lock_chain


class ConsentRequired(DomainError):
    status = 403
    message = _l("There is no live consent for this use of the resident's data.")


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
    offer = offer_for(session, recipient, purpose)
    recipient_row = session.get(Recipient, recipient)
    purpose_row = session.get(Purpose, purpose)
    if offer is None or not offer.active or recipient_row is None or purpose_row is None:
        raise ConsentRequired()
    lock_chain(session, resident.principal)  # decisions take the same lock: the grants read below stay true
    grants = grants_for(session, resident, recipient, purpose)
    allowed = [key for key in dict.fromkeys(items) if key in offer.items and is_live(grants.get(key), now)]
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
