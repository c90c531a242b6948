"""The bank's result events at a peer: RFC 8417 Security Event Tokens pushed per RFC 8935 (docs/switching.md,
"Result events").

`POST /azukari/events` (a server-to-server API, no CSRF) takes one SET, `Content-Type: application/secevent+jwt`:
a compact JWS, ES256, header `typ` `secevent+jwt` and a `kid` of the bank's key at `{bank}/.well-known/jwks.json`
(fetched with a short timeout and cached; fetched again once when a SET names a `kid` the cache lacks), `iss` =
the bank, `aud` = this peer's client id at the bank, `events` holding `urn:azukari:event:transfer-result`.
It is stored once per `jti` and attributed to an account of this peer: the bearer token's, when the request
carries a live access token this peer issued (the bank's token here); else the account the bank's job id (`txn`)
belongs to (`BankLink.account_of_job`); else to nobody.

Answers: 202 with no body (a repeated `jti` too: stored once); 400 `{"err", "description"}` (RFC 8935 §2.3:
`invalid_request`, `invalid_key`, `invalid_issuer`, `invalid_audience`), which the bank takes as final; 415
when the body is not `application/secevent+jwt`; 503 `{"err": "temporarily_unavailable", "description"}` with
`Retry-After` when the bank's JWKS cannot be fetched (no key to check the SET with yet): the bank retries.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import requests
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

log = logging.getLogger(__name__)

EVENT = "urn:azukari:event:transfer-result"
SET_TYPE = "secevent+jwt"
CONTENT_TYPE = "application/secevent+jwt"
ALGORITHM = "ES256"
JWKS_PATH = "/.well-known/jwks.json"
# (connect, read): the bank is waiting on this answer, so the keys must come quickly or not at all.
JWKS_TIMEOUT_SECONDS = (2.0, 3.0)
JWKS_MAX_AGE_SECONDS = 600
MAX_JWKS_BYTES = 64 * 1024
MAX_SET_BYTES = 64 * 1024
RETRY_AFTER_SECONDS = 30
ROLES = ("source", "destination")
JST = timezone(timedelta(hours=9), "JST")

# The interchange kinds (docs/interchange.md) as the events page names them.
KIND_LABELS = {
    "post": "記事", "comment": "コメント", "profile": "プロフィール", "interest": "興味・関心",
    "place_visit": "訪れた場所", "activity_segment": "移動の記録", "calendar_event": "カレンダーの予定",
    "watch_event": "視聴履歴", "health_record": "健康の記録", "workout": "運動", "activity_summary": "一日の活動",
}
# The bank's reasons (docs/switching.md "The bank's side") in words; anything else is shown as its code.
REASON_LABELS = {
    "receipt_mismatch": "受け取った内容が Azukari の送ったものと一致しませんでした",
    "receipt_invalid": "受領証を確認できませんでした",
    "destination_full": "移行先の保存容量が足りませんでした",
    "not_connected": "サービスとの連携が切れていました",
    "rejected": "サービスが受け付けませんでした",
    "consent_withdrawn": "同意が取り消されました",
}


class EventRejected(Exception):
    """Why a pushed SET was not taken: the HTTP status, the RFC 8935 `err` and a description (never personal)."""

    def __init__(self, status: int, err: str, description: str) -> None:
        super().__init__(f"{err}: {description}")
        self.status, self.err, self.description = status, err, description


def _invalid(err: str, description: str) -> EventRejected:
    return EventRejected(400, err, description)


def _unavailable() -> EventRejected:
    return EventRejected(503, "temporarily_unavailable",
                         "The bank's keys could not be fetched to verify the SET; send it again later.")


@dataclass(frozen=True, slots=True)
class TransferResult:
    """The verified content of one SET: what `bank_link_event` keeps."""

    jti: str
    issued_at: int
    job: str
    role: str
    state: str
    reason: str | None
    counts: dict[str, int]
    deletion_certificate_id: str | None
    occurred_at: str | None


class BankKeys:
    """The bank's public keys from `{issuer}/.well-known/jwks.json`: cached for JWKS_MAX_AGE_SECONDS (and kept
    past that while the bank cannot be reached), fetched again once for a `kid` the cache does not have. One
    fetch at a time per peer."""

    def __init__(self, issuer: Callable[[], str]) -> None:
        self._issuer = issuer
        self._lock = threading.Lock()
        self._keys: dict[str, ECKey] | None = None
        self._fetched_at = 0.0

    def key(self, kid: str) -> ECKey:
        """The bank's key named `kid`; EventRejected 400 `invalid_key` if the bank has none such, 503 if its keys
        cannot be fetched when they are needed."""
        with self._lock:
            attempted = False
            if self._keys is None or time.monotonic() - self._fetched_at > JWKS_MAX_AGE_SECONDS:
                attempted = True
                if not self._load() and self._keys is None:
                    raise _unavailable()
            assert self._keys is not None
            if kid not in self._keys:
                if attempted and time.monotonic() - self._fetched_at > JWKS_MAX_AGE_SECONDS:
                    raise _unavailable()  # only stale keys, and the bank did not answer just now
                if not attempted and not self._load():
                    raise _unavailable()
            key = self._keys.get(kid)
            if key is None:
                raise _invalid("invalid_key", "The SET is not signed by a key the bank publishes.")
            return key

    def _load(self) -> bool:
        """Fetch the JWKS; True if it was read (the cache replaced), False if not (the cache kept as it was)."""
        url = self._issuer().rstrip("/") + JWKS_PATH
        try:
            with requests.get(url, timeout=JWKS_TIMEOUT_SECONDS, allow_redirects=False, stream=True,
                              headers={"Accept": "application/json"}) as response:
                body = bytearray()
                for chunk in response.iter_content(16384):
                    body.extend(chunk)
                    if len(body) > MAX_JWKS_BYTES:
                        raise ValueError("the JWKS is too large")
                if response.status_code != 200:
                    raise ValueError(f"HTTP {response.status_code}")
            keys = _signing_keys(json.loads(body))
        except (requests.RequestException, ValueError) as error:
            log.warning("the bank's JWKS could not be read: %s", str(error)[:120] or type(error).__name__)
            return False
        self._keys, self._fetched_at = keys, time.monotonic()
        return True


def _signing_keys(document: Any) -> dict[str, ECKey]:
    """kid → key for the EC P-256 signing keys of a JWKS; anything else in it is skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS")
    keys: dict[str, ECKey] = {}
    for entry in document["keys"]:
        if not isinstance(entry, dict) or entry.get("kty") != "EC" or entry.get("crv") != "P-256":
            continue
        if not isinstance(entry.get("kid"), str) or entry.get("use", "sig") != "sig" \
                or entry.get("alg", ALGORITHM) != ALGORITHM:
            continue
        public = {name: entry[name] for name in ("kty", "crv", "x", "y") if name in entry}
        try:
            keys[entry["kid"]] = ECKey.import_key(public)
        except (JoseError, ValueError, TypeError):
            continue
    return keys


