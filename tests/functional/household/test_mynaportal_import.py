"""Pre-filling the children from MyNa Portal (a separate process): review side by side, decide, nothing silent."""

from __future__ import annotations

import secrets

import requests
from sqlmodel import select

from app.household.models import Child
from app.ledger.models import RecordKind
from app.ledger.services import history, receipts_for, verify_chain
from tests.conftest import csrf_token
from tests.factories.accounts import ResidentFactory
from tests.peer_services import PeerProcess, ProviderBrowser, bank_path

MNP = "mynaportal"


def new_household(peers: PeerProcess, children: list[tuple[str, str]]) -> tuple[str, str]:
    login_id, pin = f"mnp-{secrets.token_hex(4)}@example.jp", f"{secrets.randbelow(9000) + 1000}"
    body = {"login_id": login_id, "pin": pin,
            "children": [{"name": name, "name_kana": "ワカバ コ", "birth_date": born} for name, born in children]}
    response = requests.post(f"{peers.urls[MNP]}/_test/households", json=body, timeout=5)
    response.raise_for_status()
    return login_id, pin


def import_from_portal(client, idp_browser: ProviderBrowser, login_id: str, pin: str):  # type: ignore[no-untyped-def]
    start = client.post("/household/mynaportal/start", data={"csrf_token": csrf_token(client, "/my-data")})
    assert start.status_code == 303, start.get_data(as_text=True)[:300]
    back = idp_browser.authorize(start.headers["Location"], login_id=login_id, password=pin)
    return client.get(bank_path(back))


def children(db, resident):  # type: ignore[no-untyped-def]
    rows = db.exec(select(Child).where(Child.guardian_id == resident.id)).all()
    return sorted((c.birth_year, c.birth_month, c.birth_day, c.source) for c in rows)


def test_import_shows_differences_side_by_side_and_applies_only_what_is_chosen(client, db, linked_settings, peers,
                                                                               idp_browser, login) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login(client, resident)
    db.add_all([Child(guardian_id=resident.id, birth_year=2021, birth_month=6),  # a typo: the portal says May
                Child(guardian_id=resident.id, birth_year=2024, birth_month=4),  # no day yet
                Child(guardian_id=resident.id, birth_year=2015, birth_month=1, birth_day=9)])  # not in the portal
    db.flush()
    login_id, pin = new_household(peers, [("若葉 ひなた", "2021-05-12"), ("若葉 あおい", "2024-04-01"),
                                          ("若葉 そう", "2025-10-02")])
    response = import_from_portal(client, idp_browser, login_id, pin)
    assert response.status_code == 303 and response.headers["Location"] == "/household/mynaportal/review"
    assert children(db, resident) == [(2015, 1, 9, "manual"), (2021, 6, None, "manual"), (2024, 4, None, "manual")]
    (receipt,) = history(db, resident.principal)
    assert receipt.record.kind == RecordKind.RECEIPT and receipt.payload["source_key"] == MNP
    assert not receipt.payload["kept"]

    page = client.get("/household/mynaportal/review").get_data(as_text=True)
    assert "2021" in page and "ひなた" in page and "あおい" in page and "そう" in page
    assert "若葉" not in page  # the family name is not taken
    token = csrf_token(client, "/household/mynaportal/review")
    undecided = client.post("/household/mynaportal/review", data={"csrf_token": token})
    assert undecided.status_code == 422
    assert children(db, resident) == [(2015, 1, 9, "manual"), (2021, 6, None, "manual"), (2024, 4, None, "manual")]

    rows = {c.birth_year: c.id for c in db.exec(select(Child).where(Child.guardian_id == resident.id))}
    # A decision names both sides of a pair: portal child 0 with the typed 2021 child, and so on.
    keys = {f"p0t{rows[2021]}": "portal", f"p1t{rows[2024]}": "typed", "p2": "add", f"t{rows[2015]}": "keep"}
    assert all(f'name="{key}"' in page for key in keys)
    decided = client.post("/household/mynaportal/review", data={"csrf_token": token, **keys})
    assert decided.status_code == 303, decided.get_data(as_text=True)[:2000]
    assert children(db, resident) == [(2015, 1, 9, "manual"), (2021, 5, 12, "mynaportal"), (2024, 4, None, "manual"),
                                      (2025, 10, 2, "mynaportal")]
    # The receipt stays as written; a PROCESSING record says what was stored and points back at it.
    stored, _ = history(db, resident.principal)
    assert stored.record.kind == RecordKind.PROCESSING and stored.payload["receipt_seq"] == receipt.record.seq
    assert (stored.payload["added"], stored.payload["updated"]) == (1, 1)
    assert [view.kept for view in receipts_for(db, resident.principal)] == [True]
    assert verify_chain(db, resident.principal).ok
    # The import is used up: the review page is gone.
    assert client.get("/household/mynaportal/review").status_code == 303


def test_a_portal_that_answers_garbage_changes_nothing(client, db, linked_settings, peers, idp_browser,
                                                       login) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    login(client, resident)
    login_id, pin = new_household(peers, [("若葉 ひなた", "2021-05-12")])
    start = client.post("/household/mynaportal/start", data={"csrf_token": csrf_token(client, "/my-data")})
    back = idp_browser.authorize(start.headers["Location"], login_id=login_id, password=pin)
    peers.switch(MNP, "garbage")
    response = client.get(bank_path(back))
    assert response.status_code == 303 and response.headers["Location"].endswith("#children")
    assert children(db, resident) == []
    assert client.get("/household/mynaportal/review").status_code == 303


def test_another_residents_import_cannot_be_applied(client, other_client, db, linked_settings, peers, idp_browser,
                                                    login) -> None:  # type: ignore[no-untyped-def]
    owner = ResidentFactory()
    login(client, owner)
    login_id, pin = new_household(peers, [("若葉 ひなた", "2021-05-12")])
    start = client.post("/household/mynaportal/start", data={"csrf_token": csrf_token(client, "/my-data")})
    back = idp_browser.authorize(start.headers["Location"], login_id=login_id, password=pin)
    login(other_client, ResidentFactory())
    assert other_client.get(bank_path(back)).status_code == 303  # refused: the flow is not this session's
    assert other_client.get("/household/mynaportal/review").status_code == 303
    assert db.exec(select(Child)).all() == []


def test_pairs_are_made_closest_first_and_a_stale_decision_is_refused(db, login, client) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from app.household.mynaportal import PortalChild, plan

    resident = ResidentFactory()
    typed = Child(guardian_id=resident.id, birth_year=2020, birth_month=8, birth_day=1)
    db.add(typed)
    db.flush()
    rows = plan([typed], [PortalChild(0, "A", date(2020, 3, 1)), PortalChild(1, "B", date(2020, 9, 1))])
    by_kind = {row.kind: row for row in rows}
    assert by_kind["differs"].portal.given_name == "B"  # 31 days away, not the first in the portal's order
    assert by_kind["differs"].key == f"p1t{typed.id}" and by_kind["new"].key == "p0"
