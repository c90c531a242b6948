"""The partner console's events and coupons: create (a draft), edit, publish, withdraw; only published listings reach
residents (feed, detail pages, participation); another partner's listing is not found; the catalogue file's rows are
read-only; mistakes are 422 at the field, a stale form 409; every change audited."""

from __future__ import annotations

import re
from typing import Any

import pytest
from freezegun import freeze_time
from markupsafe import escape
from sqlmodel import select

from app.audit import AuditEvent, EventTag
from app.catalog.models import CatalogCoupon, CatalogEvent, ListingStatus
from app.participation import services as participation
from app.recommend.models import RecommendFeed
from tests.conftest import csrf_token, login_as
from tests.factories.accounts import ResidentFactory
from tests.factories.staff import PartnerFactory, StaffFactory
from tests.functional.catalog.conftest import loaded_catalog  # noqa: F401  (fixture)
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)
from tests.functional.recommend.test_feed import EVENTS, family, grant  # noqa: F401  (fixture)

ON = "2026-11-26 03:00:00"  # 12:00 in Japan
HOME = "/partner/"
NEW_EVENT = "/partner/events/new"
NEW_COUPON = "/partner/coupons/new"
FILE_EVENT_HERE = "ev_tsite_ehon_baby"  # the catalogue file's event at 柏の葉T-SITE, one of the partner's venues
FILE_EVENT_ELSEWHERE = "ev_park_toride"  # at 柏の葉公園: not the partner's


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    with freeze_time(ON, tick=True):
        yield


@pytest.fixture
def member(client, login, loaded_catalog):  # type: ignore[no-untyped-def]  # noqa: F811
    """A partner's staff member (venues 柏の葉 T-SITE and ららぽーと), reading English, logged in on `client`."""
    staff = StaffFactory(partner=True, locale="en")
    login(client, staff)
    return staff


def event_form(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title_ja": "親子でつくる冬のリース", "title_en": "Winter wreaths with your child",
        "description_ja": "松ぼっくりでリースを作ります。", "description_en": "", "venue_id": "v_tsite",
        "starts_at": "2026-11-28T10:00", "ends_at": "2026-11-28T11:30", "age_min_years": "0", "age_min_months": "",
        "age_max_years": "6", "age_max_months": "", "capacity": "12", "fee_jpy": "0", "registration": "required",
        "tags": ["workshop", "seasonal"],
    }
    values.update(overrides)
    return values


def coupon_form(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title_ja": "絵本1冊10%オフ", "title_en": "10% off a picture book", "description_ja": "", "description_en": "",
        "venue_id": "v_tsite", "merchant_category": "bookstore_cafe", "discount_type": "percent",
        "discount_value": "10", "conditions": "会計時に画面を提示", "valid_from": "2026-11-20",
        "valid_to": "2027-01-31", "age_min_years": "", "age_min_months": "", "age_max_years": "6", "age_max_months": "",
    }
    values.update(overrides)
    return values


def post(client, path: str, data: dict[str, Any] | None = None, csrf_from: str = HOME):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, csrf_from), **(data or {})})


