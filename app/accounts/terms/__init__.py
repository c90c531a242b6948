"""The versions of the mandate terms, read from the TOML files beside this module."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

TERMS_DIR = Path(__file__).parent


@dataclass(frozen=True)
class Article:
    title_ja: str
    title_en: str
    body_ja: str
    body_en: str

    def title(self, language: str) -> str:
        return self.title_en if language == "en" else self.title_ja

    def body(self, language: str) -> str:
        return self.body_en if language == "en" else self.body_ja


@dataclass(frozen=True)
class Terms:
    version: str
    effective: date
    title_ja: str
    title_en: str
    summary_ja: tuple[str, ...]
    summary_en: tuple[str, ...]
    articles: tuple[Article, ...]

    def title(self, language: str) -> str:
        return self.title_en if language == "en" else self.title_ja

    def summary(self, language: str) -> tuple[str, ...]:
        return self.summary_en if language == "en" else self.summary_ja


def _load(path: Path) -> Terms:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return Terms(
        version=raw["version"],
        effective=raw["effective"],
        title_ja=raw["title_ja"],
        title_en=raw["title_en"],
        summary_ja=tuple(raw["summary_ja"]),
        summary_en=tuple(raw["summary_en"]),
        articles=tuple(Article(**article) for article in raw["articles"]),
    )


@cache
def all_versions() -> tuple[Terms, ...]:
    return tuple(sorted((_load(p) for p in TERMS_DIR.glob("*.toml")), key=lambda t: t.effective))


def current_terms(today: date | None = None) -> Terms:
    """The version in force: the latest whose effective date has come."""
    today = today or datetime.now(ZoneInfo("Asia/Tokyo")).date()
    in_force = [t for t in all_versions() if t.effective <= today]
    return in_force[-1] if in_force else all_versions()[0]


def terms_version(version: str) -> Terms | None:
    return next((t for t in all_versions() if t.version == version), None)
