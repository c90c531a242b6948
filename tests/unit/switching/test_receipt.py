"""Verifying a destination's signed receipt (app/switching/manifest.py `verify_receipt`)."""

from __future__ import annotations

import base64
import json

import pytest
from joserfc import jws
from joserfc.jwk import ECKey, OctKey

from app.switching.manifest import ReceiptInvalid, verify_certificate, verify_receipt

ISSUER = "http://127.0.0.7"
JOB = "job-42"
KEY = ECKey.generate_key("P-256", parameters={"kid": "blog-a-1", "use": "sig", "alg": "ES256"})
OTHER = ECKey.generate_key("P-256", parameters={"kid": "blog-a-1"})
JWKS = {"keys": [{"kty": "oct", "kid": "shared", "k": base64.urlsafe_b64encode(b"x" * 32).decode().rstrip("=")},
                 KEY.as_dict(private=False)]}
SHA = "a" * 64


def _payload(**changes) -> dict:
    payload = {"receipt_version": 1, "iss": ISSUER, "job": JOB, "received_at": "2026-05-01T00:00:00Z",
               "items": [{"id": "post:x", "sha256": SHA}], "counts": {"post": 1}}
    payload.update(changes)
    return payload


def _sign(payload, key=KEY, header=None) -> str:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return jws.serialize_compact(header or {"alg": "ES256", "kid": "blog-a-1"}, body, key)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _reason(token, jwks=JWKS, issuer=ISSUER, job=JOB) -> str:
    with pytest.raises(ReceiptInvalid) as caught:
        verify_receipt(token, jwks, issuer=issuer, job=job)
    return caught.value.reason


def test_a_valid_receipt_gives_its_payload():
    assert verify_receipt(_sign(_payload()), JWKS, issuer=ISSUER, job=JOB) == _payload()


def test_a_tampered_payload_fails_the_signature():
    header, _, signature = _sign(_payload()).split(".")
    forged = _b64(json.dumps(_payload(items=[])).encode())
    assert _reason(f"{header}.{forged}.{signature}") == "bad_signature"
    assert _reason(_sign(_payload(), key=OTHER)) == "bad_signature"  # right kid, another key


def test_an_unknown_or_missing_kid_is_refused():
    assert _reason(_sign(_payload(), header={"alg": "ES256", "kid": "nope"})) == "unknown_kid"
    assert _reason(_sign(_payload(), header={"alg": "ES256"})) == "unknown_kid"
    encryption = {"keys": [{**KEY.as_dict(private=False), "use": "enc"}]}
    assert _reason(_sign(_payload()), jwks=encryption) == "unknown_kid"
    assert _reason(_sign(_payload()), jwks={"nokeys": []}) == "bad_jwks"


def test_alg_none_is_refused():
    header = _b64(json.dumps({"alg": "none", "kid": "blog-a-1"}).encode())
    token = f"{header}.{_b64(json.dumps(_payload()).encode())}."
    assert _reason(token) == "wrong_alg"


def test_hs256_is_refused_even_with_a_key_the_jwks_publishes():
    shared = OctKey.import_key(JWKS["keys"][0])
    token = jws.serialize_compact({"alg": "HS256", "kid": "shared"}, json.dumps(_payload()).encode(), shared)
    assert _reason(token) == "wrong_alg"
    # The EC key's public coordinates as an HMAC secret: the classic confusion attack.
    public = OctKey.import_key(json.dumps(KEY.as_dict(private=False)).encode())
    token = jws.serialize_compact({"alg": "HS256", "kid": "blog-a-1"}, json.dumps(_payload()).encode(), public)
    assert _reason(token) == "wrong_alg"


def test_wrong_issuer_or_job():
    assert _reason(_sign(_payload(iss="http://127.0.0.8"))) == "wrong_issuer"
    assert _reason(_sign(_payload(job="job-43"))) == "wrong_job"


@pytest.mark.parametrize("token", [None, "", "a.b", "a.b.c.d", "!!!.???.***", "e30.e30.", "日本.語.だ"])
def test_malformed_tokens(token):
    assert _reason(token) == "malformed"


@pytest.mark.parametrize(("payload", "reason"), [
    (b"not json", "malformed_payload"),
    (b"[1, 2]", "malformed_payload"),
    (_payload(receipt_version=2), "wrong_version"),
    (_payload(iss=None), "malformed_payload"),
    (_payload(items={"post:x": SHA}), "malformed_payload"),
    (_payload(items=[{"id": "post:x", "sha256": "short"}]), "malformed_payload"),
    (_payload(counts={"post": -1}), "malformed_payload"),
    (_payload(counts=[]), "malformed_payload"),
])
def test_malformed_payloads(payload, reason):
    assert _reason(_sign(payload)) == reason


# --- a source's deletion certificate (app/switching/deletion.py) -----------------------------------------------

CERTIFICATE = {"iss": ISSUER, "sub": "google-sub-1", "jti": "c-1", "iat": 1, "reference": JOB,
               "services": ["blogger", "youtube"], "deleted": {"post": 12, "comment": 20, "interest": 8}}


def test_a_deletion_certificate_verifies_with_the_sources_key() -> None:
    assert verify_certificate(_sign(CERTIFICATE), JWKS, issuer=ISSUER, reference=JOB) == CERTIFICATE


@pytest.mark.parametrize(("change", "key", "reason"), [
    ({}, OTHER, "bad_signature"),  # signed by someone else with the same kid
    ({"reference": "another-job"}, KEY, "wrong_job"),
    ({"iss": "http://127.0.0.254"}, KEY, "wrong_issuer"),
    ({"deleted": {"post": -1}}, KEY, "malformed_payload"),
    ({"services": "blogger"}, KEY, "malformed_payload"),
])
def test_a_certificate_that_is_not_the_sources_word_is_refused(change, key, reason) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ReceiptInvalid) as refused:
        verify_certificate(_sign({**CERTIFICATE, **change}, key=key), JWKS, issuer=ISSUER, reference=JOB)
    assert refused.value.reason == reason
