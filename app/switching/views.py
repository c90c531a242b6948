"""One-stop switching: the のりかえ tab — connections to the services, the step-by-step wizard, a transfer's page.

The wizard (issue 12), one decision per screen, with a stepper of eight steps:

1. `/switching/new`: the old service (移行元).
2. `/switching/new?source=…`: the new service (移行先, the suggestions marked おすすめ); then, with `&destination=…`,
   which data to move (what the new service cannot take is shown, not offered).
3. `/switching/new?source=…&destination=…&kinds=…`: connect both services (the OAuth callback comes back here) or
   upload the export; then `POST /switching/jobs` starts the transfer.
4. `/switching/jobs/<id>`: the pre-transfer report (and the consent to provide, where it is asked here).
5. `/switching/jobs/<id>?step=terms`: the new service's terms, then send.
6. The bank's re-authentication page (sending needs a fresh sign-in).
7. The same job page while the transfer runs: it checks again by itself (htmx, or a refresh without JS).
8. The same job page once everything arrived: the receipt, the contracts, the old service's data (delete or keep;
   an uploaded export: Azukari's purge certificate, the deletion on the device).

Thin: the data path is `transfers`, the worker does every call to another service except the OAuth redirects.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask import session as browser_session
from flask_babel import gettext as _
from flask_login import current_user

from app import audit, auth
from app.accounts import oauth_client
from app.accounts.forms import EmptyForm
from app.audit import EventTag
from app.config import current_settings
from app.consent import decisions
from app.consent import transfers as door
from app.consent.catalogue import offer_for, offer_view
from app.data_imports.messages import KIND_LABELS
from app.db import get_session
from app.errors import DomainError, NotFound
from app.htmx import render
from app.i18n import bilingual
from app.jobs import services as jobs
from app.switching import contracts, deletion, registry, remote, report, transfers, wizard
from app.switching.jobs import COLLECT, DELETE, DELIVER, RUN_KIND
from app.switching.messages import (
    ERROR_LABELS,
    FIELD_LABELS,
    GENERIC_ERROR,
    PATTERN_LABELS,
    STATE_LABELS,
    WIZARD_STEPS,
)
from app.switching.models import JobState

bp = Blueprint("switching", __name__)
bp.before_request(auth.require_resident)
CONNECT = "switching"
# Where the OAuth callback of a connection goes back to (a path under /switching, set when connecting).
RETURN_KEY = "switching_return_to"
# The wizard's last "connect or upload" step, so that the のりかえ tab leads back to it (after an upload elsewhere).
DRAFT_KEY = "switching_draft"

@bp.app_template_filter("kind_label")
def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


@bp.app_template_filter("field_label")
def field_label(field: str) -> str:
    return str(FIELD_LABELS.get(field, field))


@bp.context_processor
def _labels() -> dict[str, object]:
    return {"state_labels": STATE_LABELS, "pattern_labels": PATTERN_LABELS, "error_labels": ERROR_LABELS,
            "generic_error": GENERIC_ERROR, "wizard_steps": WIZARD_STEPS}


def _resident():  # type: ignore[no-untyped-def]
    return current_user._get_current_object()


def _label(spec: registry.Source | registry.Destination) -> str:
    return bilingual(spec.label_ja, spec.label_en)


# --- the tab ---------------------------------------------------------------------------------------------------


@bp.route("/switching")
def index():  # type: ignore[no-untyped-def]
    session, resident = get_session(), _resident()
    services = [(key, registry.SOURCES.get(key) or registry.DESTINATIONS[key],
                 remote.connection(session, resident, key) is not None)
                for key in ("google", *registry.DESTINATIONS)]
    return render("switching/index.html", tab="switching", services=services, form=EmptyForm(),
                  draft=wizard.return_path(browser_session.get(DRAFT_KEY)), jobs=transfers.jobs_of(session, resident),
                  sources=registry.SOURCES, destinations=registry.DESTINATIONS)


@bp.route("/switching/connect/<service>", methods=["POST"])
def connect(service: str):  # type: ignore[no-untyped-def]
    back = wizard.return_path(request.form.get("next"))
    if back:
        browser_session[RETURN_KEY] = back
    else:
        browser_session.pop(RETURN_KEY, None)
    if not EmptyForm().validate_on_submit():
        return redirect(back or url_for("switching.index"), code=303)
    try:
        provider = registry.provider(current_settings(), service)
        url = oauth_client.start_authorization(
            provider, intent=CONNECT, principal=_resident().principal,
            redirect_uri=current_settings().absolute_url(url_for("switching.connected", service=service)))
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(back or url_for("switching.index"), code=303)
    return redirect(url, code=303)


@bp.route("/switching/connect/<service>/callback")
def connected(service: str):  # type: ignore[no-untyped-def]
    session, resident, settings = get_session(), _resident(), current_settings()
    back = wizard.return_path(browser_session.pop(RETURN_KEY, None)) or url_for("switching.index")
    session.commit()  # nothing written yet: no lock held while the service is waited on
    try:
        provider = registry.provider(settings, service)
        result = oauth_client.finish_authorization(provider, request.args.to_dict())
        if result.intent != CONNECT or result.principal != resident.principal:
            raise oauth_client.InvalidCallback()
        remote.save(session, settings, resident, service, result.tokens)
    except DomainError as error:
        audit.record(session, EventTag.OAUTH_CALLBACK_REFUSED, actor=resident.principal, ip=auth.client_ip(),
                     provider=service, reason=type(error).__name__, intent=CONNECT)
        flash(str(error.message), "error")
        return redirect(back, code=303)
    flash(_("Connected. Azukari can now use %(service)s for your transfers.", service=provider.label), "success")
    return redirect(back, code=303)


# --- the wizard: steps 1 to 3 ----------------------------------------------------------------------------------


@bp.route("/switching/new")
def new():  # type: ignore[no-untyped-def]
    """The wizard's first three steps: plain GET forms, each a URL of its own (the back button works)."""
    session, resident = get_session(), _resident()
    args = request.args
    source_key = args.get("source")
    if source_key is None:
        return render("switching/new_source.html", tab="switching", step=1, sources=registry.SOURCES.values())
    source = registry.SOURCES.get(source_key)
    if source is None:
        flash(_("Choose the service your data is at now."), "error")
        return redirect(wizard.wizard_url(), code=303)

    destination_key = args.get("destination")
    if destination_key is None:
        # The suggestions for this source come first (the most it would carry first), then the others.
        ranked = [s.destination.key for s in report.suggestions(session, resident) if source.key in s.sources]
        suggested = set(ranked)
        order = {key: n for n, key in enumerate(ranked)}
        choices = sorted(((d, wizard.takeable(source, d)) for d in registry.DESTINATIONS.values()),
                         key=lambda choice: order.get(choice[0].key, len(order)))
        return render("switching/new_destination.html", tab="switching", step=2, source=source,
                      choices=[(d, kinds) for d, kinds in choices if kinds],
                      cannot=[d for d, kinds in choices if not kinds], suggested=suggested)
    destination = registry.DESTINATIONS.get(destination_key)
    if destination is None or not wizard.takeable(source, destination):
        flash(_("Choose where your data should go."), "error")
        return redirect(wizard.wizard_url(source.key), code=303)

    can = wizard.takeable(source, destination)
    kinds = args.getlist("kinds")
    if args.get("change") == "kinds" or ("kinds" not in args and args.get("chosen") is None):
        chosen = [kind for kind in can if kind in kinds] or wizard.preselected(source, destination)
        return render("switching/new_kinds.html", tab="switching", step=2, source=source, destination=destination,
                      kinds=source.kinds, can=can, chosen=chosen)
    if not kinds or any(kind not in can for kind in kinds):
        flash(_("Choose at least one kind of data that %(service)s can take.", service=_label(destination)), "error")
        return redirect(wizard.wizard_url(source.key, destination.key), code=303)

    kinds = [kind for kind in can if kind in kinds]  # the source's order, each once
    browser_session[DRAFT_KEY] = wizard.wizard_url(source.key, destination.key, kinds)
    connections = {key: remote.connection(session, resident, key) is not None for key in (source.key, destination.key)}
    needs = wizard.needs(source, wizard.DEFAULT_PATTERN)
    missing = [spec for spec, role in ((source, "source"), (destination, "destination"))
               if needs[role] and not connections[spec.key]]
    upload = transfers.latest_import(session, resident, source) if not source.has_api else None
    return render("switching/new_connect.html", tab="switching", step=3, source=source, destination=destination,
                  kinds=kinds, connections=connections, missing=missing, form=EmptyForm(), upload=upload,
                  reading=wizard.reading_import(session, resident) if not source.has_api else None,
                  patterns=registry.PATTERNS, default_pattern=wizard.DEFAULT_PATTERN, here=request.full_path.rstrip("?"),
                  upload_url=url_for("data_imports.index"))


