from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from app.city_records.services import ADDRESS_LIMIT, NAME_LIMIT, PERIOD_YEARS, MyNumberRefused
from app.city_records.usage import looks_like_my_number


def no_my_number(_form: FlaskForm, field: StringField) -> None:
    if field.data and looks_like_my_number(field.data):
        raise ValidationError(str(MyNumberRefused.message))


class RequestForm(FlaskForm):
    name = StringField(
        _l("Your full name"),
        validators=[DataRequired(_l("Enter your name as registered with Kashiwa City.")), Length(max=NAME_LIMIT),
                    no_my_number],
        description=_l("As in Kashiwa City's resident register, e.g. 柏の葉 花子."),
        render_kw={"autocomplete": "name", "maxlength": NAME_LIMIT},
    )
    birth_date = DateField(
        _l("Your date of birth"),
        validators=[InputRequired(_l("Enter your date of birth."))],
        render_kw={"autocomplete": "bday"},
    )
    address = StringField(
        _l("Your address"),
        validators=[DataRequired(_l("Enter your address in Kashiwa.")), Length(max=ADDRESS_LIMIT), no_my_number],
        description=_l("The address registered with Kashiwa City, with the block number."),
        render_kw={"autocomplete": "street-address", "maxlength": ADDRESS_LIMIT},
    )
    years = SelectField(
        _l("Records of"),
        choices=[SelectChoice(str(n), _l("the last %(n)d years", n=n) if n > 1 else _l("the last year"))
                 for n in PERIOD_YEARS],
        default="3",
        validators=[InputRequired()],
    )
    mandate = BooleanField(
        _l("I mandate Azukari to request my records from Kashiwa City on my behalf."),
        validators=[DataRequired(_l("Tick the box to give the mandate."))],
    )


class AnswersForm(FlaskForm):
    file = FileField(_l("CSV file of answers"), validators=[FileRequired(_l("Choose a CSV file."))])
