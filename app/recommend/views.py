"""The resident's feed (ホーム › おすすめ): services by status, events and coupons, each card saying why; card details,
an event's iCalendar file, and a share link. The feed itself is `feed.feed_for` (one computation per day)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from flask import Blueprint, Response, abort, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app import auth
from app.catalog.models import CatalogCoupon, CatalogEvent, CatalogService, CatalogVenue, ListingStatus
from app.catalog.services import coupon_title, event_title, listing_categories
from app.config import current_settings
from app.consent.catalogue import items_by_key
from app.db import get_session, in_values
from app.household.ages import japan_today as today
from app.htmx import render
from app.i18n import bilingual, current_language, date_time, long_date
from app.partners import images
from app.recommend import impressions
from app.recommend.feed import feed_for

bp = Blueprint("recommend", __name__)
bp.before_request(auth.require_resident)

TABS = ("services", "events", "coupons")
TAB_LABELS = {"services": _l("City services"), "events": _l("Events"), "coupons": _l("Coupons")}
CHECK_REASONS = {
    "income_test": _l("Whether you qualify depends on household income."),
    "facility_dependent": _l("It depends on the facility: ask the facility or the city."),
    "unverified_rule": _l("The rule is not confirmed for Kashiwa yet: please check with the city."),
    "birth_day_needed": _l("The day of birth decides it: only the year and month are known."),
    "address_needed": _l("Your city is not known to us, so we cannot tell."),
    "other_condition": _l("It depends on a condition we do not hold (for example the school attended)."),
}
# What an item would add to a part that lacks it: a neutral note, never a push.
WOULD_ADD = {
    "birth_dates": _l("With your children's dates of birth, the feed could tell which services and events fit "
                      "their ages."),
    "home_town": _l("With your neighbourhood (町丁目), the feed could tell which city's services apply and how far "
                    "a venue is from home."),
    "age_bands": _l("With your children's age bands, events could be matched to their age groups."),
    "health_score": _l("With your health score, active events could be suggested when it is low."),
    "participation_history": _l("With the events you joined and the coupons you used, events and coupons of the "
                                "kinds you like could come first."),
}
# The ranking names its inputs; the consent item of each (the day of birth has none: a consent would not add it).
# A card shows the note of an item only when WOULD_ADD has one.
CONSENT_ITEM_OF_INPUT = {"birth_dates": "birth_dates", "age_bands": "age_bands", "town": "home_town",
                         "health_score": "health_score", "history": "participation_history"}
OFFLINE_HEADER = "X-Azukari-Offline"
COARSE_PRECISION_M = 200  # coordinates this rough (or marked estimates) are said to be approximate


@dataclass
class Card:
    kind: str  # service | event | coupon
    id: str
    title: str
    status: str = ""
    reasons: list[str] = field(default_factory=list)
    check_reasons: list[str] = field(default_factory=list)
    soon_from: date | None = None
    source_url: str = ""
    last_checked: date | None = None
    venue: CatalogVenue | None = None
    starts_at: datetime | None = None
    used: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    categories: tuple[str, ...] = ()  # the service's category, the event's tags, the coupon's store category
    personalised: bool = True  # False: its part's profiling rule awaits the ethics board (listed for everyone alike)


def _resident():  # type: ignore[no-untyped-def]
    return current_user._get_current_object()


def _item_names(db: Session) -> dict[str, str]:
    """Consent items by key, plus the ranking's names for its inputs (it says "town" for the 町丁目 item)."""
    language = current_language()
    names = {key: bilingual(item.name_ja, item.name_en, language) for key, item in items_by_key(db).items()}
    names["town"] = names.get("home_town", "town")
    names["history"] = names.get("participation_history", "history")
    return names


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _reason_texts(reasons: list[dict[str, Any]], language: str, first_only: bool = False) -> list[str]:
    return [bilingual(reason.get("ja"), reason.get("en"), language) for reason in (reasons[:1] if first_only else reasons)]


