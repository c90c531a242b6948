"""The residents' submitted answers as the consent door's item `survey_answers` reads them (no import of the door
here: the door imports this)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlmodel import Session, col, select

from app.db import in_values
from app.surveys.models import SurveyResponse

ITEM_KEY = "survey_answers"
ITEM_NAME_JA = "アンケートの回答"


def submitted_rows(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, dict[str, Any]]]:
    """{resident id: {survey key: the answers}} of the surveys each resident has submitted. A submission provides
    only its own survey's answers (services.submit keeps that one), so answers edited after a submission reach
    the analysts only with the next submission of that survey."""
    rows = session.exec(select(SurveyResponse).where(in_values(session, col(SurveyResponse.resident_id), ids),
                                                     col(SurveyResponse.submitted_at).is_not(None)))
    found: dict[uuid.UUID, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        found[row.resident_id][row.survey_key] = dict(row.answers)
    return found
