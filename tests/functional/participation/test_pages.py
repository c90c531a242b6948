"""The pages: 「参加した」 / 「使った」 on a card's detail page (a plain form, or htmx swapping its own region), the list
in わたしのデータ with a delete button each, CSRF on every POST, and nobody reaching another resident's record."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

from markupsafe import escape
from sqlmodel import select

from app.catalog.models import CatalogCoupon, CatalogEvent
from app.participation.models import Participation
from tests.conftest import csrf_token, login_as
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)
from tests.functional.participation.conftest import BRANDED_COUPON, COUPON, EVENT, TODAY
from tests.functional.recommend.test_feed import EVENTS, family, grant  # noqa: F401  (fixture)

HX_RECORD = {"HX-Request": "true", "HX-Target": "participation-record"}
HX_LIST = {"HX-Request": "true", "HX-Target": "participation-list"}


def records_of(db, resident) -> list[Participation]:  # type: ignore[no-untyped-def]
    db.expire_all()  # the requests wrote through their own sessions
    return list(db.exec(select(Participation).where(Participation.resident_id == resident.id)))


def post(client, path: str, headers: dict[str, str] | None = None, **data: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, "/my-data"), **data}, headers=headers or {})


def hx_post(client, path: str, target: dict[str, str], **data: str):  # type: ignore[no-untyped-def]
    """As htmx sends it: the token in the header (from the body's hx-headers), the form's own fields."""
    token = csrf_token(client, "/my-data")
    return client.post(path, data=data, headers={**target, "X-CSRFToken": token})


# --- recording -------------------------------------------------------------------------------------------------


def test_a_plain_form_records_and_goes_back_to_the_card_with_a_flash(client, db, resident) -> None:  # type: ignore[no-untyped-def]
    response = post(client, f"/participation/events/{EVENT}")
    assert response.status_code == 303 and response.headers["Location"] == f"/feed/events/{EVENT}"
    [record] = records_of(db, resident)
    assert (record.kind, record.item_id, record.occurred_on, record.source) == ("event", EVENT, TODAY, "resident")
    page = client.get("/my-data").get_data(as_text=True)
    assert "Recorded: you joined this event." in page  # the flash
    response = post(client, f"/participation/coupons/{COUPON}")
    assert response.status_code == 303 and response.headers["Location"] == f"/feed/coupons/{COUPON}"
    assert "Recorded: you used this coupon." in client.get("/my-data").get_data(as_text=True)
    assert len(records_of(db, resident)) == 2


def test_htmx_gets_only_its_region_back_in_the_recorded_state(client, db, resident) -> None:  # type: ignore[no-untyped-def]
    response = hx_post(client, f"/participation/events/{EVENT}", HX_RECORD)
    assert response.status_code == 200
    fragment = response.get_data(as_text=True).strip()
    assert fragment.startswith('<div id="participation-record">') and "<html" not in fragment
    [record] = records_of(db, resident)
    assert "Recorded: you joined this event." in fragment and "data-focus-after-swap" in fragment
    assert f'hx-post="/participation/{record.id}/delete"' in fragment and 'hx-target="#participation-record"' in fragment
    assert 'name="csrf_token"' in fragment and "Undo" in fragment
    again = hx_post(client, f"/participation/events/{EVENT}", HX_RECORD)  # a double tap
    assert again.status_code == 200 and len(records_of(db, resident)) == 1
    # Undo from the card: the button is back, with the last day it was recorded gone too.
    undone = hx_post(client, f"/participation/{record.id}/delete", HX_RECORD, back="detail").get_data(as_text=True)
    assert undone.strip().startswith('<div id="participation-record">') and records_of(db, resident) == []
    assert f'hx-post="/participation/events/{EVENT}"' in undone and "I joined" in undone


def test_every_post_needs_the_csrf_token(client, db, resident, recorded) -> None:  # type: ignore[no-untyped-def]
    client.get("/my-data")  # a session with a token exists, it is just not sent
    for path in (f"/participation/events/{EVENT}", f"/participation/coupons/{COUPON}"):
        assert client.post(path).status_code == 400
        assert client.post(path, headers={"HX-Request": "true", "HX-Target": "participation-record"}).status_code == 400
        assert client.post(path, data={"csrf_token": "forged"}).status_code == 400
    assert records_of(db, resident) == []
    record = recorded(resident)
    assert client.post(f"/participation/{record.id}/delete", data={"back": "my-data"}).status_code == 400
    assert [r.id for r in records_of(db, resident)] == [record.id]


def test_an_unknown_item_is_a_message_not_a_record(client, db, resident) -> None:  # type: ignore[no-untyped-def]
    response = post(client, "/participation/events/ev_no_such_event")
    assert response.status_code == 404
    assert "could not find this event or coupon" in response.get_data(as_text=True)
    toast = hx_post(client, f"/participation/coupons/{EVENT}", HX_RECORD)  # an event's id is no coupon
    assert toast.status_code == 404 and toast.headers["HX-Retarget"] == "#toasts"
    assert client.post("/participation/services/svc_daretsu",
                       data={"csrf_token": csrf_token(client, "/my-data")}).status_code == 404
    assert records_of(db, resident) == []


def test_recording_needs_a_logged_in_resident(client, db, loaded_catalog) -> None:  # type: ignore[no-untyped-def]
    response = client.post(f"/participation/events/{EVENT}", data={"csrf_token": csrf_token(client)})
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    assert db.exec(select(Participation)).first() is None


# --- the card's detail page ------------------------------------------------------------------------------------


def test_the_detail_page_of_an_event_and_a_coupon_has_the_button(app, client, db, settings, family) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    grant(app, db, settings, family, EVENTS)
    login_as(client, db, family)
    events = client.get("/feed?tab=events").get_data(as_text=True)
    event_id = re.search(r"/feed/events/([\w-]+)\"", events).group(1)
    detail = client.get(f"/feed/events/{event_id}").get_data(as_text=True)
    assert f'action="/participation/events/{event_id}"' in detail and 'id="participation-record"' in detail
    assert 'aria-labelledby="participation-title"' in detail
    coupons = client.get("/feed?tab=coupons").get_data(as_text=True)
    coupon_id = re.search(r"/feed/coupons/([\w-]+)\"", coupons).group(1)
    coupon_page = client.get(f"/feed/coupons/{coupon_id}").get_data(as_text=True)
    assert f'action="/participation/coupons/{coupon_id}"' in coupon_page
    assert "/participation/" not in client.get("/feed/services/svc_daretsu").get_data(as_text=True)
    # Recorded: the page says so and offers to undo; the next day the button is back, with the last day.
    post(client, f"/participation/events/{event_id}")
    [record] = records_of(db, family)
    detail = client.get(f"/feed/events/{event_id}").get_data(as_text=True)
    assert f'action="/participation/{record.id}/delete"' in detail and 'name="back" value="detail"' in detail
    assert f'action="/participation/events/{event_id}"' not in detail
    record.occurred_on = TODAY - timedelta(days=3)
    db.add(record)
    db.flush()
    detail = client.get(f"/feed/events/{event_id}").get_data(as_text=True)
    assert f'action="/participation/events/{event_id}"' in detail and "2026年11月23日" in detail


# --- わたしのデータ --------------------------------------------------------------------------------------------------


def test_my_data_lists_the_records_with_names_dates_and_who_recorded_them(client, db, resident, recorded) -> None:  # type: ignore[no-untyped-def]
    event = recorded(resident, "event", EVENT, TODAY - timedelta(days=20))
    coupon = recorded(resident, "coupon", BRANDED_COUPON, TODAY - timedelta(days=2))
    page = client.get("/my-data").get_data(as_text=True)
    section = page.split('id="participation"')[1].split("</section>")[0]
    assert section.index(f'id="participation-{coupon.id}"') < section.index(f'id="participation-{event.id}"')
    assert str(escape(db.get(CatalogEvent, EVENT).display_title_en)) in section
    branded = db.get(CatalogCoupon, BRANDED_COUPON)
    assert branded.merchant_category_en in section
    for brand in branded.brand_examples:  # a placeholder coupon shows its category, never a brand
        assert not brand.strip() or brand not in section, brand
    assert "Fri, 6 Nov 2026" in section and "Tue, 24 Nov 2026" in section
    assert section.count("Recorded by you") == 2 and "Event" in section and "Coupon" in section
    assert f'action="/participation/{event.id}/delete"' in section and 'name="back" value="my-data"' in section
    assert "Event participation and coupon use" in section and 'href="/consents"' in section


def test_an_empty_history_says_how_to_record(client, resident) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/my-data").get_data(as_text=True)
    section = page.split('id="participation"')[1].split("</section>")[0]
    assert "Nothing recorded yet" in section and "<ul" not in section


def test_deleting_from_my_data_as_a_plain_form_and_with_htmx(client, db, resident, recorded) -> None:  # type: ignore[no-untyped-def]
    first = recorded(resident, "event", EVENT, TODAY - timedelta(days=5)).id
    second = recorded(resident, "coupon", COUPON, TODAY).id
    response = post(client, f"/participation/{first}/delete", back="my-data")
    assert response.status_code == 303 and response.headers["Location"] == "/my-data#participation"
    assert [r.id for r in records_of(db, resident)] == [second]
    assert "The record is deleted." in client.get("/my-data").get_data(as_text=True)
    fragment = hx_post(client, f"/participation/{second}/delete", HX_LIST, back="my-data").get_data(as_text=True)
    assert fragment.strip().startswith('<div id="participation-list">') and "<html" not in fragment
    assert "Nothing recorded yet" in fragment and records_of(db, resident) == []
    assert post(client, f"/participation/{second}/delete", back="my-data").status_code == 404  # already gone


def test_another_residents_record_cannot_be_deleted_or_seen(  # type: ignore[no-untyped-def]
        client, other_client, db, resident, other_resident, recorded) -> None:
    record = recorded(resident)
    for headers in ({}, HX_LIST, HX_RECORD):
        response = other_client.post(f"/participation/{record.id}/delete", headers=headers,
                                     data={"csrf_token": csrf_token(other_client, "/my-data"), "back": "my-data"})
        assert response.status_code == 404
    assert [r.id for r in records_of(db, resident)] == [record.id]
    assert str(record.id) not in other_client.get("/my-data").get_data(as_text=True)
    assert str(record.id) in client.get("/my-data").get_data(as_text=True)


def test_the_export_holds_the_history(client, db, resident, recorded) -> None:  # type: ignore[no-untyped-def]
    recorded(resident, "event", EVENT, TODAY - timedelta(days=1))
    archive = zipfile.ZipFile(io.BytesIO(client.get("/my-data/export.zip").data))
    [entry] = json.loads(archive.read("participation.json"))
    assert entry["item_id"] == EVENT and entry["date"] == "2026-11-25" and entry["source"] == "resident"
    assert entry["categories"] == ["outdoor", "playground", "free"]
    assert "participation.json" in archive.read("README.txt").decode()
