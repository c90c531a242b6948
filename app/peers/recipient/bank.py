"""The recipient's side of the bank's contract (docs/oauth.md): metadata, the authorization request, the token
endpoint with private_key_jwt, and the resource API.

Every call has a 5-second deadline and ends in a value or one of three errors: `BankUnavailable` (down, slow
or talking nonsense), `BankRefused` (the bank said no to this authorization: `consent_required`,
`invalid_grant`) and `Unauthorized` (401 at the API: the access token is no longer good, refresh and retry).
Their messages are Japanese, for the pages. No token or response body is ever logged.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.requests_client import OAuth2Session
from joserfc.jwk import ECKey

from app.peers.recipient.keys import IssuerAudiencePrivateKeyJWT
from app.peers.recipient.rules import NoticeDraft

log = logging.getLogger(__name__)

HTTP_TIMEOUT_SECONDS = 5.0
METADATA_CACHE_SECONDS = 300
METADATA_PATH = "/.well-known/oauth-authorization-server"
ME_PATH = "/api/v1/me"
NOTICES_PATH = "/api/v1/notices"
MAX_TOKEN_LENGTH = 4096
MAX_TOKEN_LIFETIME_SECONDS = 366 * 24 * 3600

BANK_DOWN = "Azukari（情報銀行）に接続できませんでした。しばらくしてからもう一度お試しください。"
BANK_GARBAGE = "Azukari（情報銀行）から想定外の応答がありました。しばらくしてからもう一度お試しください。"
ISSUER_MISMATCH = "Azukari の設定情報の発行者（issuer）が、このシステムの設定と一致しません。管理者に連絡してください。"
CLIENT_REJECTED = "Azukari がこのシステムの認証を受け付けませんでした（クライアント登録と公開鍵を確認してください）。"


class BankError(Exception):
    """Something the page or the pull result shows as `message`."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class BankUnavailable(BankError):
    def __init__(self, message: str = BANK_DOWN) -> None:
        super().__init__(message)


class BankRefused(BankError):
    """The bank no longer serves this authorization; the link must not be used again."""

    def __init__(self, code: str) -> None:
        super().__init__(f"Azukari が提供を認めませんでした（{code}）。"
                         "住民のかたが同意を取り消したか、期限が切れています。", code)


class Unauthorized(BankError):
    def __init__(self, code: str | None) -> None:
        super().__init__(f"アクセストークンが受け付けられませんでした（{code or 'invalid_token'}）。", code)


@dataclass(frozen=True, slots=True)
class TokenAnswer:
    access_token: str
    expires_in: int | None
    refresh_token: str | None
    scope: str | None  # None: the bank did not say, so the scope asked for (or held) stands


@dataclass(frozen=True, slots=True)
class MeAnswer:
    sub: str
    recipient: str | None
    purpose: str | None
    items: dict[str, Any]
    withheld: list[str]
    record: int | None


