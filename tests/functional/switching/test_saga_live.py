"""The transfer saga against killed workers, between real processes (the bank under gunicorn, its workers, the
google, blog-a, tv-a and health-b peers), and a consent withdrawn in the middle of a delivery.

The worker is started with FAULT_KILL_AT (app/switching/saga.py): it SIGKILLs itself right after committing each
listed state, once per job and state. A supervisor starts the next worker each time, which takes the job over once
the dead one's lease has run out. Whatever the kills, each transfer must end with the destination holding exactly
the manifest's items (each once), the receipt matching, and the source asked to delete at most once.
"""

from __future__ import annotations

import glob
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from app.demo.seed import DEMO_RESIDENTS
from app.demo.switching_driver import DemoResident, forms_of
from app.switching import registry
from app.switching.models import JobState
from e2e.server import LiveServer
from tests.functional.switching.live_stack import import_export, query, ready_to_send, switching_stack

HANAKO, TARO, EMILY = DEMO_RESIDENTS[:3]
# Every boundary the worker crosses in a pull-and-push transfer with a deletion at the source (pattern 2).
WORKER_BOUNDARIES = (JobState.EXPORTING, JobState.CONVERTING, JobState.COLLECTED, JobState.DELIVERING,
                     JobState.VERIFYING, JobState.VERIFIED, JobState.SOURCE_CONTRACT_ENDED,
                     JobState.SOURCE_DELETION_REQUESTED, JobState.COMPLETE)


@pytest.fixture(scope="module")
def live(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"JOB_LEASE_SECONDS": "3",  # a killed worker's job is taken over within seconds
           "TRANSFER_PUSH_BATCH": "10",  # many acknowledged batches: a withdrawal falls between two
           "OUTBOUND_TIMEOUT_SECONDS": "2"}  # the `slow` switch times calls out quickly
    with switching_stack(database_url, tmp_path_factory.mktemp("saga-live"),
                         exports_for=(HANAKO.email, TARO.email, EMILY.email), env=env, worker=False) as server:
        yield server


@pytest.fixture()
def worker(live: LiveServer) -> Iterator[None]:
    """One ordinary worker for the test (the kill tests start their own)."""
    process = live.start_worker()
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=15)
        live.processes.remove(process)


class KillingWorkers:
    """Workers that kill themselves at the given states, one after another: each time one dies, the next starts."""

    def __init__(self, live: LiveServer, states: tuple[str, ...]) -> None:
        self.live, self.env = live, {"FAULT_KILL_AT": ",".join(states)}
        self.kills = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> KillingWorkers:
        self.worker = self.live.start_worker(self.env)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.is_set():
            code = self.worker.poll()
            if code is not None:
                self.live.processes.remove(self.worker)
                if code == -9:
                    self.kills += 1
                self.worker = self.live.start_worker(self.env)
            time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        try:  # the last kill (right after `complete` is committed) may come just after the page showed it
            if self.worker.wait(timeout=2) == -9:
                self.kills += 1
        except subprocess.TimeoutExpired:
            self.worker.terminate()
            self.worker.wait(timeout=15)
        if self.worker in self.live.processes:
            self.live.processes.remove(self.worker)


def _job(live: LiveServer, job_id: str) -> dict[str, Any]:
    row, = query(live, "SELECT state, error, manifest, receipt, deletion, collected FROM transfer_job "
                           "WHERE id = :id", id=job_id)
    return dict(row._mapping)


def _held(live: LiveServer, destination: str, email: str, job_id: str) -> list[str]:
    held = requests.get(f"{live.peer_urls[destination]}/_test/received", params={"login_id": email}, timeout=10).json()
    return [item["id"] for job in held["jobs"] if job["job"] == job_id for item in job["items"]]


def _google_deletions(live: LiveServer, reference: str) -> int:
    """How many deletions Google holds for this reference (its own table: asked again, it answers the same one)."""
    found = 0
    for path in glob.glob(str(live.workdir / "peers" / "**" / "*.sqlite3"), recursive=True):
        with sqlite3.connect(path) as db:
            if db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'google_deletion'").fetchone()[0]:
                found += db.execute("SELECT count(*) FROM google_deletion WHERE reference = ?", (reference,)).fetchone()[0]
    return found


def _restore_google(live: LiveServer) -> None:
    """Google's demo content is derived from the login id: forgetting its terminations and deletions gives every
    demo account its data back (the matrix deletes at the source again and again)."""
    for path in glob.glob(str(live.workdir / "peers" / "**" / "*.sqlite3"), recursive=True):
        with sqlite3.connect(path) as db:
            if db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'google_deletion'").fetchone()[0]:
                db.execute("DELETE FROM google_deletion")
                db.execute("DELETE FROM google_service_state")


