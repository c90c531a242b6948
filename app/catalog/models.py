"""The catalogue of 柏市 services, Kashiwa-no-ha venues, events and coupons, seeded from `app/catalog/data/catalog.json`.

Each row's primary key is the catalogue's own id (`svc_daretsu`, `v_tsite`, `ev_lala_xmas`, `cp_cafe_parent`), so
the eligibility engine, ranking, tests and the `recommend preview` CLI all speak of the same things. Structured parts
the engine interprets (eligibility, milestones, discounts) are stored as JSON exactly as the file has them; what is
listed or edited has its own column. `edited_by` / `edited_at` mark a row someone changed: a reload never overwrites it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from app.db import UTCDateTime

# The values of `confidence` and `merchant_display` in the file (meta.conventions).
CONFIDENCE_LEVELS = ("high", "medium", "low")
PLACEHOLDER_DISPLAY = "placeholder_category_not_a_real_offer"
EXAMPLE_LABEL_JA = "例"


class ListingStatus:
    """An event's or coupon's life in the partner console. Rows from the catalogue file are published; a partner's
    own start as drafts. Only published ones reach residents (feed, detail pages, check-in)."""

    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
    ALL = (DRAFT, PUBLISHED, WITHDRAWN)
EXAMPLE_LABEL_EN = "Example"


class CatalogVenue(SQLModel, table=True):
    __tablename__ = "catalog_venue"

    id: str = Field(primary_key=True, max_length=60)
    name_ja: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    category: str = Field(max_length=60)
    address: str = Field(default="", max_length=200)
    # WGS84; None where the file has no coordinate (left out of distance lists).
    lat: float | None = None
    lng: float | None = None
    # The file's estimate of the error in metres, and where the coordinate came from ("ESTIMATE: …" needs checking).
    coord_precision_m: int | None = None
    coord_source: str = Field(default="", max_length=500)
    family_relevance: list[str] = Field(default_factory=list, sa_type=JSON)
    facts: list[str] = Field(default_factory=list, sa_type=JSON)
    tenants_reported: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    sources: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    edited_by: str | None = Field(default=None, max_length=64)
    edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def coordinate_is_estimate(self) -> bool:
        return self.coord_source.upper().startswith(("ESTIMATE", "LOW PRECISION"))


class CatalogService(SQLModel, table=True):
    """A municipal or national service; 柏市's staff edit it in the municipal console."""

    __tablename__ = "catalog_service"

    id: str = Field(primary_key=True, max_length=60)
    name_ja: str = Field(max_length=200)
    name_en: str = Field(default="", max_length=200)
    # The file has no resident-facing description (its `notes` are research remarks): staff write one.
    description_ja: str = Field(default="", max_length=2000, sa_type=sa.Text)
    description_en: str = Field(default="", max_length=2000, sa_type=sa.Text)
    category: str = Field(max_length=60, index=True)
    fact_scope: str = Field(max_length=60)  # kashiwa_specific | kashiwa_applies_national_rule | national_rule | mixed
    confidence: str = Field(max_length=10)  # high | medium | low; low is never shown as plainly eligible
    # As in the file: age (months, grades, fiscal year of age, nursery class, status), residence, conditions.
    eligibility: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # Check-up and vaccination windows, the MR catch-up's birth-date ranges, and when a temporary scheme ends.
    milestones: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    birthdate_ranges: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    valid_until: date | None = None
    benefit: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    how_to_apply_ja: str = Field(default="", max_length=2000, sa_type=sa.Text)
    how_to_apply_en: str = Field(default="", max_length=2000, sa_type=sa.Text)
    # Every source as in the file (url, title, publisher, page_updated, kind, id, note); `source_url` is the one
    # a card links to (the first source until staff change it).
    sources: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    source_url: str = Field(default="", max_length=500)
    notes: str = Field(default="", max_length=2000, sa_type=sa.Text)
    life_stages: list[str] = Field(default_factory=list, sa_type=JSON)
    area_id: str = Field(default="", max_length=60)
    venue_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    # Keys of the file's record this schema does not know yet, so a newer file loses nothing.
    extra: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    example: bool = False
    last_checked: date
    edited_by: str | None = Field(default=None, max_length=64)
    edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Incremented by each edit: a form posted from an older version is refused instead of losing a colleague's edit.
    version: int = 1

    @property
    def age_rule(self) -> dict[str, Any]:
        age = self.eligibility.get("age") if isinstance(self.eligibility, dict) else None
        return age if isinstance(age, dict) else {}


