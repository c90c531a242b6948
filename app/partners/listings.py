"""A partner's events and coupons: listing, creating, editing, publishing and withdrawing them.

Every function takes the session, the partner and the acting staff member's principal explicitly; nothing here
commits (one unit of work per request). What a partner may see is its own rows and the catalogue file's rows at its
venues (read-only: the file's rows have no `partner_id`); anything else — another partner's row, draft or not, or a
catalogue row elsewhere — is "not found", never a hint that it exists.

A partner's row starts as a draft; only published rows reach residents (the feed, the detail pages, participation).
Publishing, withdrawing or editing a published row drops the day's kept feeds (`feed.catalogue_changed`), so
residents see the change on their next visit.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from app import audit
from app.audit import EventTag
from app.catalog.models import CatalogCoupon, CatalogEvent, ListingStatus
from app.catalog.services import LABELS_FILE, catalog_document, store_category_names
from app.db import utcnow
from app.errors import Conflict, DomainError, InvalidFields, NotFound
from app.household.ages import japan_today
from app.partners.models import Partner
from app.recommend.feed import catalogue_changed

EVENT, COUPON = "event", "coupon"
MODELS: dict[str, type[CatalogEvent] | type[CatalogCoupon]] = {EVENT: CatalogEvent, COUPON: CatalogCoupon}
ID_PREFIX = "p"  # a partner's row: "p" + random hex (the file's ids start with ev_ / cp_)

# A partner's coupon is its own, real offer: not a placeholder modelled on brands (shown by its store category only)
# and not one of the file's "real_tenant_reported_policy" / "real_program_reported" (a third party's report of a
# policy, to be confirmed with the shop). With this value `is_placeholder` is False, so `coupon_title` shows the
# partner's own title, and its venue's name is never replaced.
PARTNER_OFFER_DISPLAY = "partner_offer"

EVENT_FIELDS = ("title_ja", "title_en", "description_ja", "description_en", "venue_id", "starts_at", "ends_at",
                "target_age_min_months", "target_age_max_months_exclusive", "capacity", "fee_jpy", "tags",
                "registration")
COUPON_FIELDS = ("title_ja", "title_en", "description_ja", "description_en", "venue_id", "merchant_category",
                 "discount", "conditions", "valid_from", "valid_to", "target_age_min_months",
                 "target_age_max_months_exclusive")
FIELDS = {EVENT: EVENT_FIELDS, COUPON: COUPON_FIELDS}
REGISTRATIONS = ("none", "required")
# The kinds of offer a partner's coupon can state, in the shapes of the file's coupons: a number for a percentage
# or an amount in yen, a short text otherwise.
DISCOUNT_NUMBERS = {"percent": (1, 100), "amount_jpy": (1, 1_000_000)}
DISCOUNT_TEXTS = ("free_item", "other")

# (status now, action) → status after. Anything else is refused with a message saying why.
TRANSITIONS = {
    (ListingStatus.DRAFT, "publish"): ListingStatus.PUBLISHED,
    (ListingStatus.PUBLISHED, "withdraw"): ListingStatus.WITHDRAWN,
    (ListingStatus.WITHDRAWN, "publish"): ListingStatus.PUBLISHED,
}
REFUSALS = {
    (ListingStatus.PUBLISHED, "publish"): _l("This is already published: residents can see it."),
    (ListingStatus.DRAFT, "withdraw"): _l("A draft has not been published, so there is nothing to withdraw."),
    (ListingStatus.WITHDRAWN, "withdraw"): _l("This has already been withdrawn."),
}


class ListingNotFound(NotFound):
    message = _l("We could not find this event or coupon.")


class ReadOnlyListing(DomainError):
    status = 403
    message = _l("This comes from the shared catalogue file: you can see it here, but not change it.")


class InvalidTransition(DomainError):
    status = 409


class InvalidListing(InvalidFields):
    """A partner's event or coupon values refused, by field."""


def next_status(current: str, action: str) -> str:
    """The state machine: draft → published → withdrawn → published. Pure; raises InvalidTransition."""
    after = TRANSITIONS.get((current, action))
    if after is None:
        raise InvalidTransition(str(REFUSALS.get((current, action), _l("This change of status is not possible."))))
    return after


# --- reading ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerListings:
    """Own rows first (newest edits first), then the catalogue file's rows at the partner's venues."""

    events: list[CatalogEvent]
    coupons: list[CatalogCoupon]


def is_own(partner: Partner, row: CatalogEvent | CatalogCoupon) -> bool:
    return row.partner_id is not None and row.partner_id == partner.id


def belongs_to(partner: Partner, row: CatalogEvent | CatalogCoupon) -> bool:
    """The partner's to show and to scan for: its own, or the catalogue file's at one of its venues."""
    if row.partner_id is not None:
        return row.partner_id == partner.id
    return row.venue_id in (partner.venue_ids or [])