def _withdraw(live: LiveServer, resident: DemoResident, recipient: str, purpose: str) -> None:
    """The resident withdraws on the Consents page (its form posts to /consents/<offer>/withdraw)."""
    (offer_id,), = query(live, "SELECT id FROM consent_offer WHERE recipient_key = :r AND purpose_key = :p",
                          r=recipient, p=purpose)
    token = forms_of(resident.browser.get(f"{live.url}/consents"))[0].fields["csrf_token"]
    answer = resident.browser.http.post(f"{live.url}/consents/{offer_id}/withdraw", data={"csrf_token": token},
                                        timeout=30)
    assert answer.status_code in (200, 303), answer.status_code


def _ledger(live: LiveServer, email: str) -> list[tuple[int, str, dict[str, Any]]]:
    (resident_id,), = query(live, "SELECT id FROM resident WHERE email = :email", email=email)
    rows = query(live, """SELECT r.seq, r.kind, p.body FROM ledger_record r JOIN ledger_chain c ON c.id = r.chain_id
                           JOIN ledger_payload p ON p.record_id = r.id
                           WHERE c.subject = :subject ORDER BY r.seq""", subject=f"resident:{resident_id}")
    return [(seq, kind, body) for seq, kind, body in rows]


def _transfer_steps(live: LiveServer, email: str, job_id: str) -> list[str]:
    (resident_id,), = query(live, "SELECT id FROM resident WHERE email = :email", email=email)
    rows = query(live, """SELECT r.kind, p.body FROM ledger_record r JOIN ledger_chain c ON c.id = r.chain_id
                           JOIN ledger_payload p ON p.record_id = r.id
                           WHERE c.subject = :subject ORDER BY r.seq""", subject=f"resident:{resident_id}")
    return [f"{kind}:{body.get('step')}" for kind, body in rows if body.get("job") == job_id
            and kind in ("transfer", "deletion")]


def _switch_with_deletion(live: LiveServer, person: Any, case: str, pattern: int) -> tuple[DemoResident, str]:
    """The whole switch through the pages (the demo driver), then the old service's side: Google deletes, or the
    bank purges its copy of an uploaded export."""
    resident = DemoResident(live.url, person.email, person.password, dict(live.peer_urls))
    resident.wait_seconds = 180
    job_id = resident.switch(case, pattern)["job"]
    job_url = f"{live.url}/switching/jobs/{job_id}"
    source = registry.CASES[case].source
    if registry.SOURCES[source].has_api and pattern in registry.SOURCE_PUSHES:
        resident.connect(source)  # Google pushed by itself; deleting there needs the bank's connection to it
    resident.press(job_url, "delete-at-source" if registry.SOURCES[source].has_api else "purge")
    resident.wait_for(job_url, "complete")
    return resident, job_id


def _assert_whole_and_once(live: LiveServer, email: str, job_id: str, destination: str) -> dict[str, Any]:
    job = _job(live, job_id)
    assert job["state"] == JobState.COMPLETE and job["error"] is None
    manifest_ids = sorted(entry["id"] for entry in job["manifest"]["items"])
    held = _held(live, destination, email, job_id)
    assert sorted(held) == manifest_ids  # the destination's count is the source's, and no item twice
    assert sorted(entry["id"] for entry in job["receipt"]["items"]) == manifest_ids
    assert sum(job["collected"].values()) == len(manifest_ids)
    return job


def test_a_worker_killed_at_every_state_boundary_still_completes_the_switch_once(live: LiveServer) -> None:
    with KillingWorkers(live, WORKER_BOUNDARIES) as workers:
        _resident, job_id = _switch_with_deletion(live, TARO, "i", 2)
    assert workers.kills == len(WORKER_BOUNDARIES)  # one kill at each boundary, each survived
    job = _assert_whole_and_once(live, TARO.email, job_id, "blog-a")
    assert job["deletion"]["status"] == "done" and _google_deletions(live, job_id) == 1
    # The ledger tells the story once, in order, whatever the kills.
    assert _transfer_steps(live, TARO.email, job_id) == [
        "transfer:started", "transfer:destination_terms_accepted", "transfer:delivering", "deletion:pass_through",
        "transfer:verified", "deletion:requested", "transfer:source_contract_ended", "deletion:certificate",
        "transfer:complete"]


