"""Pattern 1 at the bank's edge: Google pushes to the intake API, blog-a pulls from the transfer API and signs a
receipt. Both are the bank's OAuth clients; every page out is a provision record; a withdrawal stops the next page;
another resident's token sees no transfer of hanako's."""

from __future__ import annotations

from collections import Counter

from sqlmodel import select

from app.consent import catalogue, decisions
from app.ledger.models import RecordKind
from app.ledger.services import history, verify_chain
from app.switching import canonical, transfers
from app.switching.models import JobState, TransferItem
from tests.factories.accounts import ResidentFactory
from tests.functional.switching.conftest import (
    BLOG_ITEMS,
    CASE_I,
    CASE_I_COUNTS,
    CASE_I_RECORDS,
    GOOGLE_ITEMS,
    bearer,
    signed_receipt,
    token_for,
)


def _start(db, hanako):  # type: ignore[no-untyped-def]
    job = transfers.start(db, hanako, source=CASE_I.source, destination=CASE_I.destination, pattern=1,
                          kinds=CASE_I.kinds)
    db.flush()
    return job


def _pushed(app, db, google, hanako, hanako_browser):  # type: ignore[no-untyped-def]
    job = _start(db, hanako)
    token = token_for(google, hanako_browser, GOOGLE_ITEMS)
    waiting = google.http.get("/api/v1/intake", headers=bearer(token)).get_json()["waiting"]
    assert len(waiting) == 1 and waiting[0]["id"] == str(job.id) and set(waiting[0]["kinds"]) == set(CASE_I_COUNTS)
    first = google.http.post(f"/api/v1/intake/{job.id}/records", json={"records": CASE_I_RECORDS}, headers=bearer(token))
    assert first.status_code == 200 and first.get_json() == {"received": 6, "duplicates": 0}
    again = google.http.post(f"/api/v1/intake/{job.id}/records", json={"records": CASE_I_RECORDS[:2]},
                             headers=bearer(token))
    assert again.get_json() == {"received": 0, "duplicates": 2}
    return job, token


def test_google_pushes_blog_a_pulls_and_the_receipt_matches(app, db, google, blog_a, hanako,  # type: ignore[no-untyped-def]
                                                            hanako_browser, settings) -> None:
    job, google_token = _pushed(app, db, google, hanako, hanako_browser)
    wrong = google.http.post(f"/api/v1/intake/{job.id}/complete", json={"counts": {**CASE_I_COUNTS, "blogger#post": 3}},
                             headers=bearer(google_token))
    assert wrong.status_code == 409 and wrong.get_json()["error"] == "count_mismatch"
    done = google.http.post(f"/api/v1/intake/{job.id}/complete", json={"counts": CASE_I_COUNTS},
                            headers=bearer(google_token))
    assert done.status_code == 200, done.get_json()
    db.refresh(job)
    assert job.state == JobState.COLLECTED and job.collected == {"post": 2, "comment": 2, "profile": 1, "interest": 1}
    receipts = list(history(db, hanako.principal, kinds=[RecordKind.RECEIPT]))
    assert len(receipts) == 1 and receipts[0].payload["source_key"] == "google"
    assert set(receipts[0].payload["item_names"]) == set(receipts[0].payload["items"])  # the history shows names

    transfers.send(db, hanako, job)
    transfers.deliver(db, settings, hanako, job)
    db.flush()
    assert job.state == JobState.READY
    token = token_for(blog_a, hanako_browser, BLOG_ITEMS)
    listed = blog_a.http.get("/api/v1/transfers", headers=bearer(token)).get_json()
    assert listed == {"transfers": [{"id": str(job.id), "status": "ready", "format": "blog-a/1", "items": 6}]}
    first = blog_a.http.get(f"/api/v1/transfers/{job.id}/items?limit=4", headers=bearer(token)).get_json()
    second = blog_a.http.get(f"/api/v1/transfers/{job.id}/items?limit=4&cursor={first['next_cursor']}",
                             headers=bearer(token)).get_json()
    items = first["items"] + second["items"]
    assert len(first["items"]) == 4 and second["next_cursor"] is None and len(items) == 6
    for entry in items:  # each digest is over the item's canonical bytes, whatever the JSON round trip did
        assert entry["sha256"] == canonical.digest(entry["item"])
    provisions = list(history(db, hanako.principal, kinds=[RecordKind.PROVISION]))
    assert sum(sum(p.payload["counts"].values()) for p in provisions) == 6 and len(provisions) == 2
    assert all(p.payload["recipient"] == "blog_a" and p.payload["job"] == str(job.id) for p in provisions)

    entries = sorted(({"id": e["id"], "sha256": e["sha256"]} for e in items), key=lambda e: e["id"])
    counts = dict(Counter(e["id"].split(":", 1)[0] for e in entries))
    short = {"receipt_version": 1, "iss": "https://blog-a.example.jp", "job": str(job.id),
             "received_at": "2026-11-27T10:00:00+09:00", "items": entries[1:], "counts": counts}
    mismatch = blog_a.http.post(f"/api/v1/transfers/{job.id}/receipt", json={"receipt": signed_receipt(blog_a, short)},
                                headers=bearer(token))
    assert mismatch.status_code == 409 and mismatch.get_json()["missing"] == [entries[0]["id"]]
    db.refresh(job)
    assert job.state == JobState.FAILED and job.error == "receipt_mismatch"  # nothing more happens to this job
    assert verify_chain(db, hanako.principal).ok


