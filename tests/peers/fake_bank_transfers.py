"""The bank's transfer API (docs/switching.md "Destinations as clients of the bank"), faked on the fake bank, so a
destination's pull can be tested over real HTTP on its own.

`add_transfer_routes(app, state)` adds, behind the fake bank's bearer tokens (same rules as its `/api/v1/me`):

- `GET /api/v1/transfers`: the transfers ready for the token's client and resident;
- `GET /api/v1/transfers/{id}/items?cursor=&limit=` (limit 1–500, the cursor an opaque offset);
- `POST /api/v1/transfers/{id}/receipt`: the JWS verified against the client's `jwks_uri` (ES256, the `kid` it
  names; `iss` = the client's base URL, `job` = the transfer), then compared item by item with the manifest:
  200 `verified`, or 409 `receipt_mismatch` with `missing`, `changed` and `unexpected`.

Controls: `POST /_fake/transfers` `{"id", "client_id", "resident", "format", "items": [<item>], "wrong_digest":
[ids]?}` (the digests are computed here, over RFC 8785; `wrong_digest` sends a wrong one for those ids),
`GET /_fake/transfers` (each with its status, receipts and pages served), `POST /_fake/transfer_switches`
`{"items_status": <HTTP status or null>}` (the items endpoint answers that status instead).
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests
import rfc8785
from flask import Flask, Response, jsonify, request

MAX_LIMIT = 500
JWKS_PATH = "/.well-known/jwks.json"


def digest(item: dict[str, Any]) -> str:
    return hashlib.sha256(rfc8785.dumps(item)).hexdigest()


def _bearer_error(error: str, status: int) -> tuple[Response, int, dict[str, str]]:
    return jsonify(error=error), status, {"WWW-Authenticate": f'Bearer error="{error}"'}


def add_transfer_routes(app: Flask, state: Any) -> None:
    """Add the transfer API and its controls to the fake bank `app`, whose `FakeBankState` is `state`."""
    transfers: dict[str, dict[str, Any]] = {}
    switches: dict[str, Any] = {"items_status": None}

    def bearer() -> tuple[dict[str, Any] | None, Any]:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None, (jsonify(error="invalid_request"), 401, {"WWW-Authenticate": "Bearer"})
        entry = state.access.get(header.removeprefix("Bearer "))
        if entry is None or entry["expires"] < time.time() or entry["family"] in state.revoked_families:
            return None, _bearer_error("invalid_token", 401)
        client = state.clients[entry["client_id"]]
        if (client["recipient"], entry["resident"]) in state.withdrawn:
            return None, _bearer_error("consent_required", 403)
        return {**entry, "client": client}, None

    def transfer_for(entry: dict[str, Any], transfer_id: str) -> dict[str, Any] | None:
        transfer = transfers.get(transfer_id)
        if transfer is None or transfer["client_id"] != entry["client_id"] or transfer["resident"] != entry["resident"]:
            return None
        return transfer

    @app.get("/api/v1/transfers")
    def list_transfers() -> Any:
        with state.lock:
            state.events.append("transfers")
            entry, refusal = bearer()
            if entry is None:
                return refusal
            ready = [{"id": t["id"], "status": "ready", "format": t["format"], "items": len(t["envelopes"])}
                     for t in transfers.values() if t["status"] == "ready" and transfer_for(entry, t["id"])]
            return jsonify(transfers=ready)

    @app.get("/api/v1/transfers/<transfer_id>/items")
    def transfer_items(transfer_id: str) -> Any:
        with state.lock:
            state.events.append("transfer_items")
            entry, refusal = bearer()
            if entry is None:
                return refusal
            if switches["items_status"]:
                return jsonify(error="server_error"), int(switches["items_status"])
            transfer = transfer_for(entry, transfer_id)
            if transfer is None:
                return jsonify(error="not_found"), 404
            cursor, limit = request.args.get("cursor") or "0", request.args.get("limit", "")
            if not cursor.isdigit() or not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
                return jsonify(error="invalid_request"), 400
            start, end = int(cursor), int(cursor) + int(limit)
            transfer["pages"].append({"cursor": request.args.get("cursor"), "limit": int(limit)})
            # `true_sha256` is the fake's own note and does not travel.
            page = [{k: v for k, v in e.items() if k != "true_sha256"} for e in transfer["envelopes"][start:end]]
            return jsonify(items=page, next_cursor=str(end) if end < len(transfer["envelopes"]) else None)

    @app.post("/api/v1/transfers/<transfer_id>/receipt")
    def receipt(transfer_id: str) -> Any:
        with state.lock:
            state.events.append("receipt")
            entry, refusal = bearer()
            if entry is None:
                return refusal
            transfer = transfer_for(entry, transfer_id)
            client = entry["client"]
        if transfer is None:
            return jsonify(error="not_found"), 404
        token = (request.get_json(silent=True) or {}).get("receipt", "")
        try:  # outside the lock: fetching the client's keys calls the client, which may be calling us
            jwks = requests.get(client["jwks_uri"], timeout=5).json()
            key = jwt.PyJWKSet.from_dict(jwks)[jwt.get_unverified_header(token)["kid"]]
            payload = json.loads(jwt.PyJWS().decode(token, key.key, algorithms=["ES256"]))
        except (jwt.PyJWTError, KeyError, ValueError, requests.RequestException):
            return jsonify(error="invalid_receipt"), 400
        base = client["jwks_uri"].removesuffix(JWKS_PATH)
        if payload.get("receipt_version") != 1 or payload.get("job") != transfer_id or payload.get("iss") != base \
                or urlsplit(base).scheme != "http":
            return jsonify(error="invalid_receipt"), 400
        expected = {e["id"]: e["true_sha256"] for e in transfer["envelopes"]}
        stated = {e["id"]: e["sha256"] for e in payload.get("items", [])}
        verdict = {
            "missing": sorted(expected.keys() - stated.keys()),
            "changed": sorted(i for i in expected.keys() & stated.keys() if expected[i] != stated[i]),
            "unexpected": sorted(stated.keys() - expected.keys()),
        }
        with state.lock:
            transfer["receipts"].append({"payload": payload, **verdict})
            if any(verdict.values()):
                return jsonify(error="receipt_mismatch", **verdict), 409
            transfer["status"] = "verified"
        return jsonify(status="verified")

    @app.post("/_fake/transfers")
    def add_transfer() -> Any:
        body = request.get_json()
        wrong = set(body.get("wrong_digest", []))
        envelopes = []
        for item in body["items"]:
            true = digest(item)
            sent = hashlib.sha256(b"wrong" + true.encode()).hexdigest() if item["id"] in wrong else true
            # `true_sha256`: what a receipt must state for the item, whatever digest was sent with it.
            envelopes.append({"id": item["id"], "sha256": sent, "item": item, "true_sha256": true})
        with state.lock:
            transfers[body["id"]] = {"id": body["id"], "client_id": body["client_id"], "resident": body["resident"],
                                     "format": body["format"], "envelopes": envelopes, "status": "ready",
                                     "receipts": [], "pages": []}
        return jsonify(ok=True)

    @app.get("/_fake/transfers")
    def show_transfers() -> Any:
        with state.lock:
            return jsonify([{key: value for key, value in t.items() if key != "envelopes"}
                            for t in transfers.values()])

    @app.post("/_fake/transfer_switches")
    def transfer_switches() -> Any:
        switches.update(request.get_json())
        return jsonify(switches)