def _header(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise _invalid("invalid_request", "The body is not a compact JWS.")
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (binascii.Error, ValueError) as error:
        raise _invalid("invalid_request", "The JWS header is not readable.") from error
    if not isinstance(header, dict):
        raise _invalid("invalid_request", "The JWS header is not a JSON object.")
    return header


def _typ_is_set(typ: Any) -> bool:
    """RFC 7515 §4.1.9: `typ` compares case-insensitively and may omit `application/`."""
    return isinstance(typ, str) and typ.lower().removeprefix("application/") == SET_TYPE


def verify_set(token: str, keys: BankKeys, *, issuer: str, audience: str) -> TransferResult:
    """The transfer result a SET carries, once its signature, `typ`, `iss`, `aud` and shape are checked."""
    header = _header(token)
    if header.get("alg") != ALGORITHM:
        raise _invalid("invalid_request", f"The SET must be signed with {ALGORITHM}.")
    if not _typ_is_set(header.get("typ")):
        raise _invalid("invalid_request", f"The JWS header typ must be {SET_TYPE}.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _invalid("invalid_key", "The JWS header names no kid.")
    try:
        verified = jws.deserialize_compact(token, keys.key(kid), algorithms=[ALGORITHM])
        claims = json.loads(verified.payload)
    except JoseError as error:
        raise _invalid("invalid_key", "The signature does not verify with the bank's key.") from error
    except ValueError as error:
        raise _invalid("invalid_request", "The SET's claims are not JSON.") from error
    if not isinstance(claims, dict):
        raise _invalid("invalid_request", "The SET's claims are not a JSON object.")
    if claims.get("iss") != issuer:
        raise _invalid("invalid_issuer", "The SET was not issued by the bank this service is linked to.")
    aud = claims.get("aud")
    if not (aud == audience or (isinstance(aud, list) and audience in aud)):
        raise _invalid("invalid_audience", "The SET is not addressed to this service.")
    return _result(claims)


def _text(value: Any, name: str, limit: int, *, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise _invalid("invalid_request", f"{name} must be a string of 1 to {limit} characters.")
    return value


def _result(claims: Mapping[str, Any]) -> TransferResult:
    jti = _text(claims.get("jti"), "jti", 200)
    iat = claims.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise _invalid("invalid_request", "iat must be a number of seconds.")
    events = claims.get("events")
    event = events.get(EVENT) if isinstance(events, dict) else None
    if not isinstance(event, dict):
        raise _invalid("invalid_request", f"The SET carries no {EVENT} event.")
    job = _text(event.get("job"), "job", 200)
    txn = claims.get("txn")
    if txn is not None and txn != job:
        raise _invalid("invalid_request", "txn and the event's job differ.")
    role = event.get("role")
    if role not in ROLES:
        raise _invalid("invalid_request", "role must be source or destination.")
    counts = event.get("counts", {})
    if not isinstance(counts, dict) or len(counts) > 100 or not all(
            isinstance(kind, str) and len(kind) <= 64 and isinstance(n, int) and not isinstance(n, bool) and n >= 0
            for kind, n in counts.items()):
        raise _invalid("invalid_request", "counts must map kinds to numbers.")
    reason = _text(event.get("reason"), "reason", 64, optional=True)
    return TransferResult(
        jti=str(jti), issued_at=iat, job=str(job), role=str(role), state=str(_text(event.get("state"), "state", 32)),
        reason=reason, counts={str(kind): int(n) for kind, n in counts.items()},
        deletion_certificate_id=_text(event.get("deletion_certificate_id"), "deletion_certificate_id", 200,
                                      optional=True),
        occurred_at=_text(event.get("occurred_at"), "occurred_at", 64, optional=True),
    )


# -- how the events page says it --------------------------------------------------------------------------------


def headline(*, state: str, role: str, reason: str | None, counts: Mapping[str, int],
             deletion_certificate_id: str | None) -> str:
    """One Japanese sentence for an event, e.g. "のりかえが完了しました（受け取り 12 件を確認済み）"."""
    total = sum(counts.values())
    why = REASON_LABELS.get(reason or "", reason or "理由は Azukari でご確認ください")
    if state == "verified":
        if role == "destination":
            return f"のりかえが完了しました（受け取り {total} 件を確認済み）"
        return f"のりかえが完了しました（移行先での受け取り {total} 件を確認済み）"
    if state == "complete":
        if deletion_certificate_id:
            return f"移行元がデータを削除しました（証明書番号 {deletion_certificate_id}）"
        return "のりかえの手続きがすべて終わりました"
    if state == "source_contract_ended":
        return "移行元でサービスの利用を終了しました（データの削除を手続き中です）"
    if state == "source_deletion_requested":
        return "移行元にデータの削除を依頼しました"
    if state == "failed":
        return f"のりかえを完了できませんでした（{why}）"
    if state == "canceled":
        return f"のりかえは中止されました（{why}）"
    return f"のりかえの状態が変わりました（{state}）"


def counts_line(counts: Mapping[str, int]) -> str:
    """"記事 12 件、コメント 20 件": the kinds in KIND_LABELS' order, then any other by name."""
    order = {kind: index for index, kind in enumerate(KIND_LABELS)}
    ranked = sorted(counts.items(), key=lambda entry: (order.get(entry[0], len(order)), entry[0]))
    return "、".join(f"{KIND_LABELS.get(kind, kind)} {n} 件" for kind, n in ranked if n)


def occurred_label(occurred_at: str | None) -> str:
    """The bank's ISO time in JST, or the text as it came if it is not one."""
    if not occurred_at:
        return "—"
    try:
        moment = datetime.fromisoformat(occurred_at)
    except ValueError:
        return occurred_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(JST).strftime("%Y-%m-%d %H:%M")
