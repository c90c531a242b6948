"""A release's tables as staff read them: labels in their language, a fixed order, charts, and the CSV file.

Only what the release kept is used (the figures as they may be shown); hidden figures are said in words, never
as a number, and nothing here can name a household.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from app import months
from app.disclosure.control import HIDDEN_JA, Cell
from app.ebpm import outcomes, services, uptake
from app.ebpm.models import EbpmRelease
from app.household.ages import LAST_CHILD_CLASS_INDEX, class_label_en, class_label_ja
from app.recommend.ranking_text import TAG_LABELS
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


CSV_HEADER = ["月", "版", "表", "サービス", "区分", "世帯数", "うち利用した世帯", "割合・利用率（%）", "予算（円）",
              "利用世帯あたり費用（円）"]


def csv_rows(release: EbpmRelease, names: dict[str, str], costs: list[Any],
             categories: dict[str, tuple[str, str]]) -> Iterator[list[Any]]:
    """The release as a CSV (in Japanese, like every export): one row per figure, the same columns throughout."""
    yield CSV_HEADER
    yield [release.month, release.version, "合計", "", "同意した世帯", _figure(households(release)), "", "", "", ""]
    for key, (_title, _note, labels, table_ja) in TABLES.items():
        for cell in _ordered(labels, release.payload[key]["cells"]):
            yield [release.month, release.version, table_ja, "", _label(labels, cell["key"], "ja"),
                   _figure(cell["count"]), "", "" if cell.get("percent") is None else cell["percent"], "", ""]
    yield from uptake_csv_rows(release, names)
    yield from outcome_csv_rows(release, categories)
    for cost in costs:
        yield [release.month, release.version, "利用世帯あたり費用（年度）", names.get(cost.service_id, cost.service_id),
               f"{uptake.fiscal_year(release.month)}年度", "", _figure(cost.users), "", cost.amount_yen,
               "" if cost.users == 0 else _figure(cost.per_user_yen)]


def _figure(count: int | None) -> int | str:
    return HIDDEN_JA if count is None else count


def csv_body(release: EbpmRelease, names: dict[str, str], costs: list[Any],
             categories: dict[str, tuple[str, str]]) -> str:
    return csv_text(csv_rows(release, names, costs, categories))


# --- uptake (docs/ebpm.md, "U") ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UptakeRow:
    key: str
    label: str
    eligible: int | None  # None: hidden
    used: int | None
    rate: float | None  # percent of the eligible that used it; None: not shown


@dataclass(frozen=True)
class ServiceUptake:
    service_id: str
    name: str
    total: UptakeRow
    by_area: list[UptakeRow]
    by_class: list[UptakeRow]
    by_shown: list[UptakeRow]
    area_chart: BarChart
    class_chart: BarChart
    shown_chart: BarChart


@dataclass(frozen=True)
class Filters:
    """What staff chose to look at; every value is one of the predefined dimensions' values (else None)."""

    service: str | None = None
    area: str | None = None
    age_class: str | None = None


def filter_label(filters: Filters, language: str) -> str | None:
    """The chosen area group or age class in words (None: all households)."""
    if filters.area:
        return _label(TOWN_GROUPS, filters.area, language)
    if filters.age_class:
        return _label(AGE_CLASSES, filters.age_class, language)
    return None


SHOWN_ROWS = {uptake.WAS_SHOWN: ("おすすめに表示された世帯", "Shown it in the feed"),
              uptake.NOT_SHOWN: ("表示されなかった世帯", "Not shown it"),
              uptake.UNKNOWN: ("表示の有無の提供に同意していない世帯", "Did not agree to share what was shown")}


def _rows(release: EbpmRelease, service_id: str, breakdown: str, labels: dict[str, tuple[str, str]],
          language: str) -> list[UptakeRow]:
    if uptake.table_name(service_id, breakdown, uptake.ELIGIBLE) not in release.payload:
        return []  # (a release made before the breakdown existed)
    eligible = release.payload[uptake.table_name(service_id, breakdown, uptake.ELIGIBLE)]
    used = {c["key"]: c["count"] for c in release.payload[uptake.table_name(service_id, breakdown, uptake.USED)]["cells"]}
    return [UptakeRow(cell["key"], _label(labels, cell["key"], language), cell["count"], used.get(cell["key"]),
                      uptake.rate(cell["count"], used.get(cell["key"])))
            for cell in _ordered(labels, eligible["cells"])]


def _total(release: EbpmRelease, service_id: str, label: str) -> UptakeRow:
    eligible = release.payload[uptake.table_name(service_id, uptake.AREA, uptake.ELIGIBLE)]["total"]
    used = release.payload[uptake.table_name(service_id, uptake.AREA, uptake.USED)]["total"]
    return UptakeRow(release.month, label, eligible, used, uptake.rate(eligible, used))


def rate_chart(chart_id: str, title: str, rows: list[UptakeRow], hidden_label: str) -> BarChart:
    return bar_chart(chart_id, title, [(row.label, Cell(row.key, row.used, row.rate)) for row in rows], hidden_label,
                     by_percent=True)


def uptake_services(release: EbpmRelease) -> list[str]:
    return uptake.services_in(release.payload)


