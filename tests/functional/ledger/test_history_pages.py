"""The resident's history page (filter, htmx fragment, CSV/JSON export, verify button), the operator's ledger page,
and account deletion keeping the chain."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from app.accounts.models import Resident
from app.db import utcnow
from app.ledger import chain as hashing
from app.ledger.models import LedgerChain, LedgerRecord, RecordKind
from app.ledger.services import append, history, verify_chain
from app.signing import canonical_json
from tests.factories.accounts import ResidentFactory
from tests.factories.ledger import tamper
from tests.factories.staff import StaffFactory

pytestmark = pytest.mark.smoke

HX = {"HX-Request": "true"}


def seed_history(db, resident):  # type: ignore[no-untyped-def]
    now = utcnow()
    append(db, subject=resident.principal, kind=RecordKind.RECEIPT, at=now - timedelta(days=2), payload={
        "provider_name": "Smart Life Pass 運営事業者（デモ）", "items": ["address", "health_score"], "kept": True,
        "basis": "本人の同意", "how_obtained": "本人から取得"})
    append(db, subject=resident.principal, kind=RecordKind.PROVISION, at=now - timedelta(days=1), payload={
        "recipient_name": "柏市 こども部", "items": ["children.birth_date"], "purpose_name": "子育て支援のご案内",
        "consent_receipts": ["c0ffee00-0000-4000-8000-000000000001"]})
    return append(db, subject=resident.principal, kind=RecordKind.PROCESSING, at=now, payload={
        "action": "household.children_from_mynaportal", "items": ["children.birth_date"], "receipt_seq": 1})


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def test_the_history_shows_who_what_when_why_newest_first(client, db, login):
    resident = ResidentFactory()
    seed_history(db, resident)
    login(client, resident)
    page = text(client.get("/my-data/history"))
    assert page.index("マイナポータルで確認した子どもの情報を保存しました") < page.index("柏市 こども部") \
        < page.index("Smart Life Pass 運営事業者（デモ）")
    assert "子育て支援のご案内" in page and "c0ffee00-0000-4000-8000-000000000001" in page
    assert "子どもの生年月日" in page and "第三者への提供" in page
    assert 'href="/my-data/history"' in text(client.get("/my-data"))  # linked from わたしのデータ


def test_the_filter_narrows_the_list_and_htmx_gets_only_the_list(client, db, login):
    resident = ResidentFactory()
    seed_history(db, resident)
    login(client, resident)
    page = text(client.get("/my-data/history?kind=provision"))
    assert "柏市 こども部" in page and "Smart Life Pass" not in page and "<html" in page
    fragment = client.get("/my-data/history?kind=receipt", headers=HX)
    body = text(fragment)
    assert fragment.status_code == 200 and "<html" not in body and 'id="history-list"' in body
    assert "Smart Life Pass" in body and "柏市 こども部" not in body
    assert "/my-data/history.csv?kind=receipt" in body  # the exports follow the filter
    today = utcnow().astimezone(ZoneInfo("Asia/Tokyo")).date().isoformat()  # the page's days are Japan's
    dated = text(client.get(f"/my-data/history?from={today}&to={today}", headers=HX))
    assert "柏市 こども部" not in dated and "マイナポータル" in dated
    assert "YYYY-MM-DD" in text(client.get("/my-data/history?from=yesterday", headers=HX))


def test_csv_export_is_an_attachment_with_every_record(client, db, login):
    resident = ResidentFactory()
    seed_history(db, resident)
    append(db, subject=resident.principal, kind=RecordKind.CONSENT, payload={"description": "=HYPERLINK(1)"})
    login(client, resident)
    response = client.get("/my-data/history.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="azukari-history-')
    body = text(response)
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body[1:])))
    assert [row["seq"] for row in rows] == ["4", "3", "2", "1"]
    assert rows[2]["who"] == "柏市 こども部" and rows[2]["kind"] == "provision"
    assert rows[0]["what"] == "'=HYPERLINK(1)"  # a spreadsheet will not run it
    assert response.headers["Cache-Control"] == "no-store"


def test_json_export_lets_anyone_recompute_the_chain(client, db, login):
    resident = ResidentFactory()
    seed_history(db, resident)
    login(client, resident)
    response = client.get("/my-data/history.json")
    assert response.headers["Content-Disposition"].endswith('.json"')
    document = json.loads(text(response))
    chain = db.exec(select(LedgerChain).where(LedgerChain.subject == resident.principal)).one()
    assert document["chain_id"] == str(chain.id) and document["subject"] == resident.principal
    previous = hashing.ZERO_HASH
    for record in sorted(document["records"], key=lambda r: r["seq"]):
        digest = hashlib.sha256((record["salt"] + canonical_json(record["payload"]).decode())
                                        .encode()).hexdigest()
        fields = {"at": record["at"], "chain": document["chain_id"], "kind": record["kind"], "payload": digest,
                  "prev": previous, "seq": record["seq"]}
        assert digest == record["payload_digest"] and record["prev_hash"] == previous
        assert hashlib.sha256(canonical_json(fields)).hexdigest() == record["record_hash"]
        previous = record["record_hash"]


def test_the_verify_button_says_in_plain_words_whether_the_history_holds(client, db, login, csrf):
    resident = ResidentFactory()
    last = seed_history(db, resident)
    login(client, resident)
    token = csrf(client, "/my-data/history")
    fragment = client.post("/my-data/history/verify", data={"csrf_token": token}, headers=HX)
    assert fragment.status_code == 200 and "<html" not in text(fragment)
    assert "3 件の記録はすべて書かれたときのままです" in text(fragment)
    tamper(db, "UPDATE ledger_record SET kind = 'deletion' WHERE id = :id", id=last.id - 1)
    page = text(client.post("/my-data/history/verify", data={"csrf_token": token}))
    assert "<html" in page and "記録 No.2 を確認できませんでした" in page
    assert client.post("/my-data/history/verify").status_code == 400  # no CSRF token


def test_another_resident_sees_none_of_it(client, other_client, db, login):
    owner, other = ResidentFactory(), ResidentFactory()
    seed_history(db, owner)
    login(other_client, other)
    for path in ("/my-data/history", "/my-data/history?kind=provision", "/my-data/history.csv"):
        for headers in ({}, HX):
            body = text(other_client.get(path, headers=headers))
            assert "柏市 こども部" not in body and "Smart Life Pass" not in body
    document = json.loads(text(other_client.get("/my-data/history.json")))
    assert document["records"] == [] and document["subject"] == other.principal
    assert other_client.get("/my-data/history?before=99").status_code == 200


def test_history_pages_are_for_residents_only(client, db, login):
    assert client.get("/my-data/history").status_code == 303  # to the login page
    login(client, StaffFactory(operator=True))
    assert client.get("/my-data/history").status_code == 403
    assert client.get("/my-data/history.json").status_code == 403


def test_the_operator_page_lists_broken_chains_by_id_only(app, client, db, login):
    resident = ResidentFactory()
    seed_history(db, resident)
    first = db.exec(select(LedgerRecord).join(LedgerChain).where(LedgerChain.subject == resident.principal)
                    .where(LedgerRecord.seq == 1)).one()
    tamper(db, "UPDATE ledger_record SET kind = 'consent' WHERE id = :id", id=first.id)
    from app.ledger.services import make_anchor

    with app.app_context():
        make_anchor(db)
    login(client, StaffFactory(operator=True))
    page = text(client.get("/operator/ledger/"))
    assert str(first.chain_id) in page and resident.principal not in page and resident.email not in page
    assert "有効" in page  # the anchor's signature
    assert "Smart Life Pass" not in page and "柏市 こども部" not in page


@pytest.mark.parametrize("who", ["resident", "municipal", "partner", "anonymous"])
def test_the_operator_page_is_refused_to_everyone_else(client, db, login, who):
    if who != "anonymous":
        login(client, ResidentFactory() if who == "resident" else StaffFactory(**{who: True}))
    response = client.get("/operator/ledger/")
    assert response.status_code == (303 if who == "anonymous" else 403)


def test_deleting_the_account_erases_the_payloads_but_the_laws_records_and_keeps_the_chain(client, db, login, csrf):
    """The provision and the receipt records keep what they say for their three years (app/ledger/retention.py);
    tests/functional/ledger/test_retention.py follows them to the end."""
    resident = ResidentFactory()
    principal, email = resident.principal, resident.email
    seed_history(db, resident)
    login(client, resident)
    response = client.post("/settings/delete", data={"csrf_token": csrf(client, "/settings"), "confirm": "y"})
    assert response.status_code == 303
    assert db.exec(select(Resident).where(Resident.email == email)).first() is None
    entries = history(db, principal)
    assert [e.record.kind for e in entries] == ["deletion", "processing", "provision", "receipt"]
    assert [e.payload is None for e in entries] == [False, True, False, False]
    assert email not in json.dumps([e.payload for e in entries])
    assert (entries[0].payload["erased_payloads"], entries[0].payload["kept_payloads"]) == (1, 2)
    result = verify_chain(db, principal)
    assert result.ok and result.records == 4 and result.erased == 1
