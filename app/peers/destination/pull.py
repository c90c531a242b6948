"""The destination as a client of the bank (patterns 1 and 3): pull the transfers ready for the resident, check
every item as the importer does, store it, and answer each transfer with a signed receipt.

Runs right after the resident connects (bank_link's `on_connected`), on "もう一度受け取る" (`POST /azukari/pull`)
and on `POST /_test/pull`. The bank's trouble is never a 500: it ends the pull with a Japanese message (bank_link
turns a `BankError` into the outcome). The `drop_item` and `wrong_hash` switches act here too, so the bank's
receipt check can be tested in these patterns as well.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from app.peers.authserver.storage import PeerDatabase
from app.peers.authserver.testing import Switches
from app.peers.bank_link import BankLink, BankUnavailable, Outcome, response_json
from app.peers.destination import intake
from app.peers.destination.importer import DROP_ITEM, WRONG_HASH
from app.peers.destination.profile import DestinationProfile
from app.peers.destination.storage import VIA_PULL, ImportJob, account_by_sub, job_by_bank_id, job_item_count, new_job
from app.peers.recipient.bank import BANK_GARBAGE

log = logging.getLogger(__name__)

PAGE_LIMIT = 500
# A bank that keeps answering with a next cursor would otherwise hold the pull forever.
MAX_PAGES = 200
_TRANSFER_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")

BANK_ERROR = "Azukari がエラーを返しました（{status}）。しばらくしてからもう一度お試しください。"
FULL_MESSAGE = "保存容量の上限に達したため、受け取りを途中で止めました。不要なデータを整理してからもう一度お試しください。"
UNKNOWN_ACCOUNT = "このアカウントは見つかりません。"


@dataclass
class TransferResult:
    id: str
    status: str = "pending"  # verified | mismatch | full | skipped (the bank's failures end the whole pull)
    stored: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    mismatch: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "stored": self.stored, "accepted": self.accepted,
                "duplicates": self.duplicates, "rejected": self.rejected, "mismatch": self.mismatch,
                "message": self.message}


class Puller:
    def __init__(self, profile: DestinationProfile, db: PeerDatabase, switches: Switches, *, quota_items: int,
                 issuer: Any) -> None:
        self.profile = profile
        self.db = db
        self.switches = switches
        self.quota_items = quota_items
        self.issuer = issuer  # this peer's base URL, read at request time (the receipt's `iss`)
        self.link: BankLink | None = None  # set once the link exists (it needs this object's `pull` first)

    def pull(self, subject: str) -> Outcome:
        """Every ready transfer for the account, in the bank's order; stops at the first failure of the bank."""
        link = self._link()
        if account_by_sub(self.db.session, subject) is None:
            return Outcome(False, UNKNOWN_ACCOUNT)
        self.db.session.commit()  # bank_link opens its own sessions; leave no transaction open on this thread
        listing = _ok_json(link.authorized_request(subject, "GET", "/transfers"))
        transfers = listing.get("transfers")
        if not isinstance(transfers, list) or not all(isinstance(entry, dict) for entry in transfers):
            raise BankUnavailable(BANK_GARBAGE)
        results = [self._transfer(link, subject, entry) for entry in transfers if entry.get("status", "ready") == "ready"]
        return _outcome(results)

    def _link(self) -> BankLink:
        if self.link is None:
            raise RuntimeError("the destination's bank link is not set up")
        return self.link

    def _transfer(self, link: BankLink, subject: str, entry: dict[str, Any]) -> TransferResult:
        transfer_id = entry.get("id")
        if not isinstance(transfer_id, str) or not _TRANSFER_ID.match(transfer_id) or ".." in transfer_id:
            raise BankUnavailable(BANK_GARBAGE)
        result = TransferResult(transfer_id)
        if entry.get("format", self.profile.format) != self.profile.format:
            result.status, result.message = "skipped", f"形式 {entry.get('format')} は受け取れません。"
            return result
        path = f"/transfers/{quote(transfer_id, safe='')}"
        session = self.db.session
        account = account_by_sub(session, subject)
        if account is None:  # deleted while the pull ran
            raise BankUnavailable(UNKNOWN_ACCOUNT)
        job = job_by_bank_id(session, account, transfer_id)
        if job is None:
            expected = entry.get("items")
            job = new_job(session, account, bank_job=transfer_id, format_name=self.profile.format, via=VIA_PULL,
                          expected_items=expected if isinstance(expected, int) and not isinstance(expected, bool)
                          else None, now=int(time.time()))
        job_id = job.id
        session.commit()

        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            params = {"limit": str(PAGE_LIMIT), **({"cursor": cursor} if cursor else {})}
            page = _ok_json(link.authorized_request(subject, "GET", f"{path}/items", params=params))
            envelopes, cursor = page.get("items"), page.get("next_cursor")
            if not isinstance(envelopes, list) or len(envelopes) > PAGE_LIMIT or not (cursor is None or isinstance(cursor, str)):
                raise BankUnavailable(BANK_GARBAGE)
            session = self.db.session
            account, job = account_by_sub(session, subject), session.get(ImportJob, job_id)
            assert account is not None and job is not None
            try:
                outcome = intake.receive(session, self.profile, account, job, envelopes, quota=self.quota_items,
                                         drop_first=self.switches.mode == DROP_ITEM, now=int(time.time()))
            except intake.DestinationFull:
                session.rollback()
                result.status, result.message = "full", FULL_MESSAGE
                return result
            session.commit()
            result.accepted += len(outcome.accepted)
            result.duplicates += len(outcome.duplicates)
            result.rejected.extend(outcome.rejected)
            if cursor is None:
                break
            if cursor in seen:  # a cursor that comes round again would loop forever
                raise BankUnavailable(BANK_GARBAGE)
            seen.add(cursor)
        else:
            raise BankUnavailable(BANK_GARBAGE)

        session = self.db.session
        job = session.get(ImportJob, job_id)
        assert job is not None
        intake.mark_completed(job, int(time.time()))
        session.commit()
        payload = intake.receipt_payload(session, job, issuer=self.issuer(),
                                         wrong_hash=self.switches.mode == WRONG_HASH)
        result.stored = job_item_count(session, job)
        session.commit()
        answer = link.authorized_request(subject, "POST", f"{path}/receipt", json={"receipt": link.sign(payload)})
        if answer.status_code == 409:
            body = response_json(answer)
            result.status = "mismatch"
            result.mismatch = {name: body.get(name) if isinstance(body.get(name), list) else []
                               for name in ("missing", "changed", "unexpected")}
            result.message = "Azukari が受領書の内容を確認できませんでした（受け取った内容が一致しません）。"
            return result
        body = _ok_json(answer)
        if body.get("status") != "verified":
            raise BankUnavailable(BANK_GARBAGE)
        result.status = "verified"
        return result


