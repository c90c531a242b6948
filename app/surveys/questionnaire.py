"""Questionnaires as data (`data/<key>.toml`, Japanese and English): groups of questions, one group per screen.

Question types: single, multiple (optionally `max_choices`), likert5 (a 1–5 scale named by `scale`), nps (0–10),
text. A question with `show_if` is asked only when an earlier answer is one of `any_of`; an answer to a question
that is no longer asked is dropped, so a changed answer upstream never leaves a stale one in the data. A question
with `measure` is asked in the same words in both surveys: the analysts pair the answers of the same respondents.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l

DATA = Path(__file__).parent / "data"
TYPES = ("single", "multiple", "likert5", "nps", "text")
TEXT_LIMIT = 1000

# The five labels of each scale, from 1 to 5 (the app's, so that every likert question of a kind reads the same).
SCALES: dict[str, tuple[Any, ...]] = {
    "agree": (_l("Strongly disagree"), _l("Disagree"), _l("Neither"), _l("Agree"), _l("Strongly agree")),
    "satisfied": (_l("Very dissatisfied"), _l("Dissatisfied"), _l("Neither"), _l("Satisfied"), _l("Very satisfied")),
    "likely": (_l("Would not use at all"), _l("Would rather not use"), _l("Not sure"), _l("Would like to use"),
               _l("Would very much like to use")),
    "known": (_l("Never heard of it"), _l("Heard the name only"), _l("Know roughly what it is"),
              _l("Know it well"), _l("Have used it")),
}
NPS_ENDS = (_l("Not at all likely"), _l("Extremely likely"))


class QuestionnaireError(ValueError):
    """A questionnaire file that does not hold together (found when it is loaded, never while a resident answers)."""


@dataclass(frozen=True)
class Option:
    key: str
    ja: str
    en: str

    def label(self, language: str) -> str:
        return self.en if language == "en" else self.ja


@dataclass(frozen=True)
class Condition:
    question: str
    any_of: tuple[Any, ...]

    def holds(self, answers: Mapping[str, Any]) -> bool:
        answer = answers.get(self.question)
        if isinstance(answer, list):
            return any(value in self.any_of for value in answer)
        return answer is not None and answer in self.any_of


@dataclass(frozen=True)
class Question:
    key: str
    type: str
    text_ja: str
    text_en: str
    help_ja: str = ""
    help_en: str = ""
    required: bool = True
    options: tuple[Option, ...] = ()
    max_choices: int | None = None
    scale: str | None = None
    show_if: Condition | None = None
    measure: str | None = None
    max_length: int = TEXT_LIMIT

    def text(self, language: str) -> str:
        return self.text_en if language == "en" else self.text_ja

    def help(self, language: str) -> str:
        return self.help_en if language == "en" else self.help_ja

    def asked(self, answers: Mapping[str, Any]) -> bool:
        return self.show_if is None or self.show_if.holds(answers)

    @property
    def values(self) -> tuple[Any, ...]:
        """Every answer value the question can hold (not for text), in display order."""
        if self.type in ("single", "multiple"):
            return tuple(option.key for option in self.options)
        if self.type == "likert5":
            return (1, 2, 3, 4, 5)
        if self.type == "nps":
            return tuple(range(11))
        return ()

    def value_label(self, value: Any, language: str) -> str:
        """How an answer value reads to people (the option's words, the scale's label, the number)."""
        if self.type in ("single", "multiple"):
            for option in self.options:
                if option.key == value:
                    return option.label(language)
        if self.type == "likert5" and self.scale and isinstance(value, int) and 1 <= value <= 5:
            return f"{value} {SCALES[self.scale][value - 1]}"
        return str(value)


@dataclass(frozen=True)
class Group:
    key: str
    title_ja: str
    title_en: str
    questions: tuple[Question, ...]

    def title(self, language: str) -> str:
        return self.title_en if language == "en" else self.title_ja


@dataclass(frozen=True)
class Questionnaire:
    key: str
    title_ja: str
    title_en: str
    intro_ja: str
    intro_en: str
    thanks_ja: str
    thanks_en: str
    minutes: int
    groups: tuple[Group, ...]

    def title(self, language: str) -> str:
        return self.title_en if language == "en" else self.title_ja

    def intro(self, language: str) -> str:
        return self.intro_en if language == "en" else self.intro_ja

    def thanks(self, language: str) -> str:
        return self.thanks_en if language == "en" else self.thanks_ja

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(question for group in self.groups for question in group.questions)

    def question(self, key: str) -> Question | None:
        return next((question for question in self.questions if question.key == key), None)

    def asked(self, answers: Mapping[str, Any]) -> list[Question]:
        """The questions asked given these answers, in order (a condition looks only at earlier answers)."""
        return [question for question in self.questions if question.asked(answers)]

    def cleaned(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers without those to questions no longer asked (in order, so a chain of conditions settles)."""
        kept: dict[str, Any] = {}
        for question in self.questions:
            if question.key in answers and question.asked(kept):
                kept[question.key] = answers[question.key]
        return kept

    def missing(self, answers: Mapping[str, Any]) -> list[Question]:
        """The required questions asked but not answered: what stops a submission."""
        return [q for q in self.asked(answers) if q.required and answers.get(q.key) in (None, "", [])]


