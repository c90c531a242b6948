"""The resident's surveys (one question group per screen, saved at every step, a review, submit, edit until the
survey closes, withdraw) and the operator's opening and closing.

Every screen is a plain form. htmx adds one thing: when an answer on a screen decides whether a later question
of the same screen is asked, the screen's questions are fetched again with the answers chosen so far (a preview,
nothing saved), so the question appears or goes as the resident answers.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import auth, disclosure
from app.accounts.forms import EmptyForm
from app.consent import catalogue
from app.db import get_session
from app.errors import NotFound
from app.htmx import hx_redirect, render, wants_fragment
from app.i18n import current_language
from app.staff.models import StaffRole
from app.surveys import analysis, services
from app.surveys.models import SurveyResponse, SurveyStatus
from app.surveys.questionnaire import NPS_ENDS, SCALES, read_group, screen_after, shown_on_screen, with_screen
from app.surveys.services import SurveyView

bp = Blueprint("surveys", __name__, url_prefix="/surveys")
bp.before_request(auth.require_resident)
admin_bp = Blueprint("surveys_admin", __name__, url_prefix="/operator/surveys")
admin_bp.before_request(auth.require_staff(StaffRole.OPERATOR.value))

QUESTIONS_TARGET = "survey-questions"


def _resident():  # type: ignore[no-untyped-def]
    return current_user._get_current_object()


def _consent_url() -> str:
    """The consent page at the pilot analysts' request (the offer that lets answers be sent)."""
    offer = catalogue.offer_for(get_session(), services.RECIPIENT, services.PURPOSE)
    if offer is not None and offer.active:
        return url_for("consent.index", _anchor=f"offer-{offer.id}")
    return url_for("consent.index")


def _status(view: SurveyView, response: SurveyResponse | None) -> str:
    """How the resident's answers stand: not_started, in_progress, submitted, changed (edited since sent)."""
    if response is None:
        return "not_started"
    if response.submitted_at is None:
        return "in_progress"
    return "changed" if response.updated_at > response.submitted_at else "submitted"


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    db, resident = get_session(), _resident()
    responses = services.responses_of(db, resident)
    surveys = [(view, _status(view, responses.get(view.key))) for view in services.all_surveys(db)]
    return render("surveys/index.html", tab="home", surveys=surveys)


@bp.route("/<key>")
def show(key: str):  # type: ignore[no-untyped-def]
    """The survey's introduction: who asks and why, the consent it needs, and where the resident's answers stand."""
    db, resident = get_session(), _resident()
    view = services.survey(db, key)
    response = services.response_of(db, resident, key)
    questionnaire = view.questionnaire
    resume = 0
    if response is not None:
        resume = min(response.position, len(questionnaire.groups))
    return render("surveys/show.html", tab="home", view=view, q=questionnaire, response=response,
                  state=_status(view, response), may_answer=services.may_answer(db, resident),
                  consent_url=_consent_url(), resume=resume, form=EmptyForm())


def _screen_context(view: SurveyView, index: int, answers: dict[str, Any], *, preview: bool = False,
                    errors: dict[str, Any] | None = None) -> dict[str, Any]:
    questionnaire = view.questionnaire
    group = questionnaire.groups[index]
    return {"view": view, "q": questionnaire, "group": group, "index": index, "total": len(questionnaire.groups),
            "questions": shown_on_screen(group, answers, preview=preview), "answers": answers, "errors": errors or {},
            "scales": SCALES, "nps_ends": NPS_ENDS, "target": QUESTIONS_TARGET}


def _screen_index(view: SurveyView, number: int) -> int:
    if not 1 <= number <= len(view.questionnaire.groups):
        raise NotFound()
    return number - 1


