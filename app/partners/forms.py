"""The partner console's forms for an event and a coupon: each field checked for its format here, with a message in
the user's language; what concerns the values together (the partner's venues, the end after the start, the age range)
is checked by `app.partners.listings`, whose problems the view puts back on these fields (`FIELD_OF_VALUE`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.catalog.forms import JST
from app.catalog.models import CatalogCoupon, CatalogEvent, CatalogVenue
from app.i18n import bilingual
from app.partners import listings
from app.recommend.ranking_text import TAG_LABELS

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends (Japan time here)
MAX_AGE_YEARS = 18
# The catalogue's tags without a label in the ranking's words.
OTHER_TAG_LABELS = {"indoor": _l("Indoor"), "all_ages": _l("All ages"), "outdoor_indoor": _l("Outdoors and indoors")}
REGISTRATION_CHOICES = {"none": _l("No registration needed"), "required": _l("Registration required")}
DISCOUNT_CHOICES = {"percent": _l("A percentage off"), "amount_jpy": _l("An amount off, in yen"),
                    "free_item": _l("Something free"), "other": _l("Another offer")}
# A problem found by the service, keyed by the value it concerns → the form field that shows it.
FIELD_OF_VALUE = {"target_age_min_months": "age_min_years", "target_age_max_months_exclusive": "age_max_years",
                  "discount": "discount_value"}


# --- Japan time and ages, both ways ----------------------------------------------------------------------------


def parse_local(text: str | None) -> datetime | None:
    """A datetime-local value in Japan time, as an aware UTC datetime; None when it is not one."""
    try:
        value = datetime.fromisoformat((text or "").strip())
    except ValueError:
        return None
    if value.tzinfo is not None:
        return None
    return value.replace(tzinfo=JST).astimezone(UTC)


def local_text(value: datetime | None) -> str:
    return value.astimezone(JST).strftime(LOCAL_FORMAT) if value is not None else ""


def parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def min_months(years: int | None, months: int | None) -> int | None:
    """"From 1 year 6 months" → 18; nothing entered → None (no lower limit)."""
    if years is None and months is None:
        return None
    return (years or 0) * 12 + (months or 0)


def max_months_exclusive(years: int | None, months: int | None) -> int | None:
    """The upper age as people say it, inclusive: "to 6 years" is until the 7th birthday (84 months, exclusive),
    "to 0 years 6 months" until 7 months. Nothing entered → None (no upper limit)."""
    if years is None and months is None:
        return None
    return (years or 0) * 12 + (months + 1 if months is not None else 12)


def min_parts(value: int | None) -> tuple[int | None, int | None]:
    if value is None:
        return None, None
    return value // 12, (value % 12) or None


def max_parts(value: int | None) -> tuple[int | None, int | None]:
    if value is None or value <= 0:
        return None, None
    if value % 12 == 0:
        return value // 12 - 1, None
    return (value - 1) // 12, (value - 1) % 12


def tag_label(tag: str) -> str:
    """A catalogue tag in the user's language, as a label (the ranking's words start lower-case in English)."""
    if tag not in TAG_LABELS:
        return str(OTHER_TAG_LABELS.get(tag, tag))
    label = bilingual(*TAG_LABELS[tag])
    return label[:1].upper() + label[1:]


# --- field checks ----------------------------------------------------------------------------------------------


def _is_local_datetime(_form: FlaskForm, field: Field) -> None:
    if parse_local(field.data) is None:
        raise ValidationError(_("Enter a date and time, for example 2026-12-05 10:00."))


def _is_day(_form: FlaskForm, field: Field) -> None:
    if (field.data or "").strip() and parse_day(field.data) is None:
        raise ValidationError(_("Enter the date as YYYY-MM-DD, for example 2026-11-26."))


class _Between(NumberRange):
    """NumberRange that stays silent when the text was not a whole number at all (IntegerField already said so)."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.data is not None:
            super().__call__(form, field)


def _years(label: Any) -> IntegerField:
    return IntegerField(label, validators=[Optional(), _Between(min=0, max=MAX_AGE_YEARS, message=_l(
        "Enter a whole number of years from 0 to %(max)d.", max=MAX_AGE_YEARS))],
        render_kw={"inputmode": "numeric", "autocomplete": "off"})


