"""Demo consents: the catalogue and the profiling rules' current versions approved, the catalogue offered, and
hanako's household with a few decisions and one use, so a fresh demo database has receipts and a non-empty ledger."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from app.accounts.models import Resident
from app.config import Settings
from app.consent import catalogue, decisions, enforce
from app.consent.models import Grant, Offer, Purpose, Recipient
from app.household.models import Child
from app.recommend import rules

DEMO_BOARD = (date(2026, 10, 1), "データ倫理審査会 2026年度第3回 議事録 DE-2026-03")
HANAKO = "hanako@example.jp"
# hanako's children as she typed them (MyNa Portal has them with the days; the import shows the differences).
HANAKO_CHILDREN = ((2019, 11, 3, "ゆい"), (2021, 5, None, "さくら"))
HANAKO_GRANTS = (("azukari", "municipal_recommendation", None), ("kashiwanoha_partner", "event_recommendation", None))


def seed_consents(session: Session, settings: Settings) -> dict[str, int]:
    created = {"catalogue rows": sum(catalogue.load_catalogue(session).values()), "approvals": 0, "consents": 0}
    approved_on, minutes = DEMO_BOARD
    for kind, model in (("recipient", Recipient), ("purpose", Purpose)):
        for row in session.exec(select(model)):
            if catalogue.approval_of(session, kind, row.key) is None:
                catalogue.record_approval(session, actor="demo-seed", kind=kind, key=row.key, approved_on=approved_on,
                                          minutes_ref=minutes)
                created["approvals"] += 1
    # The feed's rules as the code has them now (a changed rule is a new version: approved at the next seed).
    for rule in rules.current_rules():
        if catalogue.approval_of(session, rules.KIND, rule.subject) is None:
            catalogue.record_approval(session, actor="demo-seed", kind=rules.KIND, key=rule.subject,
                                      approved_on=approved_on, minutes_ref=minutes)
            created["approvals"] += 1
    for offer in session.exec(select(Offer)):
        if not offer.active:
            catalogue.activate_offer(session, actor="demo-seed", offer=offer, active=True)
    session.flush()
    hanako = session.exec(select(Resident).where(Resident.email == HANAKO)).first()
    if hanako is None or session.exec(select(Grant).where(Grant.resident_id == hanako.id)).first() is not None:
        return created
    if session.exec(select(Child).where(Child.guardian_id == hanako.id)).first() is None:
        session.add_all(Child(guardian_id=hanako.id, birth_year=y, birth_month=m, birth_day=d, nickname=name)
                        for y, m, d, name in HANAKO_CHILDREN)
        session.flush()
    views = {(v.recipient.key, v.purpose.key): v for v in catalogue.active_offers(session)}
    for recipient, purpose, items in HANAKO_GRANTS:
        view = views[(recipient, purpose)]
        decisions.grant(session, settings, resident=hanako, view=view, items=items or view.offer.items)
        created["consents"] += 1
    # The bank matched her household against the catalogue once (its own processing, on the ledger).
    enforce.use(session, resident=hanako, recipient="azukari", purpose="municipal_recommendation",
                items=["children_count", "age_classes", "town_group"])
    return created
