"""A release's tables as staff read them: labels in their language, a fixed order, charts, and the CSV file.

Only what the release kept is used (the figures as they may be shown); hidden figures are said in words, never
as a number, and nothing here can name a household.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from app.disclosure.control import HIDDEN_JA, Cell
from app.ebpm import services
from app.ebpm.models import EbpmRelease
from app.household.ages import LAST_CHILD_CLASS_INDEX, class_label_en, class_label_ja
from app.surveys.charts import BarChart, bar_chart
from app.surveys.exports import csv_text

UNKNOWN_JA, UNKNOWN_EN = "不明", "Unknown"
TOWN_GROUPS = {  # key → (ja, en), in the order shown
    "kashiwanoha_pilot": ("柏の葉実証エリア", "Pilot area (Kashiwa-no-ha)"),
    "kashiwanoha_ring": ("柏の葉周辺（柏市）", "Around the pilot area (Kashiwa)"),
    "nagareyama_ring": ("柏の葉周辺（流山市）", "Around the pilot area (Nagareyama)"),
    "kashiwa_other": ("柏市のその他の地域", "Rest of Kashiwa"),
    "nagareyama_other": ("流山市のその他の地域", "Rest of Nagareyama"),
}
CHILDREN = {"0": ("子どもなし", "No children"), "1": ("1人", "1 child"), "2": ("2人", "2 children"),
            "3+": ("3人以上", "3 or more")}
AGE_CLASSES = {class_label_ja(i): (class_label_ja(i), class_label_en(i)) for i in range(LAST_CHILD_CLASS_INDEX + 1)}

TABLES = {  # table key → (title, what a household counts as, labels, the table's name in the CSV)
    "town_group": (_l("Households by area group"), _l("Each household counts once, where it lives."), TOWN_GROUPS,
                   "町丁目グループ"),
    "age_classes": (_l("Households by children's age class"),
                    _l("A household counts once in the class of each of its children, so the classes add up to more "
                       "than the households with children."), AGE_CLASSES, "年齢クラス"),
    "children_count": (_l("Households by number of children"), _l("Each household counts once."), CHILDREN,
                       "子どもの数"),
}


@dataclass(frozen=True)
class ShownTable:
    key: str
    title: str
    note: str
    total: int | None
    exclusive: bool
    rows: list[tuple[str, Cell]]  # (label, cell), in the fixed order
    chart: BarChart


def _label(labels: dict[str, tuple[str, str]], key: str, language: str) -> str:
    if key == services.UNKNOWN or key == UNKNOWN_JA:
        return UNKNOWN_EN if language == "en" else UNKNOWN_JA
    ja, en = labels.get(key, (key, key))
    return en if language == "en" else ja


def _ordered(labels: dict[str, tuple[str, str]], cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    order = {key: index for index, key in enumerate(labels)}
    return sorted(cells, key=lambda cell: (order.get(cell["key"], len(order)), cell["key"]))


def tables(release: EbpmRelease, language: str, hidden_label: str) -> list[ShownTable]:
    shown = []
    for key, (title, note, labels, _csv_name) in TABLES.items():
        figures = release.payload[key]
        rows = [(_label(labels, cell["key"], language), Cell(cell["key"], cell["count"], cell.get("percent")))
                for cell in _ordered(labels, figures["cells"])]
        shown.append(ShownTable(key, str(title), str(note), figures["total"], figures["exclusive"], rows,
                                bar_chart(f"ebpm-{key}", str(title), rows, hidden_label)))
    return shown


def households(release: EbpmRelease) -> int | None:
    """The households counted, as it may be shown (None: hidden)."""
    return release.payload[services.ALL]["cells"][0]["count"]


def csv_rows(release: EbpmRelease) -> Iterator[list[Any]]:
    """The release as a CSV (in Japanese, like every export): one row per figure."""
    yield ["月", "版", "表", "区分", "世帯数", "割合（%）"]
    yield [release.month, release.version, "合計", "同意した世帯", _figure(households(release)), ""]
    for key, (_title, _note, labels, table_ja) in TABLES.items():
        for cell in _ordered(labels, release.payload[key]["cells"]):
            yield [release.month, release.version, table_ja, _label(labels, cell["key"], "ja"), _figure(cell["count"]),
                   "" if cell.get("percent") is None else cell["percent"]]


def _figure(count: int | None) -> int | str:
    return HIDDEN_JA if count is None else count


def csv_body(release: EbpmRelease) -> str:
    return csv_text(csv_rows(release))