def _of_partner(session: Session, partner: Partner, model: Any, order: Any) -> list[Any]:
    own = session.exec(select(model).where(model.partner_id == partner.id).order_by(order, model.id)).all()
    catalogue = session.exec(select(model).where(col(model.partner_id).is_(None),
                                                 col(model.venue_id).in_(list(partner.venue_ids or [])))
                             .order_by(order, model.id)).all() if partner.venue_ids else []
    return [*own, *catalogue]


def listings_of(session: Session, partner: Partner) -> PartnerListings:
    return PartnerListings(events=_of_partner(session, partner, CatalogEvent, CatalogEvent.starts_at),
                           coupons=_of_partner(session, partner, CatalogCoupon, CatalogCoupon.valid_from))


def listing(session: Session, partner: Partner, kind: str, listing_id: str, *,
            for_update: bool = False) -> CatalogEvent | CatalogCoupon:
    """One row the partner may see (its own, or the file's at its venues); anything else is ListingNotFound.
    `for_update` locks the row and re-reads it (two members saving at once serialise here)."""
    model = MODELS.get(kind)
    if model is None or not listing_id:
        raise ListingNotFound()
    row = (session.get(model, listing_id, with_for_update=True, populate_existing=True) if for_update
           else session.get(model, listing_id))
    if row is None or not belongs_to(partner, row):
        raise ListingNotFound()
    return row


def _own(session: Session, partner: Partner, kind: str, listing_id: str) -> CatalogEvent | CatalogCoupon:
    row = listing(session, partner, kind, listing_id, for_update=True)
    if not is_own(partner, row):
        raise ReadOnlyListing()
    return row


# --- checking what a partner entered ---------------------------------------------------------------------------


def store_categories() -> dict[str, tuple[str, str]]:
    """Store category id → (Japanese, English), as the catalogue loader names them."""
    # catalog_document reads (and caches) any of the catalogue's JSON files: here the labels file too.
    return store_category_names(catalog_document(), catalog_document(LABELS_FILE))


def event_tags() -> list[str]:
    """The tags the catalogue file's events use: a partner's event is described in the same words (the ranking's
    history and health signals read them)."""
    return sorted({tag for record in catalog_document().get("events", []) for tag in record.get("tags") or []})


def _problems(kind: str, partner: Partner, values: dict[str, Any]) -> dict[str, list[str]]:
    """What is wrong with the values as a whole (the form checked each field's format), keyed by value name."""
    problems: dict[str, list[str]] = {}

    def add(name: str, message: Any) -> None:
        problems.setdefault(name, []).append(str(message))

    if values.get("venue_id") not in (partner.venue_ids or []):
        add("venue_id", _l("Choose one of your venues."))
    low, high = values.get("target_age_min_months"), values.get("target_age_max_months_exclusive")
    if any(value is not None and (not isinstance(value, int) or value < 0) for value in (low, high)):
        add("target_age_min_months", _l("Enter the ages as whole numbers of 0 or more."))
    elif low is not None and high is not None and high <= low:
        add("target_age_max_months_exclusive", _l("The upper age must not be below the lower age."))
    if kind == EVENT:
        starts, ends = values.get("starts_at"), values.get("ends_at")
        if not isinstance(starts, datetime) or starts.tzinfo is None:
            add("starts_at", _l("Enter when the event starts."))
        if not isinstance(ends, datetime) or ends.tzinfo is None:
            add("ends_at", _l("Enter when the event ends."))
        elif isinstance(starts, datetime) and starts.tzinfo is not None and ends <= starts:
            add("ends_at", _l("The end must be after the start."))
        if values.get("capacity") is not None and values["capacity"] < 1:
            add("capacity", _l("Enter a whole number of 1 or more, or leave it empty."))
        if values.get("fee_jpy") is not None and values["fee_jpy"] < 0:
            add("fee_jpy", _l("Enter a whole number of 0 or more (0 is free), or leave it empty."))
        if not set(values.get("tags") or ()) <= set(event_tags()):
            add("tags", _l("Choose tags from the list."))
        if values.get("registration") not in REGISTRATIONS:
            add("registration", _l("Choose whether registration is needed."))
    else:
        if values.get("merchant_category") not in store_categories():
            add("merchant_category", _l("Choose a store category from the list."))
        if discount_problem := _discount_problem(values.get("discount")):
            add("discount", discount_problem)
        first, last = values.get("valid_from"), values.get("valid_to")
        if isinstance(first, date) and isinstance(last, date) and last < first:
            add("valid_to", _l("The last day must not be before the first day."))
    return problems


