"""The consent screen (同意), receipts pages and the operator's catalogue, through the browser's requests."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from markupsafe import escape
from sqlmodel import Session, select

from app.accounts.models import Resident
from app.audit import AuditEvent, EventTag
from app.consent import catalogue, decisions, enforce
from app.consent.catalogue import OfferView
from app.consent.enforce import ConsentRequired
from app.consent.events import ConsentWithdrawn, consent_withdrawn
from app.consent.models import ConsentReceipt, EthicsApproval, Grant, Offer
from app.db import utcnow
from tests.conftest import csrf_token
from tests.factories.accounts import ResidentFactory
from tests.factories.staff import StaffFactory

BANK_OFFER = ("azukari", "municipal_recommendation")
CITY_OFFER = ("kashiwa_kosodate", "municipal_recommendation")
PARTNER_OFFER = ("kashiwanoha_partner", "event_recommendation")
HEALTH_OFFER = ("health_app_b", "transfer_health")  # health_score and ecg (要配慮)


def html(text: str) -> str:
    return str(escape(text))


def post(client: FlaskClient, path: str, *, csrf_from: str = "/consents", **data: object):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, csrf_from), **data})


def grant_page(client: FlaskClient, view: OfferView, **data: object):  # type: ignore[no-untyped-def]
    return post(client, f"/consents/{view.offer.id}/grant", **data)


def live_items(db: Session, resident: Resident, view: OfferView) -> set[str]:
    db.expire_all()  # the requests changed the rows through their own sessions
    now = utcnow()
    rows = db.exec(select(Grant).where(Grant.resident_id == resident.id, Grant.recipient_key == view.recipient.key,
                                       Grant.purpose_key == view.purpose.key)).all()
    return {g.item_key for g in rows if g.granted and g.expires_at is not None and g.expires_at > now}


def receipt_id_of(response) -> uuid.UUID:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert location.startswith("/consents/receipts/"), location
    return uuid.UUID(location.removeprefix("/consents/receipts/"))


@pytest.fixture
def resident(client: FlaskClient, login, offers) -> Resident:  # type: ignore[no-untyped-def]
    resident = ResidentFactory(locale="en")
    login(client, resident)
    return resident


# --- the consent screen -------------------------------------------------------------------------------------


def test_the_screen_lists_each_active_offer_with_legal_name_purpose_benefit_retention_and_items(
        client, db, resident, offers) -> None:  # type: ignore[no-untyped-def]
    stopped = offers[PARTNER_OFFER].offer
    catalogue.activate_offer(db, actor="test", offer=stopped, active=False)
    db.flush()
    page = client.get("/consents").get_data(as_text=True)
    for key, view in offers.items():
        if key == PARTNER_OFFER:
            assert f'id="offer-{view.offer.id}"' not in page  # no longer offered: not asked
            continue
        assert f'id="offer-{view.offer.id}"' in page
        assert html(view.recipient.legal_name) in page
        assert html(view.purpose.name_en) in page
        assert html(view.purpose.benefit_en) in page
        assert f"{view.purpose.retention_days} days" in page
        for item in view.items:
            assert html(item.name_en) in page
            assert f'name="items" value="{item.key}"' in page  # each item chosen on its own (opt-in)
        assert html(view.recipient.contact) in page
    assert not re.search(r"<input[^>]*\schecked", page)  # nothing is pre-ticked


def test_granting_chosen_items_shows_the_receipt(client, db, resident, offers) -> None:  # type: ignore[no-untyped-def]
    view = offers[CITY_OFFER]
    receipt_id = receipt_id_of(grant_page(client, view, items=["children_count", "town_group"]))
    assert live_items(db, resident, view) == {"children_count", "town_group"}
    page = client.get(f"/consents/receipts/{receipt_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "The signature is valid" in text
    assert str(receipt_id) in text
    assert html(view.recipient.legal_name) in text
    items = {i.key: i for i in view.items}
    assert html(items["children_count"].name_ja) in text and html(items["age_bands"].name_ja) not in text
    screen = client.get("/consents").get_data(as_text=True)
    card = screen.split(f'id="offer-{view.offer.id}"')[1].split("</section>")[0]
    assert f'id="offer-{view.offer.id}-children_count"' not in card  # given: no checkbox, a withdraw button instead
    assert f'form="withdraw-{view.offer.id}-children_count"' in card
    receipts = client.get("/consents/receipts").get_data(as_text=True)
    assert str(receipt_id) in receipts


def test_consent_to_all_items_of_a_purpose(client, db, resident, offers) -> None:  # type: ignore[no-untyped-def]
    view = offers[BANK_OFFER]
    receipt_id = receipt_id_of(grant_page(client, view, all="1"))
    assert live_items(db, resident, view) == set(view.offer.items)
    receipt = db.get(ConsentReceipt, receipt_id)
    assert receipt is not None and receipt.items == view.offer.items and receipt.event == "given"
    # Other recipients got nothing.
    assert live_items(db, resident, offers[CITY_OFFER]) == set()


def test_nothing_chosen_grants_nothing(client, db, resident, offers) -> None:  # type: ignore[no-untyped-def]
    view = offers[CITY_OFFER]
    response = grant_page(client, view)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#offer-{view.offer.id}")
    assert "Choose at least one item" in client.get("/consents").get_data(as_text=True)
    assert live_items(db, resident, view) == set()


def test_an_item_outside_the_offer_is_refused(client, db, resident, offers) -> None:  # type: ignore[no-untyped-def]
    view = offers[PARTNER_OFFER]
    response = grant_page(client, view, items=["age_bands", "home_address"])
    assert response.status_code == 303 and "/consents/receipts/" not in response.headers["Location"]
    assert live_items(db, resident, view) == set()


def test_after_withdrawal_the_next_use_is_refused_at_once(client, db, resident, offers) -> None:  # type: ignore[no-untyped-def]
    view, kept = offers[CITY_OFFER], offers[BANK_OFFER]
    receipt_id_of(grant_page(client, view, items=["children_count", "town_group"]))
    receipt_id_of(grant_page(client, kept, items=["children_count"]))
    db.expire_all()
    used = enforce.use(db, resident=resident, recipient=view.recipient.key, purpose=view.purpose.key,
                       items=["children_count", "town_group", "age_bands"])
    assert set(used) == {"children_count", "town_group"}

    response = post(client, f"/consents/{view.offer.id}/withdraw")
    assert response.status_code == 303
    assert "Consent withdrawn" in client.get("/consents").get_data(as_text=True)
    db.expire_all()
    with pytest.raises(ConsentRequired) as refused:
        enforce.use(db, resident=resident, recipient=view.recipient.key, purpose=view.purpose.key,
                    items=["children_count", "town_group"])
    assert refused.value.status == 403
    assert live_items(db, resident, view) == set()
    # What the resident gave another recipient is untouched.
    assert live_items(db, resident, kept) == {"children_count"}
    assert set(enforce.use(db, resident=resident, recipient=kept.recipient.key, purpose=kept.purpose.key,
                           items=["children_count"])) == {"children_count"}


def test_withdrawing_one_item_keeps_the_others(client, db, resident, offers) -> None:  # type: ignore[no-untyped-def]
    view = offers[CITY_OFFER]
    receipt_id_of(grant_page(client, view, all="1"))
    assert post(client, f"/consents/{view.offer.id}/withdraw", items=["town_group"]).status_code == 303
    assert live_items(db, resident, view) == {"children_count", "age_bands"}
    db.expire_all()
    assert set(enforce.use(db, resident=resident, recipient=view.recipient.key, purpose=view.purpose.key,
                           items=["town_group", "age_bands"])) == {"age_bands"}


def test_the_withdrawn_signal_names_the_withdrawn_items(client, app, db, resident, offers) -> None:  # type: ignore[no-untyped-def]
    view = offers[CITY_OFFER]
    receipt_id_of(grant_page(client, view, items=["children_count", "town_group"]))
    heard: list[ConsentWithdrawn] = []

    def listener(sender, change: ConsentWithdrawn, **_kwargs) -> None:  # type: ignore[no-untyped-def]
        assert sender is app
        heard.append(change)

    with consent_withdrawn.connected_to(listener):
        post(client, f"/consents/{view.offer.id}/withdraw", items=["town_group"])
        post(client, f"/consents/{view.offer.id}/withdraw", items=["age_bands"])  # never given: no signal
        post(client, f"/consents/{view.offer.id}/withdraw")
    assert heard == [
        ConsentWithdrawn(subject=resident.principal, recipient=view.recipient.key, purpose=view.purpose.key,
                         items=("town_group",)),
        ConsentWithdrawn(subject=resident.principal, recipient=view.recipient.key, purpose=view.purpose.key,
                         items=("children_count",)),
    ]


def test_an_ending_consent_is_renewed_with_one_tap(client, app, db, settings, resident, offers) -> None:  # type: ignore[no-untyped-def]
    view = offers[PARTNER_OFFER]
    then = utcnow() - timedelta(days=350)  # ends in 15 days
    with app.app_context():
        decisions.grant(db, settings, resident=resident, view=view, items=["age_bands"], now=then)
    db.flush()
    page = client.get("/consents").get_data(as_text=True)
    assert "This consent ends soon" in page and f'action="/consents/{view.offer.id}/renew"' in page

    assert post(client, f"/consents/{view.offer.id}/renew").status_code == 303
    db.expire_all()
    (grant,) = db.exec(select(Grant).where(Grant.resident_id == resident.id)).all()
    assert grant.granted and grant.expires_at is not None
    assert timedelta(days=364) < grant.expires_at - utcnow() <= timedelta(days=365)
    renewed = db.exec(select(ConsentReceipt).where(ConsentReceipt.resident_id == resident.id,
                                                   ConsentReceipt.event == "renewed")).one()
    assert renewed.items == ["age_bands"]
    assert "Consent renewed" in client.get("/consents").get_data(as_text=True)


def test_an_expired_consent_gives_nothing_until_renewed(client, app, db, settings, resident, offers) -> None:  # type: ignore[no-untyped-def]
    view = offers[PARTNER_OFFER]
    with app.app_context():
        decisions.grant(db, settings, resident=resident, view=view, items=["town_group"],
                        now=utcnow() - timedelta(days=400))
    db.flush()
    with pytest.raises(ConsentRequired):
        enforce.use(db, resident=resident, recipient=view.recipient.key, purpose=view.purpose.key, items=["town_group"])
    assert "has ended" in client.get("/consents").get_data(as_text=True)
    assert post(client, f"/consents/{view.offer.id}/renew").status_code == 303
    db.expire_all()
    assert set(enforce.use(db, resident=resident, recipient=view.recipient.key, purpose=view.purpose.key,
                           items=["town_group"])) == {"town_group"}


def test_a_consent_to_an_offer_the_bank_stopped_can_still_be_withdrawn(client, app, db, resident, offers) -> None:  # type: ignore[no-untyped-def]
    """Stopping an offer keeps the consents already given ("until withdrawn or expired", says the console), so the
    resident must still be able to withdraw them; otherwise they come back to life when the offer is resumed."""
    view = offers[CITY_OFFER]
    receipt_id_of(grant_page(client, view, items=["children_count"]))
    with app.app_context():
        catalogue.activate_offer(db, actor="test", offer=offer_row(db, CITY_OFFER), active=False)
        db.flush()
    assert grant_page(client, view, items=["town_group"]).status_code == 404  # no new consent is asked for

    response = post(client, f"/consents/{view.offer.id}/withdraw")
    assert response.status_code == 303, f"withdrawal refused with {response.status_code} while the offer is stopped"
    assert live_items(db, resident, view) == set()
    with app.app_context():
        catalogue.activate_offer(db, actor="test", offer=offer_row(db, CITY_OFFER), active=True)
        db.flush()
    with pytest.raises(ConsentRequired):
        enforce.use(db, resident=resident, recipient=view.recipient.key, purpose=view.purpose.key,
                    items=["children_count"])


# --- 要配慮 (special care) ------------------------------------------------------------------------------------


def test_a_special_care_item_needs_a_fresh_login(client, db, login, offers) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory(locale="en")
    login(client, resident, authenticated_ago=timedelta(hours=1))
    view = offers[HEALTH_OFFER]
    for data in ({"items": ["ecg"], "special_confirmed": "y"}, {"all": "1", "special_confirmed": "y"}):
        response = grant_page(client, view, **data)
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/reauth"), response.headers["Location"]
        assert live_items(db, resident, view) == set()
    # An ordinary item of the same offer needs no step-up.
    receipt_id_of(grant_page(client, view, items=["health_score"]))
    assert live_items(db, resident, view) == {"health_score"}


def test_a_special_care_item_needs_its_own_box_ticked(client, db, resident, offers) -> None:  # type: ignore[no-untyped-def]
    view = offers[HEALTH_OFFER]
    page = client.get("/consents").get_data(as_text=True)
    assert 'name="special_confirmed"' in page
    response = grant_page(client, view, items=["ecg"])
    assert response.status_code == 303 and "/consents/receipts/" not in response.headers["Location"]
    assert "Special-care personal information needs its own consent" in client.get("/consents").get_data(as_text=True)
    assert live_items(db, resident, view) == set()
    for not_ticked in ("", "n", "on"):
        grant_page(client, view, items=["ecg", "health_score"], special_confirmed=not_ticked)
        assert live_items(db, resident, view) == set()

    receipt_id = receipt_id_of(grant_page(client, view, items=["ecg"], special_confirmed="y"))
    assert live_items(db, resident, view) == {"ecg"}
    receipt = db.get(ConsentReceipt, receipt_id)
    assert receipt is not None
    assert [(d["id"], d["sensitive"]) for d in receipt.body["personal_data"]] == [("ecg", True)]


# --- one resident never sees another's ----------------------------------------------------------------------


def test_a_resident_cannot_open_another_residents_receipts_or_see_their_decisions(
        client, other_client, db, login, resident, offers) -> None:  # type: ignore[no-untyped-def]
    view = offers[CITY_OFFER]
    receipt_id = receipt_id_of(grant_page(client, view, all="1"))
    assert client.get(f"/consents/receipts/{receipt_id}.jws").status_code == 200

    other = ResidentFactory(locale="en")
    login(other_client, other)
    assert other_client.get(f"/consents/receipts/{receipt_id}").status_code == 404
    assert other_client.get(f"/consents/receipts/{receipt_id}.jws").status_code == 404
    assert other_client.get(f"/consents/receipts/{uuid.uuid4()}").status_code == 404
    assert str(receipt_id) not in other_client.get("/consents/receipts").get_data(as_text=True)
    screen = other_client.get("/consents").get_data(as_text=True)
    assert "Consent given" not in screen and "Given</span>" not in screen
    assert "Withdraw all consent" not in screen
    # B withdrawing on the same offer changes nothing of A's.
    post(other_client, f"/consents/{view.offer.id}/withdraw")
    assert live_items(db, resident, view) == set(view.offer.items)
    assert live_items(db, other, view) == set()


def test_staff_cannot_open_the_consent_screen(client, login, offers) -> None:  # type: ignore[no-untyped-def]
    login(client, StaffFactory(operator=True))
    assert client.get("/consents").status_code == 403


# --- the operator's catalogue --------------------------------------------------------------------------------


def offer_row(db: Session, key: tuple[str, str]) -> Offer:
    db.expire_all()
    offer = catalogue.offer_for(db, *key)
    assert offer is not None
    return offer


def approve(client: FlaskClient, kind: str, key: str, minutes_ref: str = "DE-2026-04"):  # type: ignore[no-untyped-def]
    return post(client, "/operator/catalogue/approvals", csrf_from="/operator/catalogue/", kind=kind, key=key,
                approved_on="2026-11-20", minutes_ref=minutes_ref)


def test_an_offer_reaches_residents_only_after_its_recipient_and_purpose_are_approved(
        client, other_client, db, login, loaded_catalogue) -> None:  # type: ignore[no-untyped-def]
    assert db.exec(select(EthicsApproval)).all() == [], "nothing is approved before the board's decisions are recorded"
    operator = StaffFactory(operator=True, locale="en")
    login(client, operator)
    recipient_key, purpose_key = CITY_OFFER
    offer = offer_row(db, CITY_OFFER)
    assert not offer.active
    page = client.get("/operator/catalogue/")
    assert page.status_code == 200 and "Awaiting approval" in page.get_data(as_text=True)

    # The purpose is approved, the recipient is not: refused, with the reason.
    assert approve(client, "purpose", purpose_key).status_code == 303
    response = post(client, f"/operator/catalogue/offers/{offer.id}/activate", csrf_from="/operator/catalogue/")
    assert response.status_code == 303
    text = client.get("/operator/catalogue/").get_data(as_text=True)
    assert "no recorded approval by the data ethics board" in text
    assert not offer_row(db, CITY_OFFER).active

    resident = ResidentFactory(locale="en")
    login(other_client, resident)
    assert f'id="offer-{offer.id}"' not in other_client.get("/consents").get_data(as_text=True)

    assert approve(client, "recipient", recipient_key).status_code == 303
    assert "approval is recorded" in client.get("/operator/catalogue/").get_data(as_text=True)
    response = post(client, f"/operator/catalogue/offers/{offer.id}/activate", csrf_from="/operator/catalogue/")
    assert response.status_code == 303
    assert "Offered to residents" in client.get("/operator/catalogue/").get_data(as_text=True)
    assert offer_row(db, CITY_OFFER).active
    assert f'id="offer-{offer.id}"' in other_client.get("/consents").get_data(as_text=True)

    approvals = {(a.subject_kind, a.subject_key): a for a in db.exec(select(EthicsApproval))}
    assert approvals[("recipient", recipient_key)].minutes_ref == "DE-2026-04"
    assert approvals[("recipient", recipient_key)].recorded_by == operator.principal
    tags = [e.tag for e in db.exec(select(AuditEvent).where(AuditEvent.actor == operator.principal))]
    assert tags.count(EventTag.ETHICS_APPROVAL.value) == 2 and EventTag.OFFER_ACTIVATE.value in tags

    # Stopping the offer hides it again.
    post(client, f"/operator/catalogue/offers/{offer.id}/deactivate", csrf_from="/operator/catalogue/")
    assert not offer_row(db, CITY_OFFER).active
    assert f'id="offer-{offer.id}"' not in other_client.get("/consents").get_data(as_text=True)


def test_an_approval_needs_a_date_and_minutes_and_is_recorded_once(client, db, login, loaded_catalogue) -> None:  # type: ignore[no-untyped-def]
    login(client, StaffFactory(operator=True, locale="en"))
    key = CITY_OFFER[0]
    approve(client, "recipient", key, minutes_ref="")
    assert "reference of the board" in client.get("/operator/catalogue/").get_data(as_text=True)
    post(client, "/operator/catalogue/approvals", csrf_from="/operator/catalogue/", kind="recipient", key=key,
         approved_on="", minutes_ref="DE-1")
    assert "date of the board" in client.get("/operator/catalogue/").get_data(as_text=True)
    assert db.exec(select(EthicsApproval)).all() == []
    approve(client, "recipient", key)
    approve(client, "recipient", key, minutes_ref="DE-again")
    assert "already recorded" in client.get("/operator/catalogue/").get_data(as_text=True)
    (approval,) = db.exec(select(EthicsApproval)).all()
    assert approval.minutes_ref == "DE-2026-04"
    assert approve(client, "recipient", "no_such_recipient").status_code in (303, 404)
    assert len(db.exec(select(EthicsApproval)).all()) == 1


@pytest.mark.parametrize("who", ["resident", "municipal", "partner"])
def test_only_the_operator_opens_the_catalogue(client, db, login, loaded_catalogue, who) -> None:  # type: ignore[no-untyped-def]
    user = ResidentFactory() if who == "resident" else StaffFactory(**{who: True})
    login(client, user)
    assert client.get("/operator/catalogue/").status_code == 403
    offer = offer_row(db, BANK_OFFER)
    token = csrf_token(client, "/")
    assert client.post(f"/operator/catalogue/offers/{offer.id}/activate", data={"csrf_token": token}).status_code == 403
    assert client.post("/operator/catalogue/approvals", data={
        "csrf_token": token, "kind": "recipient", "key": BANK_OFFER[0], "approved_on": "2026-11-20", "minutes_ref": "x",
    }).status_code == 403
    assert db.exec(select(EthicsApproval)).all() == []
    assert not offer_row(db, BANK_OFFER).active


def test_anonymous_is_sent_to_the_staff_login(client, loaded_catalogue) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/operator/catalogue/")
    assert response.status_code == 303 and response.headers["Location"].startswith("/staff/login")


def test_the_operator_adds_a_recipient_a_purpose_and_an_offer_that_waits_for_approval(
        client, db, login, loaded_catalogue) -> None:  # type: ignore[no-untyped-def]
    login(client, StaffFactory(operator=True, locale="en"))
    added = post(client, "/operator/catalogue/recipients", csrf_from="/operator/catalogue/", **{
        "recipient-key": "kashiwa_library", "recipient-legal_name": "柏市立図書館", "recipient-name_en": "Kashiwa Library",
        "recipient-kind": "municipality", "recipient-address": "千葉県柏市柏5丁目8番12号",
        "recipient-contact": "04-7164-8333", "recipient-privacy_policy_url": "https://www.library.city.kashiwa.lg.jp/"})
    assert added.status_code == 303
    duplicate = post(client, "/operator/catalogue/recipients", csrf_from="/operator/catalogue/", **{
        "recipient-key": "kashiwa_library", "recipient-legal_name": "x", "recipient-kind": "municipality",
        "recipient-address": "x", "recipient-contact": "x", "recipient-privacy_policy_url": "https://x.example/"})
    assert duplicate.status_code == 422 and "already used" in duplicate.get_data(as_text=True)
    added = post(client, "/operator/catalogue/purposes", csrf_from="/operator/catalogue/", **{
        "purpose-key": "reading_events", "purpose-name_ja": "読み聞かせ会のご案内", "purpose-name_en": "Story time",
        "purpose-benefit_ja": "年齢に合う読み聞かせ会をお知らせします。", "purpose-benefit_en": "Story times for your children.",
        "purpose-retention_days": "180"})
    assert added.status_code == 303
    offer = post(client, "/operator/catalogue/offers", csrf_from="/operator/catalogue/", **{
        "offer-recipient": "kashiwa_library", "offer-purpose": "reading_events", "offer-items": "age_bands"})
    assert offer.status_code == 303
    created = offer_row(db, ("kashiwa_library", "reading_events"))
    assert created.items == ["age_bands"] and not created.active
    refused = post(client, f"/operator/catalogue/offers/{created.id}/activate", csrf_from="/operator/catalogue/")
    assert refused.status_code == 303 and not offer_row(db, ("kashiwa_library", "reading_events")).active
    approve(client, "recipient", "kashiwa_library")
    approve(client, "purpose", "reading_events")
    post(client, f"/operator/catalogue/offers/{created.id}/activate", csrf_from="/operator/catalogue/")
    assert offer_row(db, ("kashiwa_library", "reading_events")).active


def test_renewing_a_special_care_item_needs_the_box_again(client, db, resident, offers) -> None:  # type: ignore[no-untyped-def]
    view = offers[HEALTH_OFFER]
    receipt_id_of(grant_page(client, view, items=["ecg"], special_confirmed="y"))
    refused = post(client, f"/consents/{view.offer.id}/renew")
    assert refused.status_code == 303
    assert len(db.exec(select(ConsentReceipt).where(ConsentReceipt.event == "renewed")).all()) == 0
    post(client, f"/consents/{view.offer.id}/renew", special_confirmed="y")
    assert len(db.exec(select(ConsentReceipt).where(ConsentReceipt.event == "renewed")).all()) == 1


def test_deleting_the_account_withdraws_every_consent_first(client, app, db, resident, offers) -> None:  # type: ignore[no-untyped-def]
    from app.ledger.services import history

    view = offers[CITY_OFFER]
    receipt_id_of(grant_page(client, view, items=["children_count"]))
    heard: list[ConsentWithdrawn] = []

    def listener(sender, change: ConsentWithdrawn, **_kwargs) -> None:  # type: ignore[no-untyped-def]
        heard.append(change)

    with consent_withdrawn.connected_to(listener):
        response = client.post("/settings/delete", data={"csrf_token": csrf_token(client, "/settings/delete"),
                                                          "confirm": "y"})
    assert response.status_code == 303
    assert [change.items for change in heard] == [("children_count",)]
    kinds = [entry.record.kind for entry in history(db, resident.principal)]
    assert kinds[:2] == ["deletion", "consent"]  # newest first: the withdrawal, then the deletion
