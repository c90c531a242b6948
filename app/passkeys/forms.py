from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional


class PasskeyNameForm(FlaskForm):
    """Only to name the passkey being added (the rest is the browser's ceremony)."""

    name = StringField(_l("A name to recognise it (for example, the phone's name)"),
                       validators=[Optional(), Length(max=60)], render_kw={"autocomplete": "off", "maxlength": 60})
