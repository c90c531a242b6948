"""柏市's disclosure API refuses anything the bank did not sign: the client assertion (bearer) and the mandate are
checked against the bank's JWKS fetched over HTTP. Forged (another key under the bank's kid), tampered (a changed
payload under the original signature), replayed, misaddressed or expired: refused. The real thing is accepted, and
filing it again is the same request."""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import date, timedelta

import pytest
import requests
from joserfc import jws
from joserfc.jwk import ECKey

from app.city_records import mandate
from app.db import utcnow
from app.signing import canonical_json, key_id, sign


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def bank(app, db, settings, city):  # type: ignore[no-untyped-def]
    """Signing as the bank does (in an app context only while signing)."""

    class Bank:
        def assertion(self, **changes):  # type: ignore[no-untyped-def]
            with app.app_context():
                token = mandate.client_assertion(settings, now=utcnow(), jti=secrets.token_urlsafe(16))
            if not changes:
                return token
            claims = {**json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "==")), **changes}
            with app.app_context():
                return sign(claims, typ="JWT")  # the bank's own key, with the claims changed

        def payload(self, request_id=None):  # type: ignore[no-untyped-def]
            with app.app_context():
                return mandate.build(db, settings, request_id=request_id or uuid.uuid4(), name="柏の葉 花子",
                                     birth_date=date(1991, 6, 15), address="千葉県柏市柏の葉二丁目3番地1",
                                     period_from=date(2023, 11, 27), period_to=date(2026, 11, 26), now=utcnow())

        def sign(self, payload):  # type: ignore[no-untyped-def]
            with app.app_context():
                return mandate.sign_mandate(payload)

        def kid(self):  # type: ignore[no-untyped-def]
            with app.app_context():
                return key_id()

    return Bank()


def file(city, token, jws_text):  # type: ignore[no-untyped-def]
    return requests.post(f"{city}/disclosure/requests", json={"mandate": jws_text},
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)


def test_the_real_mandate_is_received_once_per_id(city, bank) -> None:  # type: ignore[no-untyped-def]
    payload = bank.payload()
    signed = bank.sign(payload)
    first = file(city, bank.assertion(), signed)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["status"] == "received" and body["id"] == payload["jti"] and body["receipt_number"].startswith("柏個開第")
    assert file(city, bank.assertion(), signed).status_code == 200  # the same mandate again: the same request
    other = bank.sign({**payload, "iat": payload["iat"] + 1})  # another mandate under the same id
    assert file(city, bank.assertion(), other).json()["error"] == "conflict"


def test_a_tampered_mandate_is_refused(city, bank) -> None:  # type: ignore[no-untyped-def]
    header, body, signature = bank.sign(bank.payload()).split(".")
    changed = json.loads(base64.urlsafe_b64decode(body + "=="))
    changed["mandator"]["name"] = "若柴 太郎"
    tampered = ".".join([header, b64(canonical_json(changed)), signature])
    answer = file(city, bank.assertion(), tampered)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_mandate"


def test_a_forged_mandate_is_refused(city, bank) -> None:  # type: ignore[no-untyped-def]
    forger = ECKey.generate_key("P-256", private=True)
    forged = jws.serialize_compact({"alg": "ES256", "kid": bank.kid(), "typ": mandate.TYP},
                                   canonical_json(bank.payload()), forger)
    answer = file(city, bank.assertion(), forged)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_mandate"


def test_a_mandate_for_another_window_or_out_of_date_is_refused(city, bank) -> None:  # type: ignore[no-untyped-def]
    elsewhere = bank.sign({**bank.payload(), "aud": "http://127.0.0.99:5100/disclosure"})
    assert file(city, bank.assertion(), elsewhere).json()["error"] == "invalid_mandate"
    expired = bank.sign({**bank.payload(), "exp": int((utcnow() - timedelta(minutes=1)).timestamp())})
    assert file(city, bank.assertion(), expired).json()["error"] == "invalid_mandate"
    other_records = bank.payload()
    other_records["scope"]["records"] = "住民票"
    assert file(city, bank.assertion(), bank.sign(other_records)).json()["error"] == "invalid_mandate"


def test_the_banks_credential_is_checked(city, bank) -> None:  # type: ignore[no-untyped-def]
    signed = bank.sign(bank.payload())
    forger = ECKey.generate_key("P-256", private=True)
    now = int(utcnow().timestamp())
    forged = jws.serialize_compact({"alg": "ES256", "kid": bank.kid(), "typ": "JWT"}, canonical_json(
        {"iss": "http://localhost", "sub": "http://localhost", "aud": f"{city}/disclosure", "iat": now, "exp": now + 60,
         "jti": "x"}), forger)
    for token in (forged, bank.assertion(aud="http://elsewhere/disclosure"), bank.assertion(iss="http://evil"),
                  bank.assertion(exp=now + 3600), "not-a-jwt"):
        answer = file(city, token, signed)
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_client", token
        assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
    once = bank.assertion()
    assert file(city, once, signed).status_code == 201
    replay = requests.get(f"{city}/disclosure/requests/{uuid.uuid4()}", headers={"Authorization": f"Bearer {once}"},
                          timeout=10)
    assert replay.status_code == 401  # a jti is accepted once
    unknown = requests.get(f"{city}/disclosure/requests/{uuid.uuid4()}",
                           headers={"Authorization": f"Bearer {bank.assertion()}"}, timeout=10)
    assert unknown.status_code == 404
