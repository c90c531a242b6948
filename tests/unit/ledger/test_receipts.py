"""APPI 法30条 receipts live in the ledger: the same facts as before, and "kept" once the resident confirmed."""

from __future__ import annotations

import pytest

from app.accounts.providers import DataSource, OAuthProvider
from app.ledger.models import RecordKind
from app.ledger.services import CONSENT_BASIS, append, erase_payloads, history, receipts_for, record_receipt
from tests.factories.ledger import new_subject

pytestmark = pytest.mark.smoke

PROVIDER = OAuthProvider(
    key="mynaportal", label="マイナポータル", issuer="https://mnp.example", client_id="c", client_secret="s",
    scopes=("children",), openid=False, can_log_in=False,
    source=DataSource("デジタル庁", "東京都千代田区紀尾井町1-3", "デジタル大臣", "本人のマイナンバーカード認証により取得"),
)


def test_a_receipt_records_who_how_what_and_on_what_basis(db):
    subject = new_subject()
    record = record_receipt(db, principal=subject, source_key=PROVIDER.key, source=PROVIDER.source,
                            items=["children.given_name", "children.birth_date"], kept=False, children=2)
    (entry,) = history(db, subject)
    assert entry.record.id == record.id and entry.record.kind == RecordKind.RECEIPT
    assert entry.payload == {
        "source_key": "mynaportal", "provider_name": "デジタル庁", "provider_address": "東京都千代田区紀尾井町1-3",
        "provider_representative": "デジタル大臣", "how_obtained": "本人のマイナンバーカード認証により取得",
        "basis": CONSENT_BASIS, "items": ["children.birth_date", "children.given_name"], "kept": False,
        "details": {"children": 2},
    }


def test_receipts_for_shows_the_latest_and_counts_a_later_store_as_kept(db):
    subject = new_subject()
    held = record_receipt(db, principal=subject, source_key=PROVIDER.key, source=PROVIDER.source,
                          items=["children.birth_date"], kept=False)
    record_receipt(db, principal=subject, source_key=PROVIDER.key, source=PROVIDER.source,
                   items=["children.birth_date"], kept=False)
    append(db, subject=subject, kind=RecordKind.PROCESSING, payload={"receipt_seq": held.seq})
    views = receipts_for(db, subject, limit=10)
    assert [(v.seq, v.kept) for v in views] == [(2, False), (1, True)]
    assert views[0].provider_name == "デジタル庁" and views[0].how_obtained and views[0].items == ["children.birth_date"]
    assert [v.seq for v in receipts_for(db, subject, limit=1)] == [2]
    assert receipts_for(db, new_subject()) == []
    erase_payloads(db, subject)
    assert receipts_for(db, subject) == []  # nothing left to show once erased