def test_a_full_receipt_verifies_the_job(app, db, google, blog_a, hanako, hanako_browser, settings) -> None:  # type: ignore[no-untyped-def]
    job, google_token = _pushed(app, db, google, hanako, hanako_browser)
    google.http.post(f"/api/v1/intake/{job.id}/complete", json={"counts": CASE_I_COUNTS}, headers=bearer(google_token))
    db.refresh(job)
    transfers.send(db, hanako, job)
    transfers.deliver(db, settings, hanako, job)
    db.flush()
    token = token_for(blog_a, hanako_browser, BLOG_ITEMS)
    items = blog_a.http.get(f"/api/v1/transfers/{job.id}/items", headers=bearer(token)).get_json()["items"]
    entries = sorted(({"id": e["id"], "sha256": e["sha256"]} for e in items), key=lambda e: e["id"])
    payload = {"receipt_version": 1, "iss": "https://blog-a.example.jp", "job": str(job.id),
               "received_at": "2026-11-27T10:00:00+09:00", "items": entries,
               "counts": dict(Counter(e["id"].split(":", 1)[0] for e in entries))}
    forged = blog_a.http.post(f"/api/v1/transfers/{job.id}/receipt",
                              json={"receipt": signed_receipt(google, payload)}, headers=bearer(token))
    assert forged.status_code == 400 and forged.get_json()["error"] == "invalid_receipt"  # signed by another key
    db.refresh(job)
    assert job.state == JobState.READY  # an unverifiable receipt changes nothing: the destination may send a good one
    ok = blog_a.http.post(f"/api/v1/transfers/{job.id}/receipt", json={"receipt": signed_receipt(blog_a, payload)},
                          headers=bearer(token))
    assert ok.status_code == 200 and ok.get_json() == {"status": "verified"}
    db.refresh(job)
    assert job.state == JobState.VERIFIED and len(job.receipt["items"]) == 6
    # Pass-through: the converted copy is erased at once, and the ledger says so.
    assert db.exec(select(TransferItem).where(TransferItem.job_id == job.id)).first() is None
    erased = [e.payload for e in history(db, hanako.principal, kinds=[RecordKind.DELETION])]
    assert erased[0]["step"] == "pass_through" and erased[0]["staged_items_erased"] == 6
    assert job.staged_counts["taken"]["post"] == 2  # the report outlives the staged items


