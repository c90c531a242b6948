"""bank_link: the toolkit for a peer that is also an OAuth 2.0 *client of the bank* (docs/switching.md, "the four
OAuth 2.0 patterns"): Google pushing to the intake API, the destinations pulling from the transfer API.

A peer (already an authorization server through `app.peers.authserver.PeerOAuth`) adds one `BankLink`::

    link = BankLink(
        app, db=oauth.db,                                   # the peer's PeerDatabase; bank_link adds its own table
        scope="blog_posts profile interests",               # what the authorization request asks the bank for
        client_id_env="BLOG_A_CLIENT_ID", default_client_id="blog-a",
        page=LinkPage(service_name="ブログA", direction=RECEIVE, items=("ブログの記事", ...),
                      purpose="…なぜ受け取るか…", button_label="Azukari から受け取る", again_label="もう一度受け取る"),
        authenticate=lambda form: subject_or_None,          # the peer's sign-in check (login_id + password)
        describe_account=lambda subject: "花子（hanako@…）" or None,
        on_connected=lambda account: Outcome(ok=True, message="…"),   # push or pull right after the callback
        again_path="pull",                                  # also POST /azukari/pull runs on_connected again
    )
    response = link.authorized_request(account, "GET", "/transfers")   # {issuer}/api/v1/transfers, with the bearer
    certificate = link.sign({"receipt_version": 1, ...})               # compact JWS, ES256, kid

What the peer gets (routes on its app):

- `GET /.well-known/jwks.json`: the peer's one EC P-256 key (app/peers/recipient/keys.py, generated once into
  the peer's folder); `kid` = RFC 7638 thumbprint. The same key signs private_key_jwt at the bank's token
  endpoint and the peer's statements (`BankLink.sign`: receipts, deletion certificates).
- `GET /azukari/start`: for a resident signed in at the peer (its own session, the one `/authorize` signs into),
  what will be sent or received and why, the link's state and the button; otherwise a sign-in form
  (`POST /azukari/signin`, fields `login_id`, `password`, `csrf_token`).
- `POST /azukari/connect` (CSRF): authorization code + PKCE S256 + `state` at the bank, `redirect_uri`
  `{peer}/azukari/callback`, the given scope. State, verifier and the account are kept in the peer's session.
- `GET /azukari/callback`: `state` single use and for the same signed-in account, RFC 9207 `iss` = the bank,
  `error=access_denied` → a Japanese page (nothing stored), the code exchanged with private_key_jwt
  (`BankClient`), the tokens stored for the account, then `on_connected(account)` and a page with its outcome.
- `POST /azukari/<again_path>` (CSRF, signed in, linked): `on_connected(account)` again.
- `GET /_test/azukari/links` (loopback): `[{"account", "state", "scope", "linked_at", "refused_at",
  "refused_reason", "acted_at", "action_ok", "action_message"}]`, never tokens.
- `POST /azukari/events` (no CSRF: the bank's server calls it): the bank's result events, RFC 8417 SETs pushed per
  RFC 8935 (`events.py`, docs/switching.md "Result events"): verified against `{bank}/.well-known/jwks.json`,
  stored once per `jti`, attributed to an account by the bearer token (a live access token this peer issued),
  else by the bank's job id (`account_of_job`), else to nobody. 202; 400 `{"err", "description"}`; 415; 503 when
  the bank's keys cannot be fetched.
- `GET /azukari/events`: the signed-in account's events, in Japanese (linked from `/azukari/start`).
- `GET /_test/azukari/events` (loopback): `[{"jti", "account", "job", "state", "role", "received_at"}]`.

Job ids: every `/intake/{id}…` and `/transfers/{id}…` call that the bank answers 2xx records that job as the
account's (`bank_link_job`); `account_of_job=` (a callable job id → account or None) lets a peer name the account
of jobs it knows otherwise (a destination's importer jobs, which the bank pushed).

Tokens: the refresh token rotates and the new one is committed before anything else; an access token is
refreshed when it has run out, or once after a 401. `invalid_grant` on refresh, no refresh token left, or
`403 consent_required` marks the link refused (`BankRefused`), and it stays unused until the resident connects
again. Calls are serialised per peer, so two threads never present one refresh token twice (a replay to the
bank). Errors are `app.peers.recipient.bank` errors with Japanese messages: `BankUnavailable` (down, slow,
nonsense), `BankRefused`, `Unauthorized`, `NotLinked`; `on_connected` may raise any `BankError` and its
message is shown; any other exception is logged and shown as a generic Japanese message (never a 500).

The bank's location: `AZUKARI_ISSUER`, else `PUBLIC_URL`, else http://localhost:5000 (`bank_issuer`); the
client id: the environment variable named by `client_id_env`, else the default. `issuer=` and `client_id=`
win over both (tests pin them). Nothing talks to the bank at start-up.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Flask, has_app_context
from joserfc.jwk import ECKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.peers.authserver.storage import PeerDatabase
from app.peers.bank_link.events import EVENT, BankKeys, TransferResult
from app.peers.bank_link.signing import sign_compact_jws, verify_compact_jws
from app.peers.bank_link.storage import ACTIVE, BankEventRow, BankJobRow, BankLinkRow, Base, now
from app.peers.base import peer_storage
from app.peers.recipient import bank_issuer
from app.peers.recipient.bank import (
    BANK_GARBAGE,
    BankClient,
    BankError,
    BankRefused,
    BankUnavailable,
    TokenAnswer,
    Unauthorized,
)
from app.peers.recipient.keys import load_or_create_client_key, public_jwks

__all__ = [
    "EVENT",
    "RECEIVE",
    "SEND",
    "BankError",
    "BankLink",
    "BankRefused",
    "BankUnavailable",
    "EventInfo",
    "LinkInfo",
    "LinkPage",
    "NotLinked",
    "Outcome",
    "Unauthorized",
    "bank_issuer",
    "response_json",
    "sign_compact_jws",
    "verify_compact_jws",
]

log = logging.getLogger(__name__)

SEND = "send"
RECEIVE = "receive"
API_PREFIX = "/api/v1"
# Longer than the recipients' 5 s: a batch of 500 records is a real upload, still bounded.
API_TIMEOUT_SECONDS = 20.0
# Refresh a little before the access token runs out rather than spend a call on a 401.
EXPIRY_MARGIN_SECONDS = 10
NOT_LINKED = "Azukari とまだ連携していません。「Azukari と連携する」から始めてください。"
LINK_REFUSED = "Azukari との連携が終わっています（同意の取り消しまたは期限切れ）。もう一度連携してください。"
# The bank's job (or transfer) id in an API path: `/intake/{id}/…`, `/transfers/{id}/…`.
_JOB_PATH = re.compile(r"^/(?:intake|transfers)/([A-Za-z0-9_.:-]{1,200})(?:/|$)")


class NotLinked(BankError):
    """No usable link for the account: never connected, or refused since."""

    def __init__(self, message: str = NOT_LINKED) -> None:
        super().__init__(message, "not_linked")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What `on_connected` did, for the result page (`message`, then `lines`) and the test controls (`data`)."""

    ok: bool
    message: str
    lines: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LinkPage:
    """What the resident-facing pages say. `items` are the lines under "what will be sent/received"."""

    service_name: str
    direction: str  # SEND or RECEIVE
    items: tuple[str, ...]
    purpose: str
    button_label: str
    again_label: str | None = None


