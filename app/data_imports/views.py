"""The resident's pages for bringing an export (/my-data/imports/): the upload page and list, one import's page (its
progress polls itself with htmx; the summary once read), cancel and delete; and the small JSON API the page's script
uses for the resumable upload:

    POST  /my-data/imports/            filename, size, keep_sensitive  → 201 {id, upload_url, page_url, offset}
    GET   /my-data/imports/<id>/upload                                 → {offset, size, status}
    PATCH /my-data/imports/<id>/upload  Upload-Offset: n, body = bytes → {offset, size, status} | 409 {offset}

Without JavaScript the same POST takes the file in a multipart form, whole. Another resident's import is 404.
"""

from __future__ import annotations

import shutil
import uuid

from flask import Blueprint, Response, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import auth
from app.accounts.forms import EmptyForm
from app.config import current_settings
from app.data_imports import services
from app.data_imports.forms import SENSITIVE_LABEL, StartUploadForm, UploadForm
from app.data_imports.messages import STATUS_LABELS, refusal_message
from app.data_imports.summaries import summary_view
from app.db import get_session
from app.errors import DomainError, RateLimited, json_error
from app.htmx import hx_redirect, render
from app.i18n import current_language

bp = Blueprint("data_imports", __name__, url_prefix="/my-data/imports")
bp.before_request(auth.require_resident)

# A plain form sends the file whole; the script sends chunks of MAX_CHUNK_BYTES and can resume.
PLAIN_UPLOAD_LIMIT = services.MAX_UPLOAD_BYTES


def _resident():  # type: ignore[no-untyped-def]
    return current_user._get_current_object()


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _json_error(error: DomainError) -> Response:
    """A refused offset also says where the server's file ends (the script resumes from there)."""
    return json_error(error, offset=error.expected) if isinstance(error, services.OffsetMismatch) else json_error(error)


def _state(data_import) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {"id": str(data_import.id), "offset": data_import.received, "size": data_import.size,
            "status": data_import.status,
            "upload_url": url_for("data_imports.upload", import_id=data_import.id),
            "page_url": url_for("data_imports.show", import_id=data_import.id)}


@bp.route("/", methods=["GET", "POST"])
def index():  # type: ignore[no-untyped-def]
    db, resident, settings = get_session(), _resident(), current_settings()
    if request.method == "POST" and _wants_json():
        start = StartUploadForm()
        if not start.validate_on_submit():
            return jsonify({"error": _("Choose the export file again.")}), 400
        try:
            services.limit_start(db, resident, auth.client_ip(), settings)
            data_import = services.start_upload(db, resident, filename=start.filename.data or "", size=start.size.data or 0,
                                                keep_sensitive=bool(start.keep_sensitive.data),
                                                instance_path=settings.instance_path, ip=request.remote_addr)
        except DomainError as error:
            return _json_error(error)
        db.commit()
        return jsonify(_state(data_import)), 201
    if request.method == "POST":
        request.max_content_length = PLAIN_UPLOAD_LIMIT + 1024**2
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.export.data
        if not upload or not upload.filename:
            form.export.errors.append(_("Choose the export file."))
        else:
            try:
                data_import = _store_whole(db, resident, upload, keep_sensitive=bool(form.keep_sensitive.data))
            except RateLimited:
                raise  # the edge answers 429 with Retry-After
            except DomainError as error:
                form.export.errors.append(str(error.message))
            else:
                return redirect(url_for("data_imports.show", import_id=data_import.id), 303)
    imports = services.imports_of(db, resident)
    return render("data_imports/index.html", tab="data", form=form, imports=imports, labels=STATUS_LABELS,
                  sensitive_label=SENSITIVE_LABEL, max_gb=services.MAX_UPLOAD_BYTES // services.GiB,
                  status=422 if form.errors else 200)


def _store_whole(db, resident, upload, *, keep_sensitive: bool):  # type: ignore[no-untyped-def]
    """The no-script path: the multipart parser has spooled the file to disk; it is copied into the upload file."""
    upload.stream.seek(0, 2)
    size = upload.stream.tell()
    upload.stream.seek(0)
    settings = current_settings()
    services.limit_start(db, resident, auth.client_ip(), settings)
    data_import = services.start_upload(db, resident, filename=upload.filename, size=size, keep_sensitive=keep_sensitive,
                                        instance_path=settings.instance_path, ip=request.remote_addr)
    with services.upload_path(settings.instance_path, data_import.id).open("wb") as out:
        shutil.copyfileobj(upload.stream, out, 1024**2)
    services.mark_received(db, data_import, resident)
    db.commit()
    return data_import


@bp.route("/<uuid:import_id>/upload", methods=["GET", "PATCH"])
def upload(import_id: uuid.UUID):  # type: ignore[no-untyped-def]
    db, resident, settings = get_session(), _resident(), current_settings()
    try:
        if request.method == "GET":
            data_import = services.import_of(db, resident, import_id)
        else:
            request.max_content_length = services.MAX_CHUNK_BYTES
            offset = request.headers.get("Upload-Offset", type=int)
            length = request.content_length
            if offset is None or length is None:
                return jsonify({"error": _("The upload could not go on. Choose the file again.")}), 400
            services.limit_chunk(db, resident, settings)
            data_import = services.append_chunk(db, resident, import_id, offset=offset, stream=request.stream,
                                                length=length, instance_path=settings.instance_path)
            db.commit()
    except DomainError as error:
        db.rollback()
        return _json_error(error)
    return jsonify(_state(data_import))


@bp.route("/<uuid:import_id>")
def show(import_id: uuid.UUID):  # type: ignore[no-untyped-def]
    db, resident = get_session(), _resident()
    data_import = services.import_of(db, resident, import_id)
    job = services.job_of(db, data_import)
    return render("data_imports/show.html", block="import_status", tab="data", data_import=data_import, job=job,
                  labels=STATUS_LABELS, view=summary_view(data_import, current_language()),
                  refusal=refusal_message(data_import.error_code) if data_import.error_code else None,
                  form=EmptyForm())


@bp.route("/<uuid:import_id>/cancel", methods=["POST"])
def cancel(import_id: uuid.UUID):  # type: ignore[no-untyped-def]
    if EmptyForm().validate_on_submit():
        services.cancel(get_session(), _resident(), import_id, instance_path=current_settings().instance_path,
                        ip=request.remote_addr)
        flash(_("The import was stopped. Nothing from it was kept."), "success")
    return hx_redirect(url_for("data_imports.index"))


@bp.route("/<uuid:import_id>/delete", methods=["POST"])
def delete(import_id: uuid.UUID):  # type: ignore[no-untyped-def]
    if EmptyForm().validate_on_submit():
        services.delete(get_session(), _resident(), import_id, instance_path=current_settings().instance_path,
                        ip=request.remote_addr)
        flash(_("Deleted, with everything read from it."), "success")
    return hx_redirect(url_for("data_imports.index"))

