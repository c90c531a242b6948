"""Whether a breach must be reported, and by when (APPI 法26条; 個人情報保護法施行規則 7条・8条): the assessment that
follows the breach query (`app/ledger/breach.py`), for the person on duty at 3 a.m. — one command, no judgement
calls left that the rules already make.

Reporting to the 個人情報保護委員会 and notifying each person (法26条2項) is required when any of 規則7条 holds:
1. 要配慮個人情報 (the catalogue's `special` items: the ECG, clinical records) — even for one person;
2. data whose misuse could cause property damage (財産的被害) — the operator says so (`--property-damage`);
3. a leak for an unlawful purpose (不正の目的: an attack, an insider's theft) — `--unauthorized`;
4. more than 1,000 people.
Deadlines (規則8条): the preliminary report (速報) "promptly", which the guidelines put at about 3 to 5 days from
discovery — we take 3; the final report (確報) within 30 days, or 60 for an unlawful purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from app.consent.models import DataItem, Sensitivity
from app.ledger.breach import Affected

JST = ZoneInfo("Asia/Tokyo")
PRELIMINARY_DAYS = 3  # 速報: 指針 "概ね3〜5日以内" (the short end: nobody waits for the long one)
FINAL_DAYS, FINAL_DAYS_UNLAWFUL = 30, 60  # 確報: 規則8条2項
MASS = 1000  # 規則7条4号: more than this many people


@dataclass(frozen=True)
class Assessment:
    must_report: bool
    reasons: list[str]  # which 規則7条 numbers apply, in words
    residents: int
    special_items: list[str]  # 要配慮個人情報 among the affected items
    discovered_on: date  # in Japan
    preliminary_due: date | None
    final_due: date | None

    def as_json(self) -> dict[str, Any]:
        return {"must_report": self.must_report, "reasons": self.reasons, "residents": self.residents,
                "special_items": self.special_items, "discovered_on": self.discovered_on.isoformat(),
                "preliminary_report_due": self.preliminary_due.isoformat() if self.preliminary_due else None,
                "final_report_due": self.final_due.isoformat() if self.final_due else None,
                "notify_each_resident": self.must_report}


def special_items(session: Session) -> set[str]:
    return set(session.exec(select(DataItem.key).where(col(DataItem.sensitivity) == Sensitivity.SPECIAL.value)))


def assess(session: Session, entries: list[Affected], *, discovered_at: datetime, unlawful: bool = False,
           property_damage: bool = False) -> Assessment:
    """The 規則7条 test over the breach query's answer, and the 規則8条 deadlines counted from the discovery."""
    special = sorted({item for entry in entries for item in entry.items} & special_items(session))
    reasons = []
    if special:
        reasons.append("規則7条1号: 要配慮個人情報を含む（" + "、".join(special) + "）")
    if property_damage:
        reasons.append("規則7条2号: 財産的被害が生じるおそれ")
    if unlawful:
        reasons.append("規則7条3号: 不正の目的によるおそれ")
    if len(entries) > MASS:
        reasons.append(f"規則7条4号: {MASS:,}人を超える")
    discovered_on = discovered_at.astimezone(JST).date()
    must = bool(reasons) and bool(entries)
    return Assessment(
        must_report=must, reasons=reasons, residents=len(entries), special_items=special,
        discovered_on=discovered_on,
        preliminary_due=discovered_on + timedelta(days=PRELIMINARY_DAYS) if must else None,
        final_due=discovered_on + timedelta(days=FINAL_DAYS_UNLAWFUL if unlawful else FINAL_DAYS) if must else None)
