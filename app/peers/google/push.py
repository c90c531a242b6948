"""Google as a client of the bank: push everything the bank is waiting for to its intake API (docs/switching.md,
"Google as a client of the bank").

`GET /intake` names the resident's jobs waiting for Google and the kinds each wants; for each job the read API's
resources of those kinds go to `POST /intake/{id}/records` in batches of at most 500 (the bank keeps them
idempotent per `(kind, id)`, so pushing again after a failure is safe), then `POST /intake/{id}/complete` says
how many of each kind were sent. A 429 or 503 is retried twice after its `Retry-After` (at most 5 s); every
other failure ends that job with a Japanese message in the outcome. Nothing here raises: the result page and
`/_test/push` always get an `Outcome`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from app.peers.bank_link import BankError, BankLink, Outcome, response_json
from app.peers.google import resources
from app.peers.google.accounts import Account

log = logging.getLogger(__name__)

BATCH_SIZE = 500
RETRIES = 2
MAX_RETRY_AFTER_SECONDS = 5.0
_JOB_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
NOTHING_WAITING = ("Azukari に、Google からのデータを待っている手続きがありません。"
                   "Azukari の「のりかえ」から手続きを始めてから、もう一度お試しください。")
BANK_BUSY = "Azukari が混み合っているか、一時的に受け付けられません（HTTP {status}）。しばらくしてからもう一度お試しください。"
JOB_CLOSED = "この手続きは Azukari でもう受け付けを終えています（HTTP 409）。Azukari で手続きの状態を確かめてください。"
COUNT_MISMATCH = "Azukari が受け取った件数と、送った件数が一致しませんでした。もう一度送ってください。"
REFUSED = "Azukari がデータを受け付けませんでした（HTTP {status}、{error}）。"


class JobFailed(Exception):
    def __init__(self, message: str, status: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class Pusher:
    def __init__(self, link: BankLink, account_of: Callable[[str], Account | None],
                 deleted_of: Callable[[str], set[str]]) -> None:
        self.link = link
        self.account_of = account_of
        self.deleted_of = deleted_of
        # One push at a time: two clicks must not interleave batches of the same job.
        self.lock = threading.Lock()

    def push(self, sub: str) -> Outcome:
        account = self.account_of(sub)
        if account is None:
            return Outcome(False, "このアカウントは見つかりません。")
        with self.lock:
            try:
                waiting = self._waiting(sub)
            except BankError as error:
                return Outcome(False, error.message, data={"jobs": [], "error": error.code or "bank_error"})
            if not waiting:
                return Outcome(False, NOTHING_WAITING, data={"jobs": []})
            deleted = self.deleted_of(sub)
            jobs = [self._push_job(sub, account, deleted, job_id, kinds) for job_id, kinds in waiting]
        return _summary(jobs)

    def _waiting(self, sub: str) -> list[tuple[str, list[str]]]:
        response = self._call(sub, "GET", "/intake")
        if response.status_code != 200:
            raise BankError(_failure(response))
        waiting = response_json(response).get("waiting")
        if not isinstance(waiting, list):
            raise BankError("Azukari から想定外の応答がありました（待っている手続きの一覧）。")
        jobs = []
        for entry in waiting:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str) and _JOB_ID.match(entry["id"]) \
                    and isinstance(entry.get("kinds"), list) and all(isinstance(kind, str) for kind in entry["kinds"]):
                jobs.append((entry["id"], list(dict.fromkeys(entry["kinds"]))))
            else:
                log.warning("ignored a malformed waiting job from the bank")
        return jobs

    def _push_job(self, sub: str, account: Account, deleted: set[str], job_id: str, kinds: list[str]) -> dict[str, Any]:
        records: list[dict[str, Any]] = []
        counts: dict[str, int] = {}
        for kind in kinds:
            of_kind = resources.records_of_kind(account, kind, deleted)
            if kind not in resources.KIND_LABELS:
                log.info("the bank asked for a kind Google does not have: %s", kind[:64])
            counts[kind] = len(of_kind)
            records.extend(of_kind)
        result: dict[str, Any] = {"id": job_id, "counts": counts, "received": 0, "duplicates": 0}
        try:
            for start in range(0, len(records), BATCH_SIZE):
                response = self._call(sub, "POST", f"/intake/{job_id}/records",
                                      json={"records": records[start:start + BATCH_SIZE]})
                if response.status_code != 200:
                    raise JobFailed(_failure(response))
                answer = response_json(response)
                for key in ("received", "duplicates"):
                    value = answer.get(key)
                    result[key] += value if isinstance(value, int) and not isinstance(value, bool) else 0
            response = self._call(sub, "POST", f"/intake/{job_id}/complete", json={"counts": counts})
            if response.status_code == 409 and _json_or_empty(response).get("error") == "count_mismatch":
                body = _json_or_empty(response)
                result.update(expected=body.get("expected"), bank_received=body.get("received"))
                raise JobFailed(COUNT_MISMATCH, "count_mismatch")
            if response.status_code != 200:
                raise JobFailed(_failure(response))
            result.update(status="received", message=None)
        except JobFailed as failure:
            result.update(status=failure.status, message=failure.message)
        except BankError as error:
            result.update(status="error", message=error.message)
        return result

    def _call(self, sub: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The bank's answer, after waiting out up to two 429/503s as their `Retry-After` says."""
        for attempt in range(RETRIES + 1):
            response = self.link.authorized_request(sub, method, path, **kwargs)
            if response.status_code not in (429, 503) or attempt == RETRIES:
                return response
            time.sleep(_retry_after(response))
        raise AssertionError("unreachable")  # the loop always returns


def _retry_after(response: requests.Response) -> float:
    try:
        seconds = float(response.headers.get("Retry-After", "1"))
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _json_or_empty(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _failure(response: requests.Response) -> str:
    status = response.status_code
    if status in (429, 503) or status >= 500:
        return BANK_BUSY.format(status=status)
    if status == 409:
        return JOB_CLOSED
    error = _json_or_empty(response).get("error")
    return REFUSED.format(status=status, error=error if isinstance(error, str) else "理由不明")


def _summary(jobs: list[dict[str, Any]]) -> Outcome:
    done = [job for job in jobs if job["status"] == "received"]
    totals: dict[str, int] = {}
    for job in done:
        for kind, count in job["counts"].items():
            totals[kind] = totals.get(kind, 0) + count
    lines = tuple(f"{resources.KIND_LABELS.get(kind, kind)}：{count}件" for kind, count in totals.items())
    failures = [job["message"] for job in jobs if job["status"] != "received"]
    if not failures:
        return Outcome(True, f"Azukari にデータを送りました（{len(done)}件の手続き）。", lines, {"jobs": jobs})
    message = failures[0] if len(failures) == 1 else f"{len(failures)}件の手続きで送信に失敗しました：{failures[0]}"
    return Outcome(False, message, lines, {"jobs": jobs})

