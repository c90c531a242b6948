"""Answering: consent first, one screen at a time saved as the resident goes (resume where they stopped), answers
to questions that no longer apply dropped, submission as a provision on the ledger, edits until the survey closes,
a closed survey refusing answers, and withdrawals (of the answers, or of the consent) taking the answers out of
what the analysts hold."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.consent import decisions
from app.ledger.models import RecordKind
from app.ledger.services import history
from app.surveys import services
from app.surveys.models import SurveyResponse, SurveyStatus, SurveySubmission
from tests.factories.accounts import ResidentFactory
from tests.functional.surveys.conftest import ANALYSTS, PRE, answer_everything, default_answer, give_consent, screen_form


def provisions(db, resident):  # type: ignore[no-untyped-def]
    return [e for e in history(db, resident.principal, kinds=[RecordKind.PROVISION])
            if (e.payload or {}).get("via", {}).get("method") == "survey_submission"]


def submissions(db):  # type: ignore[no-untyped-def]
    db.expire_all()
    return list(db.exec(select(SurveySubmission)))


def test_answering_needs_the_consent_to_give_the_answers(app, db, settings, offers, surveys) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    view = services.survey(db, PRE)
    with app.test_request_context(), pytest.raises(services.ConsentNeeded):
        services.save_group(db, resident, view, 0, {}, forward=False)
    # The household attributes alone are not enough: the answers themselves are the item that counts.
    give_consent(app, db, settings, offers, resident, items=["children_count"])
    with app.test_request_context(), pytest.raises(services.ConsentNeeded):
        services.save_group(db, resident, view, 0, {}, forward=False)
    assert db.exec(select(SurveyResponse)).first() is None


def test_each_screen_is_saved_and_the_survey_resumes_where_it_stopped(app, db, resident) -> None:  # type: ignore[no-untyped-def]
    view = services.survey(db, PRE)
    first, second = view.questionnaire.groups[:2]
    with app.test_request_context():
        response, errors = services.save_group(db, resident, view, 0, screen_form(first, {}), forward=True)
    assert not errors and response.position == 1 and set(response.answers) >= {q.key for q in first.questions if not q.show_if}
    # Going forward with a required answer missing stops on the same screen; what was valid is kept.
    partial = screen_form(second, response.answers)
    missing = next(q.key for q in second.questions if q.required and not q.show_if)
    partial.pop(missing)
    with app.test_request_context():
        response, errors = services.save_group(db, resident, view, 1, partial, forward=True)
    assert [e.question for e in errors] == [missing] and response.position == 1
    assert set(partial) <= set(response.answers)
    # Going back never asks for the missing answers.
    with app.test_request_context():
        response, errors = services.save_group(db, resident, view, 1, partial, forward=False)
    assert not errors and response.position == 0


def test_an_answer_to_a_question_that_no_longer_applies_is_dropped(app, db, resident) -> None:  # type: ignore[no-untyped-def]
    view = services.survey(db, PRE)
    questionnaire = view.questionnaire
    conditional = next(q for q in questionnaire.questions if q.show_if and q.show_if.any_of and
                       questionnaire.question(q.show_if.question).type == "single")
    trigger = questionnaire.question(conditional.show_if.question)
    index = next(i for i, g in enumerate(questionnaire.groups) if trigger in g.questions)
    later = next(i for i, g in enumerate(questionnaire.groups) if conditional in g.questions)
    applies = conditional.show_if.any_of[0]
    other = next(o.key for o in trigger.options if o.key not in conditional.show_if.any_of)
    for i in range(index + 1):  # up to the trigger's screen, with the answer that asks the conditional question
        group = questionnaire.groups[i]
        response = services.response_of(db, resident, PRE)
        form = screen_form(group, response.answers if response else {},
                           lambda q: applies if q.key == trigger.key else default_answer(q))
        with app.test_request_context():
            services.save_group(db, resident, view, i, form, forward=True)
    for i in range(index + 1, later + 1):
        response = services.response_of(db, resident, PRE)
        with app.test_request_context():
            services.save_group(db, resident, view, i, screen_form(questionnaire.groups[i], response.answers), forward=True)
    assert conditional.key in services.response_of(db, resident, PRE).answers
    # The resident changes the trigger's answer: the conditional answer goes with it.
    response = services.response_of(db, resident, PRE)
    form = screen_form(questionnaire.groups[index], response.answers,
                       lambda q: other if q.key == trigger.key else response.answers.get(q.key))
    with app.test_request_context():
        response, _errors = services.save_group(db, resident, view, index, form, forward=True)
    assert response.answers[trigger.key] == other and conditional.key not in response.answers


def test_a_submission_is_a_provision_on_the_ledger_and_the_analysts_copy(app, db, resident) -> None:  # type: ignore[no-untyped-def]
    answer_everything(db, resident)
    view = services.survey(db, PRE)
    with app.test_request_context():
        submission = services.submit(db, resident, view)
    [record] = provisions(db, resident)
    assert record.payload["recipient"] == "pilot_analysts" and record.payload["purpose"] == "pilot_research"
    assert record.payload["items"][0] == "survey_answers" and record.payload["via"]["survey"] == PRE
    assert submission.ledger_seq == record.record.seq
    [held] = submissions(db)
    assert held.answers == services.response_of(db, resident, PRE).answers
    assert held.respondent.startswith("r-") and str(resident.id) not in held.respondent
    assert set(held.attributes) == {"children_count", "age_bands"}


def test_answers_can_be_changed_until_the_survey_closes_and_sent_again(app, db, resident) -> None:  # type: ignore[no-untyped-def]
    questionnaire = answer_everything(db, resident)
    view = services.survey(db, PRE)
    with app.test_request_context():
        services.submit(db, resident, view)
    group = questionnaire.groups[0]
    single = next(q for q in group.questions if q.type == "single" and not q.show_if)
    changed = single.options[1].key
    response = services.response_of(db, resident, PRE)
    form = screen_form(group, response.answers, lambda q: changed if q.key == single.key else response.answers.get(q.key))
    with app.test_request_context():
        services.save_group(db, resident, view, 0, form, forward=True)
    assert submissions(db)[0].answers[single.key] != changed  # not sent yet: the analysts still hold the first
    with app.test_request_context():
        services.submit(db, resident, view)
    [held] = submissions(db)  # replaced, not added
    assert held.answers[single.key] == changed and len(provisions(db, resident)) == 2
    with app.test_request_context():
        services.set_status(db, "test", PRE, SurveyStatus.CLOSED)
        with pytest.raises(services.SurveyClosed):
            services.save_group(db, resident, view, 0, form, forward=True)
        with pytest.raises(services.SurveyClosed):
            services.submit(db, resident, services.survey(db, PRE))
    assert len(submissions(db)) == 1  # what was sent stays with the analysts


def test_submitting_with_a_required_answer_missing_is_refused(app, db, resident) -> None:  # type: ignore[no-untyped-def]
    view = services.survey(db, PRE)
    with app.test_request_context():
        services.save_group(db, resident, view, 0, screen_form(view.questionnaire.groups[0], {}), forward=True)
        with pytest.raises(services.AnswersMissing):
            services.submit(db, resident, view)
    assert submissions(db) == [] and provisions(db, resident) == []


def test_withdrawing_the_answers_deletes_them_everywhere(app, db, resident, other_resident) -> None:  # type: ignore[no-untyped-def]
    view = services.survey(db, PRE)
    for person in (resident, other_resident):
        answer_everything(db, person)
        with app.test_request_context():
            services.submit(db, person, view)
    with app.test_request_context():
        assert services.withdraw(db, resident, view)
    db.expire_all()
    assert services.response_of(db, resident, PRE) is None
    [left] = submissions(db)
    assert left.respondent == services.pseudonym(db, other_resident)
    deletion = history(db, resident.principal, kinds=[RecordKind.DELETION])[0]
    assert deletion.payload["survey"] == PRE and deletion.payload["provided_copies_deleted"] == 1


def test_withdrawing_the_consent_takes_the_answers_out_of_what_the_analysts_hold(app, db, settings, offers, resident) -> None:  # type: ignore[no-untyped-def]
    answer_everything(db, resident)
    view = services.survey(db, PRE)
    with app.test_request_context():
        services.submit(db, resident, view)
        decisions.withdraw(db, settings, resident=resident, view=offers[ANALYSTS], items=["survey_answers"])
        db.flush()
    assert submissions(db) == []
    response = services.response_of(db, resident, PRE)
    assert response is not None and response.submitted_at is None  # the resident's own answers stay theirs
    with app.test_request_context(), pytest.raises(services.ConsentNeeded):
        services.submit(db, resident, view)


def test_a_draft_survey_is_not_there_for_residents(app, db, resident, client) -> None:  # type: ignore[no-untyped-def]
    assert services.survey(db, "post_pilot", listed_only=False).row.status == SurveyStatus.DRAFT
    assert client.get("/surveys/post_pilot").status_code == 404
    assert client.get("/surveys/post_pilot/1").status_code == 404
    assert "post_pilot" not in client.get("/surveys/").get_data(as_text=True)