# --- reading a screen's answers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerError:
    question: str
    message: Any  # a lazy string


def read_group(group: Group, form: Mapping[str, Sequence[str]], earlier: Mapping[str, Any],
               require: bool) -> tuple[dict[str, Any], list[AnswerError]]:
    """The answers of one screen from the posted form ({name: [values]}), and what is wrong with them. `earlier`:
    the answers so far (conditions of this screen's questions may look at them, and at this screen's own earlier
    answers). `require`: a missing required answer is an error (going forward; going back saves what is there)."""
    found: dict[str, Any] = {}
    errors: list[AnswerError] = []
    context = dict(earlier)
    for question in group.questions:
        if not question.asked(context):
            context.pop(question.key, None)
            continue
        raw = [value.strip() for value in form.get(question.key, ()) if value is not None]
        raw = [value for value in raw if value]
        value, error = _parse(question, raw)
        if error is None and value in (None, "", []) and question.required and require:
            error = _l("Please answer this question.")
        if error is not None:
            errors.append(AnswerError(question.key, error))
            continue
        if value not in (None, "", []):
            found[question.key] = value
            context[question.key] = value
        else:
            context.pop(question.key, None)
    return found, errors


def with_screen(group: Group, answers: Mapping[str, Any], found: Mapping[str, Any]) -> dict[str, Any]:
    """The answers with the screen's own replaced by `found` (what it holds now: an answer left empty goes)."""
    asked_here = {question.key for question in group.questions}
    return {**{k: v for k, v in answers.items() if k not in asked_here}, **found}


def _parse(question: Question, raw: list[str]) -> tuple[Any, Any]:
    if not raw:
        return None, None
    if question.type == "text":
        text = raw[0]
        if len(text) > question.max_length:
            return None, _l("Please keep it within %(limit)d characters.", limit=question.max_length)
        return text, None
    if question.type == "multiple":
        keys = set(question.values)
        chosen = [value for value in dict.fromkeys(raw)]
        if any(value not in keys for value in chosen):
            return None, _l("Please choose from the list.")
        if question.max_choices and len(chosen) > question.max_choices:
            return None, _l("Please choose up to %(count)d.", count=question.max_choices)
        return [key for key in question.values if key in chosen], None  # in the questionnaire's order
    if len(raw) > 1:
        return None, _l("Please choose one answer.")
    if question.type == "single":
        return (raw[0], None) if raw[0] in question.values else (None, _l("Please choose from the list."))
    try:
        number = int(raw[0])
    except ValueError:
        return None, _l("Please choose from the list.")
    return (number, None) if number in question.values else (None, _l("Please choose from the list."))


# --- loading ---------------------------------------------------------------------------------------------------


def available() -> list[str]:
    return sorted(path.stem for path in DATA.glob("*.toml"))


@cache
def load(key: str) -> Questionnaire:
    path = DATA / f"{key}.toml"
    if not key.replace("_", "").isalnum() or not path.is_file():
        raise QuestionnaireError(f"no questionnaire {key!r}")
    with path.open("rb") as file:
        data = tomllib.load(file)
    return _questionnaire(data, key)