class ListingColumns(SQLModel):
    """What events and coupons have for the partner console (a base without a table: each table gets its own)."""

    # Set for an event or coupon a partner created in its console (its id then starts with "p"); the catalogue
    # file's rows have none and are read-only to partners.
    partner_id: uuid.UUID | None = Field(default=None, foreign_key="partner.id", ondelete="RESTRICT", index=True)
    status: str = Field(default=ListingStatus.PUBLISHED, max_length=10,
                        sa_column_kwargs={"server_default": ListingStatus.PUBLISHED})
    description_ja: str = Field(default="", max_length=2000, sa_type=sa.Text, sa_column_kwargs={"server_default": ""})
    description_en: str = Field(default="", max_length=2000, sa_type=sa.Text, sa_column_kwargs={"server_default": ""})
    # Incremented by each edit in the partner console: a form from an older version is refused (no lost edit).
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class CatalogEvent(ListingColumns, table=True):
    """An event at a venue; most are examples (invented dates) and must be labelled as such."""

    __tablename__ = "catalog_event"
    __table_args__ = (sa.CheckConstraint("status IN ('draft', 'published', 'withdrawn')", name="status_valid"),)

    id: str = Field(primary_key=True, max_length=60)
    title_ja: str = Field(max_length=200)
    title_en: str = Field(default="", max_length=200)
    venue_id: str = Field(foreign_key="catalog_venue.id", max_length=60, index=True)
    # Aware datetimes (the file gives +09:00); None for recurring activities without a date.
    starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    recurrence: str | None = Field(default=None, max_length=80)
    # Age in months at the event: min inclusive, max exclusive; None = no limit.
    target_age_min_months: int | None = None
    target_age_max_months_exclusive: int | None = None
    target_grades: dict[str, Any] | None = Field(default=None, sa_type=JSON)  # {"min": "elementary_1", "max": …}
    fee_jpy: int | None = None
    fee_note: str = Field(default="", max_length=200)
    registration: str = Field(default="", max_length=40)
    capacity: int | None = None
    organizer_type: str = Field(default="", max_length=60)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    includes_expectant_parents: bool = False
    parent_focused: bool = False
    requires_multiples: bool = False
    based_on_real_event: bool = False
    based_on_source: str = Field(default="", max_length=500)
    note: str = Field(default="", max_length=1000)
    extra: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    example: bool = False
    edited_by: str | None = Field(default=None, max_length=64)
    edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def display_title_ja(self) -> str:
        return _with_example_label(self.title_ja, self.example, "ja")

    @property
    def display_title_en(self) -> str:
        return _with_example_label(self.title_en or self.title_ja, self.example, "en")


class CatalogCoupon(ListingColumns, table=True):
    """A coupon. Placeholders are invented offers in a store category: shown by that category, never by a brand."""

    __tablename__ = "catalog_coupon"
    __table_args__ = (sa.CheckConstraint("status IN ('draft', 'published', 'withdrawn')", name="status_valid"),)

    id: str = Field(primary_key=True, max_length=60)
    title_ja: str = Field(max_length=200)
    title_en: str = Field(default="", max_length=200)
    venue_id: str = Field(foreign_key="catalog_venue.id", max_length=60, index=True)
    floor: str = Field(default="", max_length=40)
    merchant_category: str = Field(max_length=60)
    # The category's names, copied at load (the file's store_categories + app/catalog/data/labels.json).
    merchant_category_ja: str = Field(default="", max_length=100)
    merchant_category_en: str = Field(default="", max_length=100)
    # real_tenant_reported_policy | real_program_reported | placeholder_category_not_a_real_offer
    merchant_display: str = Field(max_length=60)
    is_placeholder: bool = False
    # Brands the placeholder was modelled on ("tenant_examples"): for staff and partners, never for residents.
    brand_examples: list[str] = Field(default_factory=list, sa_type=JSON)
    discount: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    conditions: str = Field(default="", max_length=500)
    target_age_min_months: int | None = None
    target_age_max_months_exclusive: int | None = None
    trigger: str | None = Field(default=None, max_length=80)
    reported_by: str = Field(default="", max_length=500)
    parent_focused: bool = False
    valid_from: date | None = None
    valid_to: date | None = None
    note: str = Field(default="", max_length=1000)
    extra: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    example: bool = False
    edited_by: str | None = Field(default=None, max_length=64)
    edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def names_brand(self) -> bool:
        """A placeholder modelled on named brands: the case that must never look like a real offer of theirs."""
        return self.is_placeholder and bool(self.brand_examples)

    @property
    def display_title_ja(self) -> str:
        return _with_example_label(self._title_for_residents("ja"), self.example, "ja")

    @property
    def display_title_en(self) -> str:
        return _with_example_label(self._title_for_residents("en"), self.example, "en")

    def _title_for_residents(self, language: str) -> str:
        category = (self.merchant_category_ja if language == "ja" else self.merchant_category_en) or self.merchant_category
        title = (self.title_en if language == "en" else "") or self.title_ja
        if language == "en" and not self.title_en and self.example:
            # The Japanese title stands in for a missing English one; its (例) is replaced by the English label.
            title = title.replace(f"({EXAMPLE_LABEL_JA})", "").strip()
        if not self.is_placeholder:
            return title
        # By category only. The offer text goes with it only when it names no brand (the file's titles do not;
        # an edited or future one might); otherwise the category alone stands for the offer.
        if any(brand.casefold() in title.casefold() for brand in self.brand_examples if brand.strip()):
            return f"{category}のクーポン" if language == "ja" else f"{category} coupon"
        return f"【{category}】{title}" if language == "ja" else f"{category}: {title}"


def _with_example_label(title: str, example: bool, language: str) -> str:
    """Add (例) / (example) to an example's title unless the title already says so."""
    if not example:
        return title
    if language == "ja":
        return title if EXAMPLE_LABEL_JA in title else f"{title}({EXAMPLE_LABEL_JA})"
    return title if "example" in title.lower() else f"{title} ({EXAMPLE_LABEL_EN.lower()})"
