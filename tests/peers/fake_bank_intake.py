"""The bank's intake API (docs/switching.md, "Google as a client of the bank"), faked on tests/peers/fake_bank.py.

`add_intake_routes(app)` adds, to the fake bank's app:

- `GET /api/v1/intake` → `{"waiting": [{"id", "kinds"}]}`: the jobs waiting for the token's resident;
- `POST /api/v1/intake/<id>/records` → `{"received", "duplicates"}`, idempotent per `(kind, id)`; ≤ 500 records;
  409 `not_waiting` once the job is complete;
- `POST /api/v1/intake/<id>/complete` `{"counts"}` → `{"status": "received"}` or 409 `count_mismatch` with
  `expected` (what the sender says) and `received` (what arrived here);

and the controls `POST /_fake/intake/jobs` `{"resident", "kinds", "id"?}`, `POST /_fake/intake/switches`
(`records_status`: answer records calls with this status; `records_429_once`: the next records call gets 429 with
`Retry-After: 1`; `force_mismatch`: complete answers 409 count_mismatch) and `GET /_fake/intake/state`.
Bearer tokens are the fake bank's own (its `state.access`), checked as its `/api/v1/me` checks them.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from flask import Flask, jsonify, request

MAX_RECORDS = 500
DEFAULT_SWITCHES: dict[str, Any] = {"records_status": None, "records_429_once": False, "force_mismatch": False}


def add_intake_routes(app: Flask) -> None:
    state = app.extensions["fake_bank"]
    jobs: dict[str, dict[str, Any]] = {}
    switches: dict[str, Any] = dict(DEFAULT_SWITCHES)
    app.extensions["fake_bank_intake"] = jobs

    def bearer() -> tuple[dict[str, Any] | None, Any]:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None, (jsonify(error="invalid_request"), 401, {"WWW-Authenticate": "Bearer"})
        entry = state.access.get(header.removeprefix("Bearer "))
        if entry is None or entry["expires"] < time.time() or entry["family"] in state.revoked_families:
            return None, (jsonify(error="invalid_token"), 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if (state.clients[entry["client_id"]]["recipient"], entry["resident"]) in state.withdrawn:
            return None, (jsonify(error="consent_required"), 403,
                          {"WWW-Authenticate": 'Bearer error="consent_required"'})
        return entry, None

    def job_for(entry: dict[str, Any], job_id: str) -> dict[str, Any] | None:
        job = jobs.get(job_id)
        return job if job is not None and job["resident"] == entry["resident"] else None

    @app.get("/api/v1/intake")
    def intake_waiting() -> Any:
        with state.lock:
            state.events.append("intake")
            entry, refusal = bearer()
            if entry is None:
                return refusal
            waiting = [{"id": job_id, "kinds": job["kinds"]} for job_id, job in jobs.items()
                       if job["resident"] == entry["resident"] and job["status"] == "waiting"]
            return jsonify(waiting=waiting)

    @app.post("/api/v1/intake/<job_id>/records")
    def intake_records(job_id: str) -> Any:
        with state.lock:
            state.events.append("records")
            entry, refusal = bearer()
            if entry is None:
                return refusal
            job = job_for(entry, job_id)
            if job is None:
                return jsonify(error="not_found"), 404
            if switches["records_429_once"]:
                switches["records_429_once"] = False
                return jsonify(error="rate_limited"), 429, {"Retry-After": "1"}
            if switches["records_status"]:
                return jsonify(error="server_error"), int(switches["records_status"])
            if job["status"] != "waiting":
                return jsonify(error="not_waiting"), 409
            records = (request.get_json(silent=True) or {}).get("records")
            if not isinstance(records, list) or len(records) > MAX_RECORDS:
                return jsonify(error="invalid_request"), 400
            if not all(isinstance(r, dict) and isinstance(r.get("kind"), str) and isinstance(r.get("id"), str)
                       for r in records):
                return jsonify(error="invalid_record"), 400
            job["batches"].append(len(records))
            received = duplicates = 0
            for record in records:
                key = (record["kind"], record["id"])
                if key in job["records"]:
                    duplicates += 1
                else:
                    job["records"][key] = record
                    received += 1
            return jsonify(received=received, duplicates=duplicates)

    @app.post("/api/v1/intake/<job_id>/complete")
    def intake_complete(job_id: str) -> Any:
        with state.lock:
            state.events.append("complete")
            entry, refusal = bearer()
            if entry is None:
                return refusal
            job = job_for(entry, job_id)
            if job is None:
                return jsonify(error="not_found"), 404
            counts = (request.get_json(silent=True) or {}).get("counts")
            held: dict[str, int] = {}
            for kind, _ in job["records"]:
                held[kind] = held.get(kind, 0) + 1
            job["claimed"] = counts
            expected = {kind: n for kind, n in (counts or {}).items() if n}
            if switches["force_mismatch"] or expected != held:
                return jsonify(error="count_mismatch", expected=counts, received=held), 409
            job["status"] = "received"
            return jsonify(status="received")

    @app.post("/_fake/intake/jobs")
    def intake_new_job() -> Any:
        body = request.get_json()
        job_id = body.get("id") or f"job-{secrets.token_hex(6)}"
        with state.lock:
            jobs[job_id] = {"resident": body["resident"], "kinds": body["kinds"], "status": "waiting",
                            "records": {}, "batches": [], "claimed": None}
        return jsonify(id=job_id)

    @app.post("/_fake/intake/switches")
    def intake_switches() -> Any:
        body = request.get_json()
        with state.lock:
            switches.update(DEFAULT_SWITCHES if body.get("reset") else body)
            return jsonify(switches)

    @app.get("/_fake/intake/state")
    def intake_state() -> Any:
        with state.lock:
            return jsonify({job_id: {"resident": job["resident"], "kinds": job["kinds"], "status": job["status"],
                                     "batches": job["batches"], "claimed": job["claimed"],
                                     "records": [record for record in job["records"].values()]}
                            for job_id, job in jobs.items()})