def _months(label: Any) -> IntegerField:
    return IntegerField(label, validators=[Optional(), _Between(min=0, max=11, message=_l(
        "Enter a whole number of months from 0 to 11."))], render_kw={"inputmode": "numeric", "autocomplete": "off"})


class ListingForm(FlaskForm):
    """What events and coupons share."""

    version = HiddenField()
    title_ja = StringField(_l("Title (Japanese)"), validators=[DataRequired(_l("Enter a title.")), Length(max=200)])
    title_en = StringField(_l("Title (English, optional)"), validators=[Optional(), Length(max=200)])
    description_ja = TextAreaField(_l("Description (Japanese, optional)"), validators=[Optional(), Length(max=2000)],
                                   description=_l("A few plain sentences for families: what happens, what to bring."))
    description_en = TextAreaField(_l("Description (English, optional)"), validators=[Optional(), Length(max=2000)])
    venue_id = SelectField(_l("Venue"), validate_choice=False, validators=[DataRequired(_l("Choose one of your venues."))])
    picture = FileField(_l("Picture (optional)"), description=_l(
        "A JPEG, PNG or WebP photo of up to 5 MB. Residents see it on the event's or coupon's page; we remove the "
        "photo's hidden data (such as where it was taken)."))
    remove_picture = BooleanField(_l("Remove the picture"))
    age_min_years = _years(_l("From (years)"))
    age_min_months = _months(_l("and months"))
    age_max_years = _years(_l("To (years)"))
    age_max_months = _months(_l("and months"))

    def prepare(self, partner: Any, venues: dict[str, CatalogVenue]) -> None:
        """The choices that depend on the partner (its venues) and on the language."""
        self.venue_id.choices = [SelectChoice(venue_id, bilingual(venues[venue_id].name_ja, venues[venue_id].name_en)
                                              if venue_id in venues else venue_id)
                                 for venue_id in partner.venue_ids or []]

    def _fill_common(self, row: CatalogEvent | CatalogCoupon) -> None:
        self.version.data = str(row.version)
        for name in ("title_ja", "title_en", "description_ja", "description_en", "venue_id"):
            getattr(self, name).data = getattr(row, name)
        self.age_min_years.data, self.age_min_months.data = min_parts(row.target_age_min_months)
        self.age_max_years.data, self.age_max_months.data = max_parts(row.target_age_max_months_exclusive)

    def _common_values(self) -> dict[str, Any]:
        return {
            "title_ja": self.title_ja.data.strip(), "title_en": (self.title_en.data or "").strip(),
            "description_ja": (self.description_ja.data or "").strip(),
            "description_en": (self.description_en.data or "").strip(), "venue_id": self.venue_id.data,
            "target_age_min_months": min_months(self.age_min_years.data, self.age_min_months.data),
            "target_age_max_months_exclusive": max_months_exclusive(self.age_max_years.data, self.age_max_months.data),
        }

    def show_problems(self, problems: dict[str, list[str]]) -> None:
        """Put the service's problems on the fields that show them."""
        for name, messages in problems.items():
            field = getattr(self, FIELD_OF_VALUE.get(name, name), None) or self.title_ja
            field.errors = [*field.errors, *messages]

    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None