def create(client, kind: str = "events", **overrides: Any) -> str:  # type: ignore[no-untyped-def]
    data = event_form(**overrides) if kind == "events" else coupon_form(**overrides)
    response = post(client, f"/partner/{kind}/new", data)
    assert response.status_code == 303, response.get_data(as_text=True)
    match = re.fullmatch(rf"/partner/{kind}/(p[0-9a-f]+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def version_of(db, model, listing_id: str) -> int:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.get(model, listing_id).version


def tags(db) -> list[tuple[str, dict[str, Any]]]:  # type: ignore[no-untyped-def]
    rows = db.exec(select(AuditEvent).where(AuditEvent.tag.startswith("partners:listing:")).order_by(AuditEvent.id))
    return [(row.tag, row.details) for row in rows]


# --- creating, editing, the home page ------------------------------------------------------------------------


def test_a_new_event_is_a_draft_of_the_partner_stored_in_utc(client, db, member):
    listing_id = create(client)
    db.expire_all()
    row = db.get(CatalogEvent, listing_id)
    assert row.status == ListingStatus.DRAFT and row.partner_id == member.partner_id and row.version == 1
    assert row.starts_at.isoformat() == "2026-11-28T01:00:00+00:00"  # 10:00 in Japan
    assert (row.target_age_min_months, row.target_age_max_months_exclusive) == (0, 84)  # 0〜6歳: until the 7th birthday
    assert row.capacity == 12 and row.fee_jpy == 0 and row.tags == ["workshop", "seasonal"]
    assert row.registration == "required" and row.edited_by == member.principal
    page = text(client.get(f"/partner/events/{listing_id}"))
    assert "The event is saved as a draft." in page and "Draft" in page
    assert 'value="2026-11-28T10:00"' in page  # shown back in Japan time
    assert f'action="/partner/events/{listing_id}/publish"' in page
    home = text(client.get(HOME))
    assert f'id="events-{listing_id}"' in home and "New event" in home and "New coupon" in home
    assert f'id="events-{FILE_EVENT_HERE}"' in home and "Catalogue (read-only)" in home
    assert f'id="events-{FILE_EVENT_ELSEWHERE}"' not in home


def test_a_new_coupon_is_the_partners_own_offer_shown_by_its_title(client, db, member):
    listing_id = create(client, "coupons")
    db.expire_all()
    row = db.get(CatalogCoupon, listing_id)
    assert row.status == ListingStatus.DRAFT and row.discount == {"type": "percent", "value": 10}
    assert not row.is_placeholder and row.merchant_display == "partner_offer"
    assert row.merchant_category_ja and row.display_title_ja == "絵本1冊10%オフ"
    assert (row.target_age_min_months, row.target_age_max_months_exclusive) == (None, 84)


def test_an_edit_is_saved_with_a_new_version_and_audited(client, db, member):
    listing_id = create(client)
    response = post(client, f"/partner/events/{listing_id}", event_form(version="1", title_en="Winter wreaths",
                                                                         age_min_years="0", age_min_months="6",
                                                                         age_max_years="2", age_max_months=""))
    assert response.status_code == 303
    db.expire_all()
    row = db.get(CatalogEvent, listing_id)
    assert row.title_en == "Winter wreaths" and row.version == 2
    assert (row.target_age_min_months, row.target_age_max_months_exclusive) == (6, 36)
    assert "Your changes are saved." in text(client.get(response.headers["Location"]))
    (create_tag, created), (update_tag, updated) = tags(db)
    assert create_tag == EventTag.LISTING_CREATE.value and created["listing"] == listing_id and created["kind"] == "event"
    assert update_tag == EventTag.LISTING_UPDATE.value
    assert set(updated["fields"]) == {"title_en", "target_age_min_months", "target_age_max_months_exclusive"}


def test_an_edit_from_an_older_version_is_a_conflict(client, db, member):
    listing_id = create(client)
    assert post(client, f"/partner/events/{listing_id}", event_form(version="1", title_en="First")).status_code == 303
    response = post(client, f"/partner/events/{listing_id}", event_form(version="1", title_en="Second, stale"))
    assert response.status_code == 409 and "Someone else saved this" in text(response)
    db.expire_all()
    assert db.get(CatalogEvent, listing_id).title_en == "First"


MISTAKES = [
    pytest.param("events", {"venue_id": "v_kashiwanoha_park"}, "venue_id", "Choose one of your venues.", id="not-its-venue"),
    pytest.param("events", {"ends_at": "2026-11-28T09:00"}, "ends_at", "The end must be after the start.",
                 id="ends-before-it-starts"),
    pytest.param("events", {"starts_at": "tomorrow"}, "starts_at", "Enter a date and time", id="not-a-time"),
    pytest.param("events", {"age_min_years": "6", "age_max_years": "3"}, "age_max_years",
                 "The upper age must not be below the lower age.", id="ages-reversed"),
    pytest.param("events", {"capacity": "0"}, "capacity", "Enter a whole number of 1 or more", id="no-capacity"),
    pytest.param("events", {"title_ja": ""}, "title_ja", "Enter a title.", id="no-title"),
    pytest.param("coupons", {"discount_value": "120"}, "discount_value", "Enter a whole number from 1 to 100.",
                 id="percent-over-100"),
    pytest.param("coupons", {"valid_to": "2026-11-01"}, "valid_to", "The last day must not be before the first day.",
                 id="valid-to-before-from"),
    pytest.param("coupons", {"venue_id": "v_chicoru"}, "venue_id", "Choose one of your venues.", id="coupon-elsewhere"),
]


@pytest.mark.parametrize("kind, overrides, field, message", MISTAKES)
def test_a_mistake_is_refused_with_422_at_the_field(client, db, member, kind, overrides, field, message):
    data = event_form(**overrides) if kind == "events" else coupon_form(**overrides)
    response = post(client, f"/partner/{kind}/new", data)
    assert response.status_code == 422
    page = text(response)
    assert f'id="{field}-error"' in page or (field.startswith("age_") and 'id="age-error"' in page)
    assert str(escape(message)) in page and "Some of what you entered cannot be saved." in page
    assert 'aria-invalid="true"' in page
    model = CatalogEvent if kind == "events" else CatalogCoupon
    assert db.exec(select(model).where(model.partner_id == member.partner_id)).first() is None
    assert tags(db) == []


def test_a_post_without_the_csrf_token_is_refused(client, db, member):
    assert client.post(NEW_EVENT, data=event_form()).status_code == 400
    assert db.exec(select(CatalogEvent).where(CatalogEvent.partner_id == member.partner_id)).first() is None


# --- publishing and withdrawing --------------------------------------------------------------------------------


def test_publish_withdraw_and_publish_again_each_audited(client, db, member):
    listing_id = create(client, "coupons")
    base = f"/partner/coupons/{listing_id}"
    response = post(client, f"{base}/publish")
    assert response.status_code == 303 and response.headers["Location"] == base
    db.expire_all()
    assert db.get(CatalogCoupon, listing_id).status == ListingStatus.PUBLISHED
    assert "Published" in text(client.get(base))
    assert post(client, f"{base}/withdraw").status_code == 303
    db.expire_all()
    assert db.get(CatalogCoupon, listing_id).status == ListingStatus.WITHDRAWN
    assert post(client, f"{base}/publish").status_code == 303
    db.expire_all()
    assert db.get(CatalogCoupon, listing_id).status == ListingStatus.PUBLISHED
    changes = [(tag, details["before"], details["after"]) for tag, details in tags(db)[1:]]
    assert changes == [(EventTag.LISTING_PUBLISH.value, "draft", "published"),
                       (EventTag.LISTING_WITHDRAW.value, "published", "withdrawn"),
                       (EventTag.LISTING_PUBLISH.value, "withdrawn", "published")]
    event = db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.LISTING_PUBLISH.value)).first()
    assert event.actor == member.principal and event.details["listing"] == listing_id