@bp.route("/switching/jobs", methods=["POST"])
def start():  # type: ignore[no-untyped-def]
    """Start a transfer: the wizard's source, destination, kinds and pattern (2 unless an expert chose another), or
    one of the seed's cases (`case`, with `pattern`: the demo driver's and the tests' older form)."""
    session, resident = get_session(), _resident()
    if "case" in request.form:
        return _start_case(session, resident)
    form, values = EmptyForm(), request.form
    source = registry.SOURCES.get(values.get("source", ""))
    if not form.validate_on_submit() or source is None:
        flash(_("Choose the service your data is at now."), "error")
        return redirect(wizard.wizard_url(), code=303)
    destination = registry.DESTINATIONS.get(values.get("destination", ""))
    if destination is None or not wizard.takeable(source, destination):
        flash(_("Choose where your data should go."), "error")
        return redirect(wizard.wizard_url(source.key), code=303)
    can, kinds = wizard.takeable(source, destination), values.getlist("kinds")
    if not kinds or any(kind not in can for kind in kinds):
        flash(_("Choose at least one kind of data that %(service)s can take.", service=_label(destination)), "error")
        return redirect(wizard.wizard_url(source.key, destination.key), code=303)
    kinds = [kind for kind in can if kind in kinds]
    back = wizard.wizard_url(source.key, destination.key, kinds)
    pattern = values.get("pattern", str(wizard.DEFAULT_PATTERN))
    if pattern not in {str(p) for p in registry.PATTERNS}:  # (a non-ASCII digit too)
        flash(_("Choose how the services connect."), "error")
        return redirect(back, code=303)
    needs = wizard.needs(source, int(pattern))
    for spec, role in ((source, "source"), (destination, "destination")):
        if needs[role] and remote.connection(session, resident, spec.key) is None:
            flash(_("Connect %(service)s first: Azukari has no permission to use it for you yet.",
                    service=_label(spec)), "error")
            return redirect(back, code=303)
    return _started(session, resident, source.key, destination.key, int(pattern), tuple(kinds), failed=back)


