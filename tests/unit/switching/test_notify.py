"""The bank's result events (app/switching/notify.py, docs/switching.md "Result events"): the SET's claims and
signature; every answer of a service (a small local HTTP server); and the whole way to a real blog-a peer, which
verifies the SET against the bank's JWKS and attributes it by the bank's bearer token there."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import pytest
from flask import Flask
from joserfc import jws
from joserfc.jwk import KeySet
from sqlmodel import Session

from app import signing
from app.accounts.models import Resident
from app.accounts.oauth_client import TokenSet
from app.config import Settings
from app.peers import PeerSpec
from app.peers.runner import serve_peers
from app.switching import notify, remote
from app.switching.models import JobState, TransferJob
from tests.factories.accounts import ResidentFactory
from tests.peers.oauth_helpers import Flow, control

BLOG_SECRET = "test-notify-blog-a-secret"
BLOG_REDIRECT = "http://localhost:5999/switching/connect/blog-a/callback"
UPDATED = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)


def job_of(**changes: Any) -> TransferJob:
    values: dict[str, Any] = {
        "id": uuid.UUID("0b7d3c52-93c1-4c3e-9a55-1f7f0e7e2a10"), "resident_id": uuid.uuid4(), "source": "google",
        "destination": "blog-a", "pattern": 2, "format": "blog-a/1", "state": JobState.VERIFIED,
        "receipt": {"counts": {"post": 12, "comment": 20, "profile": 1}}, "updated_at": UPDATED,
    }
    values.update(changes)
    return TransferJob(**values)


def new_resident() -> Resident:
    return cast(Resident, ResidentFactory())  # type: ignore[no-untyped-call]


def verified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a SET, checked with the bank's published JWKS as a service checks it."""
    keys = KeySet.import_key_set(signing.public_jwks())  # type: ignore[arg-type]
    result = jws.deserialize_compact(token, keys, algorithms=["ES256"])
    return dict(result.headers()), json.loads(result.payload)


# -- build_event -----------------------------------------------------------------------------------------------


def test_the_set_carries_the_result_and_verifies_with_the_banks_jwks(app: Flask, settings: Settings) -> None:
    job = job_of()
    with app.app_context():
        before = int(time.time())
        header, claims = verified(notify.build_event(settings, job, service="blog-a", role="destination"))
        kid = signing.key_id()
    assert header == {"alg": "ES256", "kid": kid, "typ": "secevent+jwt"}
    assert claims["iss"] == settings.public_url.rstrip("/") and claims["aud"] == "blog-a"
    assert before <= claims["iat"] <= int(time.time())
    assert claims["txn"] == str(job.id) and uuid.UUID(claims["jti"]).version == 5
    assert set(claims) == {"iss", "aud", "iat", "jti", "txn", "events"}
    assert claims["events"] == {notify.EVENT: {
        "job": str(job.id), "role": "destination", "state": "verified", "reason": None,
        "counts": {"post": 12, "comment": 20, "profile": 1}, "deletion_certificate_id": None,
        "occurred_at": "2026-05-01T03:00:00+00:00"}}
    assert notify.EVENT == "urn:azukari:event:transfer-result"


def test_a_retrys_note_is_no_reason_only_a_stopped_transfer_has_one(app: Flask, settings: Settings) -> None:
    def reason(job: TransferJob) -> Any:
        with app.app_context():
            _, claims = verified(notify.build_event(settings, job, service="blog-a", role="destination"))
        return claims["events"][notify.EVENT]["reason"]

    assert reason(job_of(error="destination_unreachable")) is None  # (a deletion step waiting on Google, say)
    assert reason(job_of(state=JobState.FAILED, error="receipt_mismatch")) == "receipt_mismatch"


def test_the_source_gets_its_own_audience_and_the_deletion_certificate(app: Flask, settings: Settings) -> None:
    job = job_of(state=JobState.COMPLETE, deletion={"status": "done", "certificate_id": "cert-77", "by": "source"})
    with app.app_context():
        _, claims = verified(notify.build_event(settings, job, service="google", role="source"))
        _, failed = verified(notify.build_event(settings, job_of(state=JobState.FAILED, error="receipt_mismatch",
                                                                 receipt=None), service="blog-a", role="destination"))
    assert claims["aud"] == "google-export"
    event = claims["events"][notify.EVENT]
    assert event["role"] == "source" and event["state"] == "complete" and event["deletion_certificate_id"] == "cert-77"
    assert failed["events"][notify.EVENT]["reason"] == "receipt_mismatch"
    assert failed["events"][notify.EVENT]["counts"] == {}


def test_the_jti_is_the_same_for_a_retry_and_differs_by_state_and_role(app: Flask, settings: Settings) -> None:
    def jti(job: TransferJob, service: str = "blog-a", role: str = "destination") -> str:
        with app.app_context():
            return str(verified(notify.build_event(settings, job, service=service, role=role))[1]["jti"])

    assert jti(job_of()) == jti(job_of())
    assert jti(job_of()) != jti(job_of(state=JobState.COMPLETE))
    assert jti(job_of()) != jti(job_of(), "google", "source")
    assert jti(job_of()) != jti(job_of(id=uuid.uuid4()))


