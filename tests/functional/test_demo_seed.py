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