@dataclass(frozen=True, slots=True)
class LinkInfo:
    """A link as pages and test controls may show it: everything but the tokens."""

    account: str
    state: str
    scope: str
    linked_at: int
    refused_at: int | None
    refused_reason: str | None
    acted_at: int | None
    action_ok: bool | None
    action_message: str | None

    @property
    def active(self) -> bool:
        return self.state == ACTIVE

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class EventInfo:
    """A stored result event of the bank, as pages and test controls show it."""

    jti: str
    account: str | None
    attributed_by: str | None
    job: str
    role: str
    state: str
    reason: str | None
    counts: dict[str, int]
    deletion_certificate_id: str | None
    occurred_at: str | None
    received_at: int

    def as_test_json(self) -> dict[str, Any]:
        return {"jti": self.jti, "account": self.account, "job": self.job, "state": self.state, "role": self.role,
                "received_at": self.received_at}


def response_json(response: requests.Response) -> dict[str, Any]:
    """The bank's JSON object, or BankUnavailable (a Japanese message) when the body is anything else."""
    try:
        body = response.json()
    except ValueError as error:
        raise BankUnavailable(BANK_GARBAGE) from error
    if not isinstance(body, dict):
        raise BankUnavailable(BANK_GARBAGE)
    return body


class BankLink:
    def __init__(
        self,
        app: Flask,
        *,
        db: PeerDatabase,
        scope: str,
        client_id_env: str,
        default_client_id: str,
        page: LinkPage,
        authenticate: Callable[[Mapping[str, str]], str | None],
        describe_account: Callable[[str], str | None],
        on_connected: Callable[[str], Outcome],
        again_path: str | None = None,
        issuer: str | None = None,
        client_id: str | None = None,
        templates: str = "peers/bank_link",
        account_of_job: Callable[[str], str | None] | None = None,
    ) -> None:
        self.db = db
        self.scope = scope
        self.page = page
        self.authenticate = authenticate
        self.describe_account = describe_account
        self.on_connected = on_connected
        self.again_path = again_path
        self.templates = templates
        self.key: ECKey = load_or_create_client_key(peer_storage(app))
        self.bank = BankClient(
            issuer=(issuer or bank_issuer()).rstrip("/"),
            client_id=client_id or os.environ.get(client_id_env, "").strip() or default_client_id,
            key=self.key,
        )
        # One bank conversation at a time per peer: refresh tokens rotate, and presenting one twice (two threads
        # refreshing together) would look like a replay and end the resident's authorization.
        self._lock = threading.RLock()
        self._account_of_job = account_of_job
        self.bank_keys = BankKeys(lambda: self.issuer)
        Base.metadata.create_all(db.engine)
        from app.peers.bank_link.views import register_views  # the views need this class; import late

        register_views(app, self)
        app.extensions["bank_link"] = self

    @property
    def issuer(self) -> str:
        return self.bank.issuer

    @property
    def client_id(self) -> str:
        return self.bank.client_id

    # -- own sessions ------------------------------------------------------------------------------------------

    def _session(self) -> Session:
        """A short session of bank_link's own. The peer's request session is committed first: SQLite takes the
        write lock at BEGIN here, so a request transaction left open on this thread would wait on itself."""
        if has_app_context():
            self.db.session.commit()
        return self.db.sessions()

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self._session() as session, session.begin():
            yield session

    # -- signing -----------------------------------------------------------------------------------------------

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        return public_jwks(self.key)

    def sign(self, payload: Mapping[str, Any], *, typ: str | None = None) -> str:
        """A compact JWS (ES256, `kid`) over `payload`, verifiable with `{peer}/.well-known/jwks.json`."""
        return sign_compact_jws(self.key, payload, typ=typ)

    # -- links -------------------------------------------------------------------------------------------------

    def link_of(self, account: str) -> LinkInfo | None:
        with self._session() as session:
            row = session.get(BankLinkRow, account)
            return _info(row) if row is not None else None

    def links(self) -> list[LinkInfo]:
        with self._session() as session:
            return [_info(row) for row in session.scalars(select(BankLinkRow).order_by(BankLinkRow.linked_at))]

    def store_authorization(self, account: str, tokens: TokenAnswer) -> None:
        """The callback's tokens for `account`, replacing whatever the link held."""
        with self._transaction() as session:
            row = session.get(BankLinkRow, account)
            if row is None:
                row = BankLinkRow(account=account, linked_at=now())
                session.add(row)
            row.relink(access_token=tokens.access_token, expires_in=tokens.expires_in,
                       refresh_token=tokens.refresh_token, scope=tokens.scope or self.scope)
        log.info("linked an account to the bank (%s…)", account[:8])

    def record_outcome(self, account: str, outcome: Outcome) -> None:
        with self._transaction() as session:
            row = session.get(BankLinkRow, account)
            if row is not None:
                row.acted_at, row.action_ok, row.action_message = now(), outcome.ok, outcome.message

    def run_on_connected(self, account: str) -> Outcome:
        """`on_connected(account)`, never raising: a BankError's message, or a generic one, becomes the outcome."""
        try:
            outcome = self.on_connected(account)
        except BankError as error:
            outcome = Outcome(False, error.message)
        except Exception:  # a peer's bug must show as a page, not a 500 mid-flow
            log.exception("on_connected failed")
            outcome = Outcome(False, "処理中に問題が発生しました。しばらくしてからもう一度お試しください。")
        self.record_outcome(account, outcome)
        return outcome

    # -- the bank's API ----------------------------------------------------------------------------------------

    def authorized_request(self, account: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        """`method {issuer}/api/v1{path}` with the account's bearer token; the bank's response whatever its status,
        except: 401 after one refresh → `Unauthorized`; 403 `consent_required` → `BankRefused` (link refused);
        no usable link → `NotLinked`; network trouble → `BankUnavailable`. `kwargs` go to `requests.request`
        (`json=`, `params=`, `timeout=`)."""
        if not path.startswith("/") or "//" in path or ".." in path:
            raise ValueError(f"path must be a path under {API_PREFIX}, got {path!r}")
        with self._lock:
            token, refreshed = self._usable_access_token(account)
            response = self._send(method, path, token, kwargs)
            if response.status_code == 401 and not refreshed:
                token = self._refresh(account)
                response = self._send(method, path, token, kwargs)
            if response.status_code == 401:
                raise Unauthorized(_error_code(response))
            if response.status_code == 403 and _error_code(response) == "consent_required":
                self._refuse(account, "consent_required")
                raise BankRefused("consent_required")
            if 200 <= response.status_code < 300:
                self._remember_job(account, path)
            return response

    def _send(self, method: str, path: str, token: str, kwargs: dict[str, Any]) -> requests.Response:
        options = dict(kwargs)
        timeout = options.pop("timeout", API_TIMEOUT_SECONDS)
        headers = {**options.pop("headers", {}), "Authorization": f"Bearer {token}", "Accept": "application/json"}
        try:
            return requests.request(method, f"{self.issuer}{API_PREFIX}{path}", headers=headers, timeout=timeout,
                                    allow_redirects=False, **options)
        except requests.RequestException as error:
            log.warning("bank API unreachable: %s", type(error).__name__)
            raise BankUnavailable() from error

    def _usable_access_token(self, account: str) -> tuple[str, bool]:
        """The stored access token, refreshed first if it has run out; whether it was just refreshed."""
        with self._session() as session:
            row = session.get(BankLinkRow, account)
            if row is None:
                raise NotLinked()
            if row.state != ACTIVE:
                raise NotLinked(LINK_REFUSED)
            token, expires_at = row.access_token, row.access_expires_at
        if token and (expires_at is None or expires_at > now() + EXPIRY_MARGIN_SECONDS):
            return token, False
        return self._refresh(account), True

    def _refresh(self, account: str) -> str:
        with self._session() as session:
            row = session.get(BankLinkRow, account)
            refresh_token = row.refresh_token if row is not None else None
        if not refresh_token:
            self._refuse(account, "expired")
            raise BankRefused("expired")
        try:
            tokens = self.bank.refresh(refresh_token)
        except BankRefused as refused:
            self._refuse(account, refused.code or "invalid_grant")
            raise
        # At once: the old refresh token is spent, and presenting it again would revoke the authorization.
        with self._transaction() as session:
            row = session.get(BankLinkRow, account)
            if row is None:  # the link went while we waited on the bank; nothing to keep the tokens for
                raise NotLinked()
            row.store_tokens(access_token=tokens.access_token, expires_in=tokens.expires_in,
                             refresh_token=tokens.refresh_token, scope=tokens.scope)
        return tokens.access_token

    # -- the bank's result events (events.py) -------------------------------------------------------------------

    def _remember_job(self, account: str, path: str) -> None:
        """The bank answered 2xx about this job for `account`: it is theirs (how a result event finds its account)."""
        match = _JOB_PATH.match(path.split("?", 1)[0])
        if match is None:
            return
        with self._transaction() as session:
            if session.get(BankJobRow, (match.group(1), account)) is None:
                session.add(BankJobRow(job=match.group(1), account=account, seen_at=now()))

    def account_of_job(self, job: str) -> str | None:
        """The account a bank job id belongs to: the one that worked on it with the bank (the latest to start, if
        two accounts here are linked to one resident there), else the peer's own answer (`account_of_job=`), else
        None."""
        with self._session() as session:
            account = session.scalar(select(BankJobRow.account).where(BankJobRow.job == job)
                                     .order_by(BankJobRow.seen_at.desc()).limit(1))
        if account is None and self._account_of_job is not None:
            account = self._account_of_job(job)
        return account

    def store_event(self, result: TransferResult, *, account: str | None, attributed_by: str | None) -> bool:
        """Keep a verified event once per `jti`; False if that `jti` was already kept (nothing changes)."""
        with self._transaction() as session:
            if session.get(BankEventRow, result.jti) is not None:
                return False
            session.add(BankEventRow(
                jti=result.jti, account=account, attributed_by=attributed_by, job=result.job, role=result.role,
                state=result.state, reason=result.reason, counts=json.dumps(result.counts, sort_keys=True),
                deletion_certificate_id=result.deletion_certificate_id, occurred_at=result.occurred_at,
                issued_at=result.issued_at, received_at=now()))
        log.info("stored a result event of the bank (%s, %s, %s)", result.state, result.role,
                 "attributed" if account else "unattributed")
        return True

    def events(self, account: str | None = None) -> list[EventInfo]:
        """The stored events, newest first; of one account if `account` is given."""
        query = select(BankEventRow).order_by(BankEventRow.received_at.desc(), BankEventRow.occurred_at.desc(),
                                              BankEventRow.jti)
        if account is not None:
            query = query.where(BankEventRow.account == account)
        with self._session() as session:
            return [_event_info(row) for row in session.scalars(query)]

    def _refuse(self, account: str, reason: str) -> None:
        log.info("the bank refused the link of %s…: %s", account[:8], reason)
        with self._transaction() as session:
            row = session.get(BankLinkRow, account)
            if row is not None:
                row.refuse(reason)


def _info(row: BankLinkRow) -> LinkInfo:
    return LinkInfo(account=row.account, state=row.state, scope=row.scope, linked_at=row.linked_at,
                    refused_at=row.refused_at, refused_reason=row.refused_reason, acted_at=row.acted_at,
                    action_ok=row.action_ok, action_message=row.action_message)


def _event_info(row: BankEventRow) -> EventInfo:
    try:
        counts = json.loads(row.counts or "{}")
    except ValueError:
        counts = {}
    return EventInfo(jti=row.jti, account=row.account, attributed_by=row.attributed_by, job=row.job, role=row.role,
                     state=row.state, reason=row.reason, counts=counts if isinstance(counts, dict) else {},
                     deletion_certificate_id=row.deletion_certificate_id, occurred_at=row.occurred_at,
                     received_at=row.received_at)


def _error_code(response: requests.Response) -> str | None:
    """The RFC 6750 error, from the JSON body or `WWW-Authenticate`."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])[:64]
    header = response.headers.get("WWW-Authenticate", "")
    marker = 'error="'
    if marker in header:
        return header.split(marker, 1)[1].split('"', 1)[0][:64] or None
    return None
