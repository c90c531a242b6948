"""Demo surveys: both questionnaires loaded, the pre-pilot survey open (as the operator opens it before the pilot),
and 24 demo households that answered it through the real path (consent, screens, submission on their ledgers), so
the analysts' console has results above the disclosure threshold. Their answers are drawn with a fixed seed and
leaned the way a real pilot's would (most mildly positive, some not); they cannot log in."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from sqlmodel import Session, select

from app.accounts.models import Resident
from app.config import Settings
from app.consent import catalogue, decisions
from app.household.models import Child
from app.surveys import services
from app.surveys.models import SurveyStatus
from app.surveys.questionnaire import Question

OPEN_IN_DEMO = "pre_pilot"
RESPONDENTS = 24
EMAIL = "survey-demo-{:02d}@example.jp"
# A free text from a few of them (the rest leave it empty, as most people do).
TEXTS = ("保育園の空き状況がまとめて分かると助かります。", "手続きの書類が多く、平日に市役所へ行くのが大変です。",
         "データの使われ方が分かるなら使ってみたいです。", "イベント情報が年齢別に届くとうれしいです。")


def seed_surveys(session: Session, settings: Settings) -> dict[str, int]:
    added = services.load_surveys(session)
    view = services.survey(session, OPEN_IN_DEMO, listed_only=False)
    if view.row.status == SurveyStatus.DRAFT:  # a closed one stays closed: the seed runs at every start
        view = services.set_status(session, "demo-seed", OPEN_IN_DEMO, SurveyStatus.OPEN)
    created = {"surveys": added, "survey answers": 0}
    row = catalogue.offer_for(session, services.RECIPIENT, services.PURPOSE)
    offer = catalogue.offer_view(session, row.id) if row is not None and row.active and row.id is not None else None
    if offer is None or not view.is_open:
        return created
    draw = random.Random(2026)
    for number in range(1, RESPONDENTS + 1):
        email = EMAIL.format(number)
        if session.exec(select(Resident).where(Resident.email == email)).first() is not None:
            continue
        resident = Resident(email=email, password_hash=None, locale="ja")
        session.add(resident)
        session.flush()
        for _ in range(draw.choice((1, 1, 2, 2, 3))):
            birth = date(draw.randint(2014, 2025), draw.randint(1, 12), draw.randint(1, 28))
            session.add(Child(guardian_id=resident.id, birth_year=birth.year, birth_month=birth.month,
                              birth_day=birth.day))
        session.flush()
        decisions.grant(session, settings, resident=resident, view=offer, items=offer.offer.items)
        answers: dict[str, Any] = {}
        for index, group in enumerate(view.questionnaire.groups):
            form = {}
            for question in group.questions:
                if question.asked(answers) and (value := _answer(draw, question)) is not None:
                    form[question.key] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
                    answers[question.key] = value
            services.save_group(session, resident, view, index, form, forward=True)
        services.submit(session, resident, view)
        created["survey answers"] += 1
    return created


def _answer(draw: random.Random, question: Question) -> Any:
    if question.type == "single":
        return draw.choices([o.key for o in question.options],
                            weights=[max(1, len(question.options) - i) for i in range(len(question.options))])[0]
    if question.type == "multiple":
        limit = question.max_choices or 3
        return draw.sample([o.key for o in question.options], k=draw.randint(1, min(limit, len(question.options))))
    if question.type == "likert5":
        return draw.choices([1, 2, 3, 4, 5], weights=[1, 3, 6, 9, 4])[0]
    if question.type == "nps":
        return draw.choices(range(11), weights=[1, 1, 1, 2, 3, 5, 7, 9, 8, 5, 3])[0]
    return draw.choice(TEXTS) if draw.random() < 0.3 else None
