"""One-stop switching: the のりかえ tab — connections to the services, suggestions, starting a transfer, its report.

Thin: the data path is `transfers`, the worker does every call to another service except the OAuth redirects.
The step-by-step wizard (issue 12) replaces the start form; these URLs stay.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import audit, auth
from app.accounts import oauth_client
from app.accounts.forms import EmptyForm
from app.audit import EventTag
from app.config import current_settings
from app.consent import decisions
from app.consent import transfers as door
from app.consent.catalogue import items_by_key, offer_for, offer_view
from app.consent.models import Purpose
from app.data_imports.messages import KIND_LABELS
from app.db import get_session
from app.errors import DomainError, NotFound
from app.htmx import render
from app.jobs import services as jobs
from app.switching import contracts, deletion, registry, remote, report, transfers
from app.switching.converters import converter_for
from app.switching.jobs import COLLECT, DELETE, DELIVER, RUN_KIND
from app.switching.messages import ERROR_LABELS, FIELD_LABELS, GENERIC_ERROR, PATTERN_LABELS, STATE_LABELS
from app.switching.models import JobState

bp = Blueprint("switching", __name__)
bp.before_request(auth.require_resident)
CONNECT = "switching"


@bp.app_template_filter("kind_label")
def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


@bp.app_template_filter("field_label")
def field_label(field: str) -> str:
    return str(FIELD_LABELS.get(field, field))


@bp.context_processor
def _labels() -> dict[str, object]:
    return {"state_labels": STATE_LABELS, "pattern_labels": PATTERN_LABELS, "error_labels": ERROR_LABELS,
            "generic_error": GENERIC_ERROR}


def _resident():  # type: ignore[no-untyped-def]
    return current_user._get_current_object()


def _issuer(service: str) -> str:
    return registry.issuer(current_settings(), service)


@bp.route("/switching")
def index():  # type: ignore[no-untyped-def]
    session, resident = get_session(), _resident()
    services = [(key, registry.SOURCES.get(key) or registry.DESTINATIONS[key],
                 remote.connection(session, resident, key) is not None)
                for key in ("google", *registry.DESTINATIONS)]
    return render("switching/index.html", tab="switching", services=services, form=EmptyForm(),
                  suggestions=report.suggestions(session, resident), cases=registry.CASES.values(),
                  patterns=registry.PATTERNS, jobs=transfers.jobs_of(session, resident))


@bp.route("/switching/connect/<service>", methods=["POST"])
def connect(service: str):  # type: ignore[no-untyped-def]
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("switching.index"), code=303)
    try:
        provider = registry.provider(current_settings(), service)
        url = oauth_client.start_authorization(
            provider, intent=CONNECT, principal=_resident().principal,
            redirect_uri=current_settings().absolute_url(url_for("switching.connected", service=service)))
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("switching.index"), code=303)
    return redirect(url, code=303)


@bp.route("/switching/connect/<service>/callback")
def connected(service: str):  # type: ignore[no-untyped-def]
    session, resident, settings = get_session(), _resident(), current_settings()
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
        return redirect(url_for("switching.index"), code=303)
    flash(_("Connected. Azukari can now use %(service)s for your transfers.", service=provider.label), "success")
    return redirect(url_for("switching.index"), code=303)


@bp.route("/switching/jobs", methods=["POST"])
def start():  # type: ignore[no-untyped-def]
    session, resident = get_session(), _resident()
    form = EmptyForm()
    case = registry.CASES.get(request.form.get("case", ""))
    pattern = request.form.get("pattern", "")
    if not form.validate_on_submit() or case is None or pattern not in {str(p) for p in registry.PATTERNS}:
        flash(_("Choose what to move and how."), "error")
        return redirect(url_for("switching.index"), code=303)
    try:
        job = transfers.start(session, resident, source=case.source, destination=case.destination,
                              pattern=int(pattern), kinds=case.kinds)
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(url_for("switching.index"), code=303)
    if job.state == JobState.NEW and not _consent_needed(session, resident, job):
        _collect(session, resident, job)
    return redirect(url_for("switching.job", job_id=job.id), code=303)


def _collect(session, resident, job) -> None:  # type: ignore[no-untyped-def]
    jobs.enqueue(session, RUN_KIND, {"transfer_id": str(job.id), "step": COLLECT}, started_by=resident.principal,
                 unique_key=f"transfer-collect:{job.id}")


def _consent_needed(session, resident, job) -> list[str]:  # type: ignore[no-untyped-def]
    """The job's kinds still to be agreed to here: before the bank converts an uploaded export, and before it pushes
    what it collected from a service (patterns 2, 4). A pulling destination (1, 3) asks on the bank's authorization
    screen instead."""
    source, destination = registry.SOURCES[job.source], registry.DESTINATIONS[job.destination]
    if source.has_api and (job.pattern in registry.DESTINATION_PULLS or job.state != JobState.COLLECTED):
        return []
    converter, offer = converter_for(job.format), offer_for(session, destination.recipient, destination.purpose)
    # Only what the destination's format takes and its offer asks for: the rest is not sent in any case (lost).
    kinds = [kind for kind in job.kinds if converter.takes(kind) and offer is not None
             and door.items_of_kinds([kind])[0] in offer.items]
    return door.withheld_kinds(session, resident=resident, recipient=destination.recipient,
                               purpose=destination.purpose, kinds=kinds)


@bp.route("/switching/jobs/<job_id>")
def job(job_id: str):  # type: ignore[no-untyped-def]
    session, resident = get_session(), _resident()
    found = transfers.job_of(session, resident, job_id)
    summary = report.for_job(session, resident, found) if found.state not in (JobState.NEW,
                                                                              JobState.AWAITING_SOURCE) else None
    open_steps = (JobState.NEW, JobState.COLLECTED)
    to_agree = _consent_needed(session, resident, found) if found.state in open_steps else []
    return render("switching/job.html", block="transfer", tab="switching", job=found, report=summary, form=EmptyForm(),
                  to_agree=to_agree, item_keys=door.items_of_kinds(to_agree), items=items_by_key(session),
                  purpose=session.get(Purpose, registry.DESTINATIONS[found.destination].purpose),
                  received_at=_receipt_time(found),
                  deletable=[deletion.SERVICE_NAMES[s] for s in deletion.services_of(found)],
                  source=registry.SOURCES[found.source], destination=registry.DESTINATIONS[found.destination],
                  source_url=_issuer(found.source), destination_url=_issuer(found.destination))


def _receipt_time(job) -> datetime | None:  # type: ignore[no-untyped-def]
    try:
        return datetime.fromisoformat(str((job.receipt or {}).get("received_at")))
    except ValueError:
        return None


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
    kinds = _consent_needed(session, resident, found)
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
    if found.state == JobState.NEW and not _consent_needed(session, resident, found):
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
        found.state, found.error = JobState.DELIVERING, None
        jobs.enqueue(session, RUN_KIND, {"transfer_id": str(found.id), "step": DELIVER},
                     started_by=resident.principal)
    return redirect(url_for("switching.job", job_id=found.id), code=303)


@bp.route("/switching/jobs/<job_id>/deliver", methods=["POST"])
def deliver(job_id: str):  # type: ignore[no-untyped-def]
    session, resident = get_session(), _resident()
    found = transfers.job_of(session, resident, job_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    destination = registry.DESTINATIONS[found.destination]
    if found.state == JobState.COLLECTED and request.form.get("terms") != destination.terms_version:
        flash(_("Read and accept %(service)s's terms first.", service=destination.label_ja), "error")
        return redirect(url_for("switching.job", job_id=found.id), code=303)
    if found.state == JobState.COLLECTED and not _consent_needed(session, resident, found):
        contracts.accept_terms(session, resident, found, version=destination.terms_version)
        found.state = JobState.DELIVERING  # shown at once, and the button is gone: one press sends once
        jobs.enqueue(session, RUN_KIND, {"transfer_id": str(found.id), "step": DELIVER},
                     started_by=resident.principal, unique_key=f"transfer-deliver:{found.id}")
        flash(_("Sending. You can close the app: the transfer goes on."), "success")
    return redirect(url_for("switching.job", job_id=found.id), code=303)