def _ok_json(response: requests.Response) -> dict[str, Any]:
    if response.status_code != 200:
        log.warning("bank transfer API answered %s", response.status_code)
        # A gateway's 502-504 means the bank is not there to answer; anything else is the bank's own answer.
        if response.status_code in (502, 503, 504):
            raise BankUnavailable()
        raise BankUnavailable(BANK_ERROR.format(status=response.status_code))
    return response_json(response)


def _outcome(results: list[TransferResult]) -> Outcome:
    data = {"transfers": [result.as_json() for result in results]}
    if not results:
        return Outcome(True, "Azukari に受け取り待ちのデータはありませんでした。", data=data)
    verified = [result for result in results if result.status == "verified"]
    accepted = sum(result.accepted for result in results)
    lines = tuple(_line(result) for result in results)
    if len(verified) == len(results):
        message = f"Azukari から {accepted}件を受け取りました（{len(results)}件の移行、受領書は確認済み）。"
        return Outcome(True, message, lines, data)
    message = next(result.message for result in results if result.status != "verified")
    return Outcome(False, message, lines, data)


def _line(result: TransferResult) -> str:
    status = {"verified": "確認済み", "mismatch": "不一致", "full": "容量超過", "skipped": "対象外"}.get(result.status, "エラー")
    rejected = f"、受け取れなかったもの {len(result.rejected)}件" if result.rejected else ""
    return (f"移行 {result.id}：新しく {result.accepted}件、重複 {result.duplicates}件{rejected}、"
            f"保存 {result.stored}件（{status}）")