@dataclass
class BankClient:
    issuer: str
    client_id: str
    key: ECKey
    _metadata: tuple[float, dict[str, Any]] | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    # -- metadata (RFC 8414) -----------------------------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """The bank's metadata, cached a few minutes; its `issuer` must be exactly the configured one."""
        with self._lock:
            cached = self._metadata
        if cached is not None and time.monotonic() - cached[0] < METADATA_CACHE_SECONDS:
            return cached[1]
        response = _send(lambda: requests.get(self.issuer + METADATA_PATH, timeout=HTTP_TIMEOUT_SECONDS,
                                              allow_redirects=False))
        if response.status_code != 200:
            log.warning("bank metadata answered %s", response.status_code)
            raise BankUnavailable()
        document = _json_object(response)
        if document.get("issuer") != self.issuer:
            # A mix-up defence as much as a configuration check: never send a code to someone else's endpoint.
            log.warning("bank metadata names another issuer")
            raise BankError(ISSUER_MISMATCH)
        for endpoint in ("authorization_endpoint", "token_endpoint"):
            if not isinstance(document.get(endpoint), str) or not document[endpoint].startswith(("https://", "http://")):
                raise BankUnavailable(BANK_GARBAGE)
        with self._lock:
            self._metadata = (time.monotonic(), document)
        return document

    # -- authorization and tokens ----------------------------------------------------------------------------

    def _session(self, **kwargs: Any) -> OAuth2Session:
        session = OAuth2Session(
            client_id=self.client_id,
            client_secret=self.key,
            token_endpoint_auth_method=IssuerAudiencePrivateKeyJWT.name,
            revocation_endpoint_auth_method=IssuerAudiencePrivateKeyJWT.name,
            code_challenge_method="S256",
            **kwargs,
        )
        session.register_client_auth_method(IssuerAudiencePrivateKeyJWT(audience=self.issuer))
        return session

    def authorization_url(self, *, redirect_uri: str, scope: str, state: str, code_verifier: str) -> str:
        endpoint = self.metadata()["authorization_endpoint"]
        with self._session(redirect_uri=redirect_uri, scope=scope) as session:
            url, _ = session.create_authorization_url(endpoint, state=state, code_verifier=code_verifier)
        return str(url)

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> TokenAnswer:
        endpoint = self.metadata()["token_endpoint"]
        with self._session(redirect_uri=redirect_uri) as session:
            raw = _token_call(lambda: session.fetch_token(
                endpoint, grant_type="authorization_code", code=code, code_verifier=code_verifier,
                timeout=HTTP_TIMEOUT_SECONDS, allow_redirects=False))
        return _token_answer(raw)

    def refresh(self, refresh_token: str) -> TokenAnswer:
        """Trade the refresh token for new tokens. No `scope` is sent: asking for more than was granted (the
        resident may have ticked fewer items) would be `invalid_scope`; leaving it out keeps what was granted."""
        endpoint = self.metadata()["token_endpoint"]
        with self._session() as session:
            raw = _token_call(lambda: session.refresh_token(
                endpoint, refresh_token=refresh_token, timeout=HTTP_TIMEOUT_SECONDS, allow_redirects=False))
        answer = _token_answer(raw)
        # authlib fills in the old refresh token when the answer has none; only a new one is a rotation.
        return answer if answer.refresh_token != refresh_token else TokenAnswer(
            answer.access_token, answer.expires_in, None, answer.scope)

    def revoke(self, token: str, *, hint: str) -> None:
        """RFC 7009, best effort: used when a fresh authorization cannot be stored, so it does not linger."""
        try:
            endpoint = self.metadata().get("revocation_endpoint")
            if not isinstance(endpoint, str):
                return
            with self._session() as session:
                session.revoke_token(endpoint, token=token, token_type_hint=hint, timeout=HTTP_TIMEOUT_SECONDS,
                                     allow_redirects=False)
        except (BankError, requests.RequestException, AuthlibBaseError) as error:
            log.warning("could not revoke a token at the bank: %s", type(error).__name__)

    # -- resource API ----------------------------------------------------------------------------------------

    def me(self, access_token: str) -> MeAnswer:
        response = self._api("GET", ME_PATH, access_token)
        if response.status_code != 200:
            raise _api_error(response)
        body = _json_object(response)
        sub, items, withheld, record = body.get("sub"), body.get("items"), body.get("withheld", []), body.get("record")
        if not isinstance(sub, str) or not 0 < len(sub) <= 255 or not isinstance(items, dict):
            raise BankUnavailable(BANK_GARBAGE)
        if not isinstance(withheld, list) or not all(isinstance(item, str) for item in withheld):
            raise BankUnavailable(BANK_GARBAGE)
        if record is not None and (isinstance(record, bool) or not isinstance(record, int)):
            raise BankUnavailable(BANK_GARBAGE)
        recipient, purpose = body.get("recipient"), body.get("purpose")
        return MeAnswer(sub=sub, recipient=recipient if isinstance(recipient, str) else None,
                        purpose=purpose if isinstance(purpose, str) else None,
                        items=items, withheld=withheld, record=record)

    def send_notice(self, access_token: str, notice: NoticeDraft) -> str | None:
        """Send one notice; the bank's id for it. 201 is new, 200 is the same `id` sent before (a retry)."""
        payload: dict[str, str] = {"id": notice.id, "title": notice.title, "body": notice.body}
        if notice.link:
            payload["link"] = notice.link
        response = self._api("POST", NOTICES_PATH, access_token, json=payload)
        if response.status_code not in (200, 201):
            raise _api_error(response)
        bank_id = _json_object(response).get("id")
        return bank_id if isinstance(bank_id, str) and len(bank_id) <= 64 else None

    def _api(self, method: str, path: str, access_token: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        return _send(lambda: requests.request(method, self.issuer + path, headers=headers,
                                              timeout=HTTP_TIMEOUT_SECONDS, allow_redirects=False, **kwargs))


def _send(call: Callable[[], requests.Response]) -> requests.Response:
    try:
        return call()
    except requests.RequestException as error:
        log.warning("bank unreachable: %s", type(error).__name__)
        raise BankUnavailable() from error


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as error:
        raise BankUnavailable(BANK_GARBAGE) from error
    if not isinstance(body, dict):
        raise BankUnavailable(BANK_GARBAGE)
    return body


_WWW_AUTHENTICATE_ERROR = re.compile(r'error="([^"]{1,64})"')


def _error_code(response: requests.Response) -> str | None:
    """The RFC 6750 error: from the JSON body, else from `WWW-Authenticate`."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])[:64]
    match = _WWW_AUTHENTICATE_ERROR.search(response.headers.get("WWW-Authenticate", ""))
    return match.group(1) if match else None


def _api_error(response: requests.Response) -> BankError:
    code = _error_code(response)
    log.info("bank API answered %s (%s)", response.status_code, code)
    if response.status_code == 401:
        return Unauthorized(code)
    if response.status_code == 403 and code == "consent_required":
        return BankRefused(code)
    if response.status_code in (400, 403, 413, 422):
        why = code or "理由不明"
        return BankError(f"Azukari が要求を受け付けませんでした（HTTP {response.status_code}、{why}）。", code)
    return BankUnavailable()


def _token_call(call: Callable[[], Any]) -> dict[str, Any]:
    try:
        return dict(call())
    except AuthlibBaseError as error:  # the token endpoint's error answer (requests_client raises OAuthError)
        code = str(getattr(error, "error", "") or "error")[:64]
        log.warning("bank token endpoint refused: %s", code)
        if code == "invalid_grant":
            raise BankRefused(code) from error
        if code == "invalid_client":
            raise BankError(CLIENT_REJECTED, code) from error
        raise BankError(f"Azukari がトークンを発行しませんでした（{code}）。", code) from error
    except requests.RequestException as error:
        log.warning("bank token endpoint unreachable: %s", type(error).__name__)
        raise BankUnavailable() from error
    except (ValueError, KeyError, TypeError) as error:
        log.warning("bank token endpoint answered garbage: %s", type(error).__name__)
        raise BankUnavailable(BANK_GARBAGE) from error


def _token_answer(raw: dict[str, Any]) -> TokenAnswer:
    access_token, refresh_token, scope = raw.get("access_token"), raw.get("refresh_token"), raw.get("scope")
    if not isinstance(access_token, str) or not 0 < len(access_token) <= MAX_TOKEN_LENGTH:
        raise BankUnavailable(BANK_GARBAGE)
    if str(raw.get("token_type", "")).lower() != "bearer":
        raise BankUnavailable(BANK_GARBAGE)
    if refresh_token is not None and (not isinstance(refresh_token, str) or len(refresh_token) > MAX_TOKEN_LENGTH):
        raise BankUnavailable(BANK_GARBAGE)
    if scope is not None and not isinstance(scope, str):
        raise BankUnavailable(BANK_GARBAGE)
    expires_in = raw.get("expires_in")
    if expires_in is not None:
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float | str):
            raise BankUnavailable(BANK_GARBAGE)
        try:
            expires_in = int(float(expires_in))
        except (ValueError, OverflowError) as error:  # "soon", nan, inf
            raise BankUnavailable(BANK_GARBAGE) from error
        if not 0 < expires_in <= MAX_TOKEN_LIFETIME_SECONDS:
            raise BankUnavailable(BANK_GARBAGE)
    return TokenAnswer(access_token, expires_in, refresh_token or None, scope or None)
