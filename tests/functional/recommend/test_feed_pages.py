"""The feed's pages: statuses with their reasons, tabs as htmx panels, card details, the .ics file, per-resident
pages, what is missing without consent, English, and no brand on a placeholder coupon."""

from __future__ import annotations

import re
from datetime import date

import pytest
from freezegun import freeze_time
from icalendar import Calendar
from sqlmodel import select

from app.catalog.models import CatalogCoupon
from app.household import services as household
from app.household.ages import BirthDate
from app.household.models import HomeAddress
from tests.conftest import login_as
from tests.factories.accounts import ResidentFactory
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)
from tests.functional.recommend.test_feed import EVENTS, SERVICES, family, grant  # noqa: F401  (fixture)

ON = "2026-11-26 03:00:00"  # 12:00 in Japan


@pytest.fixture(autouse=True)
def _frozen():  # type: ignore[no-untyped-def]
    with freeze_time(ON, tick=True):
        yield


@pytest.fixture
def consented(app, db, settings, family):  # type: ignore[no-untyped-def]  # noqa: F811
    grant(app, db, settings, family, SERVICES)
    grant(app, db, settings, family, EVENTS)
    return family


def page(client, path: str, **headers: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def test_the_feed_shows_statuses_reasons_and_the_items_used(client, db, consented) -> None:  # type: ignore[no-untyped-def]
    login_as(client, db, consented)
    response = client.get("/feed")
    assert response.headers["X-Azukari-Offline"] == "feed" and "no-store" in response.headers["Cache-Control"]
    html = response.get_data(as_text=True)
    assert "こども誰でも通園制度" in html and "svc_daretsu" in html
    assert "なぜおすすめ?" in html or "Why is this recommended?" in html
    assert "子どもの生年月日" in html and "町丁目" in html  # the consented items, by their catalogue names
    assert '<details class="feed-others">' in html  # not eligible: behind その他
    assert html.index("svc_daretsu") < html.index('<details class="feed-others">')
    assert 'aria-current="page"' in html


def test_a_tab_through_htmx_returns_only_the_panel(client, db, consented) -> None:  # type: ignore[no-untyped-def]
    login_as(client, db, consented)
    html = page(client, "/feed?tab=events", **{"HX-Request": "true"})
    assert html.lstrip().startswith('<div id="feed-panel"') and "<html" not in html
    assert "/feed/events/" in html
    assert page(client, "/feed?tab=events").startswith("<!doctype html>")  # a plain link works too


def test_card_details_and_the_calendar_file(client, db, consented) -> None:  # type: ignore[no-untyped-def]
    login_as(client, db, consented)
    service = page(client, "/feed/services/svc_daretsu")
    assert "こども誰でも通園制度" in service and "https://" in service
    # The share region carries what the Web Share button (app.js) sends: the same url as the links, the label.
    share_url = re.search(r'data-share-url="([^"]+)"', service).group(1)
    assert share_url.endswith("/feed/services/svc_daretsu") and 'data-share-label="共有"' in service
    events = page(client, "/feed?tab=events")
    event_id = re.search(r"/feed/events/([\w-]+)\"", events).group(1)
    detail = page(client, f"/feed/events/{event_id}")
    assert "https://www.openstreetmap.org/?mlat=" in detail and f"/feed/events/{event_id}.ics" in detail
    response = client.get(f"/feed/events/{event_id}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    entry = next(iter(calendar.walk("VEVENT")))
    for name in ("UID", "DTSTART", "DTEND", "SUMMARY", "LOCATION", "DESCRIPTION", "URL"):
        assert entry.get(name), name
    assert entry.decoded("DTSTART").tzinfo is not None
    assert "(例)" in str(entry["SUMMARY"]) or "例" in str(entry["DESCRIPTION"])
    assert client.get("/feed/events/no-such-event").status_code == 404


def test_another_residents_feed_holds_nothing_of_theirs(app, client, db, settings, consented) -> None:  # type: ignore[no-untyped-def]
    other = ResidentFactory()
    with app.test_request_context():
        household.add_child(db, other, nickname="そら", birth=BirthDate(2012, 5, 1), counted=False)
        db.add(HomeAddress(resident_id=other.id, postal_code="270-0153", region="千葉県", locality="流山市",
                           town="中", block="1", source="smart-life-pass"))
        db.flush()
    grant(app, db, settings, other, SERVICES)
    login_as(client, db, other)
    html = page(client, "/feed")
    assert "svc_daretsu" not in html.split('<details class="feed-others">')[0]  # A's 10-month-old is not B's
    assert client.get("/feed/services/not-a-service").status_code == 404
    login_as(client, db, consented)
    assert "svc_daretsu" in page(client, "/feed").split('<details class="feed-others">')[0]


def test_without_consent_the_page_says_what_is_missing(client, db, family) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    login_as(client, db, family)
    html = page(client, "/feed")
    assert "子どもの生年月日" in html and "/consents" in html
    assert "/feed/services/" not in html
    events = page(client, "/feed?tab=events")
    assert "/consents" in events and "/feed/events/" not in events
    home = page(client, "/")
    assert 'id="feed-panel"' in home and "/consents" in home


def test_english(client, db, consented) -> None:  # type: ignore[no-untyped-def]
    consented.locale = "en"
    db.add(consented)
    db.flush()
    login_as(client, db, consented)
    html = page(client, "/feed")
    assert '<html lang="en">' in html and "dates of birth" in html and "子どもの生年月日" not in html
    assert "Why is this recommended?" in html and "Eligible" in html
    # A text the catalogue has only in Japanese is marked as such, and said once.
    service = page(client, "/feed/services/svc_daretsu")
    assert '<p class="inbox-body" lang="ja">' in service and "only in Japanese for now" in service


def test_no_brand_on_a_placeholder_coupon(client, db, consented) -> None:  # type: ignore[no-untyped-def]
    login_as(client, db, consented)
    html = page(client, "/feed?tab=coupons")
    assert "/feed/coupons/" in html
    brands = {b for c in db.exec(select(CatalogCoupon)).all() if c.is_placeholder for b in c.brand_examples if b.strip()}
    assert brands
    for brand in brands:
        assert brand not in html, brand
    for coupon_id in set(re.findall(r"/feed/coupons/([\w-]+)\"", html)):
        detail = page(client, f"/feed/coupons/{coupon_id}")
        coupon = db.get(CatalogCoupon, coupon_id)
        if coupon.is_placeholder:
            for brand in coupon.brand_examples:
                assert not brand.strip() or brand not in detail, brand


def test_the_feed_is_computed_for_today_in_japan(client, db, consented) -> None:  # type: ignore[no-untyped-def]
    from app.recommend.models import RecommendFeed

    login_as(client, db, consented)
    page(client, "/feed")
    kept = db.exec(select(RecommendFeed).where(RecommendFeed.resident_id == consented.id)).all()
    assert [row.day for row in kept] == [date(2026, 11, 26)]
