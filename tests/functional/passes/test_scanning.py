"""A clerk scans a resident's pass: the check-in or redemption becomes the resident's data (source: the partner)
with the APPI 法30条 receipt on their ledger, and every bad code is refused with the clerk's message, changing
nothing."""

from __future__ import annotations

from sqlmodel import select

from app.audit import AuditEvent, EventTag
from app.ledger.models import RecordKind
from app.ledger.services import history
from app.participation.models import Participation
from app.passes import codes
from app.passes.models import CouponRedemption, PassScan
from tests.factories.staff import PartnerFactory
from tests.functional.passes.conftest import COUPON, EVENT, KEY, LATER_COUPON, OTHER_VENUE_EVENT, minutes_ago


def scan(client, csrf, code: str, target: str = f"event:{EVENT}", htmx: bool = False):  # type: ignore[no-untyped-def]
    token = csrf(client, "/partner/scan/")
    headers = {"HX-Request": "true", "HX-Target": "scan-result"} if htmx else {}
    return client.post("/partner/scan/", data={"csrf_token": token, "target": target, "code": code}, headers=headers)


def refused_with(response, text: str) -> None:  # type: ignore[no-untyped-def]
    body = response.get_data(as_text=True)
    assert response.status_code == 422, body
    assert "Not accepted" in body and text in body


def test_the_scan_page_lists_todays_events_and_valid_coupons_of_the_partner_only(
        client, clerk,
) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/partner/scan/").get_data(as_text=True)
    assert f'value="event:{EVENT}"' in page and f'value="coupon:{COUPON}"' in page
    assert OTHER_VENUE_EVENT not in page  # another venue's
    assert LATER_COUPON not in page  # not valid yet
    assert "Scan with the camera" in page and 'name="code"' in page


def test_a_check_in_is_recorded_as_the_residents_data_from_the_partner(
        client, csrf, clerk, partner, resident, code_of, db,
) -> None:  # type: ignore[no-untyped-def]
    response = scan(client, csrf, code_of(resident))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Checked in" in body
    assert resident.email not in body and str(resident.id) not in body  # the shop learns nothing about the person
    (record,) = db.exec(select(Participation).where(Participation.resident_id == resident.id)).all()
    assert (record.kind, record.item_id, record.source) == ("event", EVENT, "partner:tsite_demo")
    receipts = [e for e in history(db, resident.principal) if e.record.kind == RecordKind.RECEIPT]
    assert len(receipts) == 1
    payload = receipts[0].payload
    assert payload["source_key"] == "partner:tsite_demo" and payload["provider_name"] == partner.name_ja
    assert payload["items"] == ["participation_history"] and payload["provider_address"] == partner.address
    assert "パス" in payload["basis"]
    events = db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.PASS_SCAN.value)).all()
    assert len(events) == 1 and events[0].actor == clerk.principal


def test_the_htmx_answer_is_the_result_region_only(
        client, csrf, clerk, resident, code_of,
) -> None:  # type: ignore[no-untyped-def]
    response = scan(client, csrf, code_of(resident), htmx=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<div id="scan-result"') and "<html" not in body


def test_a_double_tap_counts_once_and_says_so(client, csrf, clerk, resident, code_of, db) -> None:  # type: ignore[no-untyped-def]
    code = code_of(resident)
    assert scan(client, csrf, code).status_code == 200
    again = scan(client, csrf, code)
    assert again.status_code == 200 and "counted once" in again.get_data(as_text=True)
    assert len(db.exec(select(PassScan).where(PassScan.resident_id == resident.id)).all()) == 1
    assert len(db.exec(select(Participation).where(Participation.resident_id == resident.id)).all()) == 1


def test_a_spent_code_is_refused_for_anything_else(
        client, csrf, clerk, resident, code_of, db,
) -> None:  # type: ignore[no-untyped-def]
    code = code_of(resident)
    scan(client, csrf, code)
    refused_with(scan(client, csrf, code, target=f"coupon:{COUPON}"), "already been used")
    assert db.exec(select(CouponRedemption)).all() == []


def test_forged_damaged_and_foreign_codes_are_refused(
        client, csrf, clerk, resident, code_of, db,
) -> None:  # type: ignore[no-untyped-def]
    good = code_of(resident)
    forged = good[:-1] + ("0" if good[-1] != "0" else "1")
    for code in (forged, "AZ" + "0" * 31, "https://example.com/not-a-pass", good[:20]):
        refused_with(scan(client, csrf, code), "not an Azukari pass")
    other_key = codes.pass_key("a-different-secret-" + "z" * 40)
    refused_with(scan(client, csrf, codes.rotating_code(other_key, codes.new_pass_id(), minutes_ago(0))), "not an Azukari pass")
    assert db.exec(select(Participation)).all() == []
    refusals = db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.PASS_SCAN_REFUSED.value)).all()
    assert len(refusals) == 5 and {e.details["reason"] for e in refusals} == {"not_a_pass"}


