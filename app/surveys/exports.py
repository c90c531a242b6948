"""The analysts' CSV files: responses.csv (one row per submission) and summary.csv (the tables), UTF-8 with a BOM
and CRLF line ends so that Excel opens them as they are; every count through app.disclosure; a cell that Excel
would read as a formula is quoted with a leading apostrophe (and read back without it)."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import force_locale

from app import disclosure
from app.surveys.analysis import (
    JST,
    SCALE_TYPES,
    Distribution,
    export_label,
    present,
)
from app.surveys.models import SurveySubmission
from app.surveys.questionnaire import Question, Questionnaire

ATTRIBUTE_COLUMNS = ("children_count", "age_bands")
LIST_SEPARATOR = ";"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")

def _csv_cell(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection): a leading ' is added to a text that
    starts like a formula, or with ' itself, so that `_csv_value` can take exactly that one off again."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_value(text: str) -> str:
    return text[1:] if text.startswith("'") else text


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as a CSV file for spreadsheets: UTF-8 with a BOM (Excel), CRLF, no cell that runs as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return "\ufeff" + buffer.getvalue()


def _attribute_text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "age_bands" and isinstance(value, list):
        return LIST_SEPARATOR.join(str(item) for item in value)
    return str(value)


def _answer_text(question: Question, value: Any) -> str:
    if not present(value):
        return ""
    if question.type == "multiple" and isinstance(value, list):
        return LIST_SEPARATOR.join(str(item) for item in value)
    return str(value)


def japan_date(row: SurveySubmission) -> date:
    return row.submitted_at.astimezone(JST).date()


# The household attributes' columns are prefixed: a question may have the same key (children_count does).
RESPONSE_COLUMNS = ("respondent", "submitted_on", *(f"attr_{name}" for name in ATTRIBUTE_COLUMNS))


def responses_csv(questionnaire: Questionnaire, rows: Sequence[SurveySubmission]) -> str:
    """One row per submission: the respondent's pseudonym, the day (Japan) it was submitted, the household
    attributes — each value only when at least 10 submissions of the survey share it, else 「10未満のため非表示」;
    empty when not consented to — then one column per question (its key): the option key, the keys joined with
    ";", the number, or the text; empty when not asked or not answered. A text that a spreadsheet would run as a
    formula starts with an added ' (as does one starting with ' itself): `read_responses_csv` takes it off."""
    questions = questionnaire.questions
    shared = {name: Counter(_attribute_text(name, row.attributes.get(name)) for row in rows) for name in ATTRIBUTE_COLUMNS}
    lines: list[Sequence[Any]] = [(*RESPONSE_COLUMNS, *(q.key for q in questions))]
    for row in sorted(rows, key=lambda r: (r.submitted_at, r.id or 0)):
        attributes = []
        for name in ATTRIBUTE_COLUMNS:
            text = _attribute_text(name, row.attributes.get(name))
            attributes.append(text if text == "" or shared[name][text] >= disclosure.THRESHOLD else disclosure.HIDDEN_JA)
        lines.append((row.respondent, japan_date(row).isoformat(), *attributes,
                      *(_answer_text(q, row.answers.get(q.key)) for q in questions)))
    return csv_text(lines)


@dataclass(frozen=True)
class ResponseLine:
    """One row of responses.csv read back."""

    respondent: str
    submitted_on: date
    attributes: dict[str, str]
    answers: dict[str, Any]  # typed as stored: option key, [keys], int, text; unanswered questions absent


def read_responses_csv(text: str, questionnaire: Questionnaire) -> list[ResponseLine]:
    """Parse responses.csv (as `responses_csv` wrote it) back into typed answers."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    fixed = len(RESPONSE_COLUMNS)
    if tuple(header[:fixed]) != RESPONSE_COLUMNS:
        raise ValueError("not a responses.csv")
    questions = [questionnaire.question(key) for key in header[fixed:]]
    lines = []
    for raw in reader:
        cells = [_csv_value(cell) for cell in raw]
        if len(cells) != len(header):
            raise ValueError("a row of responses.csv has the wrong number of cells")
        answers: dict[str, Any] = {}
        for question, cell in zip(questions, cells[fixed:], strict=True):
            if question is None or cell == "":
                continue
            if question.type == "multiple":
                answers[question.key] = cell.split(LIST_SEPARATOR)
            elif question.type in SCALE_TYPES:
                answers[question.key] = int(cell)
            else:
                answers[question.key] = cell
        lines.append(ResponseLine(cells[0], date.fromisoformat(cells[1]),
                                  dict(zip(ATTRIBUTE_COLUMNS, cells[2:fixed], strict=True)), answers))
    return lines


SUMMARY_COLUMNS = ("question_key", "question_ja", "option_key", "option_ja", "count", "percent")


def summary_csv(questionnaire: Questionnaire, found: Sequence[Distribution]) -> str:
    """Every table of the report, one row per cell: the question, the option (key and Japanese label), the count
    or 「10未満のため非表示」, and the percentage (of every respondent; for multiple questions, of those asked)."""
    lines: list[Sequence[Any]] = [SUMMARY_COLUMNS]
    with force_locale("ja"):  # the scales' labels are the app's messages
        for item in found:
            question = item.question
            cells = [*item.table.cells, *(item.reach.cells if item.reach is not None else ())]
            for cell in cells:
                lines.append((question.key, question.text("ja"), str(cell.key), export_label(question, cell.key),
                              disclosure.export_count(cell.count), disclosure.export_figure(cell.percent)))
    return csv_text(lines)

