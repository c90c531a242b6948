"""The municipal console's form for a service: every field validated with a message in the user's language."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, StringField, TextAreaField, URLField
from wtforms.validators import URL, DataRequired, Length, Optional, ValidationError

from app.catalog.labels import eligibility_problems
from app.catalog.models import CatalogService

# Japan has no daylight saving time: a fixed offset is Asia/Tokyo.
JST = timezone(timedelta(hours=9), "Asia/Tokyo")


def today_in_japan() -> date:
    return datetime.now(JST).date()


def parse_eligibility(text: str) -> tuple[dict[str, Any] | None, list[str]]:
    """The edited JSON as an object, or the problems to show (syntax with its line, then the shape)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return None, [_("This is not valid JSON (line %(line)d, column %(column)d). Check the commas, quotes and "
                        "braces.", line=error.lineno, column=error.colno)]
    problems = eligibility_problems(value)
    return (value if not problems else None), problems


def parse_checked_date(text: str) -> tuple[date | None, str | None]:
    try:
        checked = date.fromisoformat(text.strip())
    except ValueError:
        return None, _("Enter the date as YYYY-MM-DD, for example 2026-11-26.")
    if checked > today_in_japan():
        return None, _("The date you checked the source cannot be later than today.")
    return checked, None


def _eligibility_is_a_json_object(_form: FlaskForm, field: Field) -> None:
    _value, problems = parse_eligibility(field.data or "")
    if problems:
        raise ValidationError(" ".join(problems))


def _is_a_web_address(_form: FlaskForm, field: Field) -> None:
    """http(s) only (no javascript: or ftp:), with a real host name; one message whatever is wrong."""
    text = (field.data or "").strip()
    try:
        URL(require_tld=True)(_form, field)
    except ValidationError:
        ok = False
    else:
        ok = text.lower().startswith(("https://", "http://"))
    if not ok:
        raise ValidationError(_("Enter a web address starting with https://, for example "
                                "https://www.city.kashiwa.lg.jp/…"))


def _checked_date_is_valid(_form: FlaskForm, field: Field) -> None:
    _value, problem = parse_checked_date(field.data or "")
    if problem:
        raise ValidationError(problem)


class ServiceForm(FlaskForm):
    version = HiddenField()
    name_ja = StringField(_l("Name (Japanese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    description_ja = TextAreaField(_l("Description for residents (Japanese)"),
                                   validators=[Optional(), Length(max=2000)],
                                   description=_l("A few plain sentences: what the service is and who it helps."))
    description_en = TextAreaField(_l("Description for residents (English)"), validators=[Optional(), Length(max=2000)])
    eligibility = TextAreaField(
        _l("Eligibility (JSON)"), validators=[DataRequired(), _eligibility_is_a_json_object],
        description=_l("The rules the recommendations read. Ages in months (max_months_exclusive is the first month "
                       "no longer eligible); null means no limit or not confirmed."),
        render_kw={"rows": 18, "spellcheck": "false", "autocapitalize": "off"})
    how_to_apply_ja = TextAreaField(_l("How to apply (Japanese)"), validators=[DataRequired(), Length(max=2000)])
    how_to_apply_en = TextAreaField(_l("How to apply (English)"), validators=[Optional(), Length(max=2000)])
    source_url = URLField(
        _l("Source URL"),
        validators=[DataRequired(), Length(max=500), _is_a_web_address],
        description=_l("The page residents are sent to for the official details."))
    last_checked = StringField(
        _l("Last checked against the source"), validators=[DataRequired(), _checked_date_is_valid],
        render_kw={"type": "date"})

    @classmethod
    def for_service(cls, row: CatalogService) -> ServiceForm:
        """The form filled with the service as it is now (a GET, or a POST that failed re-renders what was sent)."""
        form = cls()
        if not form.is_submitted():
            form.version.data = str(row.version)
            for name in ("name_ja", "name_en", "description_ja", "description_en", "how_to_apply_ja", "how_to_apply_en",
                         "source_url"):
                getattr(form, name).data = getattr(row, name)
            form.eligibility.data = json.dumps(row.eligibility, ensure_ascii=False, indent=2)
            form.last_checked.data = row.last_checked.isoformat()
        return form

    def values(self) -> dict[str, Any]:
        """The validated fields as the service stores them."""
        eligibility, _problems = parse_eligibility(self.eligibility.data or "")
        checked, _problem = parse_checked_date(self.last_checked.data or "")
        return {
            "name_ja": self.name_ja.data.strip(), "name_en": self.name_en.data.strip(),
            "description_ja": (self.description_ja.data or "").strip(),
            "description_en": (self.description_en.data or "").strip(),
            "eligibility": eligibility, "how_to_apply_ja": self.how_to_apply_ja.data.strip(),
            "how_to_apply_en": (self.how_to_apply_en.data or "").strip(), "source_url": self.source_url.data.strip(),
            "last_checked": checked,
        }

    def expected_version(self) -> int | None:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return None

