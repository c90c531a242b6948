"""Every string the app shows has a Japanese translation (and English is the msgid itself)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from app.config import PROJECT_ROOT

pytestmark = pytest.mark.smoke
CATALOG = PROJECT_ROOT / "app" / "translations" / "ja" / "LC_MESSAGES" / "messages.po"


def extract(tmp_path) -> set[str]:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
         "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=PROJECT_ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def test_every_message_in_the_code_is_translated_to_japanese(tmp_path):
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and m.string and all(m.string if isinstance(m.string, tuple) else [m.string]) and not m.fuzzy
    }
    missing = sorted(extract(tmp_path) - translated)
    assert not missing, f"run `make translations` and translate: {missing}"


def test_placeholders_match_between_english_and_japanese():
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    problems = [(m.id, errors) for m in catalog if m.id and (errors := list(m.check(catalog)))]
    assert not problems
