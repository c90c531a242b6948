"""What the pilot analysts see: figures computed from their copy of the answers (SurveySubmission rows, read in one
query per survey) and the questionnaire, every count through app.disclosure. The functions below the reading ones
are pure: rows and questionnaires in, figures out.

- Response counts: submissions, and the response rate over the resident accounts (a count the caller reads).
- Per question, the distribution: single, likert5 and nps as a one-way table of exclusive categories over every
  respondent of the survey (the answers, and "no answer" / "not asked" where a question can have them), so the
  complementary rule covers the categories a condition or an optional question adds; multiple as counts per option
  over the respondents who were asked; text as how many answered. The NPS score with an nps question.
- Pre vs post: for each question asked in both surveys (`measure`), the respondents (same pseudonym) who answered
  it in both: mean before, after and change with the counts up / same / down (likert5, nps), or a before × after
  table of counts (single). Multiple and text measures are not paired.
- Free texts, listed (no respondent, in submission order) once the survey has at least 10 submissions.
The CSV files are app/surveys/exports.py; the charts' layout app/surveys/charts.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, col, select

from app import disclosure
from app.accounts.models import Resident
from app.disclosure import Cell, Table
from app.surveys.models import SurveySubmission
from app.surveys.questionnaire import Question, Questionnaire, QuestionnaireError, load, measures

PRE, POST = "pre_pilot", "post_pilot"
JST = ZoneInfo("Asia/Tokyo")
EXCLUSIVE_TYPES = ("single", "likert5", "nps")
SCALE_TYPES = ("likert5", "nps")

# Categories besides the answer values (keys that no option can have: option keys are identifiers).
NO_ANSWER = "_no_answer"  # asked, not answered (an optional question)
NOT_ASKED = "_not_asked"  # a condition left the question out
UNKNOWN = "_unknown"  # a value the questionnaire no longer has
ANSWERED = "_answered"  # text questions: answered
ASKED = "_asked"  # multiple questions: the respondents the options are counted over
UP, SAME, DOWN = "up", "same", "down"

# NPS: detractors 0–6, passives 7–8, promoters 9–10. The score gives the groups' sums away (with the number who
# answered, so also the sum of those who did not): the 0–10 table is suppressed within each group too.
DETRACTORS, PASSIVES, PROMOTERS = range(0, 7), range(7, 9), range(9, 11)
DETRACTORS_KEY, PASSIVES_KEY, PROMOTERS_KEY, OTHERS_KEY = "detractors", "passives", "promoters", "others"
NPS_GROUP_OF: dict[Any, str] = {
    **dict.fromkeys(DETRACTORS, DETRACTORS_KEY), **dict.fromkeys(PASSIVES, PASSIVES_KEY),
    **dict.fromkeys(PROMOTERS, PROMOTERS_KEY), NO_ANSWER: OTHERS_KEY, NOT_ASKED: OTHERS_KEY, UNKNOWN: OTHERS_KEY,
}
NPS_GROUPS = (DETRACTORS_KEY, PASSIVES_KEY, PROMOTERS_KEY, OTHERS_KEY)

CATEGORY_LABELS: dict[str, Any] = {
    NO_ANSWER: _l("No answer"),
    NOT_ASKED: _l("Not asked"),
    UNKNOWN: _l("An answer no longer in the questionnaire"),
    ANSWERED: _l("Answered"),
    ASKED: _l("Asked"),
    DETRACTORS_KEY: _l("Detractors (0–6)"),
    PASSIVES_KEY: _l("Passives (7–8)"),
    PROMOTERS_KEY: _l("Promoters (9–10)"),
    UP: _l("Higher after the pilot"),
    SAME: _l("Same"),
    DOWN: _l("Lower after the pilot"),
}
CATEGORY_LABELS_JA = {
    NO_ANSWER: "無回答",
    NOT_ASKED: "質問の対象外",
    UNKNOWN: "現在の選択肢にない回答",
    ANSWERED: "回答あり",
    ASKED: "質問の対象",
}



# --- reading (one query each) -----------------------------------------------------------------------------------


def submissions(session: Session, key: str) -> list[SurveySubmission]:
    """The analysts' copy of one survey's answers, in submission order."""
    statement = (select(SurveySubmission).where(SurveySubmission.survey_key == key)
                 .order_by(col(SurveySubmission.submitted_at), col(SurveySubmission.id)))
    return list(session.exec(statement))


def submission_counts(session: Session) -> dict[str, int]:
    """{survey key: submissions}, for the list of surveys."""
    statement = select(SurveySubmission.survey_key, func.count()).group_by(col(SurveySubmission.survey_key))
    return {key: int(count) for key, count in session.exec(statement)}


def resident_count(session: Session) -> int:
    """The resident accounts: the response rate's denominator."""
    return int(session.exec(select(func.count()).select_from(Resident)).one())