def _discount_problem(discount: Any) -> Any:
    if not isinstance(discount, dict):
        return _l("Say what the offer is.")
    kind, value = discount.get("type"), discount.get("value")
    if kind in DISCOUNT_NUMBERS:
        low, high = DISCOUNT_NUMBERS[kind]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return _l("Enter a whole number from %(low)d to %(high)d.", low=low, high=high)
        return None
    if kind in DISCOUNT_TEXTS:
        return None if isinstance(value, str) and value.strip() else _l("Describe the offer in a few words.")
    return _l("Choose the kind of offer.")


def _checked(kind: str, partner: Partner, values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(FIELDS[kind])
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if problems := _problems(kind, partner, values):
        raise InvalidListing(problems)
    values = dict(values)
    if kind == COUPON:
        values["merchant_category_ja"], values["merchant_category_en"] = store_categories()[values["merchant_category"]]
    return values


# --- writing ---------------------------------------------------------------------------------------------------


def _new_id(session: Session, model: Any) -> str:
    while True:
        candidate = ID_PREFIX + secrets.token_hex(5)
        if session.get(model, candidate) is None:
            return candidate


def create(session: Session, partner: Partner, actor: str, kind: str, values: dict[str, Any], *,
           ip: str | None = None) -> CatalogEvent | CatalogCoupon:
    """A new draft of the partner's (residents see nothing until it is published)."""
    model = MODELS[kind]
    checked = _checked(kind, partner, values)
    common = {"id": _new_id(session, model), "partner_id": partner.id, "status": ListingStatus.DRAFT,
              "edited_by": actor, "edited_at": utcnow()}
    if kind == EVENT:
        row: CatalogEvent | CatalogCoupon = CatalogEvent(**checked, **common, organizer_type="partner")
    else:
        # Not a placeholder: the partner's own offer, shown by its own title (see PARTNER_OFFER_DISPLAY).
        row = CatalogCoupon(**checked, **common, merchant_display=PARTNER_OFFER_DISPLAY, is_placeholder=False,
                            brand_examples=[])
    session.add(row)
    session.flush()
    audit.record(session, EventTag.LISTING_CREATE, actor=actor, ip=ip, kind=kind, listing=row.id, partner=partner.key)
    return row


def update(session: Session, partner: Partner, actor: str, kind: str, listing_id: str, values: dict[str, Any], *,
           expected_version: int | None = None, ip: str | None = None) -> tuple[CatalogEvent | CatalogCoupon, list[str]]:
    """Apply the partner's edit to its own row; returns the row and the names of the fields that changed.

    A form posted from an older version (a colleague saved in between) is refused with Conflict; saving without a
    change records nothing. Editing a published row drops the day's kept feeds (its date or ages may have moved)."""
    row = _own(session, partner, kind, listing_id)
    if expected_version is not None and expected_version != row.version:
        raise Conflict()
    checked = _checked(kind, partner, values)
    changed = [key for key, value in checked.items() if getattr(row, key) != value]
    if not changed:
        return row, []
    for key in changed:
        setattr(row, key, checked[key])
    row.edited_by, row.edited_at, row.version = actor, utcnow(), row.version + 1
    session.add(row)
    fields = [key for key in changed if key in FIELDS[kind]]
    audit.record(session, EventTag.LISTING_UPDATE, actor=actor, ip=ip, kind=kind, listing=row.id, partner=partner.key,
                 fields=fields)
    if row.status == ListingStatus.PUBLISHED:
        catalogue_changed(session, japan_today())
    return row, fields


def _change_status(session: Session, partner: Partner, actor: str, kind: str, listing_id: str, action: str,
                   tag: EventTag, ip: str | None) -> CatalogEvent | CatalogCoupon:
    row = _own(session, partner, kind, listing_id)
    before = row.status
    row.status = next_status(before, action)
    row.edited_by, row.edited_at, row.version = actor, utcnow(), row.version + 1
    session.add(row)
    audit.record(session, tag, actor=actor, ip=ip, kind=kind, listing=row.id, partner=partner.key,
                 before=before, after=row.status)
    catalogue_changed(session, japan_today())
    return row


def publish(session: Session, partner: Partner, actor: str, kind: str, listing_id: str, *,
            ip: str | None = None) -> CatalogEvent | CatalogCoupon:
    """A draft or withdrawn row of the partner's becomes visible to residents (from their next visit)."""
    return _change_status(session, partner, actor, kind, listing_id, "publish", EventTag.LISTING_PUBLISH, ip)


def withdraw(session: Session, partner: Partner, actor: str, kind: str, listing_id: str, *,
             ip: str | None = None) -> CatalogEvent | CatalogCoupon:
    """A published row of the partner's leaves residents' feeds and detail pages (from their next visit)."""
    return _change_status(session, partner, actor, kind, listing_id, "withdraw", EventTag.LISTING_WITHDRAW, ip)
