"""The questionnaires: the shipped files hold together (and pair their repeated questions), conditions, reading a
screen's answers (every kind of bad input refused with a message, nothing half-read), and what a screen shows."""

from __future__ import annotations

import pytest

from app.surveys.questionnaire import (
    QuestionnaireError,
    _questionnaire,
    load,
    measures,
    read_group,
    screen_after,
    shown_on_screen,
)


def small(**changes):  # type: ignore[no-untyped-def]
    """A questionnaire of two screens: whether a service was used, which ones (only if yes) and a rating; then a
    0–10 and a free text."""
    data = {
        "key": "t", "title_ja": "テスト", "title_en": "Test", "intro_ja": "は", "intro_en": "i", "minutes": 3,
        "groups": [
            {"key": "a", "title_ja": "A", "title_en": "A", "questions": [
                {"key": "used", "type": "single", "text_ja": "使った?", "text_en": "Used?",
                 "options": [{"key": "yes", "ja": "はい", "en": "Yes"}, {"key": "no", "ja": "いいえ", "en": "No"}]},
                {"key": "which", "type": "multiple", "text_ja": "どれ?", "text_en": "Which?", "max_choices": 2,
                 "show_if": {"question": "used", "any_of": ["yes"]},
                 "options": [{"key": "x", "ja": "X", "en": "X"}, {"key": "y", "ja": "Y", "en": "Y"},
                             {"key": "z", "ja": "Z", "en": "Z"}]},
                {"key": "rating", "type": "likert5", "scale": "satisfied", "text_ja": "満足?", "text_en": "Happy?"},
            ]},
            {"key": "b", "title_ja": "B", "title_en": "B", "questions": [
                {"key": "nps", "type": "nps", "text_ja": "勧める?", "text_en": "Recommend?"},
                {"key": "why", "type": "text", "text_ja": "理由", "text_en": "Why", "max_length": 10,
                 "show_if": {"question": "nps", "any_of": [0, 1, 2]}},
            ]},
        ],
    }
    data.update(changes)
    return _questionnaire(data, "t")


def test_the_shipped_questionnaires_load_and_pair_their_repeated_questions() -> None:
    pre, post = load("pre_pilot"), load("post_pilot")
    for questionnaire in (pre, post):
        assert 20 <= len(questionnaire.questions) <= 30
        assert {q.type for q in questionnaire.questions} == {"single", "multiple", "likert5", "nps", "text"}
        assert any(q.show_if for q in questionnaire.questions)
        assert all(q.text_ja and q.text_en for q in questionnaire.questions)
    pairs = measures(pre, post)
    assert len(pairs) >= 5
    for before, after in pairs:  # asked in the same words and on the same scale, or the change means nothing
        same = ("type", "text_ja", "text_en", "scale", "values")
        assert [getattr(before, a) for a in same] == [getattr(after, a) for a in same]


def test_a_broken_file_is_refused_when_it_is_loaded() -> None:
    with pytest.raises(QuestionnaireError, match="key"):
        small(key="other")
    groups = [{"key": "a", "title_ja": "A", "title_en": "A", "questions": [
        {"key": "late", "type": "text", "text_ja": "t", "text_en": "t", "show_if": {"question": "later", "any_of": ["x"]}}]}]
    with pytest.raises(QuestionnaireError, match="earlier"):
        small(groups=groups)
    groups = [{"key": "a", "title_ja": "A", "title_en": "A", "questions": [
        {"key": "s", "type": "single", "text_ja": "t", "text_en": "t"}]}]
    with pytest.raises(QuestionnaireError, match="options"):
        small(groups=groups)
    groups = [{"key": "a", "title_ja": "A", "title_en": "A", "questions": [
        {"key": "l", "type": "likert5", "text_ja": "t", "text_en": "t", "scale": "loud"}]}]
    with pytest.raises(QuestionnaireError, match="scale"):
        small(groups=groups)


