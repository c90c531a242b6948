"""The analysts' tests' own small questionnaires (TOML files in a temporary DATA folder, so nothing depends on the
shipped questionnaires) and SurveySubmission rows built in memory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.surveys import questionnaire
from app.surveys.models import SurveySubmission
from app.surveys.questionnaire import Questionnaire, load

PRE_TOML = """
key = "pre_pilot"
title_ja = "事前アンケート(テスト)"
title_en = "Pre-pilot survey (test)"
intro_ja = "テストです。"
intro_en = "A test."

[[groups]]
key = "household"
title_ja = "ご家庭について"
title_en = "About your household"

[[groups.questions]]
key = "kids"
type = "single"
text_ja = "お子さまは何人ですか。"
text_en = "How many children do you have?"
options = [
  { key = "one", ja = "1人", en = "One" },
  { key = "two", ja = "2人", en = "Two" },
  { key = "none", ja = "いない", en = "None" },
]

[[groups.questions]]
key = "youngest"
type = "single"
text_ja = "いちばん下のお子さまは何歳ですか。"
text_en = "How old is your youngest?"
show_if = { question = "kids", any_of = ["one", "two"] }
options = [
  { key = "baby", ja = "0〜2歳", en = "0–2" },
  { key = "child", ja = "3歳以上", en = "3 or older" },
]

[[groups.questions]]
key = "help"
type = "multiple"
text_ja = "使っているものをすべて選んでください。"
text_en = "Which do you use?"
show_if = { question = "kids", any_of = ["one", "two"] }
options = [
  { key = "nursery", ja = "保育園", en = "Nursery" },
  { key = "clinic", ja = "小児科", en = "Clinic" },
  { key = "park", ja = "公園", en = "Park" },
]

[[groups]]
key = "views"
title_ja = "お考え"
title_en = "Your views"

[[groups.questions]]
key = "trust"
type = "likert5"
scale = "agree"
measure = "trust"
text_ja = "情報銀行を信頼できる。"
text_en = "I can trust an information bank."

[[groups.questions]]
key = "recommend"
type = "nps"
measure = "recommend"
text_ja = "友人にすすめますか。"
text_en = "Would you recommend it to a friend?"

[[groups.questions]]
key = "area"
type = "single"
measure = "area"
text_ja = "よく行く地域は。"
text_en = "Which area do you go to?"
options = [
  { key = "north", ja = "北", en = "North" },
  { key = "south", ja = "南", en = "South" },
]

[[groups.questions]]
key = "comment"
type = "text"
text_ja = "ご意見をどうぞ。"
text_en = "Any comments?"
"""

POST_TOML = """
key = "post_pilot"
title_ja = "事後アンケート(テスト)"
title_en = "Post-pilot survey (test)"
intro_ja = "テストです。"
intro_en = "A test."

[[groups]]
key = "views"
title_ja = "お考え"
title_en = "Your views"

[[groups.questions]]
key = "trust_after"
type = "likert5"
scale = "agree"
measure = "trust"
text_ja = "情報銀行を信頼できる。"
text_en = "I can trust an information bank."

[[groups.questions]]
key = "recommend_after"
type = "nps"
measure = "recommend"
text_ja = "友人にすすめますか。"
text_en = "Would you recommend it to a friend?"

[[groups.questions]]
key = "area_after"
type = "single"
measure = "area"
text_ja = "よく行く地域は。"
text_en = "Which area do you go to?"
options = [
  { key = "north", ja = "北", en = "North" },
  { key = "south", ja = "南", en = "South" },
]
"""

START = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def questionnaires(tmp_path, monkeypatch) -> Iterator[tuple[Questionnaire, Questionnaire]]:  # type: ignore[no-untyped-def]
    (tmp_path / "pre_pilot.toml").write_text(PRE_TOML, encoding="utf-8")
    (tmp_path / "post_pilot.toml").write_text(POST_TOML, encoding="utf-8")
    monkeypatch.setattr(questionnaire, "DATA", tmp_path)
    load.cache_clear()
    yield load("pre_pilot"), load("post_pilot")
    load.cache_clear()


@pytest.fixture
def pre(questionnaires) -> Questionnaire:  # type: ignore[no-untyped-def]
    return questionnaires[0]


@pytest.fixture
def post(questionnaires) -> Questionnaire:  # type: ignore[no-untyped-def]
    return questionnaires[1]


def submission(number: int, answers: dict[str, Any], key: str = "pre_pilot", attributes: dict[str, Any] | None = None,
               respondent: str | None = None) -> SurveySubmission:
    return SurveySubmission(id=number, survey_key=key, respondent=respondent or f"r-{number:04d}", answers=answers,
                            attributes=attributes or {}, submitted_at=START + timedelta(hours=number), ledger_seq=number)


def full(kids: str = "one", **overrides: Any) -> dict[str, Any]:
    """A complete pre-pilot answer (the conditional questions asked only when they would be)."""
    answers: dict[str, Any] = {"kids": kids, "trust": 4, "recommend": 9, "area": "north"}
    if kids != "none":
        answers |= {"youngest": "baby", "help": ["nursery"]}
    answers.update(overrides)
    return {k: v for k, v in answers.items() if v is not None}


def rows_of(*groups: tuple[int, dict[str, Any]]) -> list[SurveySubmission]:
    """`count` submissions of each answer set, numbered in order."""
    rows: list[SurveySubmission] = []
    for count, answers in groups:
        rows.extend(submission(len(rows) + 1, dict(answers)) for _ in range(count))
    return rows


def counts(table) -> dict:  # type: ignore[no-untyped-def]
    return {cell.key: cell.count for cell in table.cells}
