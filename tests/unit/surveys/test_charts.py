"""The bar charts' layout: hidden counts drawn as outlines with the words, long labels wrapped to the width."""

from __future__ import annotations

from app.surveys import analysis, charts
from tests.unit.surveys.conftest import START, counts, full, rows_of, submission  # noqa: F401

# --- charts ----------------------------------------------------------------------------------------------------------


def test_a_chart_draws_hidden_counts_as_outlines_with_the_words(pre):
    rows = rows_of((20, full("one")), (12, full("two")), (3, full("none")))
    item = analysis.distribution(pre.question("kids"), rows)
    chart = charts.table_chart("chart-kids", "Kids", pre.question("kids"), item.table, "en", "Hidden (fewer than 10)")
    one, two, none = chart.bars
    assert one.value == "20 (57.1%)" and one.width <= charts.CHART_WIDTH - charts.VALUE_ROOM
    assert one.value_x + charts._text_width(one.value) * 1.08 <= charts.CHART_WIDTH  # its figure fits (bold)
    assert two.hidden and two.value == "Hidden (fewer than 10)" and two.width == charts.HIDDEN_BAR
    assert [bar.label for bar in chart.bars] == ["One", "Two", "None"]
    assert chart.summary == "Kids — One: 20 (57.1%); Two: Hidden (fewer than 10); None: Hidden (fewer than 10)"
    assert chart.height > none.bar_y


def test_long_labels_wrap_to_the_chart_width():
    label = "保護者全員が働いていて、短時間勤務やパートの人がいる"
    lines = charts.wrap(label, 296)
    assert len(lines) == 2 and "".join(lines) == label
    sentence = "All parents or guardians work, and at least one works reduced hours or part-time"
    english = charts.wrap(sentence, 296)
    assert len(english) >= 2 and " ".join(english) == sentence
    assert all(charts._text_width(line) <= 296 for line in english)


def test_the_longest_bar_leaves_room_for_a_wide_figure():
    from app.disclosure import Cell

    chart = charts.bar_chart("wide", "Households", [("A", Cell("a", 12345, 44.6)), ("B", Cell("b", 338, 19.9))], "hidden")
    widest = chart.bars[0]
    assert widest.value == "12345 (44.6%)"
    assert widest.value_x + charts._text_width(widest.value) * 1.08 <= charts.CHART_WIDTH
    assert chart.bars[1].width == max(2, round(widest.width * 338 / 12345))

