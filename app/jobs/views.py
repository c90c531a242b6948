"""Whoever started a job can watch it; the component polls itself until the job has finished."""

from __future__ import annotations

from flask import Blueprint, current_app
from flask_login import current_user

from app import auth
from app.db import get_session
from app.errors import NotFound
from app.htmx import render, wants_fragment
from app.jobs import services
from app.jobs.models import JOB_STATUS_LABELS
from app.jobs.registry import registry_for
from app.staff.models import StaffRole

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.before_request
def _logged_in():  # type: ignore[no-untyped-def]
    """Staff, or a resident in good standing; which jobs each may see is decided per job."""
    if current_user.is_authenticated and current_user.is_staff:
        return None
    return auth.require_resident()


@bp.route("/<int:job_id>")
def show(job_id: int):  # type: ignore[no-untyped-def]
    sees_all = current_user.is_staff and current_user.role == StaffRole.OPERATOR.value
    try:
        job = services.job_for_viewer(get_session(), job_id=job_id, viewer=current_user.principal, sees_all=sees_all)
    except NotFound:
        if not wants_fragment():
            raise
        # A poll for a job that is gone: status 286 stops htmx's polling (instead of an error toast every 2 s).
        return render("jobs/_gone.html", status=286)
    handler = registry_for(current_app).handler(job.kind)
    stage_label = handler.stage_labels.get(job.stage or "") if handler else None
    return render("jobs/show.html", block="job_status", job=job, stage_label=stage_label, status_labels=JOB_STATUS_LABELS,
                  console=current_user.role if current_user.is_staff else None, tab=None)
