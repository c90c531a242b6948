from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from app.accounts.providers import OAuthProvider
from app.ledger.models import DataReceipt

# The basis on which the bank receives data from a provider: the resident's own action and consent there.
CONSENT_BASIS = "本人による連携の操作と、提供元での本人の同意（OAuth 2.0 認可）"


def record_receipt(
    session: Session, *, principal: str, provider: OAuthProvider, items: Iterable[str], kept: bool, **details: object
) -> DataReceipt:
    """Write the APPI 法30条 record of one receipt, in the caller's transaction (with the data it records)."""
    source = provider.source
    receipt = DataReceipt(
        resident_principal=principal,
        source_key=provider.key,
        provider_name=source.legal_name,
        provider_address=source.address,
        provider_representative=source.representative,
        how_obtained=source.how_obtained,
        basis=CONSENT_BASIS,
        items=sorted(items),
        kept=kept,
        details=dict(details),
    )
    session.add(receipt)
    return receipt


def receipts_for(session: Session, principal: str, *, limit: int = 20) -> list[DataReceipt]:
    statement = (
        select(DataReceipt)
        .where(DataReceipt.resident_principal == principal)
        .order_by(col(DataReceipt.received_at).desc(), col(DataReceipt.id).desc())
        .limit(limit)
    )
    return list(session.exec(statement))