def test_withdrawing_consent_mid_pull_stops_the_next_page(app, db, google, blog_a, hanako, hanako_browser,  # type: ignore[no-untyped-def]
                                                          settings) -> None:
    job, google_token = _pushed(app, db, google, hanako, hanako_browser)
    google.http.post(f"/api/v1/intake/{job.id}/complete", json={"counts": CASE_I_COUNTS}, headers=bearer(google_token))
    db.refresh(job)
    transfers.send(db, hanako, job)
    transfers.deliver(db, settings, hanako, job)
    db.flush()
    token = token_for(blog_a, hanako_browser, BLOG_ITEMS)
    first = blog_a.http.get(f"/api/v1/transfers/{job.id}/items?limit=2", headers=bearer(token))
    assert first.status_code == 200 and len(first.get_json()["items"]) == 2
    with app.test_request_context():
        view = catalogue.offer_view(db, catalogue.offer_for(db, "blog_a", "transfer_blog").id)
        decisions.withdraw(db, settings, resident=hanako, view=view)
        db.flush()
    refused = blog_a.http.get(f"/api/v1/transfers/{job.id}/items?limit=2&cursor={first.get_json()['next_cursor']}",
                              headers=bearer(token))
    assert refused.status_code == 403 and refused.get_json()["error"] == "consent_required"
    db.refresh(job)
    assert job.state == JobState.CANCELED and job.error == "consent_withdrawn"  # at once, by the withdrawal
    steps = [r.payload.get("step") for r in history(db, hanako.principal, kinds=[RecordKind.TRANSFER])]
    assert steps[0] == JobState.CANCELED  # (newest first)
    provisions = list(history(db, hanako.principal, kinds=[RecordKind.PROVISION]))
    assert len(provisions) == 1 and sum(provisions[0].payload["counts"].values()) == 2  # nothing after the withdrawal


def test_another_residents_token_sees_no_transfer_of_hanakos(app, db, google, blog_a, hanako, hanako_browser,  # type: ignore[no-untyped-def]
                                                            login, settings) -> None:
    job, _token = _pushed(app, db, google, hanako, hanako_browser)
    taro = ResidentFactory()
    taro_browser = app.test_client()
    login(taro_browser, taro)
    taro_google = token_for(google, taro_browser, GOOGLE_ITEMS)
    assert google.http.get("/api/v1/intake", headers=bearer(taro_google)).get_json() == {"waiting": []}
    pushed = google.http.post(f"/api/v1/intake/{job.id}/records", json={"records": CASE_I_RECORDS},
                              headers=bearer(taro_google))
    assert pushed.status_code == 404
    taro_blog = token_for(blog_a, taro_browser, BLOG_ITEMS)
    for path in (f"/api/v1/transfers/{job.id}/items", "/api/v1/transfers"):
        answer = blog_a.http.get(path, headers=bearer(taro_blog))
        assert answer.status_code in (200, 404) and str(job.id) not in answer.get_data(as_text=True)
    # A destination's token cannot push, a source's cannot pull.
    assert blog_a.http.get("/api/v1/intake", headers=bearer(taro_blog)).status_code == 403
    assert google.http.get("/api/v1/transfers", headers=bearer(taro_google)).status_code == 403


def test_me_gives_a_destination_counts_of_an_export_never_its_records(app, db, blog_a, hanako, hanako_browser) -> None:  # type: ignore[no-untyped-def]
    from app.data_imports.models import DataImport, ImportFormat, ImportStatus

    db.add(DataImport(resident_id=hanako.id, format=ImportFormat.GOOGLE, status=ImportStatus.DONE, filename="t.zip",
                      size=1, summary={"stored": {"post": 3, "comment": 2, "watch_event": 9}}))
    db.flush()
    token = token_for(blog_a, hanako_browser, BLOG_ITEMS)
    answer = blog_a.http.get("/api/v1/me?items=blog_posts,interests", headers=bearer(token)).get_json()
    assert answer["items"] == {"blog_posts": {"comment": 2, "post": 3}, "interests": None}