def test_publishing_twice_or_withdrawing_a_draft_says_why_it_cannot(client, db, member):
    listing_id = create(client)
    base = f"/partner/events/{listing_id}"
    response = post(client, f"{base}/withdraw")
    assert response.status_code == 409 and "A draft has not been published" in text(response)
    assert post(client, f"{base}/publish").status_code == 303
    response = post(client, f"{base}/publish")
    assert response.status_code == 409 and "This is already published" in text(response)
    db.expire_all()
    assert db.get(CatalogEvent, listing_id).status == ListingStatus.PUBLISHED
    assert [tag for tag, _details in tags(db)].count(EventTag.LISTING_PUBLISH.value) == 1


# --- who may see what ------------------------------------------------------------------------------------------


def test_another_partners_listing_is_not_found(client, other_client, db, login, member):
    draft = create(client)
    published = create(client, "coupons")
    assert post(client, f"/partner/coupons/{published}/publish").status_code == 303
    other = StaffFactory(partner=True, locale="en", partner_id=PartnerFactory(venue_ids=["v_tsite"]).id)
    login(other_client, other)
    for path in (f"/partner/events/{draft}", f"/partner/coupons/{published}", "/partner/events/pnothing"):
        assert other_client.get(path).status_code == 404, path
    assert post(other_client, f"/partner/events/{draft}", event_form(version="1", title_ja="乗っ取り")).status_code == 404
    assert post(other_client, f"/partner/events/{draft}/publish").status_code == 404
    assert post(other_client, f"/partner/coupons/{published}/withdraw").status_code == 404
    assert draft not in text(other_client.get(HOME)) and published not in text(other_client.get(HOME))
    db.expire_all()
    assert db.get(CatalogEvent, draft).title_ja != "乗っ取り" and db.get(CatalogEvent, draft).status == "draft"
    assert db.get(CatalogCoupon, published).status == ListingStatus.PUBLISHED
    # The file's rows at a venue the partner does not operate are not found either.
    assert client.get(f"/partner/events/{FILE_EVENT_ELSEWHERE}").status_code == 404


def test_a_catalogue_file_row_is_read_only(client, db, member):
    page = text(client.get(f"/partner/events/{FILE_EVENT_HERE}"))
    assert "Catalogue (read-only)" in page and "<form method=\"post\" action=\"/partner/events/" not in page
    before = db.get(CatalogEvent, FILE_EVENT_HERE)
    title, version = before.title_ja, before.version
    response = post(client, f"/partner/events/{FILE_EVENT_HERE}", event_form(version=str(version), title_ja="書き換え"))
    assert response.status_code == 403 and "shared catalogue file" in text(response)
    assert post(client, f"/partner/events/{FILE_EVENT_HERE}/withdraw").status_code == 403
    db.expire_all()
    row = db.get(CatalogEvent, FILE_EVENT_HERE)
    assert row.title_ja == title and row.status == ListingStatus.PUBLISHED and row.version == version


