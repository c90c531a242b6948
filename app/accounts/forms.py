from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, RadioField, SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length

from app.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from app.i18n import LANGUAGE_NAMES, LOCALES

EMAIL_REQUIRED = _l("Enter your email address.")
EMAIL_INVALID = _l("Enter an email address like name@example.jp.")
PASSWORD_REQUIRED = _l("Enter your password.")


def email_field(label: str = _l("Email address")) -> EmailField:  # type: ignore[assignment]
    return EmailField(
        label,
        validators=[DataRequired(EMAIL_REQUIRED), Email(EMAIL_INVALID, check_deliverability=False), Length(max=254)],
        render_kw={"autocomplete": "email", "inputmode": "email", "spellcheck": "false", "autocapitalize": "none"},
    )


def new_password_field(label: str = _l("Password")) -> PasswordField:  # type: ignore[assignment]
    return PasswordField(
        label,
        validators=[InputRequired(PASSWORD_REQUIRED), Length(max=MAX_LENGTH)],
        description=_l("At least %(n)d characters. A few unrelated words are easy to remember and hard to guess.",
                       n=MIN_LENGTH),
        render_kw={"autocomplete": "new-password", "minlength": MIN_LENGTH, "maxlength": MAX_LENGTH},
    )


def current_password_field(label: str = _l("Password")) -> PasswordField:  # type: ignore[assignment]
    return PasswordField(label, validators=[InputRequired(PASSWORD_REQUIRED), Length(max=MAX_LENGTH)],
                         render_kw={"autocomplete": "current-password"})


class SignupForm(FlaskForm):
    email = email_field()
    password = new_password_field()


class LoginForm(FlaskForm):
    email = email_field()
    password = current_password_field()
    next = HiddenField()


class ReauthForm(FlaskForm):
    password = current_password_field()
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = email_field()


class ResetPasswordForm(FlaskForm):
    password = new_password_field(_l("New password"))


class TermsForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])
    agree = BooleanField(
        _l("I have read the terms and agree to entrust my data to Azukari under them."),
        validators=[DataRequired(_l("To use Azukari, please check the box to agree to the terms."))],
    )
    next = HiddenField()


class ChangeEmailForm(FlaskForm):
    email = email_field(_l("New email address"))


class ChangePasswordForm(FlaskForm):
    password = new_password_field(_l("New password"))


class DeleteAccountForm(FlaskForm):
    confirm = BooleanField(
        _l("I understand that my account and the data I entrusted will be erased."),
        validators=[DataRequired(_l("Please check the box to confirm."))],
    )


class LanguageForm(FlaskForm):
    locale = RadioField(
        _l("Display language"),
        choices=[SelectChoice(code, LANGUAGE_NAMES[code]) for code in LOCALES],
        validators=[DataRequired()],
    )
    next = HiddenField()


class EmptyForm(FlaskForm):
    """A button that changes state: only the CSRF token (logout, retry ...)."""


class KeepCopyForm(FlaskForm):
    keep = RadioField(
        _l("Where your data from this service is kept"),
        choices=[
            SelectChoice("keep", _l("Keep a copy in Azukari (faster, works when the service is down)")),
            SelectChoice("none", _l("Do not keep a copy (保存しない): Azukari keeps only the connection and fetches "
                                    "the data each time it is used")),
        ],
        validators=[DataRequired()],
    )
