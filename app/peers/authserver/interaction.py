"""The authorization endpoint as a person meets it: sign in at the peer, consent, or an error page.

Everything happens on the one URL, `/authorize?<the client's request>`: the sign-in and consent forms post back
to it, so the client's parameters are validated by authlib on every step and never stored in between. The peer
remembers who is signed in (and when) in its own session cookie. A request the client cannot be told about
safely (unknown client, unregistered redirect_uri) gets an error page and never a redirect (RFC 6749 §4.1.2.1).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from flask import Response, render_template, request, session
from flask.typing import ResponseReturnValue

from app.peers.authserver.grants import ResourceOwner
from app.peers.authserver.server import PeerAuthorizationServer
from app.peers.authserver.storage import now

SESSION_LOGIN = "login"
SESSION_CSRF = "csrf"
# Which authorization request the last sign-in was made for: `prompt=login` and `max_age` are satisfied by a
# sign-in for this very request, so the consent step after it does not ask again.
SESSION_FRESH_LOGIN = "fresh_login_for"
CSRF_FIELD = "csrf_token"


def csrf_token() -> str:
    """The session's CSRF token (for a hidden `csrf_token` field), created on first use."""
    token = session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_CSRF] = token
    return token


def csrf_valid() -> bool:
    expected = session.get(SESSION_CSRF)
    sent = request.form.get(CSRF_FIELD, "")
    return bool(expected) and hmac.compare_digest(expected, sent)


def signed_in_owner() -> ResourceOwner | None:
    login = session.get(SESSION_LOGIN)
    if not isinstance(login, dict):
        return None
    return ResourceOwner(subject=str(login["sub"]), auth_time=int(login["auth_time"]))


def sign_in(subject: str) -> ResourceOwner:
    # A new session at sign-in (with a new CSRF token): nothing from before follows the user in.
    session.clear()
    owner = ResourceOwner(subject=subject, auth_time=now())
    session[SESSION_LOGIN] = {"sub": owner.subject, "auth_time": owner.auth_time}
    csrf_token()
    return owner


def sign_out() -> None:
    session.clear()


@dataclass(frozen=True, slots=True)
class AuthorizationPages:
    """What a peer supplies to the endpoint: its templates and how it signs people in.

    `authenticate` reads the sign-in form and returns the subject, or None for wrong credentials.
    `describe_scopes` turns the granted scopes into the lines the consent page lists.
    Templates receive `client_name`, `form_action`, `csrf_token` (a global) and, for consent, `scopes` (those
    lines) and `owner_label`; the sign-in template also `login_error` and `login_id`; the error one `error`
    and `description`.
    """

    login_template: str
    consent_template: str
    error_template: str
    authenticate: Callable[[Mapping[str, str]], str | None]
    describe_scopes: Callable[[list[str]], list[str]]
    # The signed-in person as the consent page names them; None if the subject is unknown (signs them out).
    describe_owner: Callable[[str], str | None]


class AuthorizationEndpoint:
    def __init__(self, server: PeerAuthorizationServer, pages: AuthorizationPages) -> None:
        self.server = server
        self.pages = pages

    def respond(self) -> ResponseReturnValue:
        if request.method == "POST" and not csrf_valid():
            return self._error_page("invalid_request", "フォームの有効期限が切れました。もう一度やり直してください。")
        owner = signed_in_owner()
        if owner is not None and self.pages.describe_owner(owner.subject) is None:
            sign_out()
            owner = None
        try:
            grant = self.server.get_consent_grant(end_user=owner)
            reauthenticate = self._reauthentication_required(grant, owner)
        except OAuth2Error as error:
            return self._error_response(error)

        action = request.form.get("action") if request.method == "POST" else None
        if action == "login":
            subject = self.pages.authenticate(request.form)
            if subject is None:
                return self._login_page(grant, "ログインIDまたはパスワード（暗証番号）が正しくありません。")
            owner = sign_in(subject)
            session[SESSION_FRESH_LOGIN] = _request_fingerprint()
            return self._consent_page(grant, owner)
        if owner is None or reauthenticate:
            return self._login_page(grant, None)
        if action == "consent":
            decision = request.form.get("decision")
            session.pop(SESSION_FRESH_LOGIN, None)
            # authlib builds the redirect: a code on "allow", error=access_denied otherwise; `iss` is added by
            # the RFC 9207 extension in both cases.
            return self.server.create_authorization_response(grant_user=owner if decision == "allow" else None, grant=grant)
        return self._consent_page(grant, owner)

    def _reauthentication_required(self, grant: Any, owner: ResourceOwner | None) -> bool:
        """Whether the client's `prompt` and `max_age` ask for a sign-in the session cannot vouch for."""
        data = grant.request.payload.data
        prompts = (data.get("prompt") or "").split()
        if "none" in prompts:
            # We never remember consent, so a request that forbids showing a page cannot succeed.
            error_class = LoginRequiredError if owner is None else ConsentRequiredError
            raise error_class(redirect_uri=grant.redirect_uri, state=data.get("state"))
        if session.get(SESSION_FRESH_LOGIN) == _request_fingerprint():
            return False
        if "login" in prompts:
            return True
        max_age = data.get("max_age")
        if max_age is None or owner is None:
            return False
        if not max_age.isdigit():
            raise InvalidRequestError("'max_age' must be a non-negative integer", redirect_uri=grant.redirect_uri,
                                      state=data.get("state"))
        # OIDC Core §3.1.2.1: max_age=0 is prompt=login; otherwise re-authenticate once more time has passed.
        return int(max_age) == 0 or now() - owner.auth_time > int(max_age)

    def _error_response(self, error: OAuth2Error) -> ResponseReturnValue:
        if error.redirect_uri:
            response: Response = self.server.handle_response(*error())
            return self.server.redirect_with_issuer(response)
        return self._error_page(error.error, error.description)

    def _error_page(self, error: str | None, description: str | None) -> ResponseReturnValue:
        return render_template(self.pages.error_template, error=error, description=description), 400

    def _common(self, grant: Any) -> dict[str, Any]:
        return {"client_name": grant.request.client.display_name, "form_action": request.full_path}

    def _login_page(self, grant: Any, login_error: str | None) -> ResponseReturnValue:
        return render_template(
            self.pages.login_template,
            login_error=login_error,
            login_id=request.form.get("login_id", "") if login_error else "",
            **self._common(grant),
        )

    def _consent_page(self, grant: Any, owner: ResourceOwner) -> ResponseReturnValue:
        scopes = self.pages.describe_scopes((grant.request.scope or "").split())
        return render_template(
            self.pages.consent_template,
            scopes=scopes,
            owner_label=self.pages.describe_owner(owner.subject),
            **self._common(grant),
        )


def _request_fingerprint() -> str:
    """The client's authorization request (the query string), as a key that does not keep its values."""
    canonical = urlencode(sorted(request.args.items(multi=True)))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