# --- response counts ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResponseCounts:
    submissions: int | None  # None: hidden (1 to 9)
    residents: int | None
    rate: float | None  # percent of the resident accounts


def response_counts(submissions: int, residents: int) -> ResponseCounts:
    return ResponseCounts(disclosure.shown_count(submissions), disclosure.shown_count(residents),
                          disclosure.share_of(submissions, residents))


# --- answers --------------------------------------------------------------------------------------------------------


def present(value: Any) -> bool:
    return value not in (None, "", [])


def _valid(question: Question, value: Any) -> bool:
    """A value the question can hold now (a questionnaire edited after answers were given may not have it)."""
    if question.type == "text":
        return isinstance(value, str) and value != ""
    if question.type == "multiple":
        return isinstance(value, list) and any(item in question.values for item in value)
    if question.type in SCALE_TYPES:
        return isinstance(value, int) and not isinstance(value, bool) and value in question.values
    return value in question.values


def _state(question: Question, answers: Mapping[str, Any]) -> str:
    """ANSWERED, UNKNOWN, NO_ANSWER or NOT_ASKED for one respondent."""
    value = answers.get(question.key)
    if present(value):
        return ANSWERED if _valid(question, value) else UNKNOWN
    return NO_ANSWER if question.asked(answers) else NOT_ASKED


def _extra_categories(question: Question, states: Counter[str]) -> list[tuple[str, int]]:
    """The categories besides the values a table of this question shows: those the question can have (a condition:
    not asked; optional: no answer), and any other that occurs."""
    extra = []
    if states[UNKNOWN]:
        extra.append((UNKNOWN, states[UNKNOWN]))
    if not question.required or states[NO_ANSWER]:
        extra.append((NO_ANSWER, states[NO_ANSWER]))
    if question.show_if is not None or states[NOT_ASKED]:
        extra.append((NOT_ASKED, states[NOT_ASKED]))
    return extra


# --- distributions ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NpsScore:
    """Promoters (9–10) minus detractors (0–6), in points, over those who answered; with the three groups' shares
    (percent of those who answered)."""

    respondents: int | None
    score: float | None
    reason: str | None = None  # why it is hidden: "small" (fewer than 10 answered), "group" (a group under 10)
    shares: tuple[tuple[str, float | None], ...] = ()  # (DETRACTORS_KEY | PASSIVES_KEY | PROMOTERS_KEY, percent)


@dataclass(frozen=True)
class Distribution:
    question: Question
    table: Table  # exclusive over all respondents (single, likert5, nps, text); overlapping over `reach` (multiple)
    reach: Table | None = None  # multiple: the respondents asked, and not asked
    nps: NpsScore | None = None

    @property
    def key(self) -> str:
        return self.question.key


def distribution(question: Question, rows: Sequence[SurveySubmission]) -> Distribution:
    states = Counter(_state(question, row.answers) for row in rows)
    if question.type in EXCLUSIVE_TYPES:
        values = Counter(row.answers[question.key] for row in rows if _state(question, row.answers) == ANSWERED)
        cells = [(value, values[value]) for value in question.values] + _extra_categories(question, states)
        if question.type != "nps":
            return Distribution(question, disclosure.exclusive_table(cells))
        return Distribution(question, disclosure.exclusive_table(cells, NPS_GROUP_OF), nps=nps_score(cells))
    if question.type == "multiple":
        return _multiple(question, rows, states)
    table = disclosure.exclusive_table([(ANSWERED, states[ANSWERED] + states[UNKNOWN])]
                                       + [pair for pair in _extra_categories(question, states) if pair[0] != UNKNOWN])
    return Distribution(question, table)