def _rows(db: Session, model: type[Any], ids: Iterable[str], *columns: Any) -> dict[str, Any]:
    """The catalogue rows of `ids`, in one query (a feed names about fifty); only `columns` when given."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    if columns:  # plain rows of those columns: no ORM objects to build (the feed page reads thirty services)
        rows = db.execute(sa_select(col(model.id), *columns).where(in_values(db, col(model.id), wanted)))
        return {row.id: row for row in rows}
    return {row.id: row for row in db.exec(select(model).where(in_values(db, col(model.id), wanted)))}


def _service_cards(db: Session, part: dict[str, Any], brief: bool = False) -> list[Card]:
    """`brief`: a service not usable now keeps only its first line (the feed lists it so; its detail page, which
    builds the cards without `brief`, has the rest)."""
    # Not the eligibility rules and sources (large JSON): the card shows only these.
    services = _rows(db, CatalogService, (result["service_id"] for result in part["results"]), CatalogService.name_ja,
                     CatalogService.name_en, CatalogService.source_url, CatalogService.last_checked,
                     CatalogService.category)
    cards, language = [], current_language()
    for result in part["results"]:
        service = services.get(result["service_id"])
        if service is None:
            continue
        cards.append(Card(
            kind="service", id=service.id, title=bilingual(service.name_ja, service.name_en, language),
            status=result["status"],
            reasons=_reason_texts(result.get("reasons") or [], language, first_only=brief and result["status"] == "not_eligible"),
            check_reasons=[str(CHECK_REASONS.get(code, code)) for code in result.get("check_reasons") or []],
            soon_from=_day(result.get("soon_from")), source_url=result.get("source_url") or service.source_url,
            last_checked=_day(result.get("last_checked")) or service.last_checked,
            used=list(part["used"]), missing=list(part["missing"]), categories=(service.category,),
            personalised=part.get("personalised", True)))
    return cards


def _ranked_cards(db: Session, items: list[dict[str, Any]], model: type[Any], not_consented: list[str],
                  personalised: bool = True) -> list[Card]:
    """`missing` on a card: the consent items the ranking lacked that were not consented (one consented but with
    nothing held, a health score not brought in, is not for the consent screen to add). An item whose row is no
    longer published (a partner withdrew it after the feed was kept) is left out like a missing row, so its detail
    page and calendar file are not found either."""
    rows = {key: row for key, row in _rows(db, model, (item["id"] for item in items)).items()
            if row.status == ListingStatus.PUBLISHED}
    venues = _rows(db, CatalogVenue, (row.venue_id for row in rows.values()))
    cards, language = [], current_language()
    for item in items:
        row = rows.get(item["id"])
        if row is None:
            continue
        is_event = model is CatalogEvent
        cards.append(Card(
            kind="event" if is_event else "coupon", id=row.id, title=event_title(row) if is_event else coupon_title(row),
            reasons=_reason_texts(item.get("reasons") or [], language), venue=venues.get(row.venue_id),
            starts_at=row.starts_at if is_event else None, used=list(item.get("used") or []),
            missing=[CONSENT_ITEM_OF_INPUT[key] for key in item.get("missing") or []
                     if CONSENT_ITEM_OF_INPUT.get(key) in not_consented], categories=tuple(listing_categories(row)),
            personalised=personalised))
    return cards


@dataclass
class FeedView:
    tab: str
    payload: dict[str, Any]
    services: dict[str, list[Card]]
    events: list[Card]
    coupons: list[Card]
    item_names: dict[str, str]
    # What every card's "why" says, translated once per page instead of once per card (a page has ten or more).
    labels: dict[str, str] = field(default_factory=dict)

    def missing_of(self, part: str) -> list[str]:
        return list(self.payload[part]["missing"])

    def missing_names(self, part: str) -> list[str]:
        return [self.item_names.get(key, key) for key in self.missing_of(part)]

    def personalised(self, part: str) -> bool:
        """False when the part's profiling rule awaits the data ethics board's approval (a feed kept before the
        gate existed was personalised)."""
        return bool(self.payload[part].get("personalised", True))


def feed_view(db: Session, resident: Any, tab: str, brief: bool = False) -> FeedView:
    """The feed with the cards of `tab` (the others are not shown, so their rows are not read); `brief`: see
    `_service_cards`."""
    payload = feed_for(db, resident, today())
    # "listed": every service, no status claimed (the eligibility rule awaits the ethics board; unpersonalised.py).
    by_status: dict[str, list[Card]] = {s: [] for s in ("soon", "eligible", "check", "done", "other_city",
                                                        "not_eligible", "listed")}
    if tab == "services":
        for card in _service_cards(db, payload["services"], brief):
            by_status.setdefault(card.status, []).append(card)
        by_status["soon"].sort(key=lambda card: card.soon_from or date.max)
    missing, ranked = payload["events"]["missing"], payload["events"].get("personalised", True)
    events = _ranked_cards(db, payload["events"]["ranked"], CatalogEvent, missing, ranked) if tab == "events" else []
    coupons = (_ranked_cards(db, payload["events"]["coupons"], CatalogCoupon, missing, ranked) if tab == "coupons"
               else [])
    # Only what was recommended is evidence for the statistics: a list by date for everyone is not.
    shown = impressions.shown_of(by_status, events, coupons) if ranked else impressions.shown_of(by_status, [], [])
    impressions.record(db, resident.id, shown, today())
    return FeedView(tab=tab, payload=payload, services=by_status, events=events, coupons=coupons,
                    item_names=_item_names(db), labels=_why_labels())


def _why_labels() -> dict[str, str]:
    return {"why": _("Why is this recommended?"), "to_check": _("To check:"), "used": _("Data used (with your consent):"),
            "none": _("none"), "if_shared": _("Only if you choose to share it:"), "consents": _("Consents"),
            "consents_url": url_for("consent.index"),
            "unpersonalised": _("Not chosen for your family: listed the same for everyone, without using your data.")}


def chosen_tab() -> str:
    tab = request.args.get("tab", "services")
    return tab if tab in TABS else "services"


def feed_context(db: Session, resident: Any) -> dict[str, Any]:
    """What the feed card needs (the /feed page and the home tab)."""
    return {"feed": feed_view(db, resident, chosen_tab(), brief=True), "tab_labels": TAB_LABELS, "tabs": TABS,
            "would_add": WOULD_ADD}


@bp.route("/feed")
def index():  # type: ignore[no-untyped-def]
    """The feed; an htmx tab switch gets only the tab panel."""
    response = render("recommend/index.html", block="panel", tab="home", **feed_context(get_session(), _resident()))
    response.headers["Cache-Control"] = "private, no-store"
    if not request.headers.get("HX-Request"):
        # The service worker keeps this page (and only this page) for offline use: see templates/pwa/sw.js.
        response.headers[OFFLINE_HEADER] = "feed"
    return response


def _map_url(venue: CatalogVenue | None) -> str | None:
    if venue is None or venue.lat is None or venue.lng is None:
        return None
    query = urlencode({"mlat": f"{venue.lat:.6f}", "mlon": f"{venue.lng:.6f}"})
    return f"https://www.openstreetmap.org/?{query}#map=17/{venue.lat:.6f}/{venue.lng:.6f}"


def _is_coarse(venue: CatalogVenue | None) -> bool:
    return venue is not None and (venue.coordinate_is_estimate or (venue.coord_precision_m or 0) >= COARSE_PRECISION_M)


def _feed_card(db: Session, resident: Any, kind: str, item_id: str) -> tuple[Card, FeedView]:
    """The card from the resident's own feed: an item not in it is not found (the detail shows why it is there)."""
    view = feed_view(db, resident, {"service": "services", "event": "events", "coupon": "coupons"}[kind])
    pool = ([c for cards in view.services.values() for c in cards] if kind == "service"
            else view.events if kind == "event" else view.coupons)
    for card in pool:
        if card.id == item_id:
            return card, view
    abort(404)


