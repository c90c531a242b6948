"""`flask exports inspect PATH`: what an export holds, as JSON (format, counts, date range, warnings), read with the
same streaming code and limits as an upload; exit status 1 and a one-line reason for anything it refuses.
(`flask exports import … --resident` comes with the storage side.)"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import click
from flask.cli import AppGroup

from app.imports import apple_health
from app.imports.apple_health import HealthImportError, ImportSummary
from app.imports.archive import ArchiveError, SafeZip

exports = AppGroup("exports", help="Data exports residents bring (Apple Health for now).")


def inspect(path: Path) -> dict[str, object]:
    """The summary of the export at `path` (a zip or a bare export XML). Raises ArchiveError / HealthImportError."""
    summary = ImportSummary()
    if zipfile.is_zipfile(path):
        with SafeZip(path) as archive:
            for _item in apple_health.iter_health_zip(archive, summary):
                pass
        kind = "apple_health_zip"
    else:
        with path.open("rb") as stream:
            for _item in apple_health.iter_health_export(stream, summary):
                pass
        kind = "apple_health_xml"
    return {"format": kind, **summary.as_dict()}


@exports.command("inspect", help="Print a JSON summary of an export (a zip or export.xml): format, counts, dates, "
                                 "warnings. Nothing is stored.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def inspect_command(path: Path) -> None:
    try:
        result = inspect(path)
    except (ArchiveError, HealthImportError) as error:
        code = getattr(error, "code", "invalid")
        raise click.ClickException(f"{path.name}: refused ({code}): {error}") from None
    click.echo(json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True))