def _questionnaire(data: dict[str, Any], key: str) -> Questionnaire:
    if data.get("key") != key:
        raise QuestionnaireError(f"{key}: the file's key is {data.get('key')!r}")
    seen: dict[str, Question] = {}
    groups = []
    for group in data.get("groups", []):
        questions = []
        for raw in group.get("questions", []):
            question = _question(raw, seen, key)
            seen[question.key] = question
            questions.append(question)
        if not questions:
            raise QuestionnaireError(f"{key}: group {group.get('key')} has no question")
        groups.append(Group(group["key"], group["title_ja"], group["title_en"], tuple(questions)))
    if not groups:
        raise QuestionnaireError(f"{key}: no group")
    return Questionnaire(key, data["title_ja"], data["title_en"], data["intro_ja"].strip(), data["intro_en"].strip(),
                         data.get("thanks_ja", ""), data.get("thanks_en", ""), int(data.get("minutes", 10)),
                         tuple(groups))


def _question(raw: dict[str, Any], seen: Mapping[str, Question], survey: str) -> Question:
    key, kind = raw["key"], raw["type"]
    where = f"{survey}.{key}"
    if key in seen:
        raise QuestionnaireError(f"{where}: the key is used twice")
    if kind not in TYPES:
        raise QuestionnaireError(f"{where}: unknown type {kind!r}")
    options = tuple(Option(o["key"], o["ja"], o["en"]) for o in raw.get("options", []))
    if (kind in ("single", "multiple")) != bool(options):
        raise QuestionnaireError(f"{where}: options are for single and multiple questions, and they need them")
    if len({o.key for o in options}) != len(options):
        raise QuestionnaireError(f"{where}: an option key is used twice")
    scale = raw.get("scale")
    if (kind == "likert5") != (scale is not None) or (scale is not None and scale not in SCALES):
        raise QuestionnaireError(f"{where}: a likert5 question names one of the scales {sorted(SCALES)}")
    condition = None
    if "show_if" in raw:
        target = seen.get(raw["show_if"]["question"])
        any_of = tuple(raw["show_if"]["any_of"])
        if target is None:
            raise QuestionnaireError(f"{where}: show_if names no earlier question")
        if not any_of or any(value not in target.values for value in any_of):
            raise QuestionnaireError(f"{where}: show_if holds a value {target.key} cannot have")
        condition = Condition(target.key, any_of)
    return Question(key, kind, raw["text_ja"], raw["text_en"], raw.get("help_ja", ""), raw.get("help_en", ""),
                    bool(raw.get("required", kind != "text")), options, raw.get("max_choices"), scale, condition,
                    raw.get("measure"), int(raw.get("max_length", TEXT_LIMIT)))


def measures(first: Questionnaire, second: Questionnaire) -> list[tuple[Question, Question]]:
    """The questions asked in both (same `measure`), as (first's, second's), in the first's order."""
    later = {q.measure: q for q in second.questions if q.measure}
    return [(q, later[q.measure]) for q in first.questions if q.measure and q.measure in later]


def screen_after(questionnaire: Questionnaire, answers: Mapping[str, Any], index: int, step: int) -> int:
    """The next screen from `index` in direction `step` (+1, -1) that asks anything given the answers: a screen
    whose questions all depend on answers that rule them out is skipped. Forward past the last: the review
    (len(groups)); back before the first: 0."""
    position = index + step
    while 0 <= position < len(questionnaire.groups):
        if any(question.asked(answers) or _same_screen_condition(question, questionnaire.groups[position])
               for question in questionnaire.groups[position].questions):
            return position
        position += step
    return len(questionnaire.groups) if step > 0 else 0


def _same_screen_condition(question: Question, group: Group) -> bool:
    """A condition on a question of the same screen is decided on that screen (it is shown there)."""
    return question.show_if is not None and any(q.key == question.show_if.question for q in group.questions)


def shown_on_screen(group: Group, answers: Mapping[str, Any], *, preview: bool) -> list[tuple[Question, bool]]:
    """The questions a screen shows, each with whether its condition is still open on this screen. A question
    ruled out by an earlier screen is not shown. One that depends on this screen's own answers is shown with a
    note when the page is plain HTML (nothing can hide it as the resident answers; an answer given while it does
    not apply is dropped on saving), and shown or left out by the answers in an htmx preview."""
    shown = []
    for question in group.questions:
        same_screen = _same_screen_condition(question, group)
        if question.asked(answers):
            shown.append((question, same_screen and not preview))
        elif same_screen and not preview:
            shown.append((question, True))
    return shown
