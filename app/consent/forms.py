from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField, URLField
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, Regexp

KEY = [DataRequired(), Length(max=40), Regexp(r"^[a-z][a-z0-9_]*$", message=_l("Lower-case letters, digits and _ only."))]
RECIPIENT_KINDS = [SelectChoice("municipality", _l("Municipality")), SelectChoice("partner", _l("Partner")),
                   SelectChoice("switching", _l("Switching service")), SelectChoice("statistics", _l("Statistics (EBPM)")),
                   SelectChoice("analysts", _l("Pilot analysts"))]


class RecipientForm(FlaskForm):
    key = StringField(_l("Identifier (for the system)"), validators=KEY, render_kw={"autocomplete": "off"})
    legal_name = StringField(_l("Legal name"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=RECIPIENT_KINDS)
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=200)])
    contact = StringField(_l("Contact"), validators=[DataRequired(), Length(max=200)])
    privacy_policy_url = URLField(_l("Privacy policy URL"), validators=[DataRequired(), URL(), Length(max=300)])


class PurposeForm(FlaskForm):
    key = StringField(_l("Identifier (for the system)"), validators=KEY, render_kw={"autocomplete": "off"})
    name_ja = StringField(_l("Name (Japanese)"), validators=[DataRequired(), Length(max=100)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=100)])
    benefit_ja = TextAreaField(_l("Benefit to the resident (Japanese)"), validators=[DataRequired(), Length(max=400)])
    benefit_en = TextAreaField(_l("Benefit to the resident (English)"), validators=[DataRequired(), Length(max=400)])
    retention_days = IntegerField(_l("Retention at the recipient (days)"),
                                  validators=[DataRequired(), NumberRange(min=1, max=3650)])


class OfferForm(FlaskForm):
    recipient = SelectField(_l("Recipient"), validators=[DataRequired()])
    purpose = SelectField(_l("Purpose"), validators=[DataRequired()])
    items = SelectMultipleField(_l("Items"), validators=[DataRequired(_l("Choose at least one item."))])
