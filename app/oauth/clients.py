"""The client registry: the operator registers a recipient's system for one of its approved offers."""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry
from sqlalchemy import update
from sqlmodel import Session, col, select

from app import audit
from app.audit import EventTag
from app.consent.catalogue import items_by_key, offer_for
from app.consent.models import DataItem, Sensitivity
from app.db import utcnow
from app.errors import Conflict, DomainError, NotFound
from app.oauth.hardening import acceptable_redirect_uri
from app.oauth.models import OAuthClient, OAuthToken
from app.oauth.scopes import NOTICES

CLIENT_ID = re.compile(r"[a-z0-9][a-z0-9-]{2,63}")
MAX_NAME, MAX_URI = 200, 300  # the columns' limits (a redirect URI is also stored with each code: ≤ 500)
# Keys a client may verify with: the curves and sizes of ES256/PS256, and not so large that verifying is costly.
EC_CURVES = {"P-256"}
RSA_BITS = range(2048, 4097)


class InvalidClientRegistration(DomainError):
    status = 422
    message = _l("The client registration is not valid.")


@dataclass(frozen=True)
class ClientRegistration:
    client_id: str
    name: str
    recipient_key: str
    purpose_key: str
    redirect_uris: list[str]
    scopes: list[str]
    jwks: dict[str, Any] | None = None
    jwks_uri: str = ""


def parse_jwks(text: str) -> dict[str, Any] | None:
    if not text.strip():
        return None
    try:
        document = json.loads(text)
    except ValueError:
        raise InvalidClientRegistration(str(_l("The key set is not valid JSON."))) from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list) or not keys or not all(isinstance(k, dict) and k.get("kty") for k in keys):
        raise InvalidClientRegistration(str(_l("The key set needs a \"keys\" list of public keys.")))
    if any(private in key for key in keys for private in ("d", "p", "q", "k")):
        raise InvalidClientRegistration(str(_l("The key set holds a private key: register only public keys.")))
    return document


def registrable_items(session: Session) -> dict[str, DataItem]:
    """The items the registry offers as scopes: never a 要配慮 one, listed in the 指針 Ver3.0 list or not (B5)."""
    return {key: item for key, item in items_by_key(session).items() if item.sensitivity != Sensitivity.SPECIAL}


def register(session: Session, registration: ClientRegistration, *, actor: str, ip: str | None = None,
             replace: bool = False) -> OAuthClient:
    """Check and store a client. Only an active offer's items may be scopes (never 要配慮 items: those are
    consented to in the bank's own screens, after a fresh login), plus `notices`."""
    if not CLIENT_ID.fullmatch(registration.client_id):
        raise InvalidClientRegistration(str(_l("The client ID must be 3–64 lowercase letters, digits or hyphens.")))
    offer = offer_for(session, registration.recipient_key, registration.purpose_key)
    if offer is None or not offer.active:
        raise InvalidClientRegistration(str(_l("There is no active offer for this recipient and purpose.")))
    items = items_by_key(session)
    scopes = list(dict.fromkeys(registration.scopes))
    for scope in scopes:
        if scope == NOTICES:
            continue
        if scope not in offer.items:
            raise InvalidClientRegistration(str(_l("A scope is not an item of the offer: %(scope)s", scope=scope)))
        if items[scope].sensitivity == Sensitivity.SPECIAL:
            raise InvalidClientRegistration(str(_l("Special-care items cannot be given to a client.")))
    if not [s for s in scopes if s != NOTICES]:
        raise InvalidClientRegistration(str(_l("Choose at least one item.")))
    if not registration.name or len(registration.name) > MAX_NAME:
        raise InvalidClientRegistration(str(_l("Give the system a name of at most 200 characters.")))
    uris = list(dict.fromkeys(registration.redirect_uris))
    if not uris or not all(acceptable_redirect_uri(uri) and len(uri) <= MAX_URI for uri in uris):
        raise InvalidClientRegistration(str(_l(
            "Redirect URIs must be absolute https URLs without user information or fragment (http only on loopback).")))
    if bool(registration.jwks) == bool(registration.jwks_uri):
        raise InvalidClientRegistration(str(_l("Give either a key set or a key set URL.")))
    if registration.jwks:
        _check_keys(registration.jwks)
    if registration.jwks_uri and (not acceptable_redirect_uri(registration.jwks_uri)
                                  or len(registration.jwks_uri) > MAX_URI):
        raise InvalidClientRegistration(str(_l("The key set URL must be an https URL (http only on loopback).")))
    client = session.get(OAuthClient, registration.client_id)
    if client is not None and not replace:
        raise Conflict(str(_l("This client ID is already registered.")))
    if client is not None and (client.recipient_key, client.purpose_key) != (offer.recipient_key, offer.purpose_key) \
            or client is not None and not set(scopes) >= set(client.scopes):
        # What the client's tokens were issued for changed: none of them may go on reading under the new terms.
        _revoke_all(session, client.client_id, "client_reregistered")
    client = client or OAuthClient(client_id=registration.client_id, name=registration.name,
                                   recipient_key=registration.recipient_key, purpose_key=registration.purpose_key,
                                   created_by=actor)
    client.name, client.recipient_key, client.purpose_key = registration.name, offer.recipient_key, offer.purpose_key
    client.redirect_uris, client.scopes = uris, scopes
    client.jwks, client.jwks_uri = registration.jwks, registration.jwks_uri
    session.add(client)  # a disabled client stays disabled: re-registering is not re-enabling
    audit.record(session, EventTag.OAUTH_CLIENT_REGISTER, actor=actor, ip=ip, client=client.client_id,
                 recipient=client.recipient_key, purpose=client.purpose_key, scopes=scopes)
    return client


def disable(session: Session, client_id: str, *, actor: str, ip: str | None = None) -> OAuthClient:
    """The client can no longer authenticate, and every token it holds is revoked."""
    client = session.get(OAuthClient, client_id)
    if client is None:
        raise NotFound()
    client.disabled_at = utcnow()
    session.add(client)
    _revoke_all(session, client_id, "client_disabled")
    audit.record(session, EventTag.OAUTH_CLIENT_DISABLE, actor=actor, ip=ip, client=client_id)
    return client


def _revoke_all(session: Session, client_id: str, reason: str) -> None:
    session.execute(update(OAuthToken).where(OAuthToken.client_id == client_id,  # type: ignore[arg-type]
                                             col(OAuthToken.revoked_at).is_(None))
                    .values(revoked_at=utcnow(), revoked_reason=reason))


def _check_keys(document: dict[str, Any]) -> None:
    """Each key must import, be public, and be an EC P-256 or RSA 2048–4096 key (ES256, PS256)."""
    for raw in document.get("keys", []):
        try:
            with warnings.catch_warnings():  # joserfc warns about small RSA keys; refusing them is our job below
                warnings.simplefilter("ignore")
                key = JWKRegistry.import_key(raw)
        except (JoseError, ValueError, TypeError, KeyError):
            raise InvalidClientRegistration(str(_l("A key of the key set cannot be read."))) from None
        if raw.get("kty") == "EC" and raw.get("crv") in EC_CURVES:
            continue
        if raw.get("kty") == "RSA" and getattr(key.raw_value, "key_size", 0) in RSA_BITS:
            continue
        raise InvalidClientRegistration(str(_l("Keys must be EC P-256 or RSA of 2048 to 4096 bits.")))


def all_clients(session: Session) -> list[OAuthClient]:
    return list(session.exec(select(OAuthClient).order_by(col(OAuthClient.created_at))))
