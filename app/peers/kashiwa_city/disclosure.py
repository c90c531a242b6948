"""柏市's delegated disclosure API (docs/peers.md, "Delegated disclosure"): the bank files a resident's signed
mandate, reads the request's state and, once disclosed, the records; or withdraws it.

Authentication: every call carries `Authorization: Bearer <client assertion>` — a JWT the bank signs with its own
key (ES256, the key of its `/.well-known/jwks.json`): iss = sub = the bank's URL, aud = this API's URL, iat, exp at
most 5 minutes later, a jti accepted once. The mandate itself is a JWS under the same key, checked the same way
(typ `disclosure-mandate+jws`, iss, aud, exp). The bank's JWKS is fetched over HTTP (cached 5 minutes, fetched again
for a key id it does not have), from `AZUKARI_JWKS_URI` or else `{issuer}/.well-known/jwks.json`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from datetime import date, datetime
from typing import Any

import requests
from flask import Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from app.peers.authserver.storage import PeerDatabase
from app.peers.authserver.testing import bad_request, json_body, loopback_only
from app.peers.kashiwa_city import records
from app.peers.kashiwa_city.records import JST, DisclosureBase, ReceivedRequest, UsedAssertion, now
from app.peers.recipient.views import own_base_url

log = logging.getLogger(__name__)

JWKS_URI_ENV = "AZUKARI_JWKS_URI"
MANDATE_TYP = "disclosure-mandate+jws"
RECORDS = "子育て関連の行政サービス利用履歴"
JWKS_CACHE_SECONDS = 300
JWKS_REFETCH_SECONDS = 10
MAX_ASSERTION_SECONDS = 300
CLOCK_SKEW = 60
MODES = ("auto", "not_disclose", "hold")


class Refused(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description

    def response(self) -> Response:
        answer = jsonify(error=self.error, error_description=self.description)
        answer.status_code = self.status
        if self.status == 401:
            answer.headers["WWW-Authenticate"] = 'Bearer realm="kashiwa-city disclosure", error="invalid_token"'
        return answer


class BankKeys:
    """The bank's public keys, fetched over HTTP and cached."""

    def __init__(self, jwks_uri: str) -> None:
        self.jwks_uri = jwks_uri
        self._lock = threading.Lock()
        self._keys: tuple[float, KeySet, set[str]] | None = None

    def for_kid(self, kid: Any) -> KeySet:
        with self._lock:
            cached = self._keys
        fresh = cached is not None and time.monotonic() - cached[0] < JWKS_CACHE_SECONDS
        if cached is not None and (fresh and kid in cached[2] or time.monotonic() - cached[0] < JWKS_REFETCH_SECONDS):
            return cached[1]
        try:
            answer = requests.get(self.jwks_uri, timeout=5, allow_redirects=False)
            document = answer.json() if answer.status_code == 200 else None
            keyset = KeySet.import_key_set(document)  # type: ignore[arg-type]
        except (requests.RequestException, ValueError, JoseError, TypeError) as error:
            log.warning("cannot read the bank's keys at %s: %s", self.jwks_uri, type(error).__name__)
            raise Refused(503, "temporarily_unavailable", "Azukari の公開鍵を取得できませんでした") from error
        kids = {str(key.kid) for key in keyset.keys if key.kid}
        with self._lock:
            self._keys = (time.monotonic(), keyset, kids)
        return keyset


