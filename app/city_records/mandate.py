"""The 委任状 (mandate): who mandates whom to ask 柏市 for which records, for what, when, and that it may be
withdrawn. A compact JWS (ES256) under the bank's signing key (`app.signing`), so 柏市's system — or anyone — can
check it against the bank's public keys at /.well-known/jwks.json; the resident can read and download it.

The resident's part is their authenticated instruction on the bank's page (logged in, CSRF-protected form); the
bank's signature attests to that instruction and to the text. The wording of the fixed fields is a demo's.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from app.city_records.deadline import japan_date
from app.config import Settings
from app.consent.models import BANK, Recipient
from app.signing import BadSignature, sign, verify

TYP = "disclosure-mandate+jws"
ASSERTION_TYP = "JWT"
LIFETIME = timedelta(days=120)  # long enough for 30 days, a 30-day extension and the delivery; withdrawn any time
RECORDS = "子育て関連の行政サービス利用履歴"
RECORD_HOLDER = "柏市"
ADDRESSEE = "柏市長"
TITLE = "委任状（保有個人情報の開示請求）"
ACT = "保有個人情報の開示請求、並びに開示決定等の通知及び開示の受領"
SUBJECTS = "委任者本人に関する記録（委任者が法定代理人として請求できる、未成年の子に関する記録を含む）"
PURPOSE = ("委任者が自らの記録を情報銀行 Azukari に預け、委任者の同意の範囲で、子育て支援サービスのご案内"
           "（すでに利用したサービスの表示など）に役立てるため")
LEGAL_BASIS = "個人情報の保護に関する法律 第76条第2項（本人の委任による代理人による開示請求）"
WITHDRAWAL = "委任者はこの委任をいつでも撤回できます。撤回は受任者が直ちに柏市に通知します。"
STATEMENT = "私は、上記の受任者を代理人と定め、上記の権限を委任します。"
# When the catalogue is not loaded (a bare test database), the bank still names itself.
DEFAULT_AGENT = ("Azukari 情報銀行（運営事業者）", "")


def api_base(settings: Settings) -> str:
    """Where 柏市's disclosure API is: the mandate's and the client assertion's audience."""
    return f"{settings.kashiwa_city_url.rstrip('/')}/disclosure"


def issuer(settings: Settings) -> str:
    return settings.public_url.rstrip("/")


def build(session: Session, settings: Settings, *, request_id: uuid.UUID, name: str, birth_date: date,
          address: str, period_from: date, period_to: date, now: datetime) -> dict[str, Any]:
    """The mandate's payload (canonical JSON is what is signed)."""
    bank = session.get(Recipient, BANK)
    agent_name, agent_address = (bank.legal_name, bank.address) if bank is not None else DEFAULT_AGENT
    issued = int(now.timestamp())
    return {
        "jti": str(request_id),
        "iss": issuer(settings),
        "aud": api_base(settings),
        "iat": issued,
        "exp": issued + int(LIFETIME.total_seconds()),
        "date": japan_date(now).isoformat(),
        "title": TITLE,
        "addressee": ADDRESSEE,
        "mandator": {"name": name, "birth_date": birth_date.isoformat(), "address": address},
        "agent": {"name": agent_name, "address": agent_address, "url": issuer(settings)},
        "scope": {"act": ACT, "records": RECORDS, "record_holder": RECORD_HOLDER, "subjects": SUBJECTS,
                  "period": {"from": period_from.isoformat(), "to": period_to.isoformat()}},
        "purpose": PURPOSE,
        "legal_basis": LEGAL_BASIS,
        "withdrawal": WITHDRAWAL,
        "statement": STATEMENT,
    }


def sign_mandate(payload: dict[str, Any]) -> str:
    return sign(payload, typ=TYP)


def read(jws: str) -> dict[str, Any] | None:
    """The payload of a mandate the bank signed (None if the signature no longer verifies: a rotated key)."""
    try:
        return verify(jws, typ=TYP)
    except BadSignature:
        return None


def contents(jws: str) -> dict[str, Any]:
    """What a stored mandate says, for the resident's page: verified when the current key still verifies it, else
    read as stored (the bank's own copy; a rotated key must not hide the text)."""
    verified = read(jws)
    if verified is not None:
        return verified
    try:
        payload = json.loads(base64.urlsafe_b64decode(jws.split(".")[1] + "=="))
    except (IndexError, ValueError):
        return {}
    return payload if isinstance(payload, dict) else {}


def client_assertion(settings: Settings, *, now: datetime, jti: str) -> str:
    """The bank's credential at 柏市's API (RFC 7523 §3 claims, sent as a bearer): a JWT under the same signing key,
    iss = sub = the bank's URL, aud = the API, one minute, a jti used once."""
    issued = int(now.timestamp())
    return sign({"iss": issuer(settings), "sub": issuer(settings), "aud": api_base(settings), "iat": issued,
                 "exp": issued + 60, "jti": jti}, typ=ASSERTION_TYP)
