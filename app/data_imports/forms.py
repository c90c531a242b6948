from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from app.data_imports.services import MAX_UPLOAD_BYTES

SENSITIVE_LABEL = _l("Also keep special-care information (ECG recordings, clinical records, heart-rhythm notifications)")


class UploadForm(FlaskForm):
    """The page's form: the file itself (without JavaScript, sent whole) and the 要配慮 choice."""

    export = FileField(_l("Your export file (zip, tgz, json, ics …)"),
                       render_kw={"accept": ".zip,.tgz,.gz,.xml,.json,.ics,.html,.atom,application/zip,application/gzip"})
    keep_sensitive = BooleanField(SENSITIVE_LABEL)


class StartUploadForm(FlaskForm):
    """What the page's script sends before the first chunk: the file's name and size."""

    filename = StringField(validators=[DataRequired(), Length(max=1000)])
    size = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=MAX_UPLOAD_BYTES)])
    keep_sensitive = BooleanField()