class Controls:
    """The test controls of disclosure: how the next requests are decided (kept with each request on arrival)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.mode, self.delay_seconds, self.disclose_after_seconds, self.reason = "auto", 0, 0, None
            self.unavailable = False

    def state(self) -> dict[str, Any]:
        with self._lock:
            return {"mode": self.mode, "delay_seconds": self.delay_seconds,
                    "disclose_after_seconds": self.disclose_after_seconds, "reason": self.reason,
                    "unavailable": self.unavailable, "modes": list(MODES)}

    def update(self, body: dict[str, Any]) -> None:
        mode = body.get("mode", self.mode)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        numbers = {}
        for key in ("delay_seconds", "disclose_after_seconds"):
            value = body.get(key, getattr(self, key))
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 86400:
                raise ValueError(f"{key} must be a whole number of seconds from 0 to 86400")
            numbers[key] = value
        reason = body.get("reason", self.reason)
        if reason is not None and not isinstance(reason, str):
            raise ValueError("reason must be text")
        unavailable = body.get("unavailable", self.unavailable)
        if not isinstance(unavailable, bool):
            raise ValueError("unavailable must be true or false")
        with self._lock:
            self.mode, self.reason, self.unavailable = mode, reason, unavailable
            self.delay_seconds, self.disclose_after_seconds = numbers["delay_seconds"], numbers["disclose_after_seconds"]


def _iso(timestamp: int | None) -> str | None:
    return datetime.fromtimestamp(timestamp, JST).isoformat() if timestamp else None


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ValueError
    return value.strip()


def register_disclosure(app: Flask, *, db: PeerDatabase, issuer: str) -> None:
    DisclosureBase.metadata.create_all(db.engine)
    keys = BankKeys(os.environ.get(JWKS_URI_ENV, "").strip() or f"{issuer}/.well-known/jwks.json")
    controls = Controls()
    households = records.load_households()
    app.extensions["kashiwa_city_disclosure"] = controls

    def audience() -> str:
        return f"{own_base_url()}/disclosure"

    def verified(token: str, typ: str) -> dict[str, Any]:
        """The payload of a JWS signed by one of the bank's keys, with the bank's iss, our aud, not expired."""
        try:
            kid = jws.extract_compact(token.encode()).headers().get("kid")
            result = jws.deserialize_compact(token, keys.for_kid(kid), algorithms=["ES256"])
            payload = json.loads(result.payload)
        except Refused:
            raise
        except (JoseError, ValueError, TypeError) as error:
            raise _bad(typ, "署名を確認できません（改ざんされたか、Azukari の鍵で署名されていません）") from error
        if result.headers().get("typ") != typ or not isinstance(payload, dict):
            raise _bad(typ, "種類が違います")
        if payload.get("iss") != issuer:
            raise _bad(typ, "発行者（iss）が Azukari ではありません")
        if payload.get("aud") != audience():
            raise _bad(typ, "宛先（aud）がこの窓口ではありません")
        exp = payload.get("exp")
        if isinstance(exp, bool) or not isinstance(exp, int) or exp <= now():
            raise _bad(typ, "有効期限が切れています")
        return payload

    def authenticate() -> None:
        if controls.state()["unavailable"]:
            raise Refused(503, "temporarily_unavailable", "ただいまシステムを停止しています")
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refused(401, "invalid_client", "Authorization: Bearer（クライアントアサーション）が必要です")
        claims = verified(token.strip(), "JWT")
        iat, exp, jti = claims.get("iat"), claims["exp"], claims.get("jti")
        if claims.get("sub") != issuer or not isinstance(iat, int) or iat > now() + CLOCK_SKEW:
            raise _bad("JWT", "sub または iat が正しくありません")
        if exp - iat > MAX_ASSERTION_SECONDS or not isinstance(jti, str) or not 0 < len(jti) <= 255:
            raise _bad("JWT", "有効期間が長すぎるか、jti がありません")
        session = db.session
        session.execute(delete(UsedAssertion).where(UsedAssertion.expires_at < now()))
        session.add(UsedAssertion(jti=jti, expires_at=exp))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            raise _bad("JWT", "このアサーションはすでに使われています") from None

    def mandate_fields(payload: dict[str, Any]) -> dict[str, str]:
        try:
            mandator, scope = payload["mandator"], payload["scope"]
            period = scope["period"]
            request_id = str(uuid.UUID(_text(payload["jti"], 64)))
            fields = {"id": request_id, "name": _text(mandator["name"], 100),
                      "birth_date": date.fromisoformat(mandator["birth_date"]).isoformat(),
                      "address": _text(mandator["address"], 200),
                      "period_from": date.fromisoformat(period["from"]).isoformat(),
                      "period_to": date.fromisoformat(period["to"]).isoformat()}
        except (KeyError, TypeError, ValueError) as error:
            raise Refused(400, "invalid_mandate", "委任状の記載事項が足りないか、形式が正しくありません") from error
        if scope.get("records") != RECORDS or fields["period_from"] > fields["period_to"]:
            raise Refused(400, "invalid_mandate", "委任の範囲（記録の種類・期間）が正しくありません")
        return fields

    def settle(row: ReceivedRequest) -> None:
        """Decide a request once its time has come (the demo's 柏市 decides by itself unless held)."""
        if row.withdrawn_at or row.decision or row.mode == "hold" or now() < row.decide_at:
            return
        if row.mode == "not_disclose":
            decision, reason, found = "not_disclose", row.forced_reason or records.IDENTITY_NOT_CONFIRMED, []
        else:
            decision, reason, found = records.decide(households, name=row.name, birth_date=row.birth_date,
                                                     address=row.address, period=(row.period_from, row.period_to))
        row.decision, row.reason, row.decided_at = decision, reason, now()
        row.records_json = json.dumps(found, ensure_ascii=False)
        db.session.commit()

    def answer(row: ReceivedRequest, status: int = 200, *, decide: bool = True) -> ResponseReturnValue:
        if decide:  # never in the answer to the filing itself: the city acknowledges first, decides later
            settle(row)
        disclosed_at = (row.decided_at + row.disclose_delay) if row.decision == "disclose" and row.decided_at else None
        if row.withdrawn_at:
            state = "withdrawn"
        elif row.decision is None:
            state = "received"
        elif disclosed_at is not None and disclosed_at <= now():
            state = "disclosed"
        else:
            state = "decided"
        body = {"id": row.id, "status": state, "receipt_number": row.receipt_number(),
                "received_at": _iso(row.received_at), "deadline": row.deadline().isoformat(),
                "decision": row.decision, "reason": row.reason, "decided_at": _iso(row.decided_at),
                "disclosed_at": _iso(disclosed_at) if state == "disclosed" else None,
                "records": json.loads(row.records_json or "[]") if state == "disclosed" else None}
        return jsonify(body), status

    @app.errorhandler(Refused)
    def _refused(error: Refused) -> Response:
        return error.response()

    @app.post("/disclosure/requests")
    def file_request() -> ResponseReturnValue:
        authenticate()
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("mandate"), str) or len(body["mandate"]) > 20000:
            raise Refused(400, "invalid_request", "本文は {\"mandate\": \"<委任状の JWS>\"} にしてください")
        fields = mandate_fields(verified(body["mandate"], MANDATE_TYP))
        session = db.session
        existing = session.get(ReceivedRequest, fields["id"])
        if existing is not None:
            if existing.mandate != body["mandate"]:
                raise Refused(409, "conflict", "同じ番号の別の委任状をすでに受け付けています")
            return answer(existing, decide=False)
        settings = controls.state()
        number = (session.scalar(select(func.max(ReceivedRequest.number))) or 0) + 1
        row = ReceivedRequest(**fields, number=number, mandate=body["mandate"], received_at=now(),
                              mode=settings["mode"], decide_at=now() + settings["delay_seconds"],
                              disclose_delay=settings["disclose_after_seconds"], forced_reason=settings["reason"])
        session.add(row)
        session.commit()
        log.info("disclosure request %s received as number %s", row.id, number)
        return answer(row, 201, decide=False)

    def found(request_id: str) -> ReceivedRequest:
        authenticate()
        row = db.session.get(ReceivedRequest, request_id)
        if row is None:
            raise Refused(404, "not_found", "この番号の開示請求は受け付けていません")
        return row

    @app.get("/disclosure/requests/<request_id>")
    def read_request(request_id: str) -> ResponseReturnValue:
        return answer(found(request_id))

    @app.delete("/disclosure/requests/<request_id>")
    def withdraw_request(request_id: str) -> ResponseReturnValue:
        row = found(request_id)
        if row.withdrawn_at is None:
            row.withdrawn_at = now()
            db.session.commit()
        return answer(row)

    @app.route("/_test/disclosure", methods=["GET", "POST", "DELETE"])
    @loopback_only
    def test_disclosure() -> ResponseReturnValue:
        if request.method == "POST":
            try:
                controls.update(json_body())
            except ValueError as error:
                return bad_request(str(error))
        elif request.method == "DELETE":
            controls.reset()
        return jsonify(controls.state())

    @app.get("/_test/disclosure/requests")
    @loopback_only
    def test_requests() -> ResponseReturnValue:
        rows = db.session.scalars(select(ReceivedRequest).order_by(ReceivedRequest.number)).all()
        return jsonify([{"id": r.id, "receipt_number": r.receipt_number(), "name": r.name, "birth_date": r.birth_date,
                         "address": r.address, "period": [r.period_from, r.period_to], "mode": r.mode,
                         "decision": r.decision, "reason": r.reason, "withdrawn": r.withdrawn_at is not None}
                        for r in rows])


def _bad(typ: str, description: str) -> Refused:
    if typ == "JWT":
        return Refused(401, "invalid_client", description)
    return Refused(400, "invalid_mandate", description)