@pytest.mark.parametrize("principal", ["resident", "municipal", "operator"])
@pytest.mark.parametrize("method, path", [("GET", HOME), ("GET", NEW_EVENT), ("POST", NEW_EVENT),
                                          ("POST", f"/partner/events/{FILE_EVENT_HERE}/withdraw")])
def test_other_roles_are_refused(client, db, login, loaded_catalog, principal, method, path):  # noqa: F811
    login(client, ResidentFactory() if principal == "resident" else StaffFactory(**{principal: True}))
    data = {"csrf_token": csrf_token(client, "/"), **event_form()} if method == "POST" else None
    assert client.open(path, method=method, data=data).status_code == 403
    assert db.exec(select(CatalogEvent).where(CatalogEvent.id.startswith("p"))).first() is None


def test_anonymous_visitors_are_sent_to_the_staff_login(client, loaded_catalog):  # noqa: F811
    response = client.get(NEW_EVENT)
    assert response.status_code == 303 and response.headers["Location"].startswith("/staff/login")


# --- what residents see ----------------------------------------------------------------------------------------


@pytest.fixture
def resident(app, db, settings, family, other_client):  # type: ignore[no-untyped-def]  # noqa: F811
    """A family (a 10-month-old and a 4-year-old in 若柴) with the event recommendations consented, on its own browser."""
    grant(app, db, settings, family, EVENTS)
    login_as(other_client, db, family)
    return family


def in_feed(browser, kind: str, listing_id: str) -> bool:  # type: ignore[no-untyped-def]
    response = browser.get(f"/feed?tab={kind}")
    assert response.status_code == 200
    return f"/feed/{kind}/{listing_id}\"" in text(response)


def test_only_a_published_event_reaches_residents(app, client, other_client, db, member, resident):
    # Tomorrow, for the 10-month-old only: the best event of the day for this family.
    listing_id = create(client, starts_at="2026-11-27T10:00", ends_at="2026-11-27T11:00", age_min_years="0",
                        age_min_months="6", age_max_years="1", age_max_months="")
    detail = f"/feed/events/{listing_id}"
    assert not in_feed(other_client, "events", listing_id)  # a draft: and the day's feed is kept from here on
    assert other_client.get(detail).status_code == 404 and other_client.get(f"{detail}.ics").status_code == 404
    with app.app_context(), pytest.raises(participation.UnknownItem):
        participation.record(db, resident, "event", listing_id, participation.japan_today())

    assert post(client, f"/partner/events/{listing_id}/publish").status_code == 303
    assert db.exec(select(RecommendFeed)).first() is None  # the day's kept feeds were dropped
    assert in_feed(other_client, "events", listing_id)
    page = text(other_client.get(detail))
    assert "親子でつくる冬のリース" in page or "Winter wreaths" in page
    assert other_client.get(f"{detail}.ics").status_code == 200

    assert post(client, f"/partner/events/{listing_id}/withdraw").status_code == 303
    assert not in_feed(other_client, "events", listing_id)
    assert other_client.get(detail).status_code == 404
    with app.app_context(), pytest.raises(participation.UnknownItem):
        participation.record(db, resident, "event", listing_id, participation.japan_today())


def test_a_listing_withdrawn_after_the_feed_was_kept_is_gone_at_once(app, client, other_client, db, member, resident):
    listing_id = create(client, "coupons", age_max_years="")
    assert post(client, f"/partner/coupons/{listing_id}/publish").status_code == 303
    assert in_feed(other_client, "coupons", listing_id)
    # Withdrawn behind the feed's back (as if the kept feed were computed before): the page still leaves it out.
    db.expire_all()
    db.get(CatalogCoupon, listing_id).status = ListingStatus.WITHDRAWN
    db.flush()
    assert db.exec(select(RecommendFeed)).first() is not None
    assert not in_feed(other_client, "coupons", listing_id)
    assert other_client.get(f"/feed/coupons/{listing_id}").status_code == 404


def test_editing_a_published_listing_drops_the_days_feeds_editing_a_draft_does_not(client, other_client, db, member,
                                                                                   resident):
    listing_id = create(client)
    assert other_client.get("/feed?tab=events").status_code == 200  # the day's feed is kept
    assert post(client, f"/partner/events/{listing_id}", event_form(version="1", title_en="A")).status_code == 303
    assert db.exec(select(RecommendFeed)).first() is not None  # a draft reaches nobody: nothing to recompute
    assert post(client, f"/partner/events/{listing_id}/publish").status_code == 303
    assert other_client.get("/feed?tab=events").status_code == 200
    version = str(version_of(db, CatalogEvent, listing_id))
    assert post(client, f"/partner/events/{listing_id}", event_form(version=version, title_en="B")).status_code == 303
    assert db.exec(select(RecommendFeed)).first() is None
