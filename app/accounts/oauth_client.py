"""The bank as an OAuth 2.0 / OpenID Connect client (authlib + joserfc), hardened per RFC 9700.

- The authorization request carries `state` (bound to this browser's server-side session, single use, 10 min),
  a `nonce` (OIDC) and a PKCE S256 challenge; nothing of it travels in a cookie of its own.
- The authorization response must carry the provider's `iss` (RFC 9207) when the provider says it sends it
  (mix-up defence); the ID token's signature (JWKS, asymmetric algorithms only), `iss`, `aud`/`azp`, `exp`,
  `iat` and `nonce` are all checked.
- Every call to the provider has a deadline, and a slow, down or garbage-speaking provider becomes one typed
  error with a message for the resident; nothing of the response is logged.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from flask import session
from flask_babel import lazy_gettext as _l
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError

from app.accounts.provider_http import (
    Deadline,
    ProviderUnavailable,
    get_resource,
    key_set,
    metadata,
    request_deadline,
)
from app.accounts.providers import OAuthProvider
from app.db import utcnow
from app.errors import DomainError

log = logging.getLogger(__name__)

PENDING_KEY = "oauth_pending"
PENDING_TTL = timedelta(minutes=10)
MAX_PENDING = 5  # a few tabs may start a flow at once; older ones are dropped
# Only asymmetric signatures: an HMAC-signed ID token would be signed with our own client secret.
ID_TOKEN_ALGORITHMS = ["RS256", "PS256", "ES256"]
CLOCK_LEEWAY_SECONDS = 60
MAX_TOKEN_LENGTH = 4096
MAX_TOKEN_LIFETIME_SECONDS = 366 * 24 * 3600


class ProviderDenied(DomainError):
    """The resident said no at the provider (or the provider refused the request)."""

    status = 400
    message = _l("The connection was not allowed at the other service. Nothing was changed.")


class InvalidCallback(DomainError):
    """The response cannot be trusted: unknown/used state, another session, wrong issuer, bad ID token."""

    status = 400
    message = _l("This sign-in could not be verified (it may have expired, been used already, or been "
                 "started in another browser). Nothing was changed. Please start again.")


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    scope: str

    @classmethod
    def from_response(cls, token: dict[str, Any], *, requested_scope: str) -> TokenSet:
        access_token = token.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise ProviderUnavailable()
        if str(token.get("token_type", "")).lower() != "bearer":
            raise ProviderUnavailable()
        refresh = token.get("refresh_token")
        scope = str(token.get("scope") or requested_scope)
        if len(access_token) > MAX_TOKEN_LENGTH or len(scope) > 255 or (
            isinstance(refresh, str) and len(refresh) > MAX_TOKEN_LENGTH
        ):
            raise ProviderUnavailable()
        return cls(
            access_token=access_token,
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            expires_at=_expiry(token.get("expires_in")),
            scope=scope,
        )


def _expiry(expires_in: Any) -> datetime | None:
    """`expires_in` as a time; a number or a numeric string (some providers send "3600"), within a year."""
    if isinstance(expires_in, bool) or expires_in is None:
        return None
    try:
        seconds = float(expires_in)
    except (TypeError, ValueError) as error:
        raise ProviderUnavailable() from error
    if not 0 <= seconds <= MAX_TOKEN_LIFETIME_SECONDS:  # also refuses inf and nan
        raise ProviderUnavailable()
    return utcnow() + timedelta(seconds=seconds)


@dataclass(frozen=True)
class AuthorizationResult:
    provider: OAuthProvider
    intent: str
    principal: str | None  # who started it (link/reauth), None for a login
    tokens: TokenSet
    claims: dict[str, Any] = field(default_factory=dict)  # the verified ID token's claims (OIDC)
    started_at: datetime | None = None
    next_url: str | None = None  # where the resident goes afterwards (a path on this site, checked by the view)

    @property
    def subject(self) -> str:
        return str(self.claims["sub"])


# --- the authorization request ---------------------------------------------------------------------------


def _client(provider: OAuthProvider, **kwargs: Any) -> OAuth2Session:
    return OAuth2Session(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 (a method name, not a secret)
        code_challenge_method="S256",
        **kwargs,
    )


def start_authorization(
    provider: OAuthProvider,
    *,
    intent: str,
    redirect_uri: str,
    principal: str | None = None,
    fresh_login: bool = False,
    next_url: str | None = None,
) -> str:
    """The provider URL to send the browser to; what the callback must see is kept in this session only."""
    document = metadata(provider, request_deadline())
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    code_verifier = secrets.token_urlsafe(64)
    now = utcnow()
    pending = {
        s: entry
        for s, entry in (session.get(PENDING_KEY) or {}).items()
        if now - datetime.fromisoformat(entry["at"]) < PENDING_TTL
    }
    while len(pending) >= MAX_PENDING:
        pending.pop(next(iter(pending)))
    pending[state] = {
        "provider": provider.key,
        "intent": intent,
        "principal": principal,
        "nonce": nonce,
        "verifier": code_verifier,
        "redirect_uri": redirect_uri,
        "at": now.isoformat(),
        "next": next_url,
    }
    session[PENDING_KEY] = pending
    extra: dict[str, str] = {"nonce": nonce} if provider.openid else {}
    if fresh_login:  # a step-up: the person signs in again at the provider (checked on `auth_time` later)
        extra.update(prompt="login", max_age="0")
    client = _client(provider, redirect_uri=redirect_uri, scope=" ".join(provider.scopes))
    url, _ = client.create_authorization_url(
        document["authorization_endpoint"], state=state, code_verifier=code_verifier, **extra
    )
    return str(url)


def pending_intent(state: str | None) -> dict[str, Any] | None:
    """What the flow with this `state` was started for, if this session started it (nothing is consumed)."""
    if not state:
        return None
    entry = (session.get(PENDING_KEY) or {}).get(state)
    return dict(entry) if entry else None


def finish_authorization(provider: OAuthProvider, args: dict[str, str]) -> AuthorizationResult:
    """Check the authorization response, redeem the code (with the PKCE verifier) and verify the ID token."""
    pending = dict(session.get(PENDING_KEY) or {})
    entry = pending.pop(args.get("state") or "", None)
    session[PENDING_KEY] = pending  # consumed before anything else: a replayed response finds nothing
    if entry is None or entry["provider"] != provider.key:
        raise InvalidCallback()
    if utcnow() - datetime.fromisoformat(entry["at"]) >= PENDING_TTL:
        raise InvalidCallback()
    deadline = request_deadline()
    document = metadata(provider, deadline)
    # RFC 9207: a response from another issuer (mix-up) is refused before its code goes anywhere.
    iss_expected = "iss" in args or document.get("authorization_response_iss_parameter_supported")
    if iss_expected and args.get("iss") != provider.issuer:
        log.warning("authorization response for %s carries another or no issuer", provider.key)
        raise InvalidCallback()
    if args.get("error"):
        if args["error"] == "access_denied":
            raise ProviderDenied()
        log.warning("authorization error from %s: %r", provider.key, args["error"][:64])
        raise ProviderUnavailable()
    code = args.get("code")
    if not code:
        raise InvalidCallback()
    requested_scope = " ".join(provider.scopes)
    client = _client(provider, redirect_uri=entry["redirect_uri"], scope=requested_scope)
    raw = _call(
        lambda: client.fetch_token(
            document["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            code_verifier=entry["verifier"],
            timeout=deadline.timeout(),
            allow_redirects=False,
        ),
        refused=InvalidCallback,
    )
    tokens = TokenSet.from_response(dict(raw), requested_scope=requested_scope)
    claims: dict[str, Any] = {}
    if provider.openid:
        id_token = raw.get("id_token")
        if not isinstance(id_token, str):
            raise InvalidCallback()
        claims = verify_id_token(provider, document, id_token, nonce=entry["nonce"],
                                 access_token=tokens.access_token, deadline=deadline)
        if not {"email", "email_verified"} <= claims.keys() and isinstance(document.get("userinfo_endpoint"), str):
            # OIDC Core 5.4: in the code flow, a provider may give the profile claims at userinfo only.
            info = get_resource(document["userinfo_endpoint"], tokens.access_token, deadline)
            if not isinstance(info, dict) or info.get("sub") != claims["sub"]:  # OIDC Core 5.3.2
                raise InvalidCallback()
            claims.update({k: info[k] for k in ("email", "email_verified", "name") if k in info})
            if not isinstance(claims.get("email", ""), str) or len(claims.get("email", "")) > 254:
                raise InvalidCallback()
    return AuthorizationResult(provider, entry["intent"], entry["principal"], tokens, claims,
                               started_at=datetime.fromisoformat(entry["at"]), next_url=entry.get("next"))


def verify_id_token(
    provider: OAuthProvider,
    document: dict[str, Any],
    id_token: str,
    *,
    nonce: str,
    access_token: str,
    deadline: Deadline,
) -> dict[str, Any]:
    """The ID token's claims, once signature, issuer, audience, expiry and nonce all hold."""
    try:
        try:
            decoded = jwt.decode(id_token, key_set(provider, document, deadline, force=False),
                                 algorithms=ID_TOKEN_ALGORITHMS)
        except InvalidKeyIdError:  # the provider rotated its keys: fetch them once more
            decoded = jwt.decode(id_token, key_set(provider, document, deadline, force=True),
                                 algorithms=ID_TOKEN_ALGORITHMS)
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {"iss": {"essential": True, "value": provider.issuer},
             "aud": {"essential": True, "value": provider.client_id}},
            {"nonce": nonce, "client_id": provider.client_id, "access_token": access_token},
        )
        claims.validate(leeway=CLOCK_LEEWAY_SECONDS)
    except (JoseError, ValueError, TypeError) as error:
        log.warning("ID token from %s refused: %s", provider.key, type(error).__name__)
        raise InvalidCallback() from error
    values = dict(decoded.claims)
    # Said again in plain code, so no library default can loosen them.
    audience = values.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if values.get("iss") != provider.issuer or provider.client_id not in audiences or values.get("nonce") != nonce:
        raise InvalidCallback()
    if not isinstance(values.get("sub"), str) or not 0 < len(values["sub"]) <= 255:
        raise InvalidCallback()
    if "email" in values and (not isinstance(values["email"], str) or len(values["email"]) > 254):
        raise InvalidCallback()
    return values


