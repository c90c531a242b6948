"""The analysts' figures over SurveySubmission rows (built in memory): response counts, distributions, NPS, the
paired change and free texts, every count through app.disclosure."""

from __future__ import annotations

from typing import Any

import pytest

from app.surveys import analysis
from app.surveys.analysis import ANSWERED, ASKED, DOWN, NO_ANSWER, NOT_ASKED, SAME, UP
from app.surveys.questionnaire import measures
from tests.unit.surveys.conftest import START, counts, full, rows_of, submission  # noqa: F401

# --- response counts ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("submissions, shown, rate", [(9, None, None), (10, 10, 5.0), (0, 0, 0.0), (25, 25, 12.5)])
def test_response_counts_and_rate(submissions, shown, rate):
    found = analysis.response_counts(submissions, 200)
    assert found.submissions == shown and found.residents == 200 and found.rate == rate


# --- distributions -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("people", [9, 10])
def test_a_question_answered_by_9_is_hidden_and_by_10_is_shown(pre, people):
    rows = rows_of((people, full("one")))
    item = analysis.distribution(pre.question("kids"), rows)
    if people == 9:
        assert item.table.suppressed and counts(item.table) == {"one": None, "two": None, "none": None}
    else:
        assert counts(item.table) == {"one": 10, "two": 0, "none": 0}
        assert item.table.cell("one").percent == 100.0 and item.table.total == 10


def test_a_single_question_is_an_exclusive_table_with_complementary_suppression(pre):
    rows = rows_of((20, full("one")), (12, full("two")), (3, full("none")))
    item = analysis.distribution(pre.question("kids"), rows)
    assert counts(item.table) == {"one": 20, "two": None, "none": None}  # 3 hidden, 12 with it
    assert item.table.total == 35 and item.table.cell("one").percent == 57.1


def test_a_conditional_question_counts_who_was_not_asked(pre):
    rows = rows_of((20, full("one", youngest="baby")), (10, full("two", youngest="child")), (12, full("none")))
    item = analysis.distribution(pre.question("youngest"), rows)
    assert counts(item.table) == {"baby": 20, "child": 10, NOT_ASKED: 12}
    assert item.table.total == 42  # percentages of every respondent
    assert item.table.cell("baby").percent == 47.6


def test_the_not_asked_cell_is_protected_like_any_other(pre):
    rows = rows_of((20, full("one", youngest="baby")), (15, full("two", youngest="child")), (4, full("none")))
    item = analysis.distribution(pre.question("youngest"), rows)
    assert counts(item.table) == {"baby": 20, "child": None, NOT_ASKED: None}


def test_a_likert_question_lists_every_scale_point(pre):
    rows = rows_of((10, full(trust=5)), (11, full(trust=4)), (0, full()))
    item = analysis.distribution(pre.question("trust"), rows)
    assert counts(item.table) == {1: 0, 2: 0, 3: 0, 4: 11, 5: 10}
    assert [cell.percent for cell in item.table.cells] == [0.0, 0.0, 0.0, 52.4, 47.6]


def test_a_multiple_question_counts_options_over_those_asked(pre):
    rows = rows_of((12, full("one", help=["nursery", "clinic"])), (10, full("two", help=["nursery", "park"])),
                   (3, full("two", help=["park"])), (10, full("none")))
    item = analysis.distribution(pre.question("help"), rows)
    assert not item.table.exclusive
    assert counts(item.table) == {"nursery": 22, "clinic": 12, "park": 13}
    assert item.table.total == 25  # asked
    assert item.table.cell("nursery").percent == 88.0 and item.table.cell("park").percent == 52.0
    assert counts(item.reach) == {ASKED: 25, NOT_ASKED: 10}


def test_a_multiple_question_with_a_small_not_asked_group_hides_its_base(pre):
    rows = rows_of((12, full("one", help=["nursery"])), (3, full("none")))
    item = analysis.distribution(pre.question("help"), rows)
    assert counts(item.reach) == {ASKED: None, NOT_ASKED: None}
    assert counts(item.table) == {"nursery": 12, "clinic": 0, "park": 0}
    assert item.table.total is None and item.table.cell("nursery").percent is None  # 12 of 12 would give 3 away


def test_a_multiple_question_asked_of_fewer_than_10_is_hidden_whole(pre):
    rows = rows_of((9, full("one", help=["nursery"])), (20, full("none")))
    item = analysis.distribution(pre.question("help"), rows)
    assert item.table.suppressed


def test_a_text_question_shows_only_how_many_answered(pre):
    rows = rows_of((11, full(comment="保育園の空きが知りたい")), (10, full()))
    item = analysis.distribution(pre.question("comment"), rows)
    assert counts(item.table) == {ANSWERED: 11, NO_ANSWER: 10}


# --- NPS ---------------------------------------------------------------------------------------------------------


def test_the_nps_score_is_promoters_minus_detractors_in_points(pre):
    rows = rows_of((10, full(recommend=10)), (10, full(recommend=9)), (10, full(recommend=7)), (10, full(recommend=3)))
    item = analysis.distribution(pre.question("recommend"), rows)
    assert item.nps is not None and item.nps.respondents == 40 and item.nps.score == 25.0  # 50% − 25%
    assert item.nps.shares == (("detractors", 25.0), ("passives", 25.0), ("promoters", 50.0))


