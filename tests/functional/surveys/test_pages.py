"""The pages: the list, the introduction (consent first), one screen per group with its progress, errors tied to
their questions, the htmx preview of a screen, the review and the buttons; CSRF on every POST; another resident
never sees someone's answers; the operator opens and closes, nobody else can."""

from __future__ import annotations

import re

from sqlmodel import select

from app.surveys import services
from app.surveys.models import Survey, SurveySubmission
from tests.conftest import csrf_token, login_as
from tests.factories.accounts import ResidentFactory
from tests.factories.staff import StaffFactory
from tests.functional.surveys.conftest import PRE, answer_everything, screen_form


def post(client, path: str, data: dict | None = None):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, "/surveys/"), **(data or {})})


def test_the_introduction_asks_for_the_consent_first(app, db, surveys, client, login) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory(locale="en")
    login(client, resident)
    page = client.get(f"/surveys/{PRE}").get_data(as_text=True)
    assert "Your consent comes first" in page and re.search(r'href="/consents#offer-\d+"', page)
    response = client.get(f"/surveys/{PRE}/1")  # straight to a screen: back to the introduction, with why
    assert response.status_code == 303 and response.headers["Location"] == f"/surveys/{PRE}"
    assert "consent to give your answers" in client.get(f"/surveys/{PRE}").get_data(as_text=True)


