"""The pilot analysts' console: the surveys' results, every figure through app.disclosure, and the CSV exports.

Read only: GET pages and downloads; the one write is the audit event of an export (committed at the request's
edge, like every view's work).
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, request
from flask_babel import gettext as _
from flask_login import current_user

from app import audit, auth, disclosure
from app.audit import EventTag
from app.db import get_session
from app.htmx import render
from app.i18n import current_language
from app.staff.models import StaffRole
from app.surveys import analysis, charts, exports
from app.surveys.services import SurveyView, all_surveys, survey

bp = Blueprint("analysts", __name__, url_prefix="/analysts")
bp.before_request(auth.require_staff(StaffRole.ANALYST.value))


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    db = get_session()
    counts = analysis.submission_counts(db)
    residents = analysis.resident_count(db)
    surveys = [(view, analysis.response_counts(counts.get(view.key, 0), residents))
               for view in all_surveys(db, listed_only=True)]
    return render("analysts/index.html", console="analysts", surveys=surveys)


@bp.get("/surveys/<key>")
def report(key: str):  # type: ignore[no-untyped-def]
    db = get_session()
    view = survey(db, key, listed_only=True)  # a draft or an unknown key: 404
    found = analysis.survey_report(db, view.questionnaire)
    language = current_language()
    hidden = str(disclosure.HIDDEN_LABEL)
    question_charts = {
        item.key: charts.table_chart(f"chart-{item.key}", item.question.text(language), item.question, item.table,
                                       language, hidden)
        for item in found.distributions if item.question.type != "text"
    }
    change_charts = {
        change.measure: charts.table_chart(f"change-{change.measure}", _("Change after the pilot: %(question)s",
                                                                           question=change.after.text(language)),
                                             None, change.directions, language, hidden)
        for change in found.changes if isinstance(change, analysis.ScaleChange)
    }
    return render("analysts/survey.html", console="analysts", view=view, q=view.questionnaire, report=found,
                  charts=question_charts, change_charts=change_charts, analysis=analysis, threshold=disclosure.THRESHOLD,
                  hidden_ja=disclosure.HIDDEN_JA)


def _download(view: SurveyView, body: str, kind: str) -> Response:
    today = datetime.now(analysis.JST).date().isoformat()
    safe_key = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in view.key)
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_key}-{kind}-{today}.csv"'
    if request.method == "GET":  # a HEAD (Flask answers it with the GET view) sends no file: nothing was exported
        audit.record(get_session(), EventTag.SURVEY_EXPORT, actor=current_user.principal, ip=auth.client_ip(),
                     survey=view.key, file=kind)
    return response


@bp.get("/surveys/<key>/responses.csv")
def responses_csv(key: str):  # type: ignore[no-untyped-def]
    db = get_session()
    view = survey(db, key, listed_only=True)
    return _download(view, exports.responses_csv(view.questionnaire, analysis.submissions(db, key)), "responses")


@bp.get("/surveys/<key>/summary.csv")
def summary_csv(key: str):  # type: ignore[no-untyped-def]
    db = get_session()
    view = survey(db, key, listed_only=True)
    rows = analysis.submissions(db, key)
    return _download(view, exports.summary_csv(view.questionnaire, analysis.distributions(view.questionnaire, rows)),
                     "summary")