@pytest.mark.parametrize("people, score", [(9, None), (10, -100.0)])
def test_the_nps_score_of_fewer_than_10_is_hidden(pre, people, score):
    item = analysis.distribution(pre.question("recommend"), rows_of((people, full(recommend=0))))
    assert item.nps.score == score
    assert item.nps.reason == ("small" if score is None else None)


def test_the_nps_score_is_hidden_when_a_group_has_fewer_than_10(pre):
    rows = rows_of((3, full(recommend=0)), (12, full(recommend=7)), (20, full(recommend=10)))
    item = analysis.distribution(pre.question("recommend"), rows)
    assert counts(item.table)[0] is None and counts(item.table)[7] is None  # 3 hidden, 12 with it
    assert item.nps.score is None and item.nps.reason == "group"  # 3 detractors: the score would give them away


def test_the_nps_table_is_suppressed_within_each_group_when_the_score_is_shown(pre):
    # 3 at 9 and 12 at 10: the promoters (15) are known from the score, so 3 needs its partner among them
    rows = rows_of((3, full(recommend=9)), (12, full(recommend=10)), (11, full(recommend=7)), (10, full(recommend=2)))
    item = analysis.distribution(pre.question("recommend"), rows)
    assert counts(item.table)[9] is None and counts(item.table)[10] is None
    assert counts(item.table)[7] == 11 and counts(item.table)[2] == 10
    assert item.nps.score == 13.9  # (15 − 10) / 36


# --- pre vs post -------------------------------------------------------------------------------------------------


def paired_rows(pre_answers: list[dict[str, Any]], post_answers: list[dict[str, Any]]) -> tuple[list, list]:
    pre_rows = [submission(i, answers, respondent=f"r-{i}") for i, answers in enumerate(pre_answers)]
    post_rows = [submission(100 + i, answers, key="post_pilot", respondent=f"r-{i}") for i, answers in enumerate(post_answers)]
    return pre_rows, post_rows


def test_a_scale_change_pairs_the_same_respondents(pre, post):
    before = [full(trust=2)] * 6 + [full(trust=3)] * 6 + [full(trust=4)]
    after = [{"trust_after": 4}] * 6 + [{"trust_after": 3}] * 4 + [{"trust_after": 2}] * 2 + [{}]
    pre_rows, post_rows = paired_rows(before, after)
    post_rows.append(submission(999, {"trust_after": 5}, key="post_pilot", respondent="r-only-after"))
    pre_rows.append(submission(998, full(trust=1), respondent="r-only-before"))
    changes = analysis.paired_changes(pre_rows, post_rows, measures(pre, post))
    trust = next(c for c in changes if c.measure == "trust")
    assert isinstance(trust, analysis.ScaleChange)
    assert trust.pairs == 12  # the 13th answered only before; the others are in one survey only
    assert trust.mean_before == 2.5 and trust.mean_after == 3.33 and trust.mean_change == 0.83
    # 6 up, 4 same, 2 down: 4 and 2 hidden, then 6 with them; the three under a total of 12 would each lie in 1–10,
    # so the total goes too
    assert counts(trust.directions) == {UP: None, SAME: None, DOWN: None}
    assert trust.directions.total is None


def test_a_scale_change_of_fewer_than_10_pairs_is_hidden(pre, post):
    pre_rows, post_rows = paired_rows([full(trust=2)] * 9, [{"trust_after": 4}] * 9)
    trust = next(c for c in analysis.paired_changes(pre_rows, post_rows, measures(pre, post)) if c.measure == "trust")
    assert trust.pairs is None and trust.mean_before is None and trust.mean_after is None and trust.mean_change is None
    assert trust.directions.suppressed


def test_a_scale_change_of_10_pairs_is_shown(pre, post):
    pre_rows, post_rows = paired_rows([full(trust=2)] * 10, [{"trust_after": 4}] * 10)
    trust = next(c for c in analysis.paired_changes(pre_rows, post_rows, measures(pre, post)) if c.measure == "trust")
    assert trust.pairs == 10 and trust.mean_change == 2.0
    assert counts(trust.directions) == {UP: 10, SAME: 0, DOWN: 0}


def test_a_single_question_change_is_a_cross_table(pre, post):
    before = [full(area="north")] * 20 + [full(area="south")] * 12
    after = [{"area_after": "north"}] * 15 + [{"area_after": "south"}] * 5 + [{"area_after": "south"}] * 12
    pre_rows, post_rows = paired_rows(before, after)
    area = next(c for c in analysis.paired_changes(pre_rows, post_rows, measures(pre, post)) if c.measure == "area")
    assert isinstance(area, analysis.CrossChange)
    assert area.pairs == 32 and area.rows == ("north", "south") and area.columns == ("north", "south")
    assert area.cell("north", "north").count == 15
    assert area.cell("north", "south").count is None  # 5
    assert area.cell("south", "south").count is None  # 12: the complementary cell (the smallest non-zero)
    assert area.cell("south", "north").count == 0


# --- free texts ----------------------------------------------------------------------------------------------------


def test_free_texts_are_listed_in_submission_order_only_from_10_submissions(pre):
    rows = [submission(i, full(comment=f"意見 {i}") if i % 3 == 0 else full()) for i in range(1, 10)]
    (texts,) = analysis.free_texts(pre, rows)
    assert texts.question.key == "comment" and texts.texts is None
    rows.append(submission(10, full()))
    rows.insert(0, rows.pop(5))  # the order of the rows does not matter: the submission time does
    (texts,) = analysis.free_texts(pre, rows)
    assert texts.texts == ("意見 3", "意見 6", "意見 9")
