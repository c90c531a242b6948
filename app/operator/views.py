from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from app import auth
from app.accounts.forms import EmptyForm
from app.config import current_settings
from app.db import get_session
from app.htmx import is_htmx, render
from app.jobs import services as jobs
from app.jobs.maintenance import KIND as MAINTENANCE_KIND
from app.jobs.maintenance import MAX_ATTEMPTS as MAINTENANCE_ATTEMPTS
from app.jobs.models import JOB_STATUS_LABELS, JobStatus
from app.operator.services import dashboard_counts
from app.staff import services as staff
from app.staff.forms import ROLE_LABELS, CreateStaffForm
from app.staff.models import StaffRole

bp = Blueprint("operator", __name__, url_prefix="/operator")
bp.before_request(auth.require_staff(StaffRole.OPERATOR.value))
# POST views need no form object of their own: CSRFProtect has checked the token before the view runs.


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    db = get_session()
    return render("operator/index.html", console="operator", counts=dashboard_counts(db),
                  job_counts=jobs.status_counts(db))


def _create_form(*, blank: bool = False) -> CreateStaffForm:
    form = CreateStaffForm(formdata=None) if blank else CreateStaffForm()
    form.partner_id.choices = [SelectChoice("", _("(none)"))] + [
        SelectChoice(str(p.id), p.name_ja) for p in staff.list_partners(get_session())
    ]
    return form


def _render_staff(form: CreateStaffForm, status: int = 200):  # type: ignore[no-untyped-def]
    return render("operator/staff.html", block="staff_panel", console="operator", form=form,
                  members=staff.list_members(get_session()), role_labels=ROLE_LABELS, button_form=EmptyForm(),
                  status=status)


@bp.route("/staff", methods=["GET", "POST"])
def staff_list():  # type: ignore[no-untyped-def]
    """Staff accounts, and the form that creates one and mails its invitation."""
    form = _create_form()
    if form.validate_on_submit():
        try:
            partner_id = uuid.UUID(form.partner_id.data) if form.partner_id.data else None
            member = staff.create_member(
                get_session(), current_settings(), actor=current_user._get_current_object(),
                email=form.email.data, display_name=form.display_name.data, role=StaffRole(form.role.data),
                partner_id=partner_id, locale=form.locale.data,
            )
        except staff.StaffEmailTaken as error:
            form.email.errors = [str(error.message)]
        except (staff.PartnerRequired, ValueError) as error:
            form.partner_id.errors = [str(getattr(error, "message", error))]
        else:
            flash(_("Created %(email)s and sent the invitation.", email=member.email), "success")
            if is_htmx():
                return _render_staff(_create_form(blank=True))
            return redirect(url_for("operator.staff_list"), code=303)
    return _render_staff(form, status=422 if form.errors else 200)


@bp.route("/staff/<uuid:member_id>/<any(disable, enable):action>", methods=["POST"])
def set_staff_active(member_id: uuid.UUID, action: str):  # type: ignore[no-untyped-def]
    db = get_session()
    member = staff.get_member(db, member_id)
    staff.set_active(db, actor=current_user._get_current_object(), member=member, active=action == "enable")
    flash(_("Updated %(email)s.", email=member.email), "success")
    return redirect(url_for("operator.staff_list"), code=303)


@bp.route("/staff/<uuid:member_id>/reinvite", methods=["POST"])
def reinvite_staff(member_id: uuid.UUID):  # type: ignore[no-untyped-def]
    """Send a new invitation: for a member who lost the password or the authenticator app."""
    db = get_session()
    member = staff.get_member(db, member_id)
    staff.reinvite(db, current_settings(), actor=current_user._get_current_object(), member=member)
    flash(_("Sent a new invitation to %(email)s. The old password and codes no longer work.", email=member.email),
          "success")
    return redirect(url_for("operator.staff_list"), code=303)


@bp.route("/jobs")
def job_list():  # type: ignore[no-untyped-def]
    status = request.args.get("status") or None
    if status not in {s.value for s in JobStatus}:
        status = None
    db = get_session()
    return render("operator/jobs.html", console="operator", jobs=jobs.recent_jobs(db, status=status),
                  counts=jobs.status_counts(db), status=status, button_form=EmptyForm(),
                  status_labels=JOB_STATUS_LABELS)


@bp.route("/jobs/<int:job_id>/retry", methods=["POST"])
def retry_job(job_id: int):  # type: ignore[no-untyped-def]
    db = get_session()
    job = jobs.job_for_viewer(db, job_id=job_id, viewer=current_user.principal, sees_all=True)
    jobs.retry(db, job=job, actor=current_user.principal)
    flash(_("The job will run again."), "success")
    return redirect(url_for("operator.job_list"), code=303)


@bp.route("/jobs/maintenance", methods=["POST"])
def run_maintenance():  # type: ignore[no-untyped-def]
    """Run the hourly housekeeping now; the operator then watches its progress."""
    job = jobs.enqueue(get_session(), MAINTENANCE_KIND, started_by=current_user.principal, max_attempts=MAINTENANCE_ATTEMPTS)
    assert job is not None and job.id is not None
    return redirect(url_for("jobs.show", job_id=job.id), code=303)
