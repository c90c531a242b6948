"""The recipient toolkit without a bank: the client key and its JWKS, the private_key_jwt assertion (decoded with
PyJWT, as an independent implementation), configuration, and what the pages do when the bank is down."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import stat
import time
from pathlib import Path
from urllib.parse import parse_qs

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.peers.kashiwa_city import create_app as create_city
from app.peers.partner import create_app as create_partner
from app.peers.recipient import bank_issuer
from app.peers.recipient.bank import BANK_DOWN
from app.peers.recipient.keys import CLIENT_KEY_FILE, IssuerAudiencePrivateKeyJWT, client_assertion
from app.peers.recipient.storage import Link, now

# Nothing listens on the discard port: every call to this "bank" fails at once.
DOWN_BANK = "http://127.0.0.1:9"
ISSUER = "http://localhost:5000"


@pytest.fixture
def city(tmp_path: Path) -> Flask:
    return create_city(storage_dir=tmp_path, issuer=DOWN_BANK)


def csrf(client: FlaskClient, path: str = "/start") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match
    return match.group(1)


def decode(assertion: str, jwks: dict, *, audience: str, client_id: str) -> tuple[dict, dict]:
    header = jwt.get_unverified_header(assertion)
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    claims = jwt.decode(assertion, key.key, algorithms=["ES256"], audience=audience, issuer=client_id,
                        options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]})
    return header, claims


@pytest.mark.smoke
def test_client_key_is_private_kept_and_published_public_only(tmp_path: Path) -> None:
    first = create_city(storage_dir=tmp_path).test_client().get("/.well-known/jwks.json")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    [key] = first.json["keys"]
    assert key["kty"] == "EC" and key["crv"] == "P-256" and key["alg"] == "ES256" and key["use"] == "sig"
    assert "d" not in key
    # kid is the RFC 7638 thumbprint.
    assert key["kid"] == _thumbprint(key)
    key_file = tmp_path / "kashiwa-city" / CLIENT_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "PRIVATE KEY" in key_file.read_text()
    # A restart keeps the key; another peer has its own.
    assert create_city(storage_dir=tmp_path).test_client().get("/.well-known/jwks.json").json == first.json
    partner_keys = create_partner(storage_dir=tmp_path).test_client().get("/.well-known/jwks.json").json
    assert partner_keys["keys"][0]["kid"] != key["kid"]


def _thumbprint(key: dict) -> str:
    """RFC 7638, computed here rather than by the library under test."""
    canonical = json.dumps({name: key[name] for name in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


@pytest.mark.smoke
def test_assertion_is_es256_with_the_contracts_claims(city: Flask) -> None:
    jwks = city.test_client().get("/.well-known/jwks.json").json
    key = city.extensions["recipient"].bank.key
    before = int(time.time())
    first = client_assertion(key, client_id="kashiwa-city", audience=ISSUER)
    second = client_assertion(key, client_id="kashiwa-city", audience=ISSUER)
    header, claims = decode(first, jwks, audience=ISSUER, client_id="kashiwa-city")
    assert header["alg"] == "ES256" and header["kid"] == jwks["keys"][0]["kid"]
    assert claims["iss"] == claims["sub"] == "kashiwa-city" and claims["aud"] == ISSUER
    assert before <= claims["iat"] <= int(time.time()) and claims["exp"] - claims["iat"] == 60
    assert len(claims["jti"]) >= 32
    assert decode(second, jwks, audience=ISSUER, client_id="kashiwa-city")[1]["jti"] != claims["jti"]
    with pytest.raises(jwt.InvalidAudienceError):  # the audience is the issuer, not the token endpoint
        decode(first, jwks, audience=f"{ISSUER}/oauth/token", client_id="kashiwa-city")


def test_authlib_auth_method_sends_the_assertion_in_the_form(city: Flask) -> None:
    jwks = city.test_client().get("/.well-known/jwks.json").json
    bank = city.extensions["recipient"].bank
    session = bank._session()
    auth = session.client_auth(IssuerAudiencePrivateKeyJWT.name)
    _, _, body = auth.prepare("POST", f"{ISSUER}/oauth/token", {}, "grant_type=refresh_token&refresh_token=r")
    form = {name: values[0] for name, values in parse_qs(body).items()}
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert "client_secret" not in form and "client_id" not in form
    _, claims = decode(form["client_assertion"], jwks, audience=DOWN_BANK, client_id="kashiwa-city")
    assert claims["sub"] == "kashiwa-city"


def test_configuration_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert bank_issuer({}) == "http://localhost:5000"
    assert bank_issuer({"PUBLIC_URL": "http://localhost:5001/"}) == "http://localhost:5001"
    assert bank_issuer({"PUBLIC_URL": "http://x", "AZUKARI_ISSUER": "https://bank.example/ "}) == "https://bank.example"
    monkeypatch.setenv("AZUKARI_ISSUER", "http://127.0.0.1:5999/")
    monkeypatch.setenv("PARTNER_CLIENT_ID", "partner-test")
    bank = create_partner(storage_dir=tmp_path).extensions["recipient"].bank
    assert (bank.issuer, bank.client_id) == ("http://127.0.0.1:5999", "partner-test")
    monkeypatch.delenv("KASHIWA_CITY_CLIENT_ID", raising=False)
    assert create_city(storage_dir=tmp_path).extensions["recipient"].bank.client_id == "kashiwa-city"
    monkeypatch.delenv("PARTNER_CLIENT_ID")
    assert create_partner(storage_dir=tmp_path / "2").extensions["recipient"].bank.client_id == "kashiwanoha-partner"


@pytest.mark.smoke
def test_pages_render_in_japanese_without_inline_script_or_style(city: Flask, tmp_path: Path) -> None:
    client = city.test_client()
    for path, text in [("/start", "Azukari と連携する"), ("/", "今すぐ取得して案内を送る")]:
        page = client.get(path)
        assert page.status_code == 200 and text in page.text and '<html lang="ja">' in page.text
        assert "<script" not in page.text and "<style" not in page.text and "style=" not in page.text
    staff = client.get("/").text
    for value in ("kashiwa-city", "http://localhost/callback", "http://localhost/.well-known/jwks.json",
                  "children_count age_bands town_group notices", "kashiwa_kosodate", "municipal_recommendation"):
        assert value in staff
    event = create_partner(storage_dir=tmp_path).test_client().get("/events/ev_ashita_yogurt")
    assert event.status_code == 200 and "架空" in event.text and "まちの健康研究所" in event.text


def test_connect_needs_the_form_token_and_a_reachable_bank(city: Flask) -> None:
    client = city.test_client()
    assert client.post("/connect", data={}).status_code == 400
    page = client.post("/connect", data={"csrf_token": csrf(client)})
    assert page.status_code == 503 and BANK_DOWN in page.text


def test_a_callback_this_browser_did_not_start_is_refused(city: Flask) -> None:
    page = city.test_client().get(f"/callback?code=abc&state=forged&iss={DOWN_BANK}")
    assert page.status_code == 400 and "見つからないか" in page.text


def test_pull_with_the_bank_down_reports_an_error_not_a_500(city: Flask) -> None:
    puller = city.extensions["recipient"]
    with city.app_context():
        session = puller.db.session
        session.add(Link(subject="s" * 40, linked_at=now(), scope="children_count notices", access_token="a",
                         access_expires_at=now() + 300, refresh_token="r"))
        session.commit()
    client = city.test_client()
    [result] = client.post("/_test/pull", json={}).json
    assert result == {"sub": "s" * 40, "status": "error", "items": None, "notices_sent": [], "message": BANK_DOWN}
    [link] = client.get("/_test/links").json
    assert link["state"] == "active" and link["pull_status"] == "error"
    assert not {"access_token", "refresh_token"} & set(link) and '"a"' not in client.get("/_test/links").text

    page = client.post("/pull", data={"csrf_token": csrf(client, "/")}, follow_redirects=True)
    assert page.status_code == 200 and BANK_DOWN in page.text and "失敗しました" in page.text
    assert "ssssssss…" in page.text and "s" * 40 not in page.text


def test_test_controls_answer_loopback_only(city: Flask) -> None:
    client = city.test_client()
    outsider = {"REMOTE_ADDR": "192.0.2.1"}
    assert client.get("/_test/links", environ_base=outsider).status_code == 404
    assert client.post("/_test/pull", json={}, environ_base=outsider).status_code == 404
    assert client.post("/_test/pull", data="x").status_code == 415  # JSON only: no cross-site form can trigger it