def test_a_consent_withdrawn_while_delivering_cancels_and_nothing_more_is_sent(live: LiveServer, worker: None) -> None:
    """The importer is slow, so the delivery is under way when the resident withdraws on the consent page."""
    resident = DemoResident(live.url, EMILY.email, EMILY.password, dict(live.peer_urls))
    job_url, switches = ready_to_send(live, resident, "iii")
    try:
        requests.post(switches, json={"misbehave": "slow", "slow_seconds": 2}, timeout=10)
        resident.agree_and_send(job_url)
        resident.wait_for(job_url, "delivering")
        ends = time.monotonic() + 60
        while not _held(live, "tv-a", EMILY.email, job_url.rsplit("/", 1)[-1]) and time.monotonic() < ends:
            time.sleep(0.3)  # the first batches are at tv-a: the delivery is under way
        _withdraw(live, resident, "tv_a", "transfer_tv")
        requests.delete(switches, timeout=10)
        ends = time.monotonic() + 60
        while resident.state(job_url)[0] != "canceled" and time.monotonic() < ends:
            time.sleep(0.5)
    finally:
        requests.delete(switches, timeout=10)
    job_id = job_url.rsplit("/", 1)[-1]
    job = _job(live, job_id)
    assert job["state"] == JobState.CANCELED and job["error"] == "consent_withdrawn"
    ledger = _ledger(live, EMILY.email)
    withdrawn = max(seq for seq, kind, body in ledger if kind == "consent" and body.get("recipient") == "tv_a")
    provided = [seq for seq, kind, body in ledger if kind == "provision" and body.get("job") == job_id]
    assert provided and max(provided) < withdrawn  # some left before it; no provision, so no item, after it
    held = _held(live, "tv-a", EMILY.email, job_id)
    assert 0 < len(held) < len(job["manifest"]["items"])  # part arrived before; nothing after
    assert _google_deletions(live, job_id) == 0


@pytest.mark.parametrize(("misbehaviour", "heals", "ends"), [
    ("error_500", True, "verified"),  # 5xx: retried with backoff by the job runner
    ("rate_limited", True, "verified"),  # 429 with Retry-After: waited out
    ("slow", True, "verified"),  # the call times out: retried
    ("garbage", True, "verified"),  # nonsense for JSON: retried
    ("full", False, "paused"),  # waits for the resident to make room, then completes
    ("drop_item", False, "failed"),  # acknowledged but not stored: the receipt lacks it
    ("wrong_hash", False, "failed"),  # the receipt states another digest for an item
])
def test_each_failure_switch_deletes_nothing_at_the_source_unless_the_receipt_matched(
        live: LiveServer, worker: None, misbehaviour: str, heals: bool, ends: str) -> None:
    _restore_google(live)
    resident = DemoResident(live.url, HANAKO.email, HANAKO.password, dict(live.peer_urls))
    resident.wait_seconds = 90
    job_url, switches = ready_to_send(live, resident, "i")
    job_id = job_url.rsplit("/", 1)[-1]
    assert requests.post(switches, json={"misbehave": misbehaviour, "slow_seconds": 3}, timeout=10).status_code == 200
    healed = threading.Timer(2, lambda: requests.delete(switches, timeout=10))
    try:
        if heals:
            healed.start()
        resident.agree_and_send(job_url)
        resident.wait_for(job_url, ends, *(("failed",) if ends == "failed" else ()))
    finally:
        healed.cancel()
        requests.delete(switches, timeout=10)
    job = _job(live, job_id)
    assert job["state"] == ends
    # Whatever the page offers, the resident (or a forged request with her CSRF token) asks for the deletion now.
    token = forms_of(resident.browser.get(f"{live.url}/switching"))[0].fields["csrf_token"]
    resident.browser.http.post(f"{job_url}/delete-at-source", data={"csrf_token": token}, timeout=10)
    if ends == "paused":
        time.sleep(2)
        assert _google_deletions(live, job_id) == 0 and _job(live, job_id)["deletion"] is None
        resident.press(job_url, "resume")  # she made room: it goes on after what was acknowledged
        resident.wait_for(job_url, "verified")
        resident.press(job_url, "delete-at-source")
        ends = "verified"
    if ends == "verified":
        resident.wait_for(job_url, "complete")
        _assert_whole_and_once(live, HANAKO.email, job_id, "blog-a")
        assert _google_deletions(live, job_id) == 1
    else:
        time.sleep(2)
        job = _job(live, job_id)
        assert job["state"] == "failed" and job["error"] == "receipt_mismatch" and job["deletion"] is None
        assert _google_deletions(live, job_id) == 0


@pytest.mark.slow
@pytest.mark.parametrize("state", WORKER_BOUNDARIES)
@pytest.mark.parametrize(("case", "pattern"), [("i", 2), ("ii", 2), ("iii", 4), ("iv", 2)])
def test_the_kill_matrix(live: LiveServer, case: str, pattern: int, state: str) -> None:
    """make test-slow: each case, killed at one boundary at a time (a boundary its path does not cross is a run
    without a kill)."""
    person = {"i": HANAKO, "ii": TARO, "iii": EMILY, "iv": HANAKO}[case]
    _restore_google(live)
    if case == "iv":
        import_export(live, person.email)  # the last run's purge erased it
    with KillingWorkers(live, (state,)) as workers:
        _resident, job_id = _switch_with_deletion(live, person, case, pattern)
    assert workers.kills <= 1
    job = _assert_whole_and_once(live, person.email, job_id, registry.CASES[case].destination)
    assert job["deletion"]["status"] == "done"
    assert _google_deletions(live, job_id) == (1 if registry.SOURCES[registry.CASES[case].source].has_api else 0)
