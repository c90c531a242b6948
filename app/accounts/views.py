"""Public account pages (sign-up, login, logout, password reset, language) and the resident's settings."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import auth
from app.accounts import forms, linking, services
from app.accounts.link_views import login_providers
from app.accounts.passwords import WeakPassword
from app.accounts.providers import configured_providers
from app.accounts.terms import current_terms
from app.config import current_settings
from app.db import get_session
from app.errors import RateLimited, rate_limited_message
from app.htmx import hx_redirect, render
from app.i18n import current_language
from app.passkeys.services import passkeys_of
from app.sessions import current_token_hash
from app.tokens import InvalidToken

bp = Blueprint("accounts", __name__)
settings_bp = Blueprint("settings", __name__)
settings_bp.before_request(auth.require_resident)


def _home_for_current_user() -> str:
    if current_user.is_authenticated and current_user.is_staff:
        from app.staff.views import console_url

        return console_url(current_user)
    return url_for("home.index")


@bp.route("/signup", methods=["GET", "POST"])
def signup():  # type: ignore[no-untyped-def]
    """Create a resident account, log it in, and go on to the terms."""
    if current_user.is_authenticated:
        return redirect(_home_for_current_user(), code=303)
    form = forms.SignupForm()
    if form.validate_on_submit():
        try:
            resident = services.sign_up(get_session(), email=form.email.data, password=form.password.data,
                                        locale=current_language(), ip=auth.client_ip())
        except WeakPassword as error:
            form.password.errors = list(error.problems)
        except services.EmailTaken as error:
            form.email.errors = [str(error.message)]
        else:
            auth.begin_session(resident)
            return redirect(url_for("settings.terms"), code=303)
    return render("accounts/signup.html", form=form, status=422 if form.errors else 200,
                  login_providers=login_providers())


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        return redirect(_home_for_current_user(), code=303)
    form = forms.LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error_message, status, retry_after = None, 200, None
    if form.validate_on_submit():
        try:
            resident = services.authenticate(get_session(), current_settings(), email=form.email.data,
                                             password=form.password.data, ip=auth.client_ip())
        except services.InvalidCredentials as error:
            error_message, status = str(error.message), 422
        except RateLimited as error:
            error_message, status, retry_after = rate_limited_message(error), 429, error.retry_after
        else:
            auth.begin_session(resident)
            return redirect(auth.safe_next(form.next.data, url_for("home.index")), code=303)
    elif form.errors:
        status = 422
    response = render("accounts/login.html", form=form, error_message=error_message, status=status,
                      session_expired=getattr(session, "expired", False), login_providers=login_providers(),
                      next_path=auth.safe_next(form.next.data, ""))
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.route("/logout", methods=["POST"])
def logout():  # type: ignore[no-untyped-def]
    if current_user.is_authenticated:
        from app import audit

        tag = audit.EventTag.STAFF_LOGOUT if current_user.is_staff else audit.EventTag.RESIDENT_LOGOUT
        audit.record(get_session(), tag, actor=current_user.principal, ip=auth.client_ip())
        staff = current_user.is_staff
        auth.end_session()
        flash(_("You have logged out."), "info")
        return hx_redirect(url_for("staff.login" if staff else "accounts.login"))
    return hx_redirect(url_for("accounts.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():  # type: ignore[no-untyped-def]
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(get_session(), current_settings(), email=form.email.data, ip=auth.client_ip())
        return render("accounts/forgot_sent.html", email=form.email.data,
                      minutes=services.RESET_LINK_MINUTES)
    return render("accounts/forgot.html", form=form, status=422 if form.errors else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):  # type: ignore[no-untyped-def]
    db = get_session()
    try:
        resident = services.resident_for_reset_token(db, token=token)
    except InvalidToken as error:
        return render("accounts/reset_invalid.html", message=str(error.message), status=400)
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(db, token=token, new_password=form.password.data, ip=auth.client_ip())
        except WeakPassword as error:
            form.password.errors = list(error.problems)
        else:
            flash(_("Your password has been changed. Please log in with the new password."), "success")
            return redirect(url_for("accounts.login"), code=303)
    return render("accounts/reset.html", form=form, email=resident.email, status=422 if form.errors else 200)


@bp.route("/language", methods=["POST"])
def set_language():  # type: ignore[no-untyped-def]
    """Switch the language: saved on the account when logged in, on this browser otherwise."""
    form = forms.LanguageForm()
    if form.validate_on_submit():
        locale = form.locale.data
        session["locale"] = locale
        if current_user.is_authenticated and not current_user.is_staff:
            services.set_locale(get_session(), resident=current_user._get_current_object(), locale=locale)
        elif current_user.is_authenticated:
            current_user.locale = locale
            get_session().add(current_user._get_current_object())
    return hx_redirect(auth.safe_next(form.next.data or request.referrer and auth.path_of(request.referrer), "/"))


# --- the resident's settings (behind require_resident) ---------------------------------------------


@settings_bp.route("/terms", methods=["GET", "POST"])
def terms():  # type: ignore[no-untyped-def]
    """Read the mandate terms; accept them if this version is not accepted yet."""
    db = get_session()
    resident = current_user._get_current_object()
    terms_in_force = current_terms()
    form = forms.TermsForm()
    if request.method == "GET":
        form.version.data = terms_in_force.version
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        services.accept_terms(db, resident=resident, version=form.version.data, ip=auth.client_ip())
        flash(_("Thank you. You can now use Azukari."), "success")
        return redirect(auth.safe_next(form.next.data, url_for("home.index")), code=303)
    history = services.accepted_terms(db, resident)
    return render(
        "accounts/terms.html",
        form=form,
        terms=terms_in_force,
        accepted=any(a.terms_version == terms_in_force.version for a in history),
        history=history,
        status=422 if form.errors else 200,
    )


@settings_bp.route("/reauth", methods=["GET", "POST"])
def reauth():  # type: ignore[no-untyped-def]
    """Confirm the password again before a sensitive change (step-up)."""
    form = forms.ReauthForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            services.verify_current_password(get_session(), current_settings(),
                                             resident=current_user._get_current_object(),
                                             password=form.password.data, ip=auth.client_ip())
        except services.InvalidCredentials as error:
            form.password.errors = [str(error.message)]
        except RateLimited as error:
            form.password.errors = [rate_limited_message(error)]
            response = render("accounts/reauth.html", form=form, status=429, reauth_providers=_reauth_providers(),
                              has_passkeys=_has_passkeys())
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        else:
            auth.mark_authenticated()
            return redirect(auth.safe_next(form.next.data, url_for("settings.index")), code=303)
    return render("accounts/reauth.html", form=form, status=422 if form.errors else 200,
                  reauth_providers=_reauth_providers(), has_passkeys=_has_passkeys())


def _has_passkeys() -> bool:
    return bool(passkeys_of(get_session(), current_user._get_current_object()))


def _reauth_providers() -> list:  # type: ignore[type-arg]
    """Linked login providers the resident can confirm with (the only way for an account without a password)."""
    linked = linking.links_of(get_session(), current_user._get_current_object())
    return [provider for provider in login_providers() if provider.key in linked]


@settings_bp.route("/settings")
def index():  # type: ignore[no-untyped-def]
    language_form = forms.LanguageForm(locale=current_language(), next=url_for("settings.index"))
    return render("accounts/settings.html", language_form=language_form, logout_form=forms.EmptyForm())


@settings_bp.route("/settings/email", methods=["GET", "POST"])
@auth.reauth_required
def change_email():  # type: ignore[no-untyped-def]
    form = forms.ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.change_email(get_session(), resident=current_user._get_current_object(),
                                  new_email=form.email.data, ip=auth.client_ip())
        except services.EmailTaken as error:
            form.email.errors = [str(error.message)]
        else:
            flash(_("Your email address has been changed."), "success")
            return redirect(url_for("settings.index"), code=303)
    return render("accounts/change_email.html", form=form, status=422 if form.errors else 200)


@settings_bp.route("/settings/password", methods=["GET", "POST"])
@auth.reauth_required
def change_password():  # type: ignore[no-untyped-def]
    form = forms.ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(get_session(), resident=current_user._get_current_object(),
                                     new_password=form.password.data, keep_token_hash=current_token_hash(),
                                     ip=auth.client_ip())
        except WeakPassword as error:
            form.password.errors = list(error.problems)
        else:
            # Every other session of the account ended; this one continues under a new id.
            auth.mark_authenticated()
            flash(_("Your password has been changed. You were logged out on your other devices."), "success")
            return redirect(url_for("settings.index"), code=303)
    return render("accounts/change_password.html", form=form, status=422 if form.errors else 200)


@settings_bp.route("/settings/delete", methods=["GET", "POST"])
@auth.reauth_required
def delete_account():  # type: ignore[no-untyped-def]
    form = forms.DeleteAccountForm()
    if form.validate_on_submit():
        resident = current_user._get_current_object()
        # Every token at a provider is revoked (or queued for revocation) before the account goes.
        linking.unlink_all(get_session(), current_settings(), resident=resident,
                           providers=configured_providers(current_settings()), ip=auth.client_ip())
        # Every consent ends as a withdrawal would (receipts, ledger records, the event recipients listen to).
        from app.consent.decisions import withdraw_everything

        withdraw_everything(get_session(), current_settings(), resident=resident, ip=auth.client_ip())
        # An export still arriving (or waiting for the worker) is a file on disk, not a row: deleted with the account.
        from app.data_imports.services import erase_uploads_of

        erase_uploads_of(get_session(), resident, instance_path=current_settings().instance_path)
        services.delete_account(get_session(), resident=resident, ip=auth.client_ip())
        auth.end_session()
        flash(_("Your account has been deleted. Thank you for using Azukari."), "info")
        return redirect(url_for("accounts.login"), code=303)
    return render("accounts/delete.html", form=form, status=422 if form.errors else 200)