def service_uptake(release: EbpmRelease, service_id: str, name: str, language: str, hidden_label: str,
                   filters: Filters) -> ServiceUptake:
    """One service's uptake, by area group and by 年齢クラス (each cut to the chosen group or class)."""
    by_area = [row for row in _rows(release, service_id, uptake.AREA, TOWN_GROUPS, language)
               if filters.area is None or row.key == filters.area]
    by_class = [row for row in _rows(release, service_id, uptake.CLASS, AGE_CLASSES, language)
                if filters.age_class is None or row.key == filters.age_class]
    by_shown = _rows(release, service_id, uptake.SHOWN, SHOWN_ROWS, language)
    everyone = str(_l("All areas"))
    return ServiceUptake(service_id, name, _total(release, service_id, everyone), by_area, by_class, by_shown,
                         rate_chart(f"uptake-area-{service_id}", str(_l("Uptake by area group")), by_area, hidden_label),
                         rate_chart(f"uptake-class-{service_id}", str(_l("Uptake by age class")), by_class,
                                     hidden_label),
                         rate_chart(f"uptake-shown-{service_id}", str(_l("Uptake when the feed showed it")), by_shown,
                                     hidden_label))


def trend(releases: list[EbpmRelease], service_id: str) -> list[UptakeRow]:
    """The service's uptake over all areas in each released month (oldest first), from each month's kept release."""
    return [_total(release, service_id, release.month) for release in releases
            if uptake.table_name(service_id, uptake.AREA, uptake.ELIGIBLE) in release.payload]


def overview(release: EbpmRelease, names: dict[str, str], language: str, filters: Filters) -> list[UptakeRow]:
    """Every service's uptake in one row each: over all households, or in the chosen area group or age class."""
    rows = []
    for service_id in uptake_services(release):
        name = names.get(service_id, service_id)
        if filters.area is None and filters.age_class is None:
            row = _total(release, service_id, name)
        else:
            breakdown, key = (uptake.AREA, filters.area) if filters.area else (uptake.CLASS, filters.age_class)
            found = [r for r in _rows(release, service_id, breakdown, {}, language) if r.key == key]
            if not found:
                continue  # nobody in it is eligible for the service
            row = found[0]
        rows.append(UptakeRow(service_id, name, row.eligible, row.used, row.rate))
    return rows


def uptake_csv_rows(release: EbpmRelease, names: dict[str, str]) -> Iterator[list[Any]]:
    """The uptake tables as CSV rows (after the households' ones)."""
    for service_id in uptake_services(release):
        for breakdown, labels, table_ja in ((uptake.AREA, TOWN_GROUPS, "利用率（町丁目グループ）"),
                                            (uptake.CLASS, AGE_CLASSES, "利用率（年齢クラス）"),
                                            (uptake.SHOWN, SHOWN_ROWS, "利用率（おすすめ表示の有無）")):
            for row in _rows(release, service_id, breakdown, labels, "ja"):
                yield [release.month, release.version, table_ja, names.get(service_id, service_id), row.label,
                       _figure(row.eligible), _figure(row.used), "" if row.rate is None else row.rate, "", ""]


# --- participation around a first recommendation, and satisfaction (docs/ebpm.md, "P" and "Q") -----------------------

MEASURES = {"info_finding": ("子育て情報の見つけやすさ（1〜5）", "Ease of finding information on raising children (1–5)"),
            "service_satisfaction": ("利用した子育て支援サービスの満足度（1〜5、実証後）",
                                     "Satisfaction with the support services used (1–5, after the pilot)")}


@dataclass(frozen=True)
class OutcomeRow:
    key: str
    label: str
    households: int | None
    paired: int | None
    before: float | None
    after: float | None
    change: float | None


def outcome_rows(release: EbpmRelease, table: str, language: str,
                 categories: dict[str, tuple[str, str]] | None = None) -> list[OutcomeRow]:
    """`categories`: the store categories' names (the event tags' are TAG_LABELS)."""
    labels = MEASURES if table == outcomes.SATISFACTION else {**TAG_LABELS, **(categories or {})}
    rows = []
    for cell in release.payload.get(table, {}).get("cells", []):
        label = _label(labels, cell["key"], language)
        rows.append(OutcomeRow(cell["key"], label, cell["count"], cell.get("paired"), cell.get("before"),
                               cell.get("after"), cell.get("change")))
    return rows


def first_recommended_month(release: EbpmRelease) -> str:
    return months.shift(release.month, -1)


def outcome_csv_rows(release: EbpmRelease, categories: dict[str, tuple[str, str]]) -> Iterator[list[Any]]:
    for table, table_ja in ((outcomes.PARTICIPATION, "おすすめ前後4週間の参加回数（1世帯あたり：前→後、変化）"),
                            (outcomes.SATISFACTION, "満足度（平均：前→後、変化）")):
        for row in outcome_rows(release, table, "ja", categories):
            means = "→".join("" if v is None else f"{v:g}" for v in (row.before, row.after))
            change = "" if row.change is None else f"{row.change:+g}"
            yield [release.month, release.version, table_ja, "", row.label, _figure(row.households), "",
                   f"{means} {change}".strip(), "", ""]
