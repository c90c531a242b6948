"""Every real Apple Health sample in ../shared/data/samples/apple-health/ imports through `flask exports import` (the
upload's code) with as many stored `health_record` rows as it has `<Record>` elements (skipped when absent)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlmodel import select

from app.data_imports.models import DataImport, HealthRecord, ImportStatus
from tests.factories.accounts import ResidentFactory
from tests.unit.imports.test_samples import SAMPLES, record_count, xml_samples, zip_samples

pytestmark = pytest.mark.usefixtures("loaded_catalogue")


def _expected(path: Path) -> int:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            main = next(n for n in archive.namelist() if n.endswith(".xml") and b"<HealthData" in archive.read(n)[:1_000_000]
                        and not n.endswith("export_cda.xml"))
            return record_count(archive.read(main))
    return record_count(path.read_bytes())


@pytest.mark.parametrize("path", xml_samples() + zip_samples(), ids=lambda p: str(p.relative_to(SAMPLES)))
def test_each_sample_imports_every_record(app, db, path: Path) -> None:  # type: ignore[no-untyped-def]
    resident = ResidentFactory()
    result = app.test_cli_runner().invoke(args=["exports", "import", str(path), "--resident", resident.email,
                                                "--keep-sensitive"])
    assert result.exit_code == 0, result.output
    expected = _expected(path)
    assert json.loads(result.output)["stored"]["health_record"] == expected > 0
    data_import = db.exec(select(DataImport).where(DataImport.resident_id == resident.id)).one()
    assert data_import.status == ImportStatus.DONE
    stored = db.exec(select(HealthRecord).where(HealthRecord.import_id == data_import.id)).all()
    assert len(stored) == expected
