"""The four OAuth patterns and the seed's four cases end to end, between real processes: the bank under gunicorn with
its worker on a fresh database, and the google, blog-a, tv-a and health-b peers in their own process. A demo
resident (app/demo/switching_driver.py) uses only the pages a person would: the bank's sign-in, each service's
sign-in and consent, the bank's consent screen, the transfer page and its buttons.

Each run is then checked from both ends: the bank's job is verified against the destination's signed receipt, the
destination holds exactly the manifest's items (same ids, same digests), the pre-transfer report's counts are what
arrived, and the ledger has the receipt from Google and a provision record for every item that left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from app.config import PROJECT_ROOT
from app.demo.seed import DEMO_RESIDENTS
from app.demo.switching_driver import DemoResident
from e2e.server import LiveServer
from tests.functional.switching.live_stack import query, ready_to_send, switching_stack

HANAKO = DEMO_RESIDENTS[0]


@pytest.fixture(scope="module")
def live(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with switching_stack(database_url, tmp_path_factory.mktemp("switching-live"), exports_for=(HANAKO.email,),
                         env={"JOB_LEASE_SECONDS": "3"}, worker=True) as server:
        yield server


@pytest.mark.parametrize(("case", "pattern"), [("i", 1), ("ii", 2), ("iii", 3), ("iii", 4), ("iv", 2)])
def test_a_resident_switches_and_both_ends_agree(live: LiveServer, case: str, pattern: int) -> None:
    resident = DemoResident(live.url, HANAKO.email, HANAKO.password, dict(live.peer_urls))
    try:
        result = resident.switch(case, pattern)
    except BaseException:
        print("bank log:\n", live.log()[-3000:], "\nworker log:\n", live.log("worker")[-3000:])
        raise
    (state, manifest, receipt, collected, destination), = query(
        live, "SELECT state, manifest, receipt, collected, destination FROM transfer_job WHERE id = :id",
        id=result["job"])
    assert state == "verified"
    expected = {entry["id"]: entry["sha256"] for entry in manifest["items"]}
    assert {entry["id"]: entry["sha256"] for entry in receipt["items"]} == expected
    arrived = Counter(entry["id"].split(":", 1)[0] for entry in receipt["items"])
    assert dict(arrived) == collected == manifest["counts"]  # the report's "moves" is what arrived

    report = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "switching", "report", result["job"]],
                            cwd=PROJECT_ROOT, env=live.env, capture_output=True, text=True, timeout=60)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["moves"] == dict(arrived)  # what the report said would move is what arrived

    held = requests.get(f"{live.peer_urls[destination]}/_test/received", params={"login_id": HANAKO.email},
                        timeout=10).json()
    stored = {item["id"]: item["sha256"] for job in held["jobs"] if job["job"] == result["job"] for item in job["items"]}
    assert stored == expected

    records = query(live, """SELECT r.kind, p.body FROM ledger_record r JOIN ledger_chain c ON c.id = r.chain_id
                              LEFT JOIN ledger_payload p ON p.record_id = r.id
                              WHERE c.subject = :subject ORDER BY r.seq""", subject=f"resident:{_resident_id(live)}")
    provided = [body for kind, body in records if kind == "provision" and body and body.get("job") == result["job"]]
    assert sum(sum(body["counts"].values()) for body in provided) >= len(expected)
    if case != "iv":
        assert any(kind == "receipt" and body and body.get("details", {}).get("job") == result["job"]
                   for kind, body in records)


def _resident_id(server: LiveServer) -> str:
    (found,), = query(server, "SELECT id FROM resident WHERE email = :email", email=HANAKO.email)
    return str(found)


def test_a_worker_killed_while_delivering_is_followed_by_one_that_completes_the_transfer_once(live: LiveServer) -> None:
    emily = DEMO_RESIDENTS[2]
    resident = DemoResident(live.url, emily.email, emily.password, dict(live.peer_urls))
    job_url, switches = ready_to_send(live, resident, "i")
    requests.post(switches, json={"misbehave": "slow", "slow_seconds": 6}, timeout=10)  # the importer hangs …
    try:
        resident.press(job_url, "deliver")
        resident.wait_for(job_url, "delivering")
        time.sleep(2.5)  # … while the worker waits on it
        worker = next(p for p in live.processes if "app.jobs.worker" in " ".join(map(str, p.args)))
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        live.processes.remove(worker)
    finally:
        requests.delete(switches, timeout=10)
    live.start_worker()  # the killed one's lease runs out; this one takes the job over
    resident.wait_seconds = 90
    resident.wait_for(job_url, "verified")
    job_id = job_url.rsplit("/", 1)[-1]
    (manifest, receipt), = query(live, "SELECT manifest, receipt FROM transfer_job WHERE id = :id", id=job_id)
    held = requests.get(f"{live.peer_urls['blog-a']}/_test/received", params={"login_id": emily.email}, timeout=10).json()
    stored = [item["id"] for job in held["jobs"] if job["job"] == job_id for item in job["items"]]
    assert sorted(stored) == sorted(entry["id"] for entry in manifest["items"])  # everything, and each id once
    assert len(receipt["items"]) == len(manifest["items"])


def _deletion(live: LiveServer, job_id: str) -> dict[str, Any] | None:
    (found,), = query(live, "SELECT deletion FROM transfer_job WHERE id = :id", id=job_id)
    return found


def _deletion_records(live: LiveServer, email: str, job_id: str) -> list[dict[str, Any]]:
    (resident_id,), = query(live, "SELECT id FROM resident WHERE email = :email", email=email)
    rows = query(live, """SELECT p.body FROM ledger_record r JOIN ledger_chain c ON c.id = r.chain_id
                           JOIN ledger_payload p ON p.record_id = r.id
                           WHERE c.subject = :subject AND r.kind = 'deletion' ORDER BY r.seq""",
                  subject=f"resident:{resident_id}")
    return [body for (body,) in rows if body.get("job") == job_id]


def test_google_deletes_only_after_a_matching_receipt_and_only_when_asked(live: LiveServer) -> None:
    taro = DEMO_RESIDENTS[1]
    resident = DemoResident(live.url, taro.email, taro.password, dict(live.peer_urls))
    job_id = resident.switch("i", 2)["job"]
    job_url = f"{live.url}/switching/jobs/{job_id}"
    assert _deletion(live, job_id) is None  # verified, and still nothing deleted: it is the resident's choice
    resident.press(job_url, "delete-at-source")
    ends = time.monotonic() + 60
    while (_deletion(live, job_id) or {}).get("status") != "done" and time.monotonic() < ends:
        time.sleep(0.5)
    deletion = _deletion(live, job_id)
    assert deletion["status"] == "done" and deletion["by"] == "source" and deletion["deleted"]["post"] > 0
    # Only Blogger: YouTube also holds the watch history, which case i does not move, so it is left alone.
    assert deletion["services"] == ["blogger"] and deletion["deleted"].get("watch_event", 0) == 0
    # pass-through first (the bank erased what it converted once the receipt matched), then the source's deletion
    assert [r["step"] for r in _deletion_records(live, taro.email, job_id)] == ["pass_through", "requested", "certificate"]
    _state, page = resident.state(job_url)
    assert "削除証明書" in page.text and deletion["certificate_id"] in page.text


def test_an_uploaded_exports_copy_is_purged_with_the_banks_certificate(live: LiveServer) -> None:
    # Last in this module: it erases hanako's Apple Health import, which case iv reads.
    resident = DemoResident(live.url, HANAKO.email, HANAKO.password, dict(live.peer_urls))
    job_id = resident.switch("iv", 4)["job"]
    job_url = f"{live.url}/switching/jobs/{job_id}"
    # Pass-through: once the receipt matched, nothing converted for the transfer is kept.
    assert query(live, "SELECT count(*) FROM transfer_item WHERE job_id = :id", id=job_id) == [(0,)]
    resident.press(job_url, "purge")
    deletion = _deletion(live, job_id)
    assert deletion["status"] == "done" and deletion["by"] == "bank" and deletion["erased"]["import_rows"] > 0
    assert query(live, "SELECT count(*) FROM data_import WHERE resident_id = (SELECT id FROM resident "
                        "WHERE email = :email)", email=HANAKO.email) == [(0,)]
    resident.press(job_url, "confirm-deleted")
    assert _deletion(live, job_id)["resident_confirmed_at"]
    assert [r["step"] for r in _deletion_records(live, HANAKO.email, job_id)] == ["pass_through", "purge", "confirmed"]