def _start_case(session, resident):  # type: ignore[no-untyped-def]
    case = registry.CASES.get(request.form.get("case", ""))
    pattern = request.form.get("pattern", "")
    if not EmptyForm().validate_on_submit() or case is None or pattern not in {str(p) for p in registry.PATTERNS}:
        flash(_("Choose what to move and how."), "error")
        return redirect(url_for("switching.index"), code=303)
    return _started(session, resident, case.source, case.destination, int(pattern), case.kinds,
                    failed=url_for("switching.index"))


def _started(session, resident, source: str, destination: str, pattern: int, kinds: tuple[str, ...], *,  # type: ignore[no-untyped-def]
             failed: str):
    try:
        job = transfers.start(session, resident, source=source, destination=destination, pattern=pattern,
                              kinds=kinds)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(failed, code=303)
    browser_session.pop(DRAFT_KEY, None)
    if job.state == JobState.NEW and not transfers.consent_needed(session, resident, job):
        _collect(session, resident, job)
    return redirect(url_for("switching.job", job_id=job.id), code=303)


def _collect(session, resident, job) -> None:  # type: ignore[no-untyped-def]
    jobs.enqueue(session, RUN_KIND, {"transfer_id": str(job.id), "step": COLLECT}, started_by=resident.principal,
                 unique_key=f"transfer-collect:{job.id}")


# --- a transfer's page: steps 4 to 8 ---------------------------------------------------------------------------


@bp.route("/switching/jobs/<job_id>")
def job(job_id: str):  # type: ignore[no-untyped-def]
    session, resident = get_session(), _resident()
    found = transfers.job_of(session, resident, job_id)
    return render("switching/job.html", block="transfer", tab="switching", form=EmptyForm(),
                  **wizard.job_page(session, resident, found, current_settings(),
                                    terms_asked=request.args.get("step") == "terms"))


