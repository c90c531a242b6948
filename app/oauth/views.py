"""The authorization server's endpoints, the consent screen residents meet on /oauth/authorize, and the list of
connected systems where a resident disconnects one.

The token, revocation and introspection endpoints are called by machines with private_key_jwt: no cookies, so
no CSRF token (they are exempt). Authorization responses are 303 redirects (never 307, C2); a request that cannot
safely be answered with a redirect (unknown client, unregistered redirect URI) gets an error page.

The token endpoint is limited per authenticated client, and per address for requests that authenticate no client
(429 `slow_down` with Retry-After; docs/decisions.md § The token endpoint's limits).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.flask_oauth2 import client_authenticated
from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Flask, Response, current_app, flash, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlmodel import Session

from app import audit, auth, throttle
from app.accounts.forms import EmptyForm
from app.audit import EventTag
from app.config import current_settings
from app.consent import catalogue, decisions
from app.consent.models import BANK, Sensitivity
from app.db import get_session
from app.errors import DomainError, NotFound, RateLimited
from app.extensions import csrf
from app.htmx import render
from app.oauth import connections
from app.oauth.client_auth import ALGORITHMS
from app.oauth.models import OAuthClient
from app.oauth.scopes import NOTICES, items_of
from app.oauth.server import (
    AUTH_METHODS,
    BankAuthorizationServer,
    BankIntrospectionEndpoint,
    BankRevocationEndpoint,
    issuer,
)
from app.security import content_security_policy

bp = Blueprint("oauth", __name__)
connections_bp = Blueprint("oauth_connections", __name__)
connections_bp.before_request(auth.require_resident)


def server() -> BankAuthorizationServer:
    return current_app.extensions["azukari.oauth_server"]


def init_app(app: Flask) -> None:
    authorization_server = BankAuthorizationServer()
    authorization_server.init_app(app)
    app.extensions["azukari.oauth_server"] = authorization_server
    # Only this server's grants: the peers' authorization servers send the same signal.
    client_authenticated.connect(_limit_client, sender=authorization_server)
    for view in (token, revoke, introspect):
        csrf.exempt(view)


@bp.route("/.well-known/oauth-authorization-server")
def metadata() -> Response:
    """RFC 8414: only `code`, only S256, only private_key_jwt with ES256/PS256, and `iss` in responses."""
    base = issuer()
    response = jsonify({
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "introspection_endpoint": f"{base}/oauth/introspect",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": AUTH_METHODS,
        "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "revocation_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
        "introspection_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
        "authorization_response_iss_parameter_supported": True,
        "scopes_supported": grantable_scopes(get_session()),
        "service_documentation": f"{base}/api/v1/openapi.json",
    })
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def grantable_scopes(session: Any) -> list[str]:
    """What a client may be registered for: the ordinary items of offers made now, and notices."""
    items = catalogue.items_by_key(session)
    keys = {key for view in catalogue.active_offers(session) for key in view.offer.items
            if key in items and items[key].sensitivity != Sensitivity.SPECIAL and view.recipient.key != BANK}
    return sorted(keys) + [NOTICES]


TOKEN_WINDOW = timedelta(minutes=1)


class TokenRequestsLimited(OAuth2Error):
    """429 (RFC 6585) in the token endpoint's JSON error shape (RFC 6749 §5.2); authlib's JSON headers bring
    `Cache-Control: no-store`. `slow_down` is the registered token-endpoint code that means it (RFC 8628 §3.5)."""

    error = "slow_down"
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many token requests: retry after the seconds in Retry-After.")
        self.retry_after = retry_after

    def get_headers(self) -> list[tuple[str, str]]:
        return [*super().get_headers(), ("Retry-After", str(self.retry_after))]


@bp.route("/oauth/token", methods=["POST"])
def token() -> Response:
    """An address past its failures is refused before any assertion is checked; a request that authenticated no
    client (bad or missing assertion, unknown client, unsupported grant) counts as one of its failures. An
    authenticated client is counted in `_limit_client`."""
    session, settings = get_session(), current_settings()
    address = throttle.bucket("token:ip", auth.client_ip() or "unknown")
    g.oauth_token_client = None  # (g may outlive one request when the caller holds an app context)
    try:
        throttle.check(session, address, limit=settings.token_failures_per_ip, window=TOKEN_WINDOW)
    except RateLimited as error:
        _record_refusal(session, address, limit="address")
        return server().handle_response(*TokenRequestsLimited(error.retry_after)())
    response = server().create_token_response()
    if g.oauth_token_client is None:
        throttle.hit(session, address)
    return response


def _limit_client(_server: Any, *, client: OAuthClient, **_: Any) -> None:
    """authlib's `client_authenticated`, sent once the client is authenticated and before the grant reads its code
    or refresh token: every request counts, whatever its outcome (a replay storm too). A refused one raises before
    anything is claimed, rotated or issued."""
    g.oauth_token_client = client.client_id
    session = get_session()
    name = throttle.bucket("token:client", client.client_id)
    try:
        throttle.take(session, throttle.Limit(name, current_settings().token_requests_per_client, TOKEN_WINDOW))
    except RateLimited as error:
        _record_refusal(session, name, limit="client", client=client.client_id)
        raise TokenRequestsLimited(error.retry_after) from None
    session.commit()  # counted now, so that concurrent requests see it (and a request that then fails still counts)


def _record_refusal(session: Session, bucket: str, **details: str) -> None:
    """One audit event per refused bucket and window: a flood writes one row, not one per request."""
    try:
        throttle.take(session, throttle.Limit(throttle.bucket("token:audited", bucket), 1, TOKEN_WINDOW))
    except RateLimited:
        return
    audit.record(session, EventTag.OAUTH_TOKEN_THROTTLED, ip=auth.client_ip(), **details)


@bp.route("/oauth/revoke", methods=["POST"])
def revoke() -> Response:
    return server().create_endpoint_response(BankRevocationEndpoint.ENDPOINT_NAME)


@bp.route("/oauth/introspect", methods=["POST"])
def introspect() -> Response:
    return server().create_endpoint_response(BankIntrospectionEndpoint.ENDPOINT_NAME)


def _see_other(response: Response) -> Response:
    if response.status_code in (301, 302, 307):
        response.status_code = 303
    return response


def _error_page(error: str | None, description: str | None = None) -> Response:
    """The resident's page for a request that cannot be answered with a redirect. authlib's description is for
    developers (English, and may echo the request): it goes to the log; the page says what happened plainly."""
    current_app.logger.info("authorization request refused: %s (%s)", error, description)
    return render("oauth/error.html", status=400, error=error or "invalid_request",
                  explanation=ERROR_EXPLANATIONS.get(error or "", ERROR_EXPLANATIONS["invalid_request"]))


ERROR_EXPLANATIONS = {
    "invalid_client": _l("The service that sent you here is not registered with Azukari."),
    "invalid_request": _l("The request from the service that sent you here is incomplete or not allowed "
                          "(for example, its return address is not the one it registered)."),
    "unauthorized_client": _l("The service that sent you here may not make this kind of request."),
    "unsupported_response_type": _l("The service that sent you here asked for something Azukari does not do."),
}


@bp.route("/oauth/authorize", methods=["GET", "POST"])
def authorize():  # type: ignore[no-untyped-def]
    """Log in to the bank (if needed), then the consent screen; the decision is recorded through the consent
    catalogue (a receipt and a ledger record) before the code is issued."""
    refusal = auth.require_resident()
    if refusal is not None:
        return refusal
    resident, session = current_user._get_current_object(), get_session()
    try:
        grant = server().get_consent_grant(end_user=resident)
    except OAuth2Error as error:
        if error.redirect_uri:
            return _see_other(server().redirect_with_issuer(server().handle_response(*error())))
        return _error_page(error.error, error.description)
    client: OAuthClient = grant.request.client
    view = catalogue.offer_view(session, _offer_id(client))
    if view is None or not view.offer.active:
        return _deny(grant)
    requested = [key for key in items_of((grant.request.scope or "").split()) if key in view.offer.items]
    form = EmptyForm()
    if request.method == "POST" and form.validate_on_submit():
        if request.form.get("decision") != "allow":
            return _deny(grant)
        chosen = [key for key in requested if key in request.form.getlist("items")]
        if not chosen:
            return _consent_page(grant, view, requested, form, error=_("Choose at least one item, or choose not to allow."))
        try:
            receipt = decisions.grant(session, current_settings(), resident=resident, view=view, items=chosen,
                                      ip=request.remote_addr)
        except DomainError as error:
            return _consent_page(grant, view, requested, form, error=error.message)
        g.oauth_consent_receipt_id = receipt.id
        notices = [NOTICES] if NOTICES in (grant.request.scope or "").split() else []
        g.oauth_granted_scope = " ".join(chosen + notices)
        audit.record(session, EventTag.OAUTH_AUTHORIZE, actor=resident.principal, ip=request.remote_addr,
                     client=client.client_id, scope=g.oauth_granted_scope, receipt=str(receipt.id))
        return _see_other(server().create_authorization_response(grant_user=resident, grant=grant))
    return _consent_page(grant, view, requested, form)


def _offer_id(client: OAuthClient) -> int:
    offer = catalogue.offer_for(get_session(), client.recipient_key, client.purpose_key)
    return offer.id if offer is not None and offer.id is not None else -1


def _deny(grant: Any) -> Response:
    resident = current_user._get_current_object()
    audit.record(get_session(), EventTag.OAUTH_DENY, actor=resident.principal, ip=request.remote_addr,
                 client=grant.request.client.client_id)
    return _see_other(server().create_authorization_response(grant_user=None, grant=grant))


def _consent_page(grant: Any, view: catalogue.OfferView, requested: list[str], form: EmptyForm,
                  error: str | None = None) -> Response:
    client: OAuthClient = grant.request.client
    target = urlsplit(grant.redirect_uri)
    response = render("oauth/consent.html", status=422 if error else 200, client=client, view=view,
                      items=[item for item in view.items if item.key in requested], error=error, form=form,
                      notices=NOTICES in (grant.request.scope or "").split(), return_host=target.netloc,
                      form_action=request.full_path)
    # The form is answered by a 303 to the client, and form-action governs that redirect too.
    response.headers["Content-Security-Policy"] = content_security_policy(
        current_settings(), [f"{target.scheme}://{target.netloc}"])
    return response


@connections_bp.route("/consents/connections")
def index():  # type: ignore[no-untyped-def]
    resident = current_user._get_current_object()
    session = get_session()
    return render("oauth/connections.html", tab="consent", form=EmptyForm(), items=catalogue.items_by_key(session),
                  connections=connections.of_resident(session, resident))


@connections_bp.route("/consents/connections/<client_id>/disconnect", methods=["POST"])
def disconnect(client_id: str):  # type: ignore[no-untyped-def]
    """Revokes what the system holds from the bank (its tokens). The consent itself stays until withdrawn."""
    form = EmptyForm()
    if form.validate_on_submit():
        resident = current_user._get_current_object()
        if not connections.disconnect(get_session(), resident, client_id, ip=request.remote_addr):
            raise NotFound()
        flash(_("Disconnected. The system can no longer read your data with its earlier permission."), "success")
    return redirect(url_for("oauth_connections.index"), code=303)

