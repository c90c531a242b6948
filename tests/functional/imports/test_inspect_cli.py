"""`flask exports inspect`: a JSON summary of a good export, a non-zero exit with the reason for a bad one."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!ELEMENT HealthData (ExportDate,Me,(Record|Workout|ActivitySummary)*)>
]>
<HealthData locale="ja_JP">
 <ExportDate value="2026-11-20 08:00:00 +0900"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="1991-06-15" HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale"/>
 <Record type="HKQuantityTypeIdentifierStepCount" sourceName="iPhone" unit="count" creationDate="2026-11-19 21:00:00 +0900"
  startDate="2026-11-19 08:00:00 +0900" endDate="2026-11-19 09:00:00 +0900" value="1200"/>
 <Record type="HKQuantityTypeIdentifierDistanceWalkingRunning" sourceName="iPhone" unit="km"
  creationDate="2026-11-19 21:00:00 +0900" startDate="2026-11-19 08:00:00 +0900" endDate="2026-11-19 09:00:00 +0900" value="0.9"/>
</HealthData>
"""


def run(app, path: Path):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["exports", "inspect", str(path)])


def test_a_good_export_is_summarised_as_json(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bare = tmp_path / "export.xml"
    bare.write_text(EXPORT, encoding="utf-8")
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("apple_health_export/書き出したデータ.xml", EXPORT)
        out.writestr("__MACOSX/apple_health_export/._書き出したデータ.xml", b"junk")
    for path, kind in ((bare, "apple_health_xml"), (archive, "apple_health_zip")):
        result = run(app, path)
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        assert summary["format"] == kind and summary["counts"]["health_record"] == 2
        assert summary["date_range"]["first"].startswith("2026-11-19")


@pytest.mark.parametrize("name,content,code", [
    ("evil.zip", "traversal", "path"),
    ("notes.xml", "<notes><note>not health data</note></notes>", "not_health_data"),
])
def test_a_bad_export_exits_non_zero_with_the_reason(app, tmp_path: Path, name: str, content: str, code: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    if content == "traversal":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as out:
            out.writestr("../../etc/cron.d/x", EXPORT)
        path.write_bytes(buffer.getvalue())
    else:
        path.write_text(content, encoding="utf-8")
    result = run(app, path)
    assert result.exit_code == 1 and f"refused ({code})" in result.output