@bp.route("/<key>/<int:number>", methods=["GET", "POST"])
def screen(key: str, number: int):  # type: ignore[no-untyped-def]
    """One question group. POST saves it: 「次へ」 checks the required answers; 「戻る」 saves what is there."""
    db, resident = get_session(), _resident()
    view = services.survey(db, key)
    index = _screen_index(view, number)
    if not view.is_open or not services.may_answer(db, resident):
        return _closed_or_consent(view)
    response = services.response_of(db, resident, key)
    answers = dict(response.answers) if response else {}
    if request.method == "GET":
        if request.args.get("preview") and wants_fragment():  # htmx: the screen's questions with these answers
            group = view.questionnaire.groups[index]
            found, _errors = read_group(group, request.args.to_dict(flat=False), answers, require=False)
            return render("surveys/screen.html", block="questions",
                          **_screen_context(view, index, with_screen(group, answers, found), preview=True))
        return render("surveys/screen.html", tab="home", form=EmptyForm(), **_screen_context(view, index, answers))
    form = EmptyForm()
    if not form.validate_on_submit():
        return render("surveys/screen.html", tab="home", form=form, status=400,
                      **_screen_context(view, index, answers))
    forward = request.form.get("go") != "back"
    response, errors = services.save_group(db, resident, view, index, request.form.to_dict(flat=False), forward=forward)
    if errors and forward:
        flash(_("Some answers need your attention."), "error")
        posted = dict(response.answers)
        return render("surveys/screen.html", tab="home", form=form, status=422,
                      **_screen_context(view, index, posted, errors={e.question: e.message for e in errors}))
    target = screen_after(view.questionnaire, response.answers, index, 1 if forward else -1)
    if forward and target >= len(view.questionnaire.groups):
        return hx_redirect(url_for("surveys.review", key=key))
    return hx_redirect(url_for("surveys.screen", key=key, number=target + 1))


def _closed_or_consent(view: SurveyView):  # type: ignore[no-untyped-def]
    if not view.is_open:
        flash(str(services.SurveyClosed.message), "error")
    else:
        flash(str(services.ConsentNeeded.message), "error")
    return hx_redirect(url_for("surveys.show", key=view.key))


@bp.route("/<key>/review")
def review(key: str):  # type: ignore[no-untyped-def]
    """Every answer given, by screen, with a link to change each screen; the button that sends them."""
    db, resident = get_session(), _resident()
    view = services.survey(db, key)
    response = services.response_of(db, resident, key)
    if response is None:
        return hx_redirect(url_for("surveys.show", key=key))
    questionnaire = view.questionnaire
    screens = [(number, group, [q for q in group.questions if q.asked(response.answers)])
               for number, group in enumerate(questionnaire.groups, start=1)]
    return render("surveys/review.html", tab="home", view=view, q=questionnaire, response=response,
                  screens=[s for s in screens if s[2]], missing={q.key for q in questionnaire.missing(response.answers)},
                  state=_status(view, response), may_answer=services.may_answer(db, resident), form=EmptyForm())


@bp.post("/<key>/submit")
def submit(key: str):  # type: ignore[no-untyped-def]
    db, resident = get_session(), _resident()
    view = services.survey(db, key)
    if EmptyForm().validate_on_submit():
        services.submit(db, resident, view, ip=auth.client_ip())
        flash(view.questionnaire.thanks(current_language()) or _("Your answers are sent. Thank you."), "success")
    return hx_redirect(url_for("surveys.show", key=key))


@bp.post("/<key>/withdraw")
def withdraw(key: str):  # type: ignore[no-untyped-def]
    db, resident = get_session(), _resident()
    view = services.survey(db, key)
    if EmptyForm().validate_on_submit() and services.withdraw(db, resident, view, ip=auth.client_ip()):
        flash(_("Your answers are withdrawn: they are deleted and left out of every result."), "success")
    return hx_redirect(url_for("surveys.show", key=key))


# --- the operator -----------------------------------------------------------------------------------------------


@admin_bp.route("/")
def admin_index():  # type: ignore[no-untyped-def]
    surveys = services.all_surveys(get_session(), listed_only=False)
    # The answers sent are a count of people like the analysts' (app/disclosure): 1 to 9 is hidden here too.
    counts = {key: disclosure.shown_count(count) for key, count in analysis.submission_counts(get_session()).items()}
    return render("operator/surveys.html", console="operator", surveys=surveys, form=EmptyForm(), counts=counts)


@admin_bp.post("/<key>/<any(open, closed):status>")
def admin_set_status(key: str, status: str):  # type: ignore[no-untyped-def]
    if EmptyForm().validate_on_submit():
        view = services.set_status(get_session(), current_user.principal, key, status, ip=auth.client_ip())
        title = view.questionnaire.title(current_language())
        flash(_("%(title)s is open for answers.", title=title) if status == SurveyStatus.OPEN
              else _("%(title)s is closed: no more answers are taken.", title=title), "success")
    return hx_redirect(url_for("surveys_admin.admin_index"))
