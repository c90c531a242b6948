"""わたしのデータ (what the bank holds), the children, and the MyNa Portal import."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import audit, auth
from app.accounts import linking, oauth_client
from app.accounts import services as accounts
from app.accounts.forms import EmptyForm
from app.accounts.providers import MYNAPORTAL, SMART_LIFE_PASS, configured_providers
from app.audit import EventTag
from app.city_records import services as city_records
from app.config import current_settings
from app.data_imports import services as data_imports
from app.data_imports.messages import KIND_LABELS as IMPORT_KIND_LABELS
from app.data_imports.messages import STATUS_LABELS as IMPORT_STATUS_LABELS
from app.db import get_session
from app.errors import DomainError, NotFound
from app.household import mynaportal, services, smart_life_pass
from app.household.address import WALK_BAND_LABEL_EN, WALK_BAND_LABEL_JA, WalkBand
from app.household.export import export_zip
from app.household.forms import ChildForm
from app.htmx import hx_redirect, render
from app.i18n import bilingual, current_language
from app.ledger.services import receipts_for
from app.participation.services import history_views

bp = Blueprint("household", __name__)
bp.before_request(auth.require_resident)


def _resident():  # type: ignore[no-untyped-def]
    return current_user._get_current_object()


def _smart_life_pass_view(resident):  # type: ignore[no-untyped-def]
    """What to show of Smart Life Pass: the stored copy, or (保存しない) a fresh fetch, or why there is none."""
    db, settings = get_session(), current_settings()
    provider = configured_providers(settings).get(SMART_LIFE_PASS)
    link = linking.link_of(db, resident, SMART_LIFE_PASS) if provider else None
    if link is None or link.keep_copy:
        return link, smart_life_pass.stored(db, resident=resident), None
    db.commit()  # only reads so far: no lock held while the provider is waited on
    try:
        return link, smart_life_pass.fetch(db, settings, resident=resident, link=link, provider=provider), None
    except DomainError as error:
        return link, None, str(error.message)


@bp.route("/my-data")
def index():  # type: ignore[no-untyped-def]
    """What the bank holds for this resident."""
    db, resident = get_session(), _resident()
    link, slp, slp_error = _smart_life_pass_view(resident)
    return render(
        "household/index.html",
        tab="data",
        resident=resident,
        terms_history=accounts.accepted_terms(db, resident),
        children=services.views_of(db, resident),
        max_children=services.MAX_CHILDREN,
        slp_link=link,
        slp=slp,
        slp_error=slp_error,
        mynaportal_enabled=MYNAPORTAL in configured_providers(current_settings()),
        receipts=receipts_for(db, resident.principal, limit=10),
        participations=history_views(db, resident),
        city_usage=city_records.usage_views(db, resident, current_language()),
        data_imports=data_imports.imports_of(db, resident),
        import_labels=IMPORT_STATUS_LABELS,
        kind_labels=IMPORT_KIND_LABELS,
        form=EmptyForm(),
    )


@bp.route("/my-data/refresh", methods=["POST"])
def refresh():  # type: ignore[no-untyped-def]
    """Receive the address and health score from Smart Life Pass again."""
    if EmptyForm().validate_on_submit():
        provider = configured_providers(current_settings()).get(SMART_LIFE_PASS)
        if provider is None:
            raise NotFound()
        get_session().commit()  # only reads so far: no lock held while the provider is waited on
        try:
            data = smart_life_pass.receive(get_session(), current_settings(), resident=_resident(), provider=provider)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            if data is not None and data.address_problem:
                flash(data.address_problem, "warning")
            elif data is not None:
                flash(_("Received your latest data from Smart Life Pass."), "success")
    return hx_redirect(url_for("household.index"))


@bp.route("/my-data/export.zip")
def export():  # type: ignore[no-untyped-def]
    """Everything held about the resident, to take away (a zip of JSON files and a README in Japanese)."""
    body = export_zip(get_session(), _resident())
    name = f"azukari-my-data-{services.today().isoformat()}.zip"
    return Response(body, mimetype="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/my-data/<any(address, health):what>/delete", methods=["POST"])
def delete_item(what: str):  # type: ignore[no-untyped-def]
    """Delete the address or the health scores the bank holds (they come back only if received again)."""
    if EmptyForm().validate_on_submit():
        services.delete_held_item(get_session(), _resident(), what)
        flash(_("Deleted."), "success")
    return hx_redirect(url_for("household.index"))


# --- children --------------------------------------------------------------------------------------------


def _save_child(form: ChildForm, child=None):  # type: ignore[no-untyped-def]
    db, resident = get_session(), _resident()
    try:
        birth = form.birth()
        if child is None:
            services.add_child(db, resident, nickname=form.nickname.data, birth=birth, counted=form.counted.data)
        else:
            services.update_child(db, resident, child, nickname=form.nickname.data, birth=birth,
                                  counted=form.counted.data)
    except services.TooManyChildren as error:
        form.form_errors.append(str(error.message))
        return False
    except services.InvalidChild as error:
        form.birth_errors = [str(error.message)]  # about the date as a whole: shown under "Date of birth"
        return False
    return True


@bp.route("/household/children/new", methods=["GET", "POST"])
def add_child():  # type: ignore[no-untyped-def]
    form = ChildForm()
    if form.validate_on_submit() and _save_child(form):
        flash(_("Saved."), "success")
        return redirect(url_for("household.index") + "#children", code=303)
    return render("household/child_form.html", form=form, child=None, tab="data",
                  status=422 if request.method == "POST" else 200)


@bp.route("/household/children/<int:child_id>/edit", methods=["GET", "POST"])
def edit_child(child_id: int):  # type: ignore[no-untyped-def]
    child = services.child_of(get_session(), _resident(), child_id)
    form = ChildForm(obj=None if request.method == "POST" else child)
    if request.method == "GET":
        form.birth_month.data = str(child.birth_month)
        form.birth_day.data = str(child.birth_day or "")
        form.counted.data = child.counted_for_allowance
    if form.validate_on_submit() and _save_child(form, child):
        flash(_("Saved."), "success")
        return redirect(url_for("household.index") + "#children", code=303)
    return render("household/child_form.html", form=form, child=child, tab="data",
                  status=422 if request.method == "POST" else 200)


@bp.route("/household/children/<int:child_id>/delete", methods=["POST"])
def delete_child(child_id: int):  # type: ignore[no-untyped-def]
    db, resident = get_session(), _resident()
    child = services.child_of(db, resident, child_id)
    if EmptyForm().validate_on_submit():
        services.delete_child(db, resident, child)
        db.flush()
        flash(_("Removed."), "success")
    return hx_redirect(url_for("household.index") + "#children")


# --- MyNa Portal -----------------------------------------------------------------------------------------

IMPORT = "import"


def _mynaportal():  # type: ignore[no-untyped-def]
    provider = configured_providers(current_settings()).get(MYNAPORTAL)
    if provider is None:
        raise NotFound()
    return provider


def _mynaportal_callback_url() -> str:
    return current_settings().absolute_url(url_for("household.mynaportal_callback"))


@bp.route("/household/mynaportal/start", methods=["POST"])
def mynaportal_start():  # type: ignore[no-untyped-def]
    provider = _mynaportal()
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("household.index"), code=303)
    try:
        url = oauth_client.start_authorization(provider, intent=IMPORT, redirect_uri=_mynaportal_callback_url(),
                                               principal=_resident().principal)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("household.index") + "#children", code=303)
    return redirect(url, code=303)


@bp.route("/household/mynaportal/callback")
def mynaportal_callback():  # type: ignore[no-untyped-def]
    db, provider, resident = get_session(), _mynaportal(), _resident()
    db.commit()  # only reads so far: no lock held while the provider is waited on
    try:
        result = oauth_client.finish_authorization(provider, request.args.to_dict())
        if result.intent != IMPORT or result.principal != resident.principal:
            raise oauth_client.InvalidCallback()
        mynaportal.fetch(db, resident=resident, provider=provider, tokens=result.tokens)
    except DomainError as error:
        audit.record(db, EventTag.OAUTH_CALLBACK_REFUSED, actor=resident.principal, ip=auth.client_ip(),
                     provider=provider.key, reason=type(error).__name__, intent=IMPORT)
        flash(str(error.message), "error")
        return redirect(url_for("household.index") + "#children", code=303)
    return redirect(url_for("household.mynaportal_review"), code=303)


@bp.route("/household/mynaportal/review", methods=["GET", "POST"])
def mynaportal_review():  # type: ignore[no-untyped-def]
    db, resident = get_session(), _resident()
    try:
        portal = mynaportal.pending(resident)
    except mynaportal.ImportExpired as error:
        flash(str(error.message), "error")
        return redirect(url_for("household.index") + "#children", code=303)
    form = EmptyForm()
    error_message = None
    choices = {key: value for key, value in request.form.items() if key[:1] in ("p", "t")}
    if form.validate_on_submit():
        try:
            with db.begin_nested():  # all of the resident's decisions, or none of them
                counts = mynaportal.apply(db, resident=resident, choices=choices)
        except (mynaportal.ChoiceMissing, services.InvalidChild, services.TooManyChildren) as error:
            error_message = str(error.message)
        else:
            audit.record(db, EventTag.HOUSEHOLD_IMPORT, actor=resident.principal, ip=auth.client_ip(),
                         source=MYNAPORTAL, **counts)
            flash(_("Your children's details were updated from MyNa Portal."), "success")
            return redirect(url_for("household.index") + "#children", code=303)
    rows = mynaportal.plan(services.children_of(db, resident), portal)
    return render("household/mynaportal_review.html", rows=rows, form=form, choices=choices, tab="data",
                  error_message=error_message, status=422 if error_message else 200)


@bp.route("/household/mynaportal/discard", methods=["POST"])
def mynaportal_discard():  # type: ignore[no-untyped-def]
    if EmptyForm().validate_on_submit():
        mynaportal.discard(_resident())
        flash(_("The import was cancelled; nothing was changed."), "info")
    return redirect(url_for("household.index") + "#children", code=303)


# --- template helpers --------------------------------------------------------------------------------------

RECEIPT_ITEMS = {
    "address": _l("address"),
    "health_score": _l("health score"),
    "children.birth_date": _l("children's birth dates"),
    "children.given_name": _l("children's given names"),
    "participation_history": _l("event participation and coupon use"),
    "email": _l("email address"),
    "service_usage_history": _l("use of child-raising services"),
}


@bp.app_template_filter("receipt_item")
def receipt_item(key: str) -> str:
    return str(RECEIPT_ITEMS.get(key, key))


@bp.app_template_global()
def walk_label(band: WalkBand) -> str:
    return bilingual(WALK_BAND_LABEL_JA[band], WALK_BAND_LABEL_EN[band])