def test_an_old_code_is_expired_and_a_renewed_pass_voids_earlier_codes(
        app, client, csrf, clerk, resident, code_of, db,
) -> None:  # type: ignore[no-untyped-def]
    refused_with(scan(client, csrf, code_of(resident, at=minutes_ago(3))), "expired")
    before = code_of(resident)
    offline = code_of(resident, offline=True)
    from app.passes import services

    with app.app_context():
        services.renew(db, resident)
        db.flush()
    refused_with(scan(client, csrf, before), "renewed")
    refused_with(scan(client, csrf, offline), "renewed")
    assert scan(client, csrf, code_of(resident)).status_code == 200


def test_an_offline_code_works_once(client, csrf, clerk, resident, code_of) -> None:  # type: ignore[no-untyped-def]
    code = code_of(resident, offline=True)
    assert scan(client, csrf, code).status_code == 200
    refused_with(scan(client, csrf, code, target=f"coupon:{COUPON}"), "already been used")


def test_only_the_partners_listings_of_today_can_be_chosen(
        client, csrf, clerk, resident, code_of, db,
) -> None:  # type: ignore[no-untyped-def]
    for target in (f"event:{OTHER_VENUE_EVENT}", f"coupon:{LATER_COUPON}", "event:nothing-like-this"):
        response = scan(client, csrf, code_of(resident), target=target)
        assert response.status_code == 422 and "Choose what the scan is for" in response.get_data(as_text=True)
    assert db.exec(select(PassScan)).all() == []


def test_the_service_refuses_another_venue_a_day_without_the_event_and_a_future_coupon(
        app, db, partner, clerk, resident, code_of,
) -> None:  # type: ignore[no-untyped-def]
    from app.passes import services
    from app.passes.services import Refusal

    def attempt(action: str, item_id: str) -> Refusal | None:
        with app.test_request_context():
            return services.scan(db, partner=partner, staff_principal=clerk.principal, staff_id=clerk.id, key=KEY,
                                 code_text=code_of(resident), action=action, item_id=item_id).refusal

    assert attempt("check_in", OTHER_VENUE_EVENT) is Refusal.WRONG_VENUE
    assert attempt("redeem", LATER_COUPON) is Refusal.COUPON_NOT_VALID
    assert attempt("check_in", "ev_tsite_zukan_ws") is Refusal.NOT_TODAY  # T-SITE's, on another day
    assert attempt("check_in", "no-such-event") is Refusal.UNKNOWN_ITEM
    stranger = PartnerFactory(venue_ids=["v_kashiwanoha_park"])
    with app.test_request_context():
        assert services.scan(db, partner=stranger, staff_principal=clerk.principal, staff_id=None, key=KEY,
                             code_text=code_of(resident), action="check_in", item_id=EVENT).refusal is Refusal.WRONG_VENUE
    assert db.exec(select(PassScan)).all() == []


def test_a_coupon_is_redeemed_once_per_resident(
        client, csrf, clerk, resident, code_of, db,
) -> None:  # type: ignore[no-untyped-def]
    first = scan(client, csrf, code_of(resident, offline=True), target=f"coupon:{COUPON}")
    assert first.status_code == 200 and "Coupon used" in first.get_data(as_text=True)
    second = scan(client, csrf, code_of(resident, offline=True), target=f"coupon:{COUPON}")
    refused_with(second, "already used this coupon")
    assert "Used on" in second.get_data(as_text=True)
    (redemption,) = db.exec(select(CouponRedemption)).all()
    assert redemption.resident_id == resident.id
    (record,) = db.exec(select(Participation).where(Participation.kind == "coupon")).all()
    assert record.source == "partner:tsite_demo"


def test_the_form_asks_for_a_target_and_a_code(client, csrf, clerk) -> None:  # type: ignore[no-untyped-def]
    response = scan(client, csrf, "", target="")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose an event or coupon first." in body and "Scan the pass or type its code." in body


def test_residents_and_other_staff_cannot_scan(
        client, other_client, login, csrf, resident,
) -> None:  # type: ignore[no-untyped-def]
    from tests.factories.staff import StaffFactory

    login(client, resident)
    assert client.get("/partner/scan/").status_code in (302, 303, 403)
    login(other_client, StaffFactory(municipal=True))
    assert other_client.get("/partner/scan/").status_code == 403


def test_a_clerk_past_the_scan_limit_is_told_to_wait(client, csrf, clerk, resident, code_of, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.passes import services

    monkeypatch.setattr(services, "SCANS_PER_MINUTE", 2)
    for _ in range(2):
        scan(client, csrf, "AZ" + "0" * 31)
    response = scan(client, csrf, code_of(resident))
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert "Too many attempts" in response.get_data(as_text=True)
