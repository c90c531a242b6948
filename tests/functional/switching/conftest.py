"""Switching through the Flask test client: a source (`google-export`) and a destination (`blog-a`) as the bank's
OAuth clients, each with its own key, and hanako's transfer of case i (docs/switching.md)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from joserfc import jws
from joserfc.jwk import ECKey
from sqlmodel import Session

from app.config import Settings
from app.oauth import clients
from app.switching import registry
from tests.functional.oauth.conftest import (  # noqa: F401  (fixtures)
    RecipientSystem,
    allow,
    hanako,
    hanako_browser,
    loaded_catalogue,
    new_key,
    offers,
    redirect_params,
)
from tests.unit.switching import samples

GOOGLE_ITEMS = ["blog_posts", "profile", "interests", "location_history", "calendar_events", "viewing_history"]
BLOG_ITEMS = ["blog_posts", "profile", "interests"]
GOOGLE_REDIRECT = "https://google.example.jp/azukari/callback"
BLOG_REDIRECT = "https://blog-a.example.jp/azukari/callback"
# Case i as Google sends it: a profile, two posts, a comment and its reply, a subscription (6 interchange items).
CASE_I_RECORDS: list[dict[str, Any]] = [samples.USER, samples.POST_LIVE, samples.POST_DRAFT, samples.COMMENT,
                                        samples.REPLY, samples.SUBSCRIPTION]
CASE_I_COUNTS = {"blogger#user": 1, "blogger#post": 2, "blogger#comment": 2, "youtube#subscription": 1}


def register(db: Session, client_id: str, key: ECKey, recipient: str, purpose: str, scopes: list[str],
             redirect_uri: str) -> None:
    clients.register(db, clients.ClientRegistration(
        client_id=client_id, name=client_id, recipient_key=recipient, purpose_key=purpose, redirect_uris=[redirect_uri],
        scopes=scopes, jwks={"keys": [key.as_dict(private=False)]}), actor="test")
    db.flush()


@pytest.fixture
def google(app: Flask, db: Session, settings: Settings, offers) -> RecipientSystem:  # type: ignore[no-untyped-def]  # noqa: F811
    key = new_key()
    with app.app_context():
        register(db, "google-export", key, "azukari", "switching_intake", GOOGLE_ITEMS, GOOGLE_REDIRECT)
    return RecipientSystem("google-export", key, settings.public_url.rstrip("/"), app.test_client(),
                           redirect_uri=GOOGLE_REDIRECT)


@pytest.fixture
def blog_a(app: Flask, db: Session, settings: Settings, offers) -> RecipientSystem:  # type: ignore[no-untyped-def]  # noqa: F811
    key = new_key()
    with app.app_context():
        register(db, "blog-a", key, "blog_a", "transfer_blog", BLOG_ITEMS, BLOG_REDIRECT)
    return RecipientSystem("blog-a", key, settings.public_url.rstrip("/"), app.test_client(), redirect_uri=BLOG_REDIRECT)


def token_for(system: RecipientSystem, browser: Any, items: list[str]) -> str:
    """The resident allows `items` to the client on the bank's consent screen; the client's access token."""
    params = redirect_params(allow(browser, system.authorize_url(scope=" ".join(items)), items))
    answer = system.exchange(params["code"])
    assert answer.status_code == 200, answer.get_json()
    return str(answer.get_json()["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def signed_receipt(system: RecipientSystem, payload: dict[str, Any]) -> str:
    """A receipt as a destination signs it: compact JWS, ES256, with its key's kid."""
    import json

    return jws.serialize_compact({"alg": "ES256", "kid": system.key.kid},
                                 json.dumps(payload).encode(), system.key, algorithms=["ES256"])


CASE_I = registry.CASES["i"]