def test_a_resident_answers_screen_by_screen_leaves_and_resumes(app, db, resident, client) -> None:  # type: ignore[no-untyped-def]
    view = services.survey(db, PRE)
    groups = view.questionnaire.groups
    page = client.get(f"/surveys/{PRE}").get_data(as_text=True)
    assert f'href="/surveys/{PRE}/1"' in page and "Start" in page
    screen = client.get(f"/surveys/{PRE}/1").get_data(as_text=True)
    assert f"Screen 1 of {len(groups)}" in screen and f'<progress id="survey-progress" max="{len(groups)}" value="1"' in screen
    response = post(client, f"/surveys/{PRE}/1", {**screen_form(groups[0], {}), "go": "next"})
    assert response.status_code == 303 and response.headers["Location"] == f"/surveys/{PRE}/2"
    # The resident leaves; the introduction offers to continue at screen 2.
    page = client.get(f"/surveys/{PRE}").get_data(as_text=True)
    assert "You stopped at screen 2 of" in page and f'href="/surveys/{PRE}/2"' in page
    # An empty screen going forward: 422, each missing answer named and tied to its question.
    response = post(client, f"/surveys/{PRE}/2", {"go": "next"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "Please answer this question." in body
    first_required = next(q for q in groups[1].questions if q.required and not q.show_if)
    assert f'href="#q-{first_required.key}"' in body and f'id="q-{first_required.key}-error"' in body


def test_the_review_lists_the_answers_and_sends_them(app, db, resident, client) -> None:  # type: ignore[no-untyped-def]
    questionnaire = answer_everything(db, resident)
    page = client.get(f"/surveys/{PRE}/review").get_data(as_text=True)
    first = questionnaire.groups[0].questions[0]
    assert first.text("en") in page and first.options[0].en in page
    response = post(client, f"/surveys/{PRE}/submit")
    assert response.status_code == 303
    page = client.get(f"/surveys/{PRE}").get_data(as_text=True)
    assert questionnaire.thanks_en in page and "Sent on" in page
    db.expire_all()
    assert db.exec(select(SurveySubmission)).first() is not None


def test_every_post_needs_the_csrf_token(app, db, resident, client) -> None:  # type: ignore[no-untyped-def]
    answer_everything(db, resident)
    assert client.post(f"/surveys/{PRE}/submit").status_code == 400
    assert client.post(f"/surveys/{PRE}/withdraw").status_code == 400
    db.expire_all()
    assert db.exec(select(SurveySubmission)).first() is None and services.response_of(db, resident, PRE) is not None


def test_the_htmx_preview_shows_a_conditional_question_only_when_it_applies(app, db, resident, client) -> None:  # type: ignore[no-untyped-def]
    questionnaire = services.survey(db, PRE).questionnaire
    number, group, conditional = next((n, g, q) for n, g in enumerate(questionnaire.groups, 1) for q in g.questions
                                      if q.show_if and any(t.key == q.show_if.question for t in g.questions))
    trigger = questionnaire.question(conditional.show_if.question)
    applies = conditional.show_if.any_of[0]
    not_applies = next(v for v in trigger.values if v not in conditional.show_if.any_of)
    headers = {"HX-Request": "true"}
    plain = client.get(f"/surveys/{PRE}/{number}").get_data(as_text=True)
    assert f'id="q-{conditional.key}"' in plain and f'id="q-{conditional.key}-when"' in plain  # shown, with when
    shown = client.get(f"/surveys/{PRE}/{number}?preview=1&{trigger.key}={applies}", headers=headers).get_data(as_text=True)
    hidden = client.get(f"/surveys/{PRE}/{number}?preview=1&{trigger.key}={not_applies}", headers=headers).get_data(as_text=True)
    assert f'id="q-{conditional.key}"' in shown and f'id="q-{conditional.key}"' not in hidden
    assert "<html" not in shown and 'id="survey-questions"' in shown  # the region only
    assert services.response_of(db, resident, PRE) is None  # a preview saves nothing


def test_a_closed_survey_refuses_answers_with_a_clear_message(app, db, resident, client) -> None:  # type: ignore[no-untyped-def]
    answer_everything(db, resident)
    with app.test_request_context():
        services.set_status(db, "test", PRE, "closed")
    view = services.survey(db, PRE)
    response = post(client, f"/surveys/{PRE}/1", {**screen_form(view.questionnaire.groups[0], {}), "go": "next"})
    assert response.status_code == 303 and response.headers["Location"] == f"/surveys/{PRE}"
    page = client.get(f"/surveys/{PRE}").get_data(as_text=True)
    assert "This survey is closed" in page and "answers can no longer be sent or changed" in page
    response = post(client, f"/surveys/{PRE}/submit")
    assert response.status_code == 409 and "This survey is closed" in response.get_data(as_text=True)


def test_another_resident_never_sees_someone_elses_answers(app, db, resident, other_resident, client, other_client) -> None:  # type: ignore[no-untyped-def]
    questionnaire = answer_everything(db, resident)
    text_answer = next(v for v in services.response_of(db, resident, PRE).answers.values() if isinstance(v, str)
                       and not any(o.key == v for q in questionnaire.questions for o in q.options))
    assert text_answer in client.get(f"/surveys/{PRE}/review").get_data(as_text=True)
    theirs = other_client.get(f"/surveys/{PRE}/review")
    assert theirs.status_code == 303  # nothing of theirs to review
    assert text_answer not in other_client.get(f"/surveys/{PRE}").get_data(as_text=True)
    # Withdrawing touches only one's own answers.
    response = other_client.post(f"/surveys/{PRE}/withdraw", data={"csrf_token": csrf_token(other_client, "/surveys/")})
    assert response.status_code == 303 and services.response_of(db, resident, PRE) is not None


def test_the_operator_opens_and_closes_and_nobody_else_can(app, db, surveys, client, other_client) -> None:  # type: ignore[no-untyped-def]
    operator = StaffFactory(role="operator")
    login_as(client, db, operator)
    page = client.get("/operator/surveys/").get_data(as_text=True)
    assert "post_pilot" in page or "Post" in page
    response = client.post("/operator/surveys/post_pilot/open", data={"csrf_token": csrf_token(client, "/operator/surveys/")})
    assert response.status_code == 303
    db.expire_all()
    assert db.get(Survey, "post_pilot").status == "open"
    for role in ("municipal", "analyst"):
        login_as(other_client, db, StaffFactory(role=role))
        assert other_client.get("/operator/surveys/").status_code in (302, 303, 403)
        other_client.post("/operator/surveys/post_pilot/closed", data={"csrf_token": "x"})
    login_as(other_client, db, ResidentFactory())
    assert other_client.get("/operator/surveys/").status_code in (302, 303, 403)
    db.expire_all()
    assert db.get(Survey, "post_pilot").status == "open"


def test_the_residents_export_holds_their_answers(app, db, resident, client) -> None:  # type: ignore[no-untyped-def]
    import io
    import json
    import zipfile

    answer_everything(db, resident)
    archive = zipfile.ZipFile(io.BytesIO(client.get("/my-data/export.zip").data))
    [exported] = json.loads(archive.read("surveys.json"))
    assert exported["survey"] == PRE and exported["answers"] == services.response_of(db, resident, PRE).answers
    assert exported["submitted_at"] is None