def test_a_worker_sending_later_names_the_state_it_was_queued_for(app: Flask, settings: Settings) -> None:
    moved_on = job_of(state=JobState.COMPLETE)
    with app.app_context():
        _, late = verified(notify.build_event(settings, moved_on, service="blog-a", role="destination",
                                              state=JobState.VERIFIED))
        _, at_the_time = verified(notify.build_event(settings, job_of(), service="blog-a", role="destination"))
    assert late["events"][notify.EVENT]["state"] == "verified" and late["jti"] == at_the_time["jti"]


def test_a_service_that_is_not_the_jobs_or_an_upload_is_refused(app: Flask, settings: Settings) -> None:
    with app.app_context():
        with pytest.raises(ValueError):
            notify.build_event(settings, job_of(), service="tv-a", role="destination")
        with pytest.raises(ValueError):
            notify.build_event(settings, job_of(), service="google", role="destination")
        with pytest.raises(ValueError):
            notify.build_event(settings, job_of(), service="blog-a", role="bystander")
        with pytest.raises(ValueError):  # an uploaded export has no client at the bank
            notify.build_event(settings, job_of(source="apple_health"), service="apple_health", role="source")


# -- post_event against a small local server -------------------------------------------------------------------


@dataclass
class Answer:
    status: int = 202
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class LocalService:
    url: str
    answer: Answer
    requests: list[Recorded]


@contextmanager
def local_service() -> Iterator[LocalService]:
    answer, seen = Answer(), []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
            length = int(self.headers.get("Content-Length", "0"))
            seen.append(Recorded(self.path, dict(self.headers.items()), self.rfile.read(length)))
            time.sleep(answer.delay)
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LocalService(f"http://127.0.0.1:{server.server_address[1]}", answer, seen)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def service() -> Iterator[LocalService]:
    with local_service() as running:
        yield running


def at(settings: Settings, url: str, **changes: Any) -> Settings:
    return settings.model_copy(update={"blog_a_issuer": url, "google_issuer": url, **changes})


def test_a_202_is_delivered_with_the_set_and_the_headers(app: Flask, db: Session, settings: Settings,
                                                         service: LocalService) -> None:
    resident = new_resident()
    job = job_of(resident_id=resident.id)
    with app.app_context():
        notify.post_event(db, at(settings, service.url), resident, job, service="blog-a", role="destination")
        [sent] = service.requests
        _, claims = verified(sent.body.decode())
    assert sent.path == "/azukari/events"
    assert sent.headers["Content-Type"] == "application/secevent+jwt" and sent.headers["Accept"] == "application/json"
    assert "Authorization" not in sent.headers, "no connection at blog-a: no token"
    assert claims["aud"] == "blog-a" and claims["txn"] == str(job.id)


def test_the_banks_token_at_the_service_goes_along(app: Flask, db: Session, settings: Settings,
                                                   service: LocalService) -> None:
    resident = new_resident()
    configured = at(settings, service.url)
    with app.app_context():
        remote.save(db, configured, resident, "google",
                    TokenSet("bank-token-at-google", "refresh", datetime.now(UTC) + timedelta(hours=1), "profile"))
        notify.post_event(db, configured, resident, job_of(resident_id=resident.id), service="google", role="source")
    [sent] = service.requests
    assert sent.headers["Authorization"] == "Bearer bank-token-at-google"


@pytest.mark.parametrize(("answer", "error", "detail"), [
    (Answer(400, json.dumps({"err": "invalid_key", "description": "no"}).encode(),
            {"Content-Type": "application/json"}), remote.ServiceRefused, "invalid_key"),
    (Answer(400, b"<html>bad</html>"), remote.ServiceRefused, "http_400"),
    (Answer(404), remote.ServiceRefused, "http_404"),
    (Answer(429, b"", {"Retry-After": "7"}), remote.ServiceBusy, 7.0),
    (Answer(503, b"down"), remote.ServiceUnavailable, "http_503"),
    (Answer(500), remote.ServiceUnavailable, "http_500"),
])
def test_each_answer_is_the_error_the_worker_acts_on(app: Flask, db: Session, settings: Settings,
                                                      service: LocalService, answer: Answer,
                                                      error: type[Exception], detail: Any) -> None:
    service.answer.status, service.answer.body, service.answer.headers = answer.status, answer.body, answer.headers
    resident = new_resident()
    with app.app_context(), pytest.raises(error) as caught:
        notify.post_event(db, at(settings, service.url), resident, job_of(resident_id=resident.id), service="blog-a",
                          role="destination")
    raised = caught.value
    if isinstance(raised, remote.ServiceBusy):
        assert raised.retry_after == detail
    elif isinstance(raised, remote.ServiceRefused):
        assert (raised.http_status, raised.error) == (answer.status, detail)
    else:
        assert getattr(raised, "reason", None) == detail


