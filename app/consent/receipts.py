"""Consent receipts: the ISO/IEC TS 27560 consent record (DPV terms; the Kantara Consent Receipt v1.1 names
alongside), signed as a compact JWS with the bank's key so anyone holding the public JWKS can verify it.

Field mapping (27560 → here): record id → `record_id`; schema → `schema_version`; PII principal → `subject`
(the resident's pseudonymous principal, never a name or email); controller → `controllers`; recipients →
`recipients`; purposes → `purposes` (`dpv:hasPurpose`); personal data → `personal_data` (`dpv:hasPersonalData`,
with `sensitive` for 要配慮); legal basis → `legal_basis`; consent status and time → `event`/`event_time`
(`dpv:ConsentGiven`, `dpv:ConsentWithdrawn`, `dpv:ConsentRenewed`); expiry → `expiry`; storage → `retention`.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from app import signing
from app.consent.models import DataItem, Purpose, Recipient

SCHEMA = "ISO/IEC TS 27560:2023"
RECEIPT_TYPE = "consent-receipt+jws"
DPV_EVENT = {"given": "dpv:ConsentGiven", "withdrawn": "dpv:ConsentWithdrawn", "renewed": "dpv:ConsentRenewed"}


def build(*, record_id: uuid.UUID, subject: str, event: str, at: datetime, expiry: datetime | None,
          controller: Recipient, recipient: Recipient, purpose: Purpose, items: list[DataItem],
          withdraw_url: str) -> dict[str, Any]:
    def party(r: Recipient) -> dict[str, str]:
        return {"name": r.legal_name, "address": r.address, "contact": r.contact, "privacy_policy": r.privacy_policy_url}

    return {
        "schema_version": SCHEMA,
        "record_id": str(record_id),
        "jurisdiction": "JP",
        "language": "ja",
        "subject": subject,
        "controllers": [party(controller)],
        "recipients": [] if recipient.key == controller.key else [party(recipient)],
        "purposes": [{
            "id": purpose.key,
            "description": purpose.name_ja,
            "benefit": purpose.benefit_ja,
            "dpv:hasPurpose": f"azukari:purpose/{purpose.key}",
        }],
        "personal_data": [{
            "id": item.key,
            "name": item.name_ja,
            "dpv:hasPersonalData": f"azukari:item/{item.key}",
            "sensitive": item.sensitivity == "special",
        } for item in items],
        "legal_basis": "dpv:Consent",  # APPI 法27条1項 (本人の同意); 要配慮 items: 法20条2項 explicit consent
        "consent_type": "dpv:ExpressedConsent",
        "event": DPV_EVENT[event],
        "event_time": at.isoformat(),
        "expiry": expiry.isoformat() if expiry else None,
        "retention": f"P{purpose.retention_days}D",
        "withdrawal": withdraw_url,
        # Kantara Consent Receipt v1.1 names for the same facts.
        "kantara": {
            "version": "KI-CR-v1.1.0",
            "consentReceiptID": str(record_id),
            "consentTimestamp": int(at.timestamp()),
            "piiPrincipalId": subject,
            "policyUrl": controller.privacy_policy_url,
            "sensitive": any(item.sensitivity == "special" for item in items),
        },
    }


def sign(body: dict[str, Any]) -> str:
    return signing.sign(body, typ=RECEIPT_TYPE)


def default_expiry(at: datetime, days: int = 365) -> datetime:
    return at + timedelta(days=days)
