from __future__ import annotations

import pytest
from sqlmodel import func, select

from app.accounts.models import Resident
from app.demo.seed import DEMO_RESIDENTS, DEMO_STAFF, seed
from app.staff.models import StaffMember

pytestmark = pytest.mark.smoke


def test_the_demo_seed_is_idempotent_and_its_logins_work(app, db, settings, client, csrf):
    with app.app_context():
        first = seed(db, settings)
        second = seed(db, settings)
    assert first["residents"] == len(DEMO_RESIDENTS) and first["staff"] == len(DEMO_STAFF)
    assert second == {"residents": 0, "staff": 0, "partners": 0}
    assert db.exec(select(func.count()).select_from(Resident)).one() == len(DEMO_RESIDENTS)
    assert db.exec(select(func.count()).select_from(StaffMember)).one() == len(DEMO_STAFF)
    hanako = DEMO_RESIDENTS[0]
    assert hanako.email == "hanako@example.jp"
    response = client.post("/login", data={"csrf_token": csrf(client), "email": hanako.email,
                                           "password": hanako.password})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200  # the demo residents have accepted the terms


def test_demo_passwords_pass_the_password_policy(app):
    from app.accounts.passwords import password_problems

    with app.app_context():
        for account in [*DEMO_RESIDENTS, *DEMO_STAFF]:
            assert password_problems(account.password, email=account.email) == [], account.email


def test_the_seed_command_refuses_production(app, monkeypatch):
    runner = app.test_cli_runner()
    monkeypatch.setattr(app.config["AZUKARI"].__class__, "is_production", property(lambda self: True))
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code != 0 and "development only" in result.output


def test_the_demo_consents_leave_receipts_and_a_verifiable_ledger(app, db, settings):
    from app.consent.models import ConsentReceipt, Offer
    from app.demo.consents import seed_consents
    from app.ledger.services import history, verify_chain

    with app.app_context():
        seed(db, settings)
        created = seed_consents(db, settings)
        again = seed_consents(db, settings)
        hanako = db.exec(select(Resident).where(Resident.email == "hanako@example.jp")).one()
        entries = history(db, hanako.principal)
        verification = verify_chain(db, hanako.principal)
    assert created["consents"] == 2 and again["consents"] == 0 and again["approvals"] == 0
    assert all(offer.active for offer in db.exec(select(Offer)))
    assert len(db.exec(select(ConsentReceipt).where(ConsentReceipt.resident_id == hanako.id)).all()) == 2
    assert {e.record.kind for e in entries} == {"consent", "processing"}
    assert verification.ok and verification.records == len(entries)


def test_expiring_consents_are_reminded_once(app, db, settings):
    from datetime import timedelta

    from app.consent import catalogue, decisions
    from app.consent.jobs import remind
    from app.consent.models import Grant
    from app.db import utcnow
    from app.demo.consents import seed_consents
    from app.mail.models import MailMessage

    class Context:  # what the job runner passes, minus the lease
        session, settings = db, app.config["AZUKARI"]

        def save(self, **_kwargs):  # type: ignore[no-untyped-def]
            pass

    with app.app_context():
        seed(db, settings)
        seed_consents(db, settings)
        taro = db.exec(select(Resident).where(Resident.email == "taro@example.jp")).one()
        view = next(v for v in catalogue.active_offers(db) if v.recipient.key == "kashiwa_kosodate")
        decisions.grant(db, settings, resident=taro, view=view, items=["children_count"],
                        now=utcnow() - timedelta(days=340))
        before = len(db.exec(select(MailMessage)).all())
        first = remind(Context())  # type: ignore[arg-type]
        second = remind(Context())  # type: ignore[arg-type]
    assert first["mails"] >= 1 and second == {"grants": 0, "mails": 0}
    assert len(db.exec(select(MailMessage)).all()) == before + first["mails"]
    grant = db.exec(select(Grant).where(Grant.resident_id == taro.id)).one()
    assert grant.reminded_at is not None
