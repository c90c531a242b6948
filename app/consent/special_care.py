"""Which 要配慮 health items the bank may hold and offer: the categories 指針 Ver3.0 allows (security anchor B5).

The list, with its sources, is `data/special_care.toml`; each 要配慮 item of the catalogue names its category there as
`special_care_category` (`data/catalogue.toml`). Loading the catalogue refuses a 要配慮 item outside the list
(`check_items`), and the screens where items are picked (the resident's consent page, the operator's offer editor;
the client registry offers no 要配慮 item at all) and the consent door (`app/consent/enforce.py`) take only the items
`pickable` accepts — so a row that reached the database another way (an older catalogue, a hand-made row) is never
offered, granted or served either.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.consent.models import DataItem, Sensitivity

DATA = Path(__file__).parent / "data"
LIST_FILE = DATA / "special_care.toml"
CATALOGUE_FILE = DATA / "catalogue.toml"  # the bank's catalogue (app.consent.catalogue loads it)
FIELD = "special_care_category"  # the catalogue item's field naming its category


@dataclass(frozen=True)
class Category:
    key: str
    name_ja: str
    name_en: str
    phr_kind: str  # which of the PHR指針's three kinds of 健診等情報 (the list file explains them)
    basis: str


@dataclass(frozen=True)
class GuidelineList:
    source: dict[str, Any]  # title, version, published, url, read_through, summary, secondary sources
    categories: dict[str, Category]


def read_list(path: Path = LIST_FILE) -> GuidelineList:
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    categories = {row["key"]: Category(row["key"], row["name_ja"], row["name_en"], row["phr_kind"], row["basis"])
                  for row in document.get("categories", [])}
    return GuidelineList(dict(document.get("source", {})), categories)


@lru_cache(maxsize=1)
def guideline_list() -> GuidelineList:
    return read_list()


class UnlistedSpecialCareItem(ValueError):
    """A catalogue whose 要配慮 items are not all in a category of the list: nothing of it is loaded."""

    def __init__(self, problems: list[str], listed: Iterable[str]) -> None:
        self.problems = problems
        super().__init__(
            "The catalogue was not loaded: every 要配慮 (sensitivity = \"special\") item must name, as "
            f"{FIELD}, a category of the 指針 Ver3.0 list (app/consent/data/special_care.toml), "
            "and only those items may name one.\n"
            + "".join(f"  - {problem}\n" for problem in problems)
            + "Listed categories: " + ", ".join(sorted(listed))
        )


def check_items(rows: Iterable[Mapping[str, Any]], listed: GuidelineList | None = None) -> None:
    """Raise UnlistedSpecialCareItem naming every item of a catalogue file that breaks the rule."""
    categories = (listed or guideline_list()).categories
    problems = []
    for row in rows:
        key, category = row.get("key", "?"), row.get(FIELD)
        special = row.get("sensitivity") == Sensitivity.SPECIAL.value
        if special and not category:
            problems.append(f"{key}: a 要配慮 item that names no {FIELD}")
        elif special and category not in categories:
            problems.append(f"{key}: {FIELD} = {category!r} is not a category of the list")
        elif not special and category is not None:
            problems.append(f"{key}: names {FIELD} = {category!r} but is not marked sensitivity = \"special\"")
    if problems:
        raise UnlistedSpecialCareItem(problems, categories)


@lru_cache(maxsize=1)
def _item_categories() -> dict[str, str]:
    """{item key: category key} of the bank's catalogue file (only its 要配慮 items name one)."""
    document = tomllib.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    return {row["key"]: row[FIELD] for row in document.get("items", []) if row.get(FIELD)}


def category_of(item_key: str) -> Category | None:
    """The listed category a 要配慮 item of the catalogue falls under, or None."""
    return guideline_list().categories.get(_item_categories().get(item_key, ""))


def pickable(item: DataItem) -> bool:
    """Whether an item may be offered, chosen or served: every ordinary item; a 要配慮 item only in a listed category."""
    return item.sensitivity != Sensitivity.SPECIAL or category_of(item.key) is not None


def strip_category(row: Mapping[str, Any]) -> dict[str, Any]:
    """A catalogue file's item row as the table takes it (the category lives in the file, not in a column)."""
    return {name: value for name, value in row.items() if name != FIELD}
