"""Every real Google sample in ../shared/data/samples/ (google-*, blogger/) goes through `flask exports import` (the
upload's code): it imports, or it is refused for the reason this module states (skipped when the samples are absent).
Counts against independent counts are checked per format in tests/unit/imports/google/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.factories.accounts import ResidentFactory

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "samples"
if not SAMPLES.is_dir():
    pytest.skip(f"the shared samples are not here ({SAMPLES})", allow_module_level=True)

pytestmark = pytest.mark.usefixtures("loaded_catalogue")

# Refused on purpose, and why.
REFUSED = {
    "google-fit/": ("not_supported", "Google Fit is not read yet (the issue lists it as nice to have)"),
    "google-location-history/other/": ("not_supported", "Settings.json and Timeline Edits.json hold no locations"),
    "google-location-history/schemas/": ("not_supported", "JSON Schemas of the formats, not data"),
}


def samples() -> list[Path]:
    dirs = [d for d in sorted(SAMPLES.iterdir()) if d.is_dir() and (d.name.startswith("google-") or d.name == "blogger")]
    return [p for d in dirs for p in sorted(d.rglob("*")) if p.is_file()]


@pytest.mark.parametrize("path", samples(), ids=lambda p: str(p.relative_to(SAMPLES)))
def test_each_google_sample_imports_or_is_refused_for_its_stated_reason(app, db, path: Path) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    result = app.test_cli_runner().invoke(args=["exports", "import", str(path), "--resident", resident.email])
    relative = path.relative_to(SAMPLES).as_posix()
    refusal = next((why for prefix, why in REFUSED.items() if relative.startswith(prefix)), None)
    if refusal is not None:
        code, _reason = refusal
        assert result.exit_code == 1 and f"refused ({code})" in result.output, result.output
        return
    assert result.exit_code == 0, result.output
    stored = json.loads(result.output)["stored"]
    assert stored and all(count > 0 for count in stored.values())