def _share(title: str) -> dict[str, str]:
    page = current_settings().absolute_url(request.path)  # the bank's public origin, not whatever Host was sent
    text = f"{title} {page}"
    return {"url": page, "text": text, "mailto": f"mailto:?subject={quote(title)}&body={quote(text)}",
            "line": f"https://line.me/R/share?text={quote(text)}"}


def _event_end(event: CatalogEvent | None) -> str:
    """What follows an event's start: the time alone when it ends the same day in Japan (… 10:00 – 12:00)."""
    if event is None or event.starts_at is None or event.ends_at is None:
        return ""
    if long_date(event.ends_at) == long_date(event.starts_at):
        return format_datetime(event.ends_at, "HH:mm")
    return date_time(event.ends_at)


def _japanese_only(**texts: tuple[str | None, str | None]) -> set[str]:
    """The texts of a detail page an English reader gets in Japanese, the catalogue having no English for them
    yet: the page marks them lang="ja" and says so once."""
    if current_language() == "ja":
        return set()
    return {name for name, (ja, en) in texts.items() if ja and not en}


def _venue_name(venue: CatalogVenue | None, coupon: CatalogCoupon | None = None) -> str:
    if venue is None:
        return ""
    name = bilingual(venue.name_ja, venue.name_en)
    if coupon is not None and coupon.is_placeholder and any(
            brand.strip() and brand.casefold() in name.casefold() for brand in coupon.brand_examples):
        return _("Kashiwa-no-ha area")
    return name


