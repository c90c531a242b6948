"""Consent receipts: ISO/IEC TS 27560 records, signed by the bank, verifiable by anyone with the public JWKS —
checked here with PyJWT, a JOSE library the bank does not use, and on the public check page."""

from __future__ import annotations

import base64
import io
import json
import uuid
from datetime import datetime, timedelta

import jwt
import pytest
from flask.testing import FlaskClient
from jwt.exceptions import InvalidSignatureError
from sqlmodel import Session, select

from app.accounts.models import Resident
from app.consent.catalogue import OfferView
from app.consent.models import ConsentReceipt
from tests.conftest import csrf_token
from tests.factories.accounts import ResidentFactory

BANK_OFFER = ("azukari", "municipal_recommendation")
PARTNER_OFFER = ("kashiwanoha_partner", "event_recommendation")
ISO_FIELDS = {"schema_version", "record_id", "subject", "controllers", "recipients", "purposes", "personal_data",
              "legal_basis", "event", "event_time", "expiry"}


def b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def flip_byte(token: str, part: int) -> str:
    """The token with one byte of its payload (part 1) or signature (part 2) flipped, re-encoded properly."""
    parts = token.split(".")
    raw = bytearray(b64url_decode(parts[part]))
    raw[len(raw) // 2] ^= 0x01
    parts[part] = b64url_encode(bytes(raw))
    return ".".join(parts)


def give(client: FlaskClient, view: OfferView, items: list[str]) -> str:
    """Consent through the page; the id of the receipt the bank redirects to."""
    response = client.post(f"/consents/{view.offer.id}/grant",
                           data={"csrf_token": csrf_token(client, "/consents"), "items": items})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert location.startswith("/consents/receipts/")
    return location.removeprefix("/consents/receipts/")


def receipt_row(db: Session, receipt_id: str) -> ConsentReceipt:
    row = db.get(ConsentReceipt, uuid.UUID(receipt_id))
    assert row is not None
    return row


def bank_key(client: FlaskClient) -> jwt.PyJWK:
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    (key,) = jwt.PyJWKSet.from_dict(response.get_json()).keys
    return key


def decode(token: str, key: jwt.PyJWK) -> tuple[dict, dict]:
    """(header, payload) of a compact JWS verified with PyJWT, or InvalidSignatureError."""
    result = jwt.PyJWS().decode_complete(token, key=key, algorithms=["ES256"])
    return result["header"], json.loads(result["payload"])


@pytest.fixture
def resident(client: FlaskClient, login, offers) -> Resident:  # type: ignore[no-untyped-def]
    resident = ResidentFactory(locale="en")
    login(client, resident)
    return resident


def test_a_downloaded_receipt_verifies_with_an_independent_jose_library(client, db, resident, offers) -> None:  # type: ignore[no-untyped-def]
    receipt_id = give(client, offers[PARTNER_OFFER], ["age_bands", "town_group"])
    download = client.get(f"/consents/receipts/{receipt_id}.jws")
    assert download.status_code == 200
    assert download.mimetype == "application/jose"
    assert f"consent-receipt-{receipt_id}.jws" in download.headers["Content-Disposition"]
    token = download.get_data(as_text=True)
    key = bank_key(client)

    header, body = decode(token, key)
    assert header["alg"] == "ES256" and header["typ"] == "consent-receipt+jws"
    assert header["kid"] == key.key_id
    assert body == receipt_row(db, receipt_id).body
    assert body["record_id"] == receipt_id


@pytest.mark.parametrize("part", [1, 2], ids=["payload", "signature"])
def test_one_flipped_byte_fails_both_the_independent_check_and_the_public_page(client, app, resident, offers,
                                                                               part) -> None:  # type: ignore[no-untyped-def]
    receipt_id = give(client, offers[BANK_OFFER], ["children_count"])
    token = client.get(f"/consents/receipts/{receipt_id}.jws").get_data(as_text=True)
    tampered = flip_byte(token, part)
    assert tampered != token
    key = bank_key(client)
    with pytest.raises(InvalidSignatureError):
        decode(tampered, key)

    anyone = app.test_client()  # the public page needs no login
    headers = {"Accept-Language": "en"}
    page = "/receipts/verify"
    assert anyone.get(page, headers=headers).status_code == 200
    good = anyone.post(page, headers=headers, data={"csrf_token": csrf_token(anyone, page), "jws": token})
    assert good.status_code == 200, good.get_data(as_text=True)[:6000]
    assert "Valid: Azukari issued this receipt" in good.get_data(as_text=True)
    bad = anyone.post(page, headers=headers, data={"csrf_token": csrf_token(anyone, page), "jws": tampered})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Not valid" in text and "Valid: Azukari issued" not in text


def test_the_public_page_checks_an_uploaded_receipt_file_too(client, app, resident, offers) -> None:  # type: ignore[no-untyped-def]
    receipt_id = give(client, offers[BANK_OFFER], ["town_group"])
    token = client.get(f"/consents/receipts/{receipt_id}.jws").get_data(as_text=True)
    anyone = app.test_client()
    headers = {"Accept-Language": "en"}
    for content, status in ((token, 200), (flip_byte(token, 1), 422), ("not a receipt", 422)):
        response = anyone.post("/receipts/verify", headers=headers, content_type="multipart/form-data", data={
            "csrf_token": csrf_token(anyone, "/receipts/verify"),
            "file": (io.BytesIO(content.encode()), "consent-receipt.jws"),
        })
        assert response.status_code == status, content[:40]


def test_the_receipt_has_the_iso_27560_fields_and_never_the_email(client, db, resident, offers) -> None:  # type: ignore[no-untyped-def]
    view = offers[PARTNER_OFFER]
    receipt_id = give(client, view, ["town_group"])
    token = client.get(f"/consents/receipts/{receipt_id}.jws").get_data(as_text=True)
    _, body = decode(token, bank_key(client))

    assert set(body) >= ISO_FIELDS
    assert body["schema_version"] == "ISO/IEC TS 27560:2023"
    assert body["record_id"] == receipt_id
    assert body["subject"] == resident.principal
    assert [c["name"] for c in body["controllers"]] == [offers[BANK_OFFER].recipient.legal_name]
    assert [r["name"] for r in body["recipients"]] == [view.recipient.legal_name]
    assert [p["id"] for p in body["purposes"]] == [view.purpose.key]
    assert [d["id"] for d in body["personal_data"]] == ["town_group"]
    assert body["legal_basis"] == "dpv:Consent"
    assert body["event"] == "dpv:ConsentGiven"
    given, expiry = datetime.fromisoformat(body["event_time"]), datetime.fromisoformat(body["expiry"])
    assert expiry - given == timedelta(days=365)
    # Pseudonymous: the resident's email appears nowhere, not in the body, not in the signed bytes.
    assert resident.email not in json.dumps(body, ensure_ascii=False)
    assert resident.email.encode() not in b64url_decode(token.split(".")[1])
    assert resident.email not in token


def test_a_withdrawal_receipt_for_the_bank_itself_names_no_third_party(client, db, resident, offers) -> None:  # type: ignore[no-untyped-def]
    view = offers[BANK_OFFER]
    give(client, view, ["children_count", "town_group"])
    response = client.post(f"/consents/{view.offer.id}/withdraw",
                           data={"csrf_token": csrf_token(client, "/consents"), "items": ["town_group"]})
    assert response.status_code == 303
    db.expire_all()
    latest = db.exec(select(ConsentReceipt).where(ConsentReceipt.resident_id == resident.id,
                                                   ConsentReceipt.event == "withdrawn")).one()
    _, body = decode(latest.jws, bank_key(client))
    assert body["event"] == "dpv:ConsentWithdrawn" and body["expiry"] is None
    assert [d["id"] for d in body["personal_data"]] == ["town_group"]
    assert body["recipients"] == []  # the bank processing under the mandate: nobody else receives anything
    assert body["subject"] == resident.principal