class EventForm(ListingForm):
    starts_at = StringField(_l("Starts (Japan time)"), validators=[DataRequired(_l("Enter when the event starts.")),
                                                                 _is_local_datetime],
                            render_kw={"type": "datetime-local"})
    ends_at = StringField(_l("Ends (Japan time)"), validators=[DataRequired(_l("Enter when the event ends.")),
                                                             _is_local_datetime],
                          render_kw={"type": "datetime-local"})
    capacity = IntegerField(_l("Capacity (optional)"), validators=[Optional(), _Between(min=1, max=100_000, message=_l(
        "Enter a whole number of 1 or more, or leave it empty."))], render_kw={"inputmode": "numeric"})
    fee_jpy = IntegerField(_l("Fee in yen (optional)"), validators=[Optional(), _Between(min=0, max=1_000_000, message=_l(
        "Enter a whole number of 0 or more (0 is free), or leave it empty."))], render_kw={"inputmode": "numeric"},
        description=_l("0 for a free event; leave it empty if the fee varies."))
    tags = SelectMultipleField(_l("Tags"), widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                               validate_choice=False, description=_l("What kind of event it is: families who liked "
                                                                     "such events see it first."))
    registration = SelectField(_l("Registration"), validate_choice=False,
                               choices=[SelectChoice(key, label) for key, label in REGISTRATION_CHOICES.items()])

    def prepare(self, partner: Any, venues: dict[str, CatalogVenue]) -> None:
        super().prepare(partner, venues)
        labels = {tag: tag_label(tag) for tag in listings.event_tags()}
        self.tags.choices = [SelectChoice(tag, label) for tag, label in sorted(labels.items(), key=lambda pair: pair[1])]

    def fill(self, row: CatalogEvent) -> None:
        self._fill_common(row)
        self.starts_at.data, self.ends_at.data = local_text(row.starts_at), local_text(row.ends_at)
        self.capacity.data, self.fee_jpy.data = row.capacity, row.fee_jpy
        self.tags.data, self.registration.data = list(row.tags or []), row.registration or "none"

    def values(self) -> dict[str, Any]:
        return {**self._common_values(), "starts_at": parse_local(self.starts_at.data),
                "ends_at": parse_local(self.ends_at.data), "capacity": self.capacity.data, "fee_jpy": self.fee_jpy.data,
                "tags": list(dict.fromkeys(self.tags.data or [])), "registration": self.registration.data}


class CouponForm(ListingForm):
    merchant_category = SelectField(_l("Store category"), validate_choice=False,
                                    validators=[DataRequired(_l("Choose a store category from the list."))])
    discount_type = SelectField(_l("Kind of offer"), validate_choice=False,
                                choices=[SelectChoice(key, label) for key, label in DISCOUNT_CHOICES.items()])
    discount_value = StringField(_l("The offer"), validators=[DataRequired(_l("Say what the offer is.")),
                                                              Length(max=100)],
                                 description=_l("A whole number for a percentage or an amount (10 for 10 percent off, 300 for "
                                                "¥300 off); a few words otherwise (子ども用ドリンク1杯). Say it in the "
                                                "title too: residents see the title."))
    conditions = TextAreaField(_l("Conditions (optional)"), validators=[Optional(), Length(max=500)])
    valid_from = StringField(_l("Valid from (optional)"), validators=[Optional(), _is_day], render_kw={"type": "date"})
    valid_to = StringField(_l("Valid until (optional)"), validators=[Optional(), _is_day], render_kw={"type": "date"})

    def prepare(self, partner: Any, venues: dict[str, CatalogVenue]) -> None:
        super().prepare(partner, venues)
        self.merchant_category.choices = [SelectChoice("", _("Choose"))] + [
            SelectChoice(key, bilingual(name_ja, name_en) or key)
            for key, (name_ja, name_en) in listings.store_categories().items()]

    def fill(self, row: CatalogCoupon) -> None:
        self._fill_common(row)
        self.merchant_category.data, self.conditions.data = row.merchant_category, row.conditions
        kind, value = (row.discount or {}).get("type"), (row.discount or {}).get("value")
        self.discount_type.data = kind if kind in DISCOUNT_CHOICES else "other"
        self.discount_value.data = "" if value is None else str(value)
        self.valid_from.data = row.valid_from.isoformat() if row.valid_from else ""
        self.valid_to.data = row.valid_to.isoformat() if row.valid_to else ""

    def discount(self) -> dict[str, Any]:
        kind, text = self.discount_type.data, (self.discount_value.data or "").strip()
        if kind in listings.DISCOUNT_NUMBERS:
            digits = text.rstrip("%％円").strip().replace(",", "")
            return {"type": kind, "value": int(digits) if digits.isdecimal() else text}
        return {"type": kind, "value": text}

    def values(self) -> dict[str, Any]:
        return {**self._common_values(), "merchant_category": self.merchant_category.data, "discount": self.discount(),
                "conditions": (self.conditions.data or "").strip(), "valid_from": parse_day(self.valid_from.data),
                "valid_to": parse_day(self.valid_to.data)}


FORMS: dict[str, type[EventForm] | type[CouponForm]] = {listings.EVENT: EventForm, listings.COUPON: CouponForm}
