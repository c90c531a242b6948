"""Everything the bank holds about a resident, as a zip of JSON files with a README in Japanese (わたしのデータ)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.accounts.models import LinkedAccount, Resident, TermsAcceptance
from app.city_records.services import requests_of as city_requests_of
from app.city_records.usage import usage_of as city_usage_of
from app.consent.models import ConsentReceipt, Grant
from app.db import utcnow
from app.household.models import Child, HealthScore, HomeAddress
from app.ledger.services import history
from app.participation.services import history_of as participations_of
from app.surveys.services import responses_of as survey_responses_of

README = """Azukari（預かり）情報銀行 — あなたのデータの書き出し
=================================================

書き出した日時（UTC）: {at}

このファイルには、Azukari があなたからお預かりしているデータがすべて入っています。
どのファイルも JSON 形式（UTF-8）です。

- account.json          アカウント（メールアドレス、言語、登録日、同意した利用規約の版）
- children.json         子どもの情報（生年月日、呼び名、入力元：manual=ご自身で入力 / mynaportal=マイナポータル）
- address.json          住所（Smart Life Pass などから受け取ったもの。受け取った日時つき）
- health_scores.json    カロママプラスの健康スコア（日ごと、受け取った日時つき）
- linked_accounts.json  連携している外部サービス（連携日。アクセストークンは含めません）
- participation.json    参加したイベント・使ったクーポンの記録（日付、イベント／クーポンの ID、種類、
                        記録した人：resident=ご自身で記録）
- service_usage.json    柏市から開示を受けて取り込んだ、子育て関連サービスの利用記録（サービスの ID、利用日、
                        どのお子さんの記録か〔生年月日〕、メモ、取得元：kashiwa-city=柏市）
- city_record_requests.json  柏市への開示請求（状態、受付番号、期限、決定と理由、委任状〔署名つき JWS〕）
- surveys.json          実証アンケートへの回答（アンケートごと。submitted_at は分析チームへ送信した日時）
- consents.json         同意の状態（提供先・目的・項目ごと、有効期限）
- consent_receipts/     同意の記録（ISO/IEC TS 27560 形式）。*.jws は Azukari の署名つきで、
                        https://（Azukari のアドレス）/.well-known/jwks.json の公開鍵で誰でも検証できます。
- history.json          あなたのデータの利用・提供・受領・同意の変更の記録（台帳）

トークンやパスワードなど、あなたのアカウントを守るための秘密の情報は含めていません。
ご不明な点は Azukari のサポートまでお問い合わせください。
"""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_zip(session: Session, resident: Resident) -> bytes:
    """The zip, built in memory (a household's data is small)."""
    files: dict[str, Any] = {
        "account.json": {
            "email": resident.email,
            "language": resident.locale,
            "member_since": _iso(resident.created_at),
            "terms_accepted": [{"version": t.terms_version, "at": _iso(t.accepted_at)} for t in session.exec(
                select(TermsAcceptance).where(TermsAcceptance.resident_id == resident.id))],
        },
        "children.json": [{
            "nickname": c.nickname, "birth_year": c.birth_year, "birth_month": c.birth_month, "birth_day": c.birth_day,
            "counted_for_allowance": c.counted_for_allowance, "source": c.source, "updated_at": _iso(c.updated_at),
        } for c in session.exec(select(Child).where(Child.guardian_id == resident.id).order_by(col(Child.id)))],
        "address.json": None,
        "health_scores.json": [{
            "date": s.day.isoformat(), "score": s.score, "meal": s.meal, "exercise": s.exercise, "source": s.source,
            "received_at": _iso(s.received_at),
        } for s in session.exec(select(HealthScore).where(HealthScore.resident_id == resident.id)
                                .order_by(col(HealthScore.day)))],
        "linked_accounts.json": [{"provider": link.provider, "issuer": link.issuer, "linked_at": _iso(link.linked_at),
                                  "keep_copy": link.keep_copy}
                                 for link in session.exec(select(LinkedAccount).where(LinkedAccount.resident_id == resident.id))],
        "participation.json": [{
            "date": p.occurred_on.isoformat(), "kind": p.kind, "item_id": p.item_id, "venue_id": p.venue_id,
            "categories": p.categories, "source": p.source, "recorded_at": _iso(p.recorded_at),
        } for p in reversed(participations_of(session, resident))],
        "service_usage.json": [{
            "service_id": u.service_id, "used_from": u.used_from.isoformat(),
            "used_to": u.used_to.isoformat() if u.used_to else None,
            "child_birth_date": u.child_birth_date.isoformat() if u.child_birth_date else None, "note": u.note,
            "source": u.source, "received_at": _iso(u.received_at),
        } for u in reversed(city_usage_of(session, resident.id))],
        "city_record_requests.json": [{
            "id": str(r.id), "state": r.state, "created_at": _iso(r.created_at),
            "period": [r.period_from.isoformat(), r.period_to.isoformat()], "receipt_number": r.receipt_number,
            "accepted_at": _iso(r.accepted_at), "deadline": r.deadline_on.isoformat() if r.deadline_on else None,
            "decided_at": _iso(r.decided_at), "decision_reason": r.decision_reason, "delivered_at": _iso(r.delivered_at),
            "closed_at": _iso(r.closed_at), "delivered_records": r.delivered_records, "mandate_jws": r.mandate_jws,
        } for r in reversed(city_requests_of(session, resident))],
        "surveys.json": [{
            "survey": r.survey_key, "answers": r.answers, "started_at": _iso(r.started_at), "updated_at": _iso(r.updated_at),
            "submitted_at": _iso(r.submitted_at),
        } for r in survey_responses_of(session, resident).values()],
        "consents.json": [{
            "recipient": g.recipient_key, "purpose": g.purpose_key, "item": g.item_key, "granted": g.granted,
            "decided_at": _iso(g.decided_at), "expires_at": _iso(g.expires_at),
            "receipt_id": str(g.receipt_id) if g.receipt_id else None,
        } for g in session.exec(select(Grant).where(Grant.resident_id == resident.id))],
        # With the hashes and salts, the chain can be recomputed from this file alone (see docs/decisions.md).
        "history.json": [{
            "seq": entry.record.seq, "kind": entry.record.kind, "at": _iso(entry.record.at), "details": entry.payload,
            "prev_hash": entry.record.prev_hash, "payload_digest": entry.record.payload_digest,
            "record_hash": entry.record.record_hash, "salt": entry.salt,
        } for entry in history(session, resident.principal)],
    }
    address = session.get(HomeAddress, resident.id)
    if address is not None:
        files["address.json"] = {"postal_code": address.postal_code, "region": address.region, "locality": address.locality,
                                 "town": address.town, "block": address.block, "source": address.source,
                                 "received_at": _iso(address.received_at)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README.format(at=utcnow().isoformat()))
        for name, content in files.items():
            archive.writestr(name, json.dumps(content, ensure_ascii=False, indent=2))
        for receipt in session.exec(select(ConsentReceipt).where(ConsentReceipt.resident_id == resident.id)):
            archive.writestr(f"consent_receipts/{receipt.id}.json", json.dumps(receipt.body, ensure_ascii=False, indent=2))
            archive.writestr(f"consent_receipts/{receipt.id}.jws", receipt.jws)
    return buffer.getvalue()