def test_reading_a_screen_keeps_valid_answers_and_names_each_problem() -> None:
    group = small().groups[0]
    found, errors = read_group(group, {"used": ["yes"], "which": ["z", "x"], "rating": ["4"]}, {}, require=True)
    assert found == {"used": "yes", "which": ["x", "z"], "rating": 4} and errors == []  # options in the file's order
    found, errors = read_group(group, {"used": ["maybe"], "which": ["x", "y", "z"], "rating": ["6"]}, {}, require=True)
    assert found == {} and [e.question for e in errors] == ["used", "rating"]  # "which" is not asked without a yes
    found, errors = read_group(group, {"used": ["yes"], "which": ["x", "y", "z"]}, {}, require=True)
    assert [(e.question, str(e.message)) for e in errors] == [("which", "Please choose up to 2."),
                                                              ("rating", "Please answer this question.")]
    found, errors = read_group(group, {"used": ["yes", "no"]}, {}, require=False)
    assert found == {} and str(errors[0].message) == "Please choose one answer."
    found, errors = read_group(group, {"rating": ["abc"]}, {}, require=False)
    assert str(errors[0].message) == "Please choose from the list."
    found, errors = read_group(group, {}, {}, require=False)  # going back: nothing is required
    assert found == {} and errors == []


def test_a_text_answer_is_kept_within_its_length() -> None:
    group = small().groups[1]
    found, errors = read_group(group, {"nps": ["1"], "why": ["  短い理由  "]}, {}, require=True)
    assert found == {"nps": 1, "why": "短い理由"} and not errors
    found, errors = read_group(group, {"nps": ["1"], "why": ["x" * 11]}, {}, require=True)
    assert str(errors[0].message) == "Please keep it within 10 characters."


def test_answers_to_questions_no_longer_asked_are_dropped_and_required_ones_counted() -> None:
    q = small()
    assert q.cleaned({"used": "no", "which": ["x"], "rating": 3}) == {"used": "no", "rating": 3}
    assert [m.key for m in q.missing({"used": "yes"})] == ["which", "rating", "nps"]
    assert [m.key for m in q.missing({"used": "no", "rating": 2, "nps": 1})] == []  # "why" is optional


def test_a_screen_shows_what_applies_and_marks_what_it_decides_itself() -> None:
    q = small()
    screen = q.groups[0]
    assert [(question.key, open_) for question, open_ in shown_on_screen(screen, {}, preview=False)] == [
        ("used", False), ("which", True), ("rating", False)]
    assert [question.key for question, _ in shown_on_screen(screen, {"used": "no"}, preview=True)] == ["used", "rating"]
    assert [question.key for question, _ in shown_on_screen(screen, {"used": "yes"}, preview=True)] == [
        "used", "which", "rating"]


def test_screens_that_ask_nothing_are_skipped() -> None:
    only_if_yes = {"key": "c", "title_ja": "C", "title_en": "C", "questions": [
        {"key": "detail", "type": "text", "text_ja": "詳しく", "text_en": "Detail",
         "show_if": {"question": "used", "any_of": ["yes"]}}]}
    raw = {
        "key": "t", "title_ja": "t", "title_en": "t", "intro_ja": "", "intro_en": "",
        "groups": [
            {"key": "a", "title_ja": "A", "title_en": "A", "questions": [
                {"key": "used", "type": "single", "text_ja": "?", "text_en": "?",
                 "options": [{"key": "yes", "ja": "はい", "en": "Yes"}, {"key": "no", "ja": "いいえ", "en": "No"}]}]},
            only_if_yes,
            {"key": "d", "title_ja": "D", "title_en": "D", "questions": [
                {"key": "last", "type": "nps", "text_ja": "?", "text_en": "?"}]},
        ],
    }
    q = _questionnaire(raw, "t")
    assert screen_after(q, {"used": "no"}, 0, 1) == 2 and screen_after(q, {"used": "yes"}, 0, 1) == 1
    assert screen_after(q, {"used": "no"}, 2, -1) == 0
    assert screen_after(q, {"used": "no"}, 2, 1) == 3  # past the last: the review
