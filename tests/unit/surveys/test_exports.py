"""The CSV files: a BOM and CRLF for Excel, one row per submission read back as stored, attributes shared by fewer
than 10 hidden, formulas quoted, the summary's hidden cells in Japanese."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from app import disclosure
from app.surveys import analysis, exports
from app.surveys.models import SurveySubmission
from app.surveys.questionnaire import Group, Option, Question, Questionnaire
from tests.unit.surveys.conftest import START, counts, full, rows_of, submission  # noqa: F401

# --- CSV -----------------------------------------------------------------------------------------------------------


def export_rows() -> list[SurveySubmission]:
    rows = []
    for i in range(12):
        answers = full("one" if i % 2 else "none", trust=1 + i % 5, recommend=i % 11)
        if i == 1:
            answers |= {"comment": '=HYPERLINK("x"),\n"改行", カンマ'}
        if i == 2:
            answers |= {"comment": "'引用符で始まる"}
        if i == 3:
            answers |= {"help": ["nursery", "clinic", "park"]}
        attributes = {"children_count": 1 if i < 11 else 3, "age_bands": ["0-2", "3-5"] if i < 11 else ["6-11"]}
        rows.append(submission(i + 1, answers, attributes=attributes if i != 4 else {}))
    return rows


def test_responses_csv_has_a_bom_crlf_and_one_row_per_submission_that_reads_back_as_stored(pre):
    rows = export_rows()
    text = exports.responses_csv(pre, rows)
    assert text.startswith("\ufeff")
    assert "\r\n" in text and text.count("\r\n") == len(rows) + 1  # a newline inside a quoted text stays \n
    header = next(csv.reader(io.StringIO(text[1:], newline="")))
    assert header == ["respondent", "submitted_on", "attr_children_count", "attr_age_bands", "kids", "youngest", "help",
                      "trust", "recommend", "area", "comment"]
    back = exports.read_responses_csv(text, pre)
    assert [line.respondent for line in back] == [row.respondent for row in rows]
    assert [line.answers for line in back] == [row.answers for row in rows]
    assert back[0].submitted_on == date(2026, 11, 20)  # 04:00 UTC is 13:00 in Japan
    raw = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert raw[2][header.index("comment")].startswith("'=HYPERLINK")  # a spreadsheet does not run it
    assert raw[4][header.index("help")] == "nursery;clinic;park"


def test_responses_csv_shows_an_attribute_value_only_when_10_share_it(pre):
    rows = export_rows()
    back = exports.read_responses_csv(exports.responses_csv(pre, rows), pre)
    by_respondent = {line.respondent: line.attributes for line in back}
    assert by_respondent["r-0001"] == {"children_count": "1", "age_bands": "0-2;3-5"}  # 10 share each
    assert by_respondent["r-0005"] == {"children_count": "", "age_bands": ""}  # not consented to
    assert by_respondent["r-0012"] == {"children_count": disclosure.HIDDEN_JA, "age_bands": disclosure.HIDDEN_JA}


def test_responses_csv_of_a_date_near_midnight_is_the_japan_date(pre):
    row = submission(1, full())
    row.submitted_at = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)  # 00:30 on the 27th in Japan
    (line,) = exports.read_responses_csv(exports.responses_csv(pre, [row]), pre)
    assert line.submitted_on == date(2026, 11, 27)


def test_summary_csv_lists_every_cell_with_the_hidden_ones_in_japanese(pre):
    rows = rows_of((20, full("one")), (12, full("two")), (3, full("none")))
    text = exports.summary_csv(pre, analysis.distributions(pre, rows))
    assert text.startswith("\ufeff") and text.endswith("\r\n")
    lines = list(csv.DictReader(io.StringIO(text[1:], newline="")))
    kids = {line["option_key"]: line for line in lines if line["question_key"] == "kids"}
    assert kids["one"] == {"question_key": "kids", "question_ja": "お子さまは何人ですか。", "option_key": "one",
                           "option_ja": "1人", "count": "20", "percent": "57.1"}
    assert kids["two"]["count"] == kids["none"]["count"] == "10未満のため非表示"
    assert kids["two"]["percent"] == ""
    youngest = {line["option_key"]: line for line in lines if line["question_key"] == "youngest"}
    assert youngest["_not_asked"]["option_ja"] == "質問の対象外"
    help_rows = {line["option_key"]: line for line in lines if line["question_key"] == "help"}
    assert set(help_rows) == {"nursery", "clinic", "park", "_asked", "_not_asked"}
    comment = [line for line in lines if line["question_key"] == "comment"]
    assert [(line["option_key"], line["count"]) for line in comment] == [("_answered", "0"), ("_no_answer", "35")]


@pytest.mark.parametrize("sharing, shown", [(9, False), (10, True)])
def test_an_attribute_value_shared_by_9_is_hidden_and_by_10_is_shown(pre, sharing, shown):
    rows = [submission(i + 1, full(), attributes={"children_count": 2 if i < sharing else 1, "age_bands": ["0-2"]})
            for i in range(sharing + 10)]
    back = exports.read_responses_csv(exports.responses_csv(pre, rows), pre)
    assert back[0].attributes["children_count"] == ("2" if shown else disclosure.HIDDEN_JA)
    assert back[-1].attributes == {"children_count": "1", "age_bands": "0-2"}


def test_a_question_keyed_like_an_attribute_keeps_its_own_column():
    question = Question("children_count", "single", "お子さまの人数", "Children", options=(Option("one", "1人", "One"),))
    form = Questionnaire("x", "x", "x", "", "", "", "", 1, (Group("g", "g", "g", (question,)),))
    rows = [submission(i + 1, {"children_count": "one"}, attributes={"children_count": 1}) for i in range(10)]
    text = exports.responses_csv(form, rows)
    assert text.splitlines()[0] == "\ufeffrespondent,submitted_on,attr_children_count,attr_age_bands,children_count"
    back = exports.read_responses_csv(text, form)
    assert back[0].answers == {"children_count": "one"}
    assert back[0].attributes == {"children_count": "1", "age_bands": ""}
