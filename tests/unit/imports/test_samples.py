"""Every real Apple Health sample in ../shared/data/samples/apple-health/ parses, with no Record lost."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest

from app.imports.apple_health import ImportSummary, is_health_export_head, iter_health_export, iter_health_zip
from app.imports.archive import SafeZip

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "samples" / "apple-health"
RECORD = re.compile(rb"<Record[\s/>]")

if not SAMPLES.is_dir():
    pytest.skip(f"the shared samples are not here ({SAMPLES})", allow_module_level=True)


def xml_samples() -> list[Path]:
    return sorted(p for p in SAMPLES.rglob("*.xml") if is_health_export_head(p.read_bytes()[:1_000_000]))


def zip_samples() -> list[Path]:
    return sorted(SAMPLES.rglob("*.zip"))


def record_count(data: bytes) -> int:
    """Independent count: a byte scan for `<Record` start tags (the DTD declares `<!ELEMENT Record`, which does not match)."""
    return len(RECORD.findall(data))


@pytest.mark.parametrize("path", xml_samples(), ids=lambda p: str(p.relative_to(SAMPLES)))
def test_xml_sample(path: Path):
    data = path.read_bytes()
    summary = ImportSummary()
    items = list(iter_health_export(io.BytesIO(data), summary))
    assert summary.counts["health_record"] == record_count(data) > 0
    assert sum(summary.counts.values()) == len(items)
    assert summary.counts["me"] == 1


@pytest.mark.parametrize("path", zip_samples(), ids=lambda p: str(p.relative_to(SAMPLES)))
def test_zip_sample(path: Path):
    with SafeZip(path) as archive:
        summary = ImportSummary()
        list(iter_health_zip(archive, summary))
    with zipfile.ZipFile(path) as zf:
        data = zf.read(summary.main_file)
    assert summary.counts["health_record"] == record_count(data) > 0


def test_dogsheep_zip_tree_as_a_zip():
    root = SAMPLES / "dogsheep-zip"
    if not root.is_dir():
        pytest.skip("dogsheep-zip sample absent")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for file in sorted(root.rglob("*")):
            if file.is_file():
                zf.write(file, file.relative_to(root).as_posix())
    with SafeZip(buf) as archive:
        summary = ImportSummary()
        workouts = [i for i in iter_health_zip(archive, summary) if i["kind"] == "workout"]
    assert summary.warnings == {}
    assert workouts[0]["routes"][0]["archive_path"] == "apple_health_export/workout-routes/route_2019-06-11_3.00pm.gpx"
