from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp

from app.accounts.forms import current_password_field, email_field, new_password_field
from app.staff.models import StaffRole

ROLE_LABELS = {
    StaffRole.OPERATOR.value: _l("Operator (Azukari)"),
    StaffRole.MUNICIPAL.value: _l("Municipal staff (Kashiwa City)"),
    StaffRole.PARTNER.value: _l("Partner staff"),
    StaffRole.ANALYST.value: _l("Pilot analyst"),
}


class StaffLoginForm(FlaskForm):
    email = email_field()
    password = current_password_field()


class CodeForm(FlaskForm):
    code = StringField(
        _l("6-digit code"),
        validators=[InputRequired(_l("Enter the 6-digit code.")),
                    Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message=_l("Enter the 6 digits without other characters."))],
        description=_l("Open your authenticator app and enter the code shown for Azukari."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 7},
    )


class SetPasswordForm(FlaskForm):
    password = new_password_field()


class CreateStaffForm(FlaskForm):
    email = email_field()
    display_name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the name.")), Length(max=100)],
                               render_kw={"autocomplete": "off"})
    role = SelectField(_l("Role"), choices=[SelectChoice(v, label) for v, label in ROLE_LABELS.items()],
                       validators=[DataRequired()])
    partner_id = SelectField(_l("Partner (partner staff only)"), choices=[], validate_choice=False)
    locale = SelectField(_l("Language of the invitation"),
                         choices=[SelectChoice("ja", "日本語"), SelectChoice("en", "English")])