def test_providing_fewer_items_than_collected_is_not_a_mismatch(app, db, google, blog_a, hanako, hanako_browser,  # type: ignore[no-untyped-def]
                                                                settings) -> None:
    job, google_token = _pushed(app, db, google, hanako, hanako_browser)
    google.http.post(f"/api/v1/intake/{job.id}/complete", json={"counts": CASE_I_COUNTS}, headers=bearer(google_token))
    db.refresh(job)
    transfers.send(db, hanako, job)
    transfers.deliver(db, settings, hanako, job)
    db.flush()
    token = token_for(blog_a, hanako_browser, ["blog_posts"])  # she unticks her profile and interests
    items = blog_a.http.get(f"/api/v1/transfers/{job.id}/items", headers=bearer(token)).get_json()["items"]
    assert sorted({e["id"].split(":", 1)[0] for e in items}) == ["comment", "post"] and len(items) == 4
    entries = sorted(({"id": e["id"], "sha256": e["sha256"]} for e in items), key=lambda e: e["id"])
    payload = {"receipt_version": 1, "iss": "https://blog-a.example.jp", "job": str(job.id),
               "received_at": "2026-11-27T10:00:00+09:00", "items": entries,
               "counts": dict(Counter(e["id"].split(":", 1)[0] for e in entries))}
    ok = blog_a.http.post(f"/api/v1/transfers/{job.id}/receipt", json={"receipt": signed_receipt(blog_a, payload)},
                          headers=bearer(token))
    assert ok.status_code == 200, ok.get_json()


def test_a_token_reads_only_its_scope_even_where_more_is_consented(app, db, google, blog_a, hanako, hanako_browser,  # type: ignore[no-untyped-def]
                                                                   settings) -> None:
    job, google_token = _pushed(app, db, google, hanako, hanako_browser)
    google.http.post(f"/api/v1/intake/{job.id}/complete", json={"counts": CASE_I_COUNTS}, headers=bearer(google_token))
    db.refresh(job)
    transfers.send(db, hanako, job)
    transfers.deliver(db, settings, hanako, job)
    with app.test_request_context():  # she agreed to all three items earlier, on the transfer's page
        view = catalogue.offer_view(db, catalogue.offer_for(db, "blog_a", "transfer_blog").id)
        decisions.grant(db, settings, resident=hanako, view=view, items=BLOG_ITEMS)
        db.flush()
    token = token_for(blog_a, hanako_browser, ["profile"])  # … but gives this token her profile only
    page = blog_a.http.get(f"/api/v1/transfers/{job.id}/items?cursor=²", headers=bearer(token))
    assert page.status_code == 400  # not an ASCII number
    items = blog_a.http.get(f"/api/v1/transfers/{job.id}/items", headers=bearer(token)).get_json()["items"]
    assert [e["id"].split(":", 1)[0] for e in items] == ["profile"]


def test_nothing_is_sent_before_the_destinations_terms_are_accepted(app, db, google, hanako, hanako_browser, csrf,  # type: ignore[no-untyped-def]
                                                                   settings) -> None:
    job, google_token = _pushed(app, db, google, hanako, hanako_browser)
    google.http.post(f"/api/v1/intake/{job.id}/complete", json={"counts": CASE_I_COUNTS}, headers=bearer(google_token))
    page = f"/switching/jobs/{job.id}"
    refused = hanako_browser.post(f"{page}/deliver", data={"csrf_token": csrf(hanako_browser, page)})
    db.refresh(job)
    assert refused.status_code == 303 and job.state == JobState.COLLECTED and job.contracts is None
    sent = hanako_browser.post(f"{page}/deliver", data={"csrf_token": csrf(hanako_browser, page), "terms": "2026-10"})
    db.refresh(job)
    assert sent.status_code == 303 and job.state == JobState.DELIVERING
    assert job.contracts["destination_terms"]["version"] == "2026-10"
    transfer_records = [e.payload for e in history(db, hanako.principal, kinds=[RecordKind.TRANSFER])]
    assert [r["step"] for r in transfer_records[:2]] == ["delivering", "destination_terms_accepted"]  # newest first


def test_a_start_with_an_unknown_case_or_pattern_is_a_message_not_an_error(hanako_browser, csrf) -> None:  # type: ignore[no-untyped-def]
    for case, pattern in (("i", "²"), ("i", "5"), ("v", "1")):
        answer = hanako_browser.post("/switching/jobs", data={"csrf_token": csrf(hanako_browser, "/switching"),
                                                              "case": case, "pattern": pattern})
        assert answer.status_code == 303 and answer.headers["Location"].endswith("/switching")