def test_a_slow_or_absent_service_is_unavailable(app: Flask, db: Session, settings: Settings,
                                                 service: LocalService) -> None:
    resident = new_resident()
    job = job_of(resident_id=resident.id)
    service.answer.delay = 1.0
    with app.app_context():
        with pytest.raises(remote.ServiceUnavailable) as slow:
            notify.post_event(db, at(settings, service.url, outbound_timeout_seconds=0.1), resident, job,
                              service="blog-a", role="destination")
        assert slow.value.reason == "timeout"
        # Nothing listens on port 9 of this address: connecting fails at once.
        with pytest.raises(remote.ServiceUnavailable):
            notify.post_event(db, at(settings, "http://127.0.0.45:9"), resident, job, service="blog-a",
                              role="destination")


def test_an_uploaded_exports_source_is_not_called(app: Flask, db: Session, settings: Settings,
                                                  service: LocalService) -> None:
    resident = new_resident()
    job = job_of(resident_id=resident.id, source="apple_health", destination="health-b", format="health-b/1")
    with app.app_context():
        notify.post_event(db, at(settings, service.url), resident, job, service="apple_health", role="source")
    assert service.requests == []


# -- the whole way to a real peer ------------------------------------------------------------------------------


def blog_a_app(*, storage_dir: Path) -> Flask:
    from app.peers.blog_a import create_app

    return create_app(storage_dir=storage_dir, client_secret=BLOG_SECRET, redirect_uris=[BLOG_REDIRECT])


@contextmanager
def jwks_server(jwks: dict[str, Any]) -> Iterator[str]:
    """The bank's `/.well-known/jwks.json`, and nothing else of it."""
    document = json.dumps(jwks).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            found = self.path == "/.well-known/jwks.json"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document) if found else 0))
            self.end_headers()
            if found:
                self.wfile.write(document)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_blog_a_verifies_stores_once_and_attributes_by_the_banks_token(app: Flask, db: Session, settings: Settings,
                                                                        tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        jwks = signing.public_jwks()
    with jwks_server(jwks) as bank:
        monkeypatch.setenv("AZUKARI_ISSUER", bank)
        monkeypatch.delenv("BLOG_A_CLIENT_ID", raising=False)
        with serve_peers([PeerSpec("blog-a", "127.0.0.7", 0, f"{__name__}:blog_a_app", "under test")],
                         tmp_path) as urls:
            blog = urls["blog-a"]
            configured = at(settings, blog, public_url=bank, blog_a_client_secret=BLOG_SECRET)
            # The bank's connection at blog-a (pattern 2): hanako allowed it there; the token has run out, so the
            # bank refreshes it at blog-a before sending.
            flow = Flow(blog, BLOG_SECRET, BLOG_REDIRECT, "import profile")
            code = flow.authorize({"login_id": "hanako@example.jp", "password": "blog-a-hanako-2026"})["code"]
            tokens = flow.exchange(code).json()
            hanako_at_blog = control("GET", f"{blog}/_test/tokens")[-1]["sub"]
            resident, other = new_resident(), new_resident()
            job = job_of(resident_id=resident.id)
            with app.app_context():
                remote.save(db, configured, resident, "blog-a", TokenSet(
                    tokens["access_token"], tokens["refresh_token"], datetime.now(UTC) - timedelta(minutes=1),
                    tokens["scope"]))
                notify.post_event(db, configured, resident, job, service="blog-a", role="destination")
                notify.post_event(db, configured, resident, job, service="blog-a", role="destination")  # a retry
                # Another resident with no connection at blog-a: stored, but nobody's.
                notify.post_event(db, configured, other, job_of(id=uuid.uuid4(), resident_id=other.id,
                                                                state=JobState.CANCELED, error="consent_withdrawn"),
                                  service="blog-a", role="destination")
                # The bank's issuer as blog-a does not know it: refused for good.
                with pytest.raises(remote.ServiceRefused) as wrong:
                    notify.post_event(db, at(configured, blog, public_url="http://127.0.0.99"), resident, job,
                                      service="blog-a", role="destination")
            events = control("GET", f"{blog}/_test/azukari/events")
            issued = [token for token in control("GET", f"{blog}/_test/tokens") if token["sub"] == hanako_at_blog]
    assert len(issued) == 2 and issued[0]["refresh_token_revoked"], "the run-out token was refreshed first"
    assert wrong.value.http_status == 400 and wrong.value.error == "invalid_issuer"
    mine = [event for event in events if event["job"] == str(job.id)]
    assert len(mine) == 1, "a retry is the same event, kept once"
    assert mine[0]["account"] == hanako_at_blog and mine[0]["state"] == "verified" and mine[0]["role"] == "destination"
    [nobodys] = [event for event in events if event["job"] != str(job.id)]
    assert nobodys["account"] is None and nobodys["state"] == "canceled"
