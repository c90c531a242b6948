"""Fixtures for the surveys: the consent catalogue approved and offered, the questionnaires loaded with the pre-pilot
survey open, and residents (reading in English, the msgids) with and without the consent to give answers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from app.accounts.models import Resident
from app.consent import decisions
from app.surveys import services
from app.surveys.models import SurveyStatus
from app.surveys.questionnaire import Group, Questionnaire, load
from tests.factories.accounts import ResidentFactory
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)

PRE = "pre_pilot"
POST = "post_pilot"
ANALYSTS = ("pilot_analysts", "pilot_research")


@pytest.fixture
def surveys(app: Flask, db: Session, offers) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    with app.test_request_context():
        services.load_surveys(db)
        services.set_status(db, "test", PRE, SurveyStatus.OPEN)
        db.flush()


def give_consent(app: Flask, db: Session, settings: Any, offers: Any, resident: Resident,  # noqa: F811
                 items: list[str] | None = None) -> None:
    view = offers[ANALYSTS]
    with app.test_request_context():
        decisions.grant(db, settings, resident=resident, view=view, items=items or view.offer.items)
        db.flush()


@pytest.fixture
def resident(app, db, settings, offers, surveys, client: FlaskClient, login) -> Resident:  # type: ignore[no-untyped-def]  # noqa: F811
    resident = ResidentFactory(locale="en")
    give_consent(app, db, settings, offers, resident)
    login(client, resident)
    return resident


@pytest.fixture
def other_resident(app, db, settings, offers, surveys, other_client: FlaskClient, login) -> Resident:  # type: ignore[no-untyped-def]  # noqa: F811
    resident = ResidentFactory(locale="en")
    give_consent(app, db, settings, offers, resident)
    login(other_client, resident)
    return resident


def screen_form(group: Group, answers: dict[str, Any], choice: Callable[..., Any] | None = None) -> dict[str, list[str]]:
    """A filled screen, as a browser posts it: the first option, 4 on a scale, 8 of 10, a line of text — or what
    `choice(question)` says (None: leave it unanswered)."""
    form: dict[str, list[str]] = {}
    context = dict(answers)
    for question in group.questions:
        if not question.asked(context):
            continue
        value = choice(question) if choice else default_answer(question)
        if value is None:
            continue
        form[question.key] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        context[question.key] = value
    return form


def default_answer(question: Any) -> Any:
    return {"single": lambda: question.options[0].key, "multiple": lambda: [question.options[0].key],
            "likert5": lambda: 4, "nps": lambda: 8, "text": lambda: "保育園の空きが分かると助かります。"}[question.type]()


def answer_everything(db: Session, resident: Resident, key: str = PRE) -> Questionnaire:
    """Every screen saved with the default answers (as the pages would)."""
    view = services.survey(db, key)
    for index, group in enumerate(view.questionnaire.groups):
        response = services.response_of(db, resident, key)
        services.save_group(db, resident, view, index, screen_form(group, response.answers if response else {}),
                            forward=True)
    return load(key)
