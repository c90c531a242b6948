"""The pilot analysts' console: the list of surveys, a survey's report (charts, tables, NPS, pre vs post, free
texts), the two CSV exports (audited), and who may see them. The questionnaires are the tests' own small files."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from app.audit import AuditEvent, EventTag
from app.staff.models import StaffRole
from app.surveys import exports, questionnaire
from app.surveys.models import Survey, SurveyStatus, SurveySubmission
from app.surveys.questionnaire import load
from tests.factories.accounts import ResidentFactory
from tests.factories.staff import StaffFactory
from tests.unit.surveys.conftest import POST_TOML, PRE_TOML

LIST = "/analysts/"
PRE = "/analysts/surveys/pre_pilot"
POST = "/analysts/surveys/post_pilot"
START = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


@pytest.fixture
def questionnaires(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    (tmp_path / "pre_pilot.toml").write_text(PRE_TOML, encoding="utf-8")
    (tmp_path / "post_pilot.toml").write_text(POST_TOML, encoding="utf-8")
    monkeypatch.setattr(questionnaire, "DATA", tmp_path)
    load.cache_clear()
    yield
    load.cache_clear()


def add_submissions(db, key: str, answers: list[dict[str, Any]], attributes: dict[str, Any] | None = None,  # type: ignore[no-untyped-def]
                    first: int = 0) -> list[SurveySubmission]:
    rows = [SurveySubmission(survey_key=key, respondent=f"r-{first + i:04d}", answers=a, attributes=attributes or {},
                             submitted_at=START + timedelta(hours=first + i), ledger_seq=first + i + 1)
            for i, a in enumerate(answers)]
    db.add_all(rows)
    db.flush()
    return rows


def pre_answers(i: int) -> dict[str, Any]:
    kids = "one" if i < 10 else "none"
    answers: dict[str, Any] = {"kids": kids, "trust": 2 if i < 6 else 3, "recommend": 10 if i < 8 else 6,
                               "area": "north" if i < 11 else "south"}
    if kids != "none":
        answers |= {"youngest": "baby", "help": ["nursery", "park"] if i % 2 else ["nursery"]}
    if i in (2, 5):
        answers["comment"] = f"コメント{i}: 保育園の空きが知りたい"
    return answers


@pytest.fixture
def surveys(db, questionnaires):  # type: ignore[no-untyped-def]
    """The pre-pilot survey open with 12 submissions, the post-pilot one closed with 11 (10 of them paired), and a
    draft of a third."""
    db.add_all([Survey(key="pre_pilot", status=SurveyStatus.OPEN, opened_at=START),
                Survey(key="post_pilot", status=SurveyStatus.CLOSED, opened_at=START, closed_at=START + timedelta(days=30)),
                Survey(key="later_pilot", status=SurveyStatus.DRAFT)])
    db.flush()
    pre = add_submissions(db, "pre_pilot", [pre_answers(i) for i in range(12)],
                          attributes={"children_count": 1, "age_bands": ["0-2"]})
    post = add_submissions(db, "post_pilot", [{"trust_after": 4, "recommend_after": 9, "area_after": "north"}
                                              for _ in range(10)])
    post += add_submissions(db, "post_pilot", [{"trust_after": 5}], first=500)  # not in the pre-pilot survey
    return {"pre": pre, "post": post}


@pytest.fixture
def analyst(client, login):  # type: ignore[no-untyped-def]
    member = StaffFactory(role=StaffRole.ANALYST.value, locale="en")
    login(client, member)
    return member


def page(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def no_inline_script_or_style(text: str) -> None:
    assert not re.search(r"\sstyle\s*=", text)
    assert not re.search(r"<script(?![^>]*\ssrc=)", text)
    assert not re.search(r"\son[a-z]+\s*=", text)


# --- the list -------------------------------------------------------------------------------------------------------


def test_the_list_shows_every_survey_that_is_not_a_draft(client, analyst, surveys):
    response = client.get(LIST)
    assert response.status_code == 200
    text = page(response)
    assert 'id="survey-pre_pilot"' in text and 'id="survey-post_pilot"' in text
    assert "later_pilot" not in text
    assert "Pre-pilot survey (test)" in text and "Post-pilot survey (test)" in text
    row = text.split('id="survey-pre_pilot"')[1].split("</tr>")[0]
    assert "Taking answers" in row and '<td data-count="12">12</td>' in row
    assert 'href="/analysts/surveys/pre_pilot"' in row
    assert 'href="/analysts/surveys/pre_pilot/responses.csv"' in row and 'href="/analysts/surveys/pre_pilot/summary.csv"' in row
    assert "Closed" in text.split('id="survey-post_pilot"')[1].split("</tr>")[0]
    no_inline_script_or_style(text)


def test_a_survey_with_fewer_than_10_answers_shows_the_count_hidden(client, db, analyst, questionnaires):
    db.add(Survey(key="pre_pilot", status=SurveyStatus.OPEN))
    db.flush()
    add_submissions(db, "pre_pilot", [pre_answers(i) for i in range(9)])
    row = page(client.get(LIST)).split('id="survey-pre_pilot"')[1].split("</tr>")[0]
    assert ">9<" not in row and row.count("Hidden (fewer than 10)") == 2  # the count and the rate
    assert '<td data-count="hidden">Hidden (fewer than 10)</td>' in row
    text = page(client.get(PRE))
    assert ("This table is not shown: it is about fewer than 10 people, or its small counts could be worked out from "
            "its total.") in text
    assert "コメント2" not in text and "Listed once the survey has at least 10 answers." in text


def test_the_analysts_home_is_the_list(client, analyst, surveys):
    text = page(client.get(LIST))
    assert 'aria-current="page"' in text and "Pilot analysts" in text


# --- the report -------------------------------------------------------------------------------------------------------


def test_the_report_shows_the_counts_charts_and_tables(client, analyst, surveys):
    response = client.get(PRE)
    assert response.status_code == 200
    text = page(response)
    assert "<h1 class=\"page-title\">Pre-pilot survey (test)</h1>" in text
    assert '<p class="stat__value" data-count="12">12</p>' in text  # answers sent
    # kids: 10 one, 2 none -> "none" hidden with "one" (the complementary cell): the chart says so
    kids = text.split('id="question-kids"')[1].split('class="result"')[0]
    assert '<svg class="chart__svg"' in kids and 'role="img"' in kids and 'viewBox="0 0 300' in kids
    assert 'aria-labelledby="chart-kids-title"' in kids and '<title id="chart-kids-title">' in kids
    assert "Hidden (fewer than 10)" in kids and 'fill="url(#chart-kids-hatch)"' in kids
    assert "<table class=\"data-table\">" in kids and '<th scope="row">One</th>' in kids
    # trust: 6 at 2, 6 at 3 -> both hidden; the 0s are shown
    trust = text.split('id="question-trust"')[1].split('class="result"')[0]
    assert '<th scope="row">1 Strongly disagree</th><td data-count="0">0</td>' in trust
    # recommend: 8 at 10 and 4 at 6, hidden in different NPS groups -> no score
    recommend = text.split('id="question-recommend"')[1].split('class="result"')[0]
    assert "Net Promoter Score" in recommend and "has fewer than 10 people" in recommend
    # free texts: 12 submissions, so listed, in submission order, without the respondent
    texts = text.split('id="texts-comment"')[1]
    assert texts.index("コメント2") < texts.index("コメント5")
    assert "r-0002" not in text
    no_inline_script_or_style(text)


def test_the_report_pairs_the_pre_and_post_answers(client, analyst, surveys):
    text = page(client.get(POST))
    changes = text.split('id="changes-title"')[1]
    trust = changes.split('id="change-trust"')[1].split('class="result"')[0]
    assert "Respondents in both surveys: 10" in trust
    # before: 6 at 2 and 4 at 3 (mean 2.4); after: all at 4
    assert '<p class="stat__value">2.4</p>' in trust and '<p class="stat__value">4</p>' in trust
    assert '<p class="stat__value">+1.6</p>' in trust
    assert '<svg class="chart__svg"' in trust and "Higher after the pilot" in trust
    area = changes.split('id="change-area"')[1].split('class="result"')[0]
    assert '<table class="data-table cross-table">' in area and '<td data-count="10">10</td>' in area
    # the pre-pilot report shows the same section
    assert 'id="change-trust"' in page(client.get(PRE))


def test_the_report_reads_in_japanese(client, login, surveys):
    login(client, StaffFactory(role=StaffRole.ANALYST.value, locale="ja"))
    response = client.get(PRE)
    assert response.status_code == 200
    text = page(response)
    assert '<html lang="ja">' in text and "事前アンケート(テスト)" in text and "お子さまは何人ですか。" in text
    assert '<th scope="row">1人</th>' in text


# --- the exports ------------------------------------------------------------------------------------------------------


def test_the_answers_download_as_csv_that_reads_back_as_the_stored_rows(client, db, analyst, surveys):
    response = client.get(PRE + "/responses.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="pre_pilot-responses-\d{4}-\d{2}-\d{2}\.csv"', disposition)
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8")
    assert text.count("\r\n") == 13
    stored = db.exec(select(SurveySubmission).where(SurveySubmission.survey_key == "pre_pilot")
                     .order_by(SurveySubmission.submitted_at)).all()
    back = exports.read_responses_csv(text, load("pre_pilot"))
    assert [(line.respondent, line.answers) for line in back] == [(row.respondent, row.answers) for row in stored]
    assert all(line.attributes == {"children_count": "1", "age_bands": "0-2"} for line in back)  # 12 share them
    header = next(csv.reader(io.StringIO(text[1:], newline="")))
    assert header[:4] == ["respondent", "submitted_on", "attr_children_count", "attr_age_bands"]
    event = db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.SURVEY_EXPORT.value)).one()
    assert event.actor == analyst.principal and event.details == {"survey": "pre_pilot", "file": "responses"}
    assert event.ip == "127.0.0.1"
    # A HEAD sends no file: nothing more is recorded.
    assert client.head("/analysts/surveys/pre_pilot/responses.csv").status_code == 200
    assert len(db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.SURVEY_EXPORT.value)).all()) == 1


def test_the_summary_downloads_as_csv_with_hidden_counts_in_japanese(client, db, analyst, surveys):
    response = client.get(PRE + "/summary.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="pre_pilot-summary-\d{4}-\d{2}-\d{2}\.csv"',
                        response.headers["Content-Disposition"])
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.DictReader(io.StringIO(text[1:], newline="")))
    kids = {line["option_key"]: line for line in lines if line["question_key"] == "kids"}
    assert kids["one"]["count"] == kids["none"]["count"] == "10未満のため非表示"
    assert kids["two"]["count"] == "0" and kids["one"]["option_ja"] == "1人"
    trust = {line["option_key"]: line["option_ja"] for line in lines if line["question_key"] == "trust"}
    assert trust["1"].startswith("1 ")
    event = db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.SURVEY_EXPORT.value)).one()
    assert event.details == {"survey": "pre_pilot", "file": "summary"}


def test_a_withdrawn_answer_leaves_the_next_export(client, db, analyst, surveys):
    db.delete(surveys["pre"][0])
    db.flush()
    back = exports.read_responses_csv(page(client.get(PRE + "/responses.csv")), load("pre_pilot"))
    assert "r-0000" not in {line.respondent for line in back} and len(back) == 11


# --- who may -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [LIST, PRE, PRE + "/responses.csv", PRE + "/summary.csv"])
@pytest.mark.parametrize("who", ["resident", "municipal", "operator", "partner"])
def test_other_users_are_refused(client, db, login, surveys, who, path):
    login(client, ResidentFactory() if who == "resident" else StaffFactory(**{who: True}))
    response = client.get(path)
    assert response.status_code == 403
    assert not db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.SURVEY_EXPORT.value)).all()


def test_anonymous_visitors_are_sent_to_the_staff_login(client, surveys):
    response = client.get(PRE + "/responses.csv")
    assert response.status_code == 303 and response.headers["Location"].startswith("/staff/login")


@pytest.mark.parametrize("path", ["/analysts/surveys/later_pilot", "/analysts/surveys/later_pilot/responses.csv",
                                  "/analysts/surveys/later_pilot/summary.csv", "/analysts/surveys/nothing"])
def test_a_draft_or_unknown_survey_is_not_found(client, db, analyst, surveys, path):
    assert client.get(path).status_code == 404
    assert not db.exec(select(AuditEvent).where(AuditEvent.tag == EventTag.SURVEY_EXPORT.value)).all()


def test_the_console_is_read_only(client, analyst, surveys):
    assert client.post(PRE + "/responses.csv").status_code in (400, 405)


def test_a_report_without_pairs_yet_says_so(client, db, analyst, questionnaires):
    db.add_all([Survey(key="pre_pilot", status=SurveyStatus.OPEN), Survey(key="post_pilot", status=SurveyStatus.DRAFT)])
    db.flush()
    add_submissions(db, "pre_pilot", [pre_answers(i) for i in range(12)])
    text = page(client.get(PRE))
    trust = text.split('id="change-trust"')[1].split('class="result"')[0]
    assert "No one has answered this question in both surveys yet." in trust and "<svg" not in trust
