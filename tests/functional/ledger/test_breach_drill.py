"""The tabletop drill of security anchor G5: a health-data leak at one recipient, found on a Friday night. The breach
query names the one resident and the items; because an ECG is 要配慮個人情報, even one person takes the reporting
path (規則7条1号): 速報 within 3 days, 確報 within 30 (60 for an attack), and the resident is to be told. A leak of
ordinary items of a few people does not; more than 1,000 people does."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from app.db import utcnow
from app.ledger.breach import Affected, affected
from app.ledger.breach_report import assess
from app.ledger.models import RecordKind
from app.ledger.services import append
from tests.factories.accounts import ResidentFactory
from tests.functional.consent.conftest import loaded_catalogue  # noqa: F401  (fixture)

HEALTH_APP = {"recipient": "health_app_b", "purpose": "transfer_health",
              "via": {"method": "importer_api", "destination": "health-b"}}


def _provided(db, resident, items):  # type: ignore[no-untyped-def]
    append(db, subject=resident.principal, kind=RecordKind.PROVISION, payload={**HEALTH_APP, "items": items})


def test_a_one_person_ecg_leak_takes_the_reporting_path(app, db, loaded_catalogue) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    start = utcnow() - timedelta(minutes=1)
    hanako, taro = ResidentFactory(), ResidentFactory()
    _provided(db, hanako, ["health_records", "ecg"])
    _provided(db, taro, ["health_score"])  # the same app, ordinary items only
    end = utcnow() + timedelta(minutes=1)
    found = affected(db, "health-b", start, end)
    assert {entry.subject for entry in found} == {hanako.principal, taro.principal}

    friday_night = datetime(2026, 11, 27, 14, 30, tzinfo=UTC)  # 23:30 in Japan
    leak = assess(db, found, discovered_at=friday_night)
    assert leak.must_report and leak.special_items == ["ecg"] and leak.reasons[0].startswith("規則7条1号")
    assert leak.discovered_on == date(2026, 11, 27)  # the day in Japan
    assert leak.preliminary_due == date(2026, 11, 30) and leak.final_due == date(2026, 12, 27)
    attack = assess(db, found, discovered_at=friday_night, unlawful=True)
    assert attack.final_due == date(2027, 1, 26) and any("3号" in reason for reason in attack.reasons)

    only_taro = [entry for entry in found if entry.subject == taro.principal]  # ordinary items, one person
    assert not assess(db, only_taro, discovered_at=friday_night).must_report
    crowd = [Affected(f"resident:{n}", {"health_score"}) for n in range(1001)]
    assert assess(db, crowd, discovered_at=friday_night).reasons == ["規則7条4号: 1,000人を超える"]

    db.commit()  # the command opens its own session
    result = app.test_cli_runner().invoke(args=[
        "ledger", "breach", "--component", "health-b", "--since", start.strftime("%Y-%m-%dT%H:%M"),
        "--until", (end + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"), "--discovered", "2026-11-27T14:30"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["items"] == {"ecg": 1, "health_records": 1, "health_score": 1}
    assert answer["assessment"] == {
        "must_report": True, "reasons": ["規則7条1号: 要配慮個人情報を含む（ecg）"], "residents": 2,
        "special_items": ["ecg"], "discovered_on": "2026-11-27", "preliminary_report_due": "2026-11-30",
        "final_report_due": "2026-12-27", "notify_each_resident": True}
