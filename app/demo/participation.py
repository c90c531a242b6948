"""Demo participation history: taro joined two park events and used a café coupon in the last months, so his feed
has a history to rank with (once he consents to 「イベント参加・クーポン利用の履歴」). Needs the catalog loaded."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from app.accounts.models import Resident
from app.household.ages import japan_today
from app.participation import services
from app.participation.models import Participation, ParticipationKind

TARO = "taro@example.jp"
# (kind, catalogue id, days ago): 冒険のトリデ (outdoor, playground), スワンボート (outdoor, activity), a café coupon.
TARO_HISTORY = (
    (ParticipationKind.EVENT, "ev_park_toride", 75),
    (ParticipationKind.EVENT, "ev_park_swan_boat", 40),
    (ParticipationKind.COUPON, "cp_cafe_parent", 12),
)


def seed_participation(session: Session) -> dict[str, int]:
    """Only for a taro without any record yet: the days are relative to today, so a later run adds nothing."""
    created = {"participations": 0}
    taro = session.exec(select(Resident).where(Resident.email == TARO)).first()
    if taro is None or session.exec(select(Participation).where(Participation.resident_id == taro.id)).first():
        return created
    today = japan_today()
    for kind, item_id, days_ago in TARO_HISTORY:
        services.record(session, taro, kind, item_id, today - timedelta(days=days_ago))
        created["participations"] += 1
    return created