def _multiple(question: Question, rows: Sequence[SurveySubmission], states: Counter[str]) -> Distribution:
    asked = len(rows) - states[NOT_ASKED]
    reach_cells = [(ASKED, asked)] + ([(NOT_ASKED, states[NOT_ASKED])]
                                      if question.show_if is not None or states[NOT_ASKED] else [])
    reach = disclosure.exclusive_table(reach_cells)
    chosen: Counter[str] = Counter()
    for row in rows:
        value = row.answers.get(question.key)
        if isinstance(value, list):
            chosen.update(set(value) & set(question.values))
    cells = [(key, chosen[key]) for key in question.values]
    unanswered = states[NO_ANSWER] + states[UNKNOWN]
    if not question.required or unanswered:
        cells.append((NO_ANSWER, unanswered))
    table = disclosure.overlapping_table(cells, asked, base_shown=reach.cell(ASKED).shown)
    return Distribution(question, table, reach=reach)


def nps_score(cells: Sequence[tuple[Any, int]]) -> NpsScore:
    """The score of an nps question's cells (0–10 and the categories besides), shown when at least 10 answered and
    every group (detractors, passives, promoters, those who did not answer) is 0 or at least 10 people."""
    answered = sum(count for key, count in cells if NPS_GROUP_OF.get(key) != OTHERS_KEY)
    if answered < disclosure.THRESHOLD:
        return NpsScore(None, None, "small")
    groups = disclosure.group_table(cells, NPS_GROUP_OF, NPS_GROUPS)
    if groups.hidden_cells:
        return NpsScore(None, None, "group")
    counts = {cell.key: cell.count or 0 for cell in groups.cells}
    score = disclosure.derived(100 * (counts[PROMOTERS_KEY] - counts[DETRACTORS_KEY]) / answered, answered, digits=1)
    shares = tuple((key, disclosure.percent(counts[key], answered)) for key in (DETRACTORS_KEY, PASSIVES_KEY, PROMOTERS_KEY))
    return NpsScore(answered, score, shares=shares)


def distributions(questionnaire: Questionnaire, rows: Sequence[SurveySubmission]) -> list[Distribution]:
    return [distribution(question, rows) for question in questionnaire.questions]


# --- pre vs post ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleChange:
    """A likert5 or nps question in both surveys, over the respondents who answered it in both."""

    measure: str
    before: Question
    after: Question
    pairs: int | None
    mean_before: float | None
    mean_after: float | None
    mean_change: float | None
    directions: Table  # exclusive: up, same, down


@dataclass(frozen=True)
class CrossChange:
    """A single question in both surveys: how many answered each (before, after) combination."""

    measure: str
    before: Question
    after: Question
    pairs: int | None
    table: Table  # exclusive over the pairs, keyed (before value, after value)

    @property
    def rows(self) -> tuple[Any, ...]:
        return self.before.values

    @property
    def columns(self) -> tuple[Any, ...]:
        return self.after.values

    def cell(self, before: Any, after: Any) -> Cell:
        return self.table.cell((before, after))


Change = ScaleChange | CrossChange