@bp.route("/switching/jobs/<job_id>/agree", methods=["POST"])
def agree(job_id: str):  # type: ignore[no-untyped-def]
    """The resident agrees, on the transfer's page, to provide its items to the destination (a consent like any
    other: receipt, ledger record); an uploaded export is then converted."""
    session, resident = get_session(), _resident()
    found = transfers.job_of(session, resident, job_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    destination = registry.DESTINATIONS[found.destination]
    offer = offer_for(session, destination.recipient, destination.purpose)
    kinds = transfers.consent_needed(session, resident, found)
    if offer is not None and offer.id is not None and kinds:
        view = offer_view(session, offer.id)
        try:
            if view is None:
                raise NotFound()
            decisions.grant(session, current_settings(), resident=resident, view=view,
                            items=door.items_of_kinds(kinds), ip=auth.client_ip())
        except DomainError as error:
            flash(str(error.message), "error")
            return redirect(url_for("switching.job", job_id=found.id), code=303)
    if found.state == JobState.NEW and not transfers.consent_needed(session, resident, found):
        _collect(session, resident, found)
    return redirect(url_for("switching.job", job_id=found.id), code=303)


@bp.route("/switching/jobs/<job_id>/delete-at-source", methods=["POST"])
@auth.reauth_required
def delete_at_source(job_id: str):  # type: ignore[no-untyped-def]
    """The resident asks the old service to delete (after a verified receipt only); the worker calls it."""
    session, resident = get_session(), _resident()
    found = transfers.job_of(session, resident, job_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        asked = deletion.request_at_source(session, resident, found)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("switching.job", job_id=found.id), code=303)
    if asked:  # one job per request (a repeated press finds it requested already; asking after a failure is new)
        jobs.enqueue(session, RUN_KIND, {"transfer_id": str(found.id), "step": DELETE}, started_by=resident.principal)
    return redirect(url_for("switching.job", job_id=found.id), code=303)


@bp.route("/switching/jobs/<job_id>/keep", methods=["POST"])
def keep(job_id: str):  # type: ignore[no-untyped-def]
    """The resident keeps their data at the old service (after an upload: Azukari's copy of the export): the switch
    is complete as it is."""
    session, resident = get_session(), _resident()
    found = transfers.job_of(session, resident, job_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        deletion.keep_at_source(session, resident, found)
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Your data stays at %(service)s. The switch is complete.",
                service=_label(registry.SOURCES[found.source])) if registry.SOURCES[found.source].has_api
              # an uploaded export: what stays is Azukari's copy of it
              else _("Azukari keeps its copy of your export. The switch is complete."), "success")
    return redirect(url_for("switching.job", job_id=found.id), code=303)


@bp.route("/switching/jobs/<job_id>/purge", methods=["POST"])
@auth.reauth_required
def purge(job_id: str):  # type: ignore[no-untyped-def]
    """An uploaded export: the bank erases its copy and signs a certificate of it."""
    session, resident = get_session(), _resident()
    found = transfers.job_of(session, resident, job_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        deletion.purge_upload(session, resident, found, instance_path=current_settings().instance_path,
                              ip=auth.client_ip())
    except DomainError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Azukari erased its copy. The signed certificate is below."), "success")
    return redirect(url_for("switching.job", job_id=found.id), code=303)


@bp.route("/switching/jobs/<job_id>/confirm-deleted", methods=["POST"])
def confirm_deleted(job_id: str):  # type: ignore[no-untyped-def]
    session, resident = get_session(), _resident()
    found = transfers.job_of(session, resident, job_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        deletion.confirm_deleted_at_source(session, resident, found)
    except DomainError as error:
        flash(str(error.message), "error")
    return redirect(url_for("switching.job", job_id=found.id), code=303)


@bp.route("/switching/jobs/<job_id>/resume", methods=["POST"])
def resume(job_id: str):  # type: ignore[no-untyped-def]
    """A paused transfer (the destination was full) goes on, after what the destination already acknowledged."""
    session, resident = get_session(), _resident()
    found = transfers.job_of(session, resident, job_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if found.state == JobState.PAUSED:  # (the state is the guard: the first job of this key has ended, failed)
        try:
            transfers.send(session, resident, found)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            jobs.enqueue(session, RUN_KIND, {"transfer_id": str(found.id), "step": DELIVER},
                         started_by=resident.principal)
    return redirect(url_for("switching.job", job_id=found.id), code=303)


@bp.route("/switching/jobs/<job_id>/deliver", methods=["POST"])
@auth.reauth_required  # sending is the step nothing undoes: a fresh sign-in first (the wizard's step 6)
def deliver(job_id: str):  # type: ignore[no-untyped-def]
    session, resident = get_session(), _resident()
    found = transfers.job_of(session, resident, job_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    destination = registry.DESTINATIONS[found.destination]
    if found.state == JobState.COLLECTED and request.form.get("terms") != destination.terms_version:
        flash(_("Read and accept %(service)s's terms first.", service=_label(destination)), "error")
        return redirect(url_for("switching.job", job_id=found.id, step="terms"), code=303)
    if found.state == JobState.COLLECTED and not transfers.consent_needed(session, resident, found):
        contracts.accept_terms(session, resident, found, version=destination.terms_version)
        try:
            transfers.send(session, resident, found)  # DELIVERING, shown at once: one press sends once
        except DomainError as error:
            session.rollback()
            flash(str(error.message), "error")
            return redirect(url_for("switching.job", job_id=found.id), code=303)
        jobs.enqueue(session, RUN_KIND, {"transfer_id": str(found.id), "step": DELIVER},
                     started_by=resident.principal, unique_key=f"transfer-deliver:{found.id}")
        flash(_("Sending. You can close the app: the transfer goes on."), "success")
    return redirect(url_for("switching.job", job_id=found.id), code=303)
