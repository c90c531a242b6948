from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.household.ages import BirthDate


class ChildForm(FlaskForm):
    nickname = StringField(
        _l("What you call them (optional)"),
        validators=[Optional(), Length(max=40)],
        description=_l("Only for you, to tell your children apart. Never given to anyone."),
        render_kw={"autocomplete": "off", "maxlength": 40},
    )
    birth_year = IntegerField(
        _l("Year of birth"),
        validators=[InputRequired(_l("Enter the year of birth.")),
                    NumberRange(min=1900, max=2999, message=_l("Enter the year as four digits, e.g. 2021."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "placeholder": "2021"},
    )
    birth_month = SelectField(
        _l("Month"),
        choices=[SelectChoice("", _l("Choose"))] + [SelectChoice(str(m), str(m)) for m in range(1, 13)],
        validators=[InputRequired(_l("Choose the month of birth."))],
    )
    birth_day = SelectField(
        _l("Day (optional)"),
        choices=[SelectChoice("", _l("Not entered"))] + [SelectChoice(str(d), str(d)) for d in range(1, 32)],
        description=_l("The month is enough to start. We ask for the day when it decides something, such as the "
                       "school year of a child born in early April."),
        validators=[Optional()],
    )
    counted = BooleanField(_l("An older sibling (18–22) I support, counted for the child allowance (児童手当)"))

    birth_errors: list[str]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.birth_errors = []  # problems of the date as a whole (future, too old …), set by the view

    def birth(self) -> BirthDate:
        day = self.birth_day.data
        return BirthDate(int(self.birth_year.data), int(self.birth_month.data), int(day) if day else None)
