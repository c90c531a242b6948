"""The inbox services: delivery (idempotent, only under a live consent, defensive about its fields), reading,
deleting, and stopping a sender (= withdrawing the consent)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from app.audit import AuditEvent, EventTag
from app.consent import catalogue
from app.consent.models import ConsentReceipt, Grant
from app.db import utcnow
from app.errors import NotFound
from app.inbox import services
from app.inbox.models import Notice
from app.ledger.models import LedgerChain
from tests.factories.accounts import ResidentFactory
from tests.factories.inbox import NoticeFactory
from tests.functional.inbox.conftest import CITY_OFFER, PARTNER_OFFER


def grants_of(db: Session, resident, offer: tuple[str, str]) -> list[Grant]:  # type: ignore[no-untyped-def]
    db.expire_all()
    return list(db.exec(select(Grant).where(Grant.resident_id == resident.id, Grant.recipient_key == offer[0],
                                            Grant.purpose_key == offer[1])))


# --- delivery -------------------------------------------------------------------------------------------------


def test_deliver_puts_a_notice_in_the_inbox_under_the_consent(  # type: ignore[no-untyped-def]
        db, resident, grant, deliver) -> None:
    receipt = grant(resident)
    notice, created = deliver(resident, receipt, ledger_seq=3)
    assert created is True
    stored = db.get(Notice, notice.id)
    assert stored is not None and stored.resident_id == resident.id
    assert (stored.recipient_key, stored.purpose_key) == CITY_OFFER
    assert stored.consent_receipt_id == receipt.id and stored.ledger_seq == 3
    assert stored.read_at is None


def test_a_retry_with_the_same_id_is_the_same_notice_unchanged(  # type: ignore[no-untyped-def]
        db, resident, grant, deliver) -> None:
    receipt = grant(resident)
    first, created = deliver(resident, receipt)
    again, created_again = deliver(resident, receipt, title="別のタイトル")
    assert created and not created_again
    assert again.id == first.id and again.title == "一時預かりのご案内"
    assert len(db.exec(select(Notice).where(Notice.resident_id == resident.id)).all()) == 1


def test_the_same_id_from_another_client_or_to_another_resident_is_another_notice(  # type: ignore[no-untyped-def]
        db, resident, grant, deliver) -> None:
    other = ResidentFactory()
    first, _ = deliver(resident, grant(resident))
    from_other_client, created = deliver(resident, None, client_id="kashiwa-city-2")
    to_other_resident, created_other = deliver(other, grant(other))
    assert created and created_other
    assert len({first.id, from_other_client.id, to_other_resident.id}) == 3


def test_no_notice_without_a_live_consent(db, resident, grant, deliver, offers) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(services.NoLiveConsent):
        deliver(resident)
    receipt = grant(resident, PARTNER_OFFER)  # a consent to someone else does not count
    with pytest.raises(services.NoLiveConsent):
        deliver(resident)
    receipt = grant(resident)
    for grant_row in grants_of(db, resident, CITY_OFFER):  # expired
        grant_row.expires_at = utcnow() - timedelta(seconds=1)
        db.add(grant_row)
    db.flush()
    with pytest.raises(services.NoLiveConsent):
        deliver(resident, receipt)
    assert db.exec(select(Notice)).all() == []


def test_a_refusal_writes_nothing(db, resident, deliver) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(services.NoLiveConsent):
        deliver(resident)
    # Not even the resident's ledger chain (the lock is taken only once the consent is known to be live).
    assert db.exec(select(LedgerChain).where(LedgerChain.subject == resident.principal)).first() is None
    assert db.exec(select(Notice)).all() == []


def test_no_notice_once_the_offer_is_stopped(  # type: ignore[no-untyped-def]
        app, db, resident, grant, deliver, offers) -> None:
    receipt = grant(resident)
    with app.app_context():
        catalogue.activate_offer(db, actor="test", offer=offers[CITY_OFFER].offer, active=False)
        db.flush()
    with pytest.raises(services.NoLiveConsent):
        deliver(resident, receipt)


@pytest.mark.parametrize("fields", [
    {"title": ""},
    {"title": "   "},
    {"title": "あ" * 121},
    {"body": "あ" * 2001},
    {"external_id": ""},
    {"external_id": "x" * 101},
    {"client_id": ""},
    {"link_url": "javascript:alert(1)"},
    {"link_url": "http://example.jp/"},
    {"link_url": "https://user:pass@example.jp/"},
    {"link_url": "/relative"},
    {"link_url": "https://example.jp/" + "a" * 500},
    {"ledger_seq": 0},
    {"consent_receipt_id": uuid.uuid4()},
    {"title": None},
])
def test_bad_fields_are_refused(db, resident, grant, deliver, fields) -> None:  # type: ignore[no-untyped-def]
    receipt = grant(resident)
    with pytest.raises(services.InvalidNotice):
        deliver(resident, receipt, **fields)
    assert db.exec(select(Notice)).all() == []


def test_a_receipt_of_another_resident_or_sender_is_refused(  # type: ignore[no-untyped-def]
        db, resident, grant, deliver) -> None:
    grant(resident)
    other = ResidentFactory()
    with pytest.raises(services.InvalidNotice):
        deliver(resident, grant(other))
    with pytest.raises(services.InvalidNotice):
        deliver(resident, grant(resident, PARTNER_OFFER))


def test_an_unknown_resident_is_refused(db, resident, deliver) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(services.InvalidNotice):
        deliver(resident, resident_id=uuid.uuid4())


def test_no_link_and_an_empty_body_are_fine(db, resident, grant, deliver) -> None:  # type: ignore[no-untyped-def]
    notice, created = deliver(resident, grant(resident), link_url=None, body="")
    assert created and notice.link_url == "" and notice.body == ""


@pytest.mark.parametrize(("url", "safe"), [
    ("https://www.city.kashiwa.lg.jp/kosodate?x=1#a", True),
    ("http://localhost:5000/events", True),
    ("http://127.0.0.1/x", True),
    ("http://[::1]:8080/", True),
    ("http://example.jp/", False),
    ("javascript:alert(1)", False),
    ("JAVASCRIPT:alert(1)", False),
    ("data:text/html,hi", False),
    ("https://", False),
    ("https://exa mple.jp/", False),
    ("https://example.jp/\nX", False),
    ("//example.jp/", False),
    ("https://[::1/", False),
    ("http://127.evil.example/", False),
    ("", False),
])
def test_is_safe_link(app, url: str, safe: bool) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        assert services.is_safe_link(url) is safe


def test_plain_http_links_are_refused_in_production(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings = app.config["AZUKARI"]
    monkeypatch.setattr(type(settings), "is_production", property(lambda _self: True))
    with app.app_context():
        assert not services.is_safe_link("http://localhost:5000/events")
        assert services.is_safe_link("https://example.jp/events")


# --- reading and deleting -------------------------------------------------------------------------------------


def test_list_newest_first_unread_count_read_and_delete(db, resident) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    old = NoticeFactory(resident=resident, received_at=now - timedelta(days=2))
    new = NoticeFactory(resident=resident, received_at=now)
    middle = NoticeFactory(resident=resident, received_at=now - timedelta(days=1))
    NoticeFactory(resident=ResidentFactory())  # someone else's
    assert [n.id for n in services.notices_of(db, resident)] == [new.id, middle.id, old.id]
    assert services.unread_count(db, resident) == 3
    services.mark_read(db, resident, middle)
    first_read = middle.read_at
    services.mark_read(db, resident, middle, now=now + timedelta(hours=1))
    assert middle.read_at == first_read  # the first reading stays
    db.flush()
    assert services.unread_count(db, resident) == 2
    services.delete_notice(db, resident, old)
    assert db.get(Notice, old.id) is None
    assert [n.id for n in services.notices_of(db, resident)] == [new.id, middle.id]


def test_another_residents_notice_is_not_found(db, resident) -> None:  # type: ignore[no-untyped-def]
    theirs = NoticeFactory(resident=ResidentFactory())
    with pytest.raises(NotFound):
        services.notice_of(db, resident, theirs.id)
    with pytest.raises(NotFound):
        services.notice_of(db, resident, uuid.uuid4())
    with pytest.raises(NotFound):
        services.mark_read(db, resident, theirs)
    with pytest.raises(NotFound):
        services.delete_notice(db, resident, theirs)
    assert theirs.read_at is None and db.get(Notice, theirs.id) is not None


# --- stopping a sender ----------------------------------------------------------------------------------------


def test_stop_sender_withdraws_the_whole_consent_and_keeps_the_notices(  # type: ignore[no-untyped-def]
        app, db, settings, resident, grant, deliver) -> None:
    receipt = grant(resident)
    grant(resident, PARTNER_OFFER)
    notice, _ = deliver(resident, receipt)
    with app.app_context():
        withdrawal = services.stop_sender(db, settings, resident=resident, recipient_key=CITY_OFFER[0],
                                          purpose_key=CITY_OFFER[1], ip="192.0.2.1")
        db.flush()
    assert withdrawal is not None and withdrawal.event == "withdrawn"
    assert db.get(ConsentReceipt, withdrawal.id) is not None
    city = grants_of(db, resident, CITY_OFFER)
    assert city and all(not row.granted for row in city)
    assert all(row.granted for row in grants_of(db, resident, PARTNER_OFFER))  # only that sender
    assert db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.CONSENT_WITHDRAW.value,
                                            AuditEvent.actor == resident.principal)).first() is not None
    assert services.notice_of(db, resident, notice.id).title == notice.title
    assert not services.has_live_consent(db, resident, *CITY_OFFER)
    with pytest.raises(services.NoLiveConsent):
        deliver(resident, receipt, external_id="next-one")
    with app.app_context():  # nothing left to withdraw
        assert services.stop_sender(db, settings, resident=resident, recipient_key=CITY_OFFER[0],
                                    purpose_key=CITY_OFFER[1], ip=None) is None


def test_stop_an_unknown_sender_is_not_found(app, db, settings, resident) -> None:  # type: ignore[no-untyped-def]
    with app.app_context(), pytest.raises(NotFound):
        services.stop_sender(db, settings, resident=resident, recipient_key="nobody", purpose_key="nothing", ip=None)