@bp.route("/feed/services/<service_id>")
def service_detail(service_id: str):  # type: ignore[no-untyped-def]
    db = get_session()
    card, view = _feed_card(db, _resident(), "service", service_id)
    service = db.get(CatalogService, service_id)
    return render("recommend/detail.html", tab="home", card=card, feed=view, service=service, would_add=WOULD_ADD,
                  description=bilingual(service.description_ja, service.description_en) if service else "",
                  how_to_apply=bilingual(service.how_to_apply_ja, service.how_to_apply_en) if service else "",
                  ja_only=_japanese_only(description=(service.description_ja, service.description_en),
                                         how_to_apply=(service.how_to_apply_ja, service.how_to_apply_en)) if service else set(),
                  share=_share(card.title))


@bp.route("/feed/events/<event_id>")
def event_detail(event_id: str):  # type: ignore[no-untyped-def]
    db = get_session()
    card, view = _feed_card(db, _resident(), "event", event_id)
    event = db.get(CatalogEvent, event_id)
    return render("recommend/detail.html", tab="home", card=card, feed=view, event=event, would_add=WOULD_ADD,
                  venue_name=_venue_name(card.venue), map_url=_map_url(card.venue), coarse=_is_coarse(card.venue),
                  event_end=_event_end(event), share=_share(card.title), **_listing_extras(db, "event", event),
                  ja_only=_japanese_only(title=(event.title_ja, event.title_en)) if event else set())


def _listing_extras(db: Session, kind: str, row: CatalogEvent | CatalogCoupon | None) -> dict[str, Any]:
    """A partner's own words and picture for its event or coupon (the catalogue file's rows have neither)."""
    if row is None:
        return {"listing_description": "", "picture": None}
    description = bilingual(row.description_ja, row.description_en) if row.description_ja else row.description_en
    return {"listing_description": description, "picture": images.image_of(db, kind, row.id)}


@bp.route("/feed/coupons/<coupon_id>")
def coupon_detail(coupon_id: str):  # type: ignore[no-untyped-def]
    db = get_session()
    card, view = _feed_card(db, _resident(), "coupon", coupon_id)
    coupon = db.get(CatalogCoupon, coupon_id)
    return render("recommend/detail.html", tab="home", card=card, feed=view, coupon=coupon, would_add=WOULD_ADD,
                  venue_name=_venue_name(card.venue, coupon), map_url=_map_url(card.venue),
                  coarse=_is_coarse(card.venue), share=_share(card.title), **_listing_extras(db, "coupon", coupon),
                  # The file's coupons have no English title, and `conditions` is Japanese only.
                  ja_only=_japanese_only(title=(coupon.title_ja, coupon.title_en), conditions=(coupon.conditions, None))
                  if coupon else set())


@bp.route("/feed/events/<event_id>.ics")
def event_ics(event_id: str) -> Response:
    """The event as an iCalendar file (カレンダーに追加)."""
    from icalendar import Calendar
    from icalendar import Event as IcsEvent

    db = get_session()
    card, _view = _feed_card(db, _resident(), "event", event_id)
    event = db.get(CatalogEvent, event_id)
    if event is None or event.starts_at is None:
        abort(404)
    calendar = Calendar()
    calendar.add("prodid", "-//Azukari//Kashiwa-no-ha feed//JA")
    calendar.add("version", "2.0")
    entry = IcsEvent()
    host = urlsplit(current_settings().public_url).hostname or "azukari"
    entry.add("uid", f"{event.id}@{host}")
    entry.add("dtstamp", datetime.now(UTC))
    entry.add("dtstart", event.starts_at.astimezone(UTC))
    entry.add("dtend", (event.ends_at or event.starts_at + timedelta(hours=1)).astimezone(UTC))
    entry.add("summary", card.title)
    venue = card.venue
    if venue is not None:
        entry.add("location", ", ".join(part for part in (_venue_name(venue), venue.address) if part))
        if venue.lat is not None and venue.lng is not None:
            entry.add("geo", (venue.lat, venue.lng))
    lines = [card.title]
    if event.example:
        lines.append(_("This is an example event, not a real one: check the venue before you go."))
    lines.extend(card.reasons)
    entry.add("description", "\n".join(lines))
    entry.add("url", url_for("recommend.event_detail", event_id=event.id, _external=True))
    calendar.add_component(entry)
    response = Response(calendar.to_ical(), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{event.id}.ics"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
