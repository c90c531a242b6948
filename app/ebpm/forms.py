from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField
from wtforms.validators import DataRequired, InputRequired, NumberRange

from app.ebpm.budgets import MAX_YEN


class BudgetForm(FlaskForm):
    service_id = SelectField(_l("Service"), validators=[DataRequired()])
    fiscal_year = IntegerField(_l("Fiscal year (April to March, by the year it starts)"),
                               validators=[InputRequired(), NumberRange(min=2020, max=2100)])
    amount_yen = IntegerField(_l("Budget (yen)"), validators=[InputRequired(), NumberRange(min=0, max=MAX_YEN)],
                              render_kw={"inputmode": "numeric"})
