"""The municipal console's page for delegated disclosure requests (/municipal/city-records/): the requests addressed
to 柏市 with their state and deadline (late ones marked), a CSV template, and answering by uploading a CSV file
(docs/city-records.md). Guarded like the rest of the municipal console: staff with the `municipal` role only.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app import auth
from app.city_records import staff
from app.city_records.answers_csv import MAX_BYTES, template
from app.city_records.forms import AnswersForm
from app.city_records.states import LABELS
from app.db import get_session
from app.household.ages import japan_today
from app.htmx import render
from app.staff.models import StaffRole

bp = Blueprint("city_records_console", __name__, url_prefix="/municipal/city-records")
bp.before_request(auth.require_staff(StaffRole.MUNICIPAL.value))

SHOW = {"open": _l("Open requests"), "overdue": _l("Past the deadline"), "all": _l("All")}
PROBLEMS = {
    "too_large": _l("The file is larger than 1 MB."),
    "encoding": _l("The file is not UTF-8 or Shift_JIS text. Save it as “CSV UTF-8”."),
    "empty": _l("The file is empty."),
    "no_rows": _l("The file has a header but no answers."),
    "unreadable": _l("This line cannot be read as CSV (check the quotes)."),
    "unknown_column": _l("This column is not part of the layout."),
    "duplicate_column": _l("This column appears twice."),
    "missing_column": _l("This column is missing from the header."),
    "too_many_rows": _l("The file has more than 5,000 rows. Split it into several files."),
    "cell_count": _l("This line does not have the same number of cells as the header."),
    "too_long": _l("The text is too long."),
    "my_number": _l("This looks like a My Number (12 digits). Never enter one."),
    "missing": _l("This cell is required."),
    "not_an_id": _l("This is not a request id. Copy it from the list or the template."),
    "unknown_decision": _l("Write disclose or not_disclose."),
    "reason_needed": _l("Write the reason for not disclosing."),
    "not_for_not_disclose": _l("Leave this empty when not disclosing."),
    "mixed_decisions": _l("The same request has both disclose and not_disclose."),
    "repeated_refusal": _l("A request not disclosed takes one line only."),
    "unknown_service": _l("This is not a service id of the catalogue (e.g. svc_kenshin_3y)."),
    "not_a_date": _l("Write the date as YYYY-MM-DD."),
    "before_start": _l("The end is before the start."),
    "after_use": _l("The child's date of birth is after the use."),
    "outside_period": _l("This day is outside the period the resident asked for."),
    "unknown_request": _l("There is no request with this id."),
    "not_answerable": _l("This request is already answered or canceled."),
}


def _page(form: AnswersForm, *, problems: list | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    show = request.args.get("show", "open")
    show = show if show in SHOW else "open"
    return render("city_records/console.html", console="municipal", rows=staff.rows(get_session(), show=show),
                  show=show, show_labels=SHOW, labels=LABELS, form=form, problems=problems or [],
                  problem_labels=PROBLEMS, today=japan_today(), status=status)


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    return _page(AnswersForm())


@bp.route("/template.csv")
def answers_template():  # type: ignore[no-untyped-def]
    body = template(staff.answerable_ids(get_session()))
    return Response(body.encode("utf-8"), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="kashiwa-answers-{japan_today().isoformat()}.csv"'})


@bp.post("/answers")
def upload():  # type: ignore[no-untyped-def]
    form = AnswersForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    upload_file = form.file.data
    try:
        data = upload_file.stream.read(MAX_BYTES + 1)  # one byte more than allowed is enough to refuse it
    finally:
        upload_file.close()
    result = staff.answer_file(get_session(), data, actor=current_user.principal, ip=auth.client_ip())
    if not result.ok:
        return _page(form, problems=result.problems, status=422)
    flash(_("Answered %(requests)d requests (%(records)d records). Nothing else was changed.",
            requests=result.answered, records=result.records), "success")
    return redirect(url_for("city_records_console.index"), 303)
