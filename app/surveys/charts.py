"""Bar charts of the analysts' tables, laid out here and drawn as SVG by templates/components/_charts.html."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from app.disclosure import Cell, Table
from app.surveys.analysis import cell_label
from app.surveys.questionnaire import Question

# The geometry of a horizontal bar chart drawn as SVG by templates/components/_charts.html: a label above each bar
# (wrapped to the chart's width), the count and percentage at the bar's end, a hidden cell as a hatched outline.

CHART_WIDTH = 300  # viewBox units; the chart is drawn at 100% of its box, so 1 unit ~ 1 px on a 360 px phone
FONT_SIZE = 14
LINE_HEIGHT = 18
BAR_HEIGHT = 16
GAP = 10
VALUE_ROOM = 96  # kept free at the end of the longest bar, at least (a wider figure takes more)
HIDDEN_BAR = 36


@dataclass(frozen=True)
class Bar:
    label: str
    lines: tuple[tuple[str, int], ...]  # (text, baseline y) of the label's lines
    count: int | None
    percent: float | None
    bar_y: int
    width: int  # 0 for a zero count; HIDDEN_BAR for a hidden one (drawn as an outline)
    value: str  # what is written at the bar's end
    value_x: int
    value_y: int

    @property
    def hidden(self) -> bool:
        return self.count is None


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    summary: str  # the data in one sentence, for the chart's accessible name
    width: int
    height: int
    bars: tuple[Bar, ...]
    bar_height: int = BAR_HEIGHT
    font_size: int = FONT_SIZE
    hidden_label: str = ""


def _text_width(text: str) -> float:
    """An estimate in viewBox units: full-width (Japanese) characters one em, others a little over half."""
    return sum(FONT_SIZE * (1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.58) for ch in text)


_NO_LINE_START = set("、。，．・：；？！）」』】〕ー〜,.;:!?)%")


def _tokens(text: str) -> list[str]:
    """Words of Latin text, single characters of Japanese (a line may break between any two)."""
    tokens: list[str] = []
    for ch in text:
        wide = unicodedata.east_asian_width(ch) in ("W", "F")
        if tokens and not wide and ch != " " and tokens[-1] != " " and not _is_wide(tokens[-1][-1]):
            tokens[-1] += ch
        else:
            tokens.append(ch)
    return tokens


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def wrap(text: str, width: float, max_lines: int = 3) -> list[str]:
    """The text in lines of at most `width` units (a word longer than a line is cut; a 、 or 。 stays at the end of
    its line), the last one ending with "…" when there are more than `max_lines`."""
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if line and _text_width(line + token.rstrip()) > width and token[0] not in _NO_LINE_START:
            lines.append(line.rstrip())
            line = ""
        if not line:
            if token == " ":
                continue
            while _text_width(token) > width and len(token) > 1:  # a single word wider than the line
                cut = len(token) - 1
                while cut > 1 and _text_width(token[:cut]) > width:
                    cut -= 1
                lines.append(token[:cut])
                token = token[cut:]
        line += token
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and _text_width(last + "…") > width:
            last = last[:-1]
        lines = [*lines[:max_lines - 1], last + "…"]
    return lines or [""]


def _value_text(cell: Cell, hidden_label: str, by_percent: bool = False) -> str:
    if cell.count is None:
        return hidden_label
    if by_percent and cell.percent is not None:
        return f"{cell.percent:.1f}% ({cell.count})"
    if cell.percent is None:
        return str(cell.count)
    return f"{cell.count} ({cell.percent:g}%)"


def bar_chart(chart_id: str, title: str, bars: Sequence[tuple[str, Cell]], hidden_label: str, *,
              by_percent: bool = False) -> BarChart:
    """The chart of (label, cell) in order. `hidden_label`: the words for a hidden count, in the reader's language.
    `by_percent`: the bars are the cells' percentages on a scale of 0–100 % (a rate: every bar has its own base),
    written "8.3% (12)"; a cell then needs its percentage to be drawn."""
    if by_percent:
        bars = [(label, cell if cell.percent is not None else Cell(cell.key, None)) for label, cell in bars]
    largest = 100 if by_percent else max((cell.count for _label, cell in bars if cell.count is not None), default=0)
    # Room at the end of the longest bar for the widest figure drawn after a bar (bold digits run ~8 % wider than
    # the estimate; a hidden cell's words follow its short outline, not a long bar).
    room = max([VALUE_ROOM] + [round(_text_width(_value_text(cell, hidden_label, by_percent)) * 1.08) + 10
                               for _label, cell in bars if cell.count is not None])
    longest = CHART_WIDTH - room
    y = 0
    drawn = []
    for label, cell in bars:
        lines = []
        for text in wrap(label, CHART_WIDTH - 4):
            y += LINE_HEIGHT
            lines.append((text, y - 4))
        bar_y = y + 2
        if cell.count is None:
            width = HIDDEN_BAR
        elif (measure := cell.percent if by_percent else cell.count) == 0 or largest == 0 or measure is None:
            width = 0
        else:
            width = max(2, round(longest * measure / largest))
        drawn.append(Bar(label, tuple(lines), cell.count, cell.percent, bar_y, width,
                         _value_text(cell, hidden_label, by_percent),
                         width + 6, bar_y + BAR_HEIGHT - 3))
        y = bar_y + BAR_HEIGHT + GAP
    summary = f"{title} — " + "; ".join(f"{bar.label}: {bar.value}" for bar in drawn)
    return BarChart(chart_id, title, summary, CHART_WIDTH, max(y, 1), tuple(drawn), hidden_label=hidden_label)


def table_chart(chart_id: str, title: str, question: Question | None, table: Table, language: str,
                hidden_label: str) -> BarChart:
    return bar_chart(chart_id, title, [(cell_label(question, cell.key, language), cell) for cell in table.cells],
                     hidden_label)