# --- using, refreshing and revoking tokens ------------------------------------------------------------------


def _call(action: Any, *, refused: type[DomainError] = ProviderUnavailable) -> Any:
    """Run one token-endpoint call; transport trouble and garbage become ProviderUnavailable."""
    try:
        return action()
    except AuthlibBaseError as error:  # a protocol error answer: invalid_grant, invalid_client …
        # (requests_client raises base_client's OAuthError, not rfc6749's OAuth2Error: both derive from this)
        log.warning("token endpoint refused: %s", str(getattr(error, "error", "error"))[:64])
        raise refused() from error
    except requests.RequestException as error:
        log.warning("token endpoint unreachable: %s", type(error).__name__)
        raise ProviderUnavailable() from error
    except (ValueError, KeyError, TypeError) as error:  # not JSON, or JSON of the wrong shape
        log.warning("token endpoint answered garbage: %s", type(error).__name__)
        raise ProviderUnavailable() from error


class RefreshRefused(DomainError):
    """The provider no longer honours the refresh token (revoked or expired there): the link needs renewing."""

    status = 409
    message = _l("The connection has expired. Please connect again.")


def refresh(provider: OAuthProvider, refresh_token: str, deadline: Deadline) -> TokenSet:
    document = metadata(provider, deadline)
    client = _client(provider)
    raw = _call(
        lambda: client.refresh_token(document["token_endpoint"], refresh_token=refresh_token,
                                     timeout=deadline.timeout(), allow_redirects=False),
        refused=RefreshRefused,
    )
    tokens = TokenSet.from_response(dict(raw), requested_scope=" ".join(provider.scopes))
    if tokens.refresh_token is None:  # no rotation: the old one stays valid
        tokens = TokenSet(tokens.access_token, refresh_token, tokens.expires_at, tokens.scope)
    return tokens


def revoke(provider: OAuthProvider, token: str, *, hint: str, deadline: Deadline) -> None:
    """RFC 7009 revocation; raises ProviderUnavailable when the provider cannot be told."""
    document = metadata(provider, deadline)
    endpoint = document.get("revocation_endpoint")
    if not isinstance(endpoint, str):
        return  # nothing to tell: the provider offers no revocation
    client = _client(provider)
    response = _call(lambda: client.revoke_token(endpoint, token=token, token_type_hint=hint,
                                                 timeout=deadline.timeout(), allow_redirects=False))
    if response.status_code != 200:
        log.warning("revocation at %s answered %s", provider.key, response.status_code)
        raise ProviderUnavailable()