def paired_changes(pre_rows: Sequence[SurveySubmission], post_rows: Sequence[SurveySubmission],
                   pairs: Sequence[tuple[Question, Question]]) -> list[Change]:
    """For each (pre question, post question), the respondents with a submission to both surveys (same
    pseudonym) and an answer to both questions. Questions of another type (multiple, text), or of different types
    in the two surveys, are left out."""
    before_of = {row.respondent: row.answers for row in pre_rows}
    both = [(before_of[row.respondent], row.answers) for row in post_rows if row.respondent in before_of]
    changes: list[Change] = []
    for before_q, after_q in pairs:
        if before_q.type != after_q.type or before_q.type not in (*SCALE_TYPES, "single"):
            continue
        answered = [(b[before_q.key], a[after_q.key]) for b, a in both
                    if present(b.get(before_q.key)) and _valid(before_q, b[before_q.key])
                    and present(a.get(after_q.key)) and _valid(after_q, a[after_q.key])]
        measure = before_q.measure or before_q.key
        if before_q.type == "single":
            counts = Counter(answered)
            table = disclosure.exclusive_table([((b, a), counts[(b, a)]) for b in before_q.values for a in after_q.values])
            changes.append(CrossChange(measure, before_q, after_q, disclosure.shown_count(len(answered)), table))
            continue
        n = len(answered)
        directions = Counter(UP if a > b else DOWN if a < b else SAME for b, a in answered)
        changes.append(ScaleChange(
            measure, before_q, after_q, disclosure.shown_count(n),
            disclosure.mean([b for b, _a in answered]), disclosure.mean([a for _b, a in answered]),
            disclosure.mean([a - b for b, a in answered]),
            disclosure.exclusive_table([(UP, directions[UP]), (SAME, directions[SAME]), (DOWN, directions[DOWN])])))
    return changes


def pre_post_pairs() -> list[tuple[Question, Question]]:
    """The questions asked in both the pre- and the post-pilot survey; none while either file is missing."""
    try:
        return measures(load(PRE), load(POST))
    except QuestionnaireError:
        return []


# --- free texts ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FreeTexts:
    question: Question
    texts: tuple[str, ...] | None  # None: not listed (the survey has fewer than 10 submissions)


def free_texts(questionnaire: Questionnaire, rows: Sequence[SurveySubmission]) -> list[FreeTexts]:
    """The answers to each text question, in submission order, without who gave them; listed only once the survey
    has at least 10 submissions."""
    listed = len(rows) >= disclosure.THRESHOLD
    ordered = sorted(rows, key=lambda row: (row.submitted_at, row.id or 0))
    found = []
    for question in questionnaire.questions:
        if question.type != "text":
            continue
        texts = tuple(row.answers[question.key] for row in ordered if _valid(question, row.answers.get(question.key)))
        found.append(FreeTexts(question, texts if listed else None))
    return found


# --- the report ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    questionnaire: Questionnaire
    counts: ResponseCounts
    distributions: tuple[Distribution, ...]
    changes: tuple[Change, ...]
    texts: tuple[FreeTexts, ...]

    def groups(self) -> list[tuple[Any, list[Distribution]]]:
        """(group, its questions' distributions), in the questionnaire's order."""
        by_key = {d.key: d for d in self.distributions}
        return [(group, [by_key[q.key] for q in group.questions]) for group in self.questionnaire.groups]


def report(questionnaire: Questionnaire, rows: Sequence[SurveySubmission], residents: int,
           changes: Sequence[Change] = ()) -> Report:
    return Report(questionnaire, response_counts(len(rows), residents), tuple(distributions(questionnaire, rows)),
                  tuple(changes), tuple(free_texts(questionnaire, rows)))


def survey_report(session: Session, questionnaire: Questionnaire) -> Report:
    """The report of one survey: its rows, the resident accounts, and the pre/post pairs on either survey."""
    rows = submissions(session, questionnaire.key)
    changes: list[Change] = []
    if questionnaire.key in (PRE, POST) and (pairs := pre_post_pairs()):
        other = submissions(session, POST if questionnaire.key == PRE else PRE)
        pre_rows, post_rows = (rows, other) if questionnaire.key == PRE else (other, rows)
        changes = paired_changes(pre_rows, post_rows, pairs)
    return report(questionnaire, rows, resident_count(session), changes)


# --- labels -------------------------------------------------------------------------------------------------------


def cell_label(question: Question | None, key: Any, language: str) -> str:
    """How a cell's key reads on a page: an answer value's words, or the name of a category besides the answers."""
    if isinstance(key, str) and key in CATEGORY_LABELS:
        return str(CATEGORY_LABELS[key])
    if question is None:
        return str(key)
    return question.value_label(key, language)


def export_label(question: Question, key: Any) -> str:
    """How a cell's key reads in an export (always Japanese; call it under `force_locale("ja")` for the scales)."""
    if isinstance(key, str) and key in CATEGORY_LABELS_JA:
        return CATEGORY_LABELS_JA[key]
    return question.value_label(key, "ja")
