"""Logging in with, linking, confirming with and unlinking OpenID Connect providers (Smart Life Pass)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import audit, auth
from app.accounts import forms, linking, oauth_client
from app.accounts.providers import OAuthProvider, configured_providers
from app.audit import EventTag
from app.config import current_settings
from app.db import get_session
from app.errors import DomainError, NotFound
from app.household import smart_life_pass
from app.htmx import hx_redirect, render
from app.i18n import current_language

bp = Blueprint("links", __name__)
connections_bp = Blueprint("connections", __name__)
connections_bp.before_request(auth.require_resident)

LOGIN, LINK, REAUTH = "login", "link", "reauth"


def _provider(key: str, *, login: bool = False) -> OAuthProvider:
    provider = configured_providers(current_settings()).get(key)
    if provider is None or not provider.openid or (login and not provider.can_log_in):
        raise NotFound()
    return provider


def login_providers() -> list[OAuthProvider]:
    return [p for p in configured_providers(current_settings()).values() if p.can_log_in]


def _callback_url(provider: OAuthProvider) -> str:
    # The configured public origin: it is what the provider registered, and where the browser's cookie lives.
    return current_settings().absolute_url(url_for("links.callback", provider=provider.key))


def _start(provider: OAuthProvider, intent: str, *, fresh_login: bool = False, next_url: str | None = None):  # type: ignore[no-untyped-def]
    try:
        url = oauth_client.start_authorization(
            provider, intent=intent, redirect_uri=_callback_url(provider), fresh_login=fresh_login,
            principal=current_user.principal if current_user.is_authenticated else None,
            next_url=auth.safe_next(next_url, "") or None,
        )
    except DomainError as error:
        return _failed(error, intent)
    return redirect(url, code=303)


def _failed(error: DomainError, intent: str | None):  # type: ignore[no-untyped-def]
    back = url_for("connections.index") if intent in (LINK, REAUTH) else url_for("accounts.login")
    return render("accounts/link_failed.html", message=str(error.message), back=back, status=error.status)


@bp.route("/login/<provider>", methods=["POST"])
def log_in(provider: str):  # type: ignore[no-untyped-def]
    form = forms.EmptyForm()
    if current_user.is_authenticated:
        return redirect(url_for("home.index"), code=303)
    chosen = _provider(provider, login=True)
    if not form.validate_on_submit():
        return redirect(url_for("accounts.login"), code=303)
    return _start(chosen, LOGIN, next_url=request.form.get("next"))


@bp.route("/auth/<provider>/callback")
def callback(provider: str):  # type: ignore[no-untyped-def]
    """The provider sends the browser back here; what happens next depends on what this session started."""
    chosen = _provider(provider)
    pending = oauth_client.pending_intent(request.args.get("state"))
    intent = pending["intent"] if pending else None
    db, settings, ip = get_session(), current_settings(), auth.client_ip()
    # Nothing is written yet: end the read transaction, so no lock is held while the provider is waited on.
    db.commit()
    try:
        result = oauth_client.finish_authorization(chosen, request.args.to_dict())
        if result.intent == LOGIN:
            resident, created = linking.log_in_with(db, settings, result, locale=current_language(), ip=ip)
            next_url = auth.safe_next(result.next_url, url_for("home.index"))
            auth.begin_session(resident)  # a new session id: nothing of the anonymous session follows
            _receive_quietly(resident, chosen)
            if created:
                flash(_("Your Azukari account was created with %(provider)s.", provider=chosen.label), "success")
                return redirect(url_for("settings.terms", next=url_for("household.index")), code=303)
            return redirect(next_url, code=303)
        # Linking and confirming belong to the resident who started them, in this very session.
        if not current_user.is_authenticated or current_user.is_staff or current_user.principal != result.principal:
            raise oauth_client.InvalidCallback()
        resident = current_user._get_current_object()
        if result.intent == REAUTH:
            linking.confirm_reauth(db, settings, result, resident=resident, ip=ip)
            auth.mark_authenticated()
            return redirect(auth.safe_next(result.next_url, url_for("settings.index")), code=303)
        linking.link_to(db, settings, result, resident=resident, ip=ip)
        _receive_quietly(resident, chosen)
        flash(_("%(provider)s is now connected.", provider=chosen.label), "success")
        return redirect(url_for("household.index"), code=303)
    except DomainError as error:
        audit.record(db, EventTag.OAUTH_CALLBACK_REFUSED, actor=getattr(current_user, "principal", None), ip=ip,
                     provider=chosen.key, reason=type(error).__name__, intent=intent)
        return _failed(error, intent)


def _receive_quietly(resident, provider: OAuthProvider) -> None:  # type: ignore[no-untyped-def]
    """Bring the data in right after linking; a failure here never undoes the login or the link."""
    if not provider.openid:
        return
    try:
        data = smart_life_pass.receive(get_session(), current_settings(), resident=resident, provider=provider)
    except DomainError as error:
        flash(_("Connected, but we could not receive your data yet: %(reason)s", reason=error.message), "warning")
        return
    if data is not None and data.address_problem:
        flash(data.address_problem, "warning")


# --- settings: connected services ------------------------------------------------------------------------


@connections_bp.route("/settings/connections")
def index():  # type: ignore[no-untyped-def]
    links = linking.links_of(get_session(), current_user._get_current_object())
    providers = [p for p in configured_providers(current_settings()).values() if p.openid]
    return render("accounts/connections.html", providers=providers, links=links, form=forms.EmptyForm(),
                  copy_forms={key: forms.KeepCopyForm(keep="keep" if link.keep_copy else "none")
                              for key, link in links.items()})


@connections_bp.route("/settings/connections/<provider>/link", methods=["POST"])
@auth.reauth_required
def link(provider: str):  # type: ignore[no-untyped-def]
    chosen = _provider(provider)
    if not forms.EmptyForm().validate_on_submit():
        return redirect(url_for("connections.index"), code=303)
    return _start(chosen, LINK)


@connections_bp.route("/settings/connections/<provider>/unlink", methods=["GET", "POST"])
@auth.reauth_required  # unlinking revokes the provider's tokens and deletes what came from it (ASVS 7.5.1)
def unlink(provider: str):  # type: ignore[no-untyped-def]
    chosen = _provider(provider)
    db, resident = get_session(), current_user._get_current_object()
    if linking.link_of(db, resident, chosen.key) is None:
        return redirect(url_for("connections.index"), code=303)
    form = forms.EmptyForm()
    other_logins = [k for k in linking.links_of(db, resident) if k != chosen.key and k in {p.key for p in login_providers()}]
    blocked = None
    if resident.password_hash is None and chosen.can_log_in and not other_logins:
        # Without a password or another login, disconnecting would lock the resident out of the account.
        blocked = _("You log in to Azukari with %(provider)s. Set a password first, so you can still log in "
                    "after disconnecting.", provider=chosen.label)
    if form.validate_on_submit() and blocked is None:
        db.commit()  # only reads so far: no lock held while the provider is told
        revoked = linking.unlink(db, current_settings(), resident=resident, provider=chosen, ip=auth.client_ip())
        smart_life_pass.forget(db, resident=resident, source=chosen.key)
        if revoked:
            flash(_("Disconnected from %(provider)s. Its access was revoked there, and the data received from it "
                    "was deleted.", provider=chosen.label), "success")
        else:
            flash(_("Disconnected, and the data received was deleted. %(provider)s could not be reached to revoke "
                    "the access; we will keep trying.", provider=chosen.label), "warning")
        return hx_redirect(url_for("connections.index"))
    status = 409 if blocked and request.method == "POST" else 200
    return render("accounts/unlink.html", provider=chosen, form=form, blocked=blocked, status=status)


@connections_bp.route("/settings/connections/<provider>/copy", methods=["POST"])
def keep_copy(provider: str):  # type: ignore[no-untyped-def]
    """Keep a copy of the received data in the bank, or keep only the token (保存しない)."""
    chosen = _provider(provider)
    form = forms.KeepCopyForm()
    if form.validate_on_submit():
        db, settings = get_session(), current_settings()
        resident = current_user._get_current_object()
        keep = form.keep.data == "keep"
        link = smart_life_pass.set_keep_copy(db, settings, resident=resident, provider=chosen, keep=keep)
        if link is not None:
            audit.record(db, EventTag.LINK_COPY_CHANGE, actor=resident.principal, ip=auth.client_ip(),
                         provider=chosen.key, keep_copy=keep)
            if keep:
                _receive_quietly(resident, chosen)
                flash(_("Azukari now keeps a copy of the data from %(provider)s.", provider=chosen.label), "success")
            else:
                flash(_("Azukari no longer keeps the data from %(provider)s: the copy was deleted, and the data is "
                        "fetched each time it is used.", provider=chosen.label), "success")
    return hx_redirect(url_for("connections.index"))


@connections_bp.route("/settings/reauth/<provider>", methods=["POST"])
def reauth_with(provider: str):  # type: ignore[no-untyped-def]
    """Step-up through the linked provider, for accounts without a password."""
    chosen = _provider(provider, login=True)
    if not forms.EmptyForm().validate_on_submit():
        return redirect(url_for("settings.reauth"), code=303)
    return _start(chosen, REAUTH, fresh_login=True, next_url=request.form.get("next"))
