"""A recipient's system as the bank's OAuth client, driven through the Flask test client: its key pair, its
registration, and the calls it makes (private_key_jwt assertions built with joserfc, as any client library would)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlmodel import Session

from app.config import Settings
from app.consent.catalogue import OfferView
from app.oauth import clients
from app.oauth.client_auth import ASSERTION_TYPE
from app.oauth.models import OAuthClient
from tests.factories.accounts import ResidentFactory
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)

CITY = ("kashiwa_kosodate", "municipal_recommendation")
CITY_SCOPES = ["children_count", "age_bands", "town_group", "notices"]
REDIRECT_URI = "https://city.example.jp/azukari/callback"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class RecipientSystem:
    """What a recipient's system does against the bank; `http` is a test client without cookies (a machine)."""

    client_id: str
    key: ECKey
    issuer: str
    http: FlaskClient
    redirect_uri: str = REDIRECT_URI
    last_verifier: str = ""
    extra_claims: dict[str, Any] = field(default_factory=dict)

    def assertion(self, *, alg: str = "ES256", key: Any = None, **overrides: Any) -> str:
        now = int(time.time())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": self.issuer, "jti": secrets.token_urlsafe(16),
                  "iat": now, "exp": now + 60, **overrides}
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode({"alg": alg, "kid": (key or self.key).kid}, claims, key or self.key, algorithms=[alg])

    def auth(self, **overrides: Any) -> dict[str, str]:
        return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": self.assertion(**overrides)}

    def authorize_url(self, *, scope: str = " ".join(CITY_SCOPES), state: str = "st-1", challenge: str | None = None,
                      method: str | None = "S256", **extra: str) -> str:
        verifier, made_challenge = pkce_pair()
        self.last_verifier = verifier
        params = {"response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect_uri,
                  "scope": scope, "state": state, "code_challenge": made_challenge if challenge is None else challenge,
                  "code_challenge_method": method, **extra}
        return "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})

    def token(self, **form: Any) -> Any:
        return self.http.post("/oauth/token", data={**self.auth(), **form})

    def exchange(self, code: str, verifier: str | None = None, **extra: Any) -> Any:
        return self.token(grant_type="authorization_code", code=code, redirect_uri=self.redirect_uri,
                          code_verifier=verifier if verifier is not None else self.last_verifier, **extra)

    def refresh(self, refresh_token: str, **extra: Any) -> Any:
        return self.token(grant_type="refresh_token", refresh_token=refresh_token, **extra)

    def revoke(self, token: str, **extra: Any) -> Any:
        return self.http.post("/oauth/revoke", data={**self.auth(), "token": token, **extra})

    def introspect(self, token: str) -> Any:
        return self.http.post("/oauth/introspect", data={**self.auth(), "token": token})

    def me(self, access_token: str, items: str | None = None) -> Any:
        query = f"?items={items}" if items else ""
        return self.http.get(f"/api/v1/me{query}", headers={"Authorization": f"Bearer {access_token}"})

    def notice(self, access_token: str, **body: Any) -> Any:
        return self.http.post("/api/v1/notices", json=body, headers={"Authorization": f"Bearer {access_token}"})


def redirect_params(response: Any) -> dict[str, str]:
    assert response.status_code == 303, (response.status_code, response.get_data(as_text=True)[:500])
    location = response.headers["Location"]
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def consent_form_token(page: str) -> str:
    import re

    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, "no CSRF field on the consent page"
    return match.group(1)


def allow(browser: FlaskClient, url: str, items: list[str], decision: str = "allow") -> Any:
    """The resident opens the authorization URL and decides on the consent screen."""
    page = browser.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)[:400]
    return browser.post(url, data={"csrf_token": consent_form_token(page.get_data(as_text=True)),
                                   "decision": decision, "items": items})


def new_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"use": "sig"}, auto_kid=True)


def register_city(db: Session, key: ECKey, client_id: str = "kashiwa-city") -> OAuthClient:
    registration = clients.ClientRegistration(
        client_id=client_id, name="柏市 子育て支援システム", recipient_key=CITY[0], purpose_key=CITY[1],
        redirect_uris=[REDIRECT_URI], scopes=CITY_SCOPES, jwks={"keys": [key.as_dict(private=False)]})
    client = clients.register(db, registration, actor="test")
    db.flush()
    return client


@pytest.fixture
def city_key() -> ECKey:
    return new_key()


@pytest.fixture
def city(app: Flask, db: Session, settings: Settings, offers: dict[tuple[str, str], OfferView],  # noqa: F811
         city_key: ECKey) -> RecipientSystem:
    with app.app_context():
        register_city(db, city_key)
    return RecipientSystem("kashiwa-city", city_key, settings.public_url.rstrip("/"), app.test_client())


@pytest.fixture
def hanako(db: Session):  # type: ignore[no-untyped-def]
    return ResidentFactory()


@pytest.fixture
def hanako_browser(app: Flask, db: Session, hanako, login) -> FlaskClient:  # type: ignore[no-untyped-def]
    browser = app.test_client()
    login(browser, hanako)
    return browser


@pytest.fixture
def authorized(city: RecipientSystem, hanako_browser: FlaskClient) -> dict[str, Any]:
    """Hanako allowed 児童数 and 町丁目グループ; the city exchanged the code: the token response."""
    params = redirect_params(allow(hanako_browser, city.authorize_url(), ["children_count", "town_group"]))
    response = city.exchange(params["code"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()
