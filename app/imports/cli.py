"""`flask exports inspect PATH`: what an export holds, as JSON (format, counts, date range, warnings), read with the
same streaming code and limits as an upload; nothing is stored.

`flask exports import PATH --resident EMAIL`: store it for that resident through the same code as an upload
(`app.data_imports.services.run_import`), committing batch by batch, and print the same summary.

Both exit with status 1 and a one-line reason for anything they refuse.

The group is a `flask.commands` entry point (pyproject.toml), so `flask exports …` runs without building the web
app: `import` opens the database from the same settings `create_app()` would read (1–2 s less start-up, about 40 MB
less memory). Under the test runner (or inside an app context) it uses that app's database.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from flask import has_app_context
from flask.cli import ScriptInfo
from sqlmodel import Session

from app.imports.archive import ArchiveError
from app.imports.detect import open_export
from app.imports.summary import FormatError, ImportSummary

exports = click.Group("exports", help="Data exports residents bring (Apple Health, Google Takeout, on-device Timeline).")


def inspect(path: Path) -> dict[str, object]:
    """The summary of the export at `path` (an archive or one file). Raises ArchiveError / FormatError."""
    summary = ImportSummary()
    with path.open("rb") as fp:
        archive, items, kind = open_export(fp, summary)
        try:
            for _item in items:
                pass
        finally:
            if archive is not None:
                archive.close()
    return {"format": kind, **summary.as_dict()}


@exports.command("inspect", help="Print a JSON summary of an export (a zip or export.xml): format, counts, dates, "
                                 "warnings. Nothing is stored.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def inspect_command(path: Path) -> None:
    try:
        result = inspect(path)
    except (ArchiveError, FormatError) as error:
        code = getattr(error, "code", "invalid")
        raise click.ClickException(f"{path.name}: refused ({code}): {error}") from None
    click.echo(json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True))


@exports.command("import", help="Store an export (a zip or export.xml) for a resident, as an upload would, and print "
                                "its JSON summary.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--resident", "email", required=True, help="The resident's email address.")
@click.option("--keep-sensitive", is_flag=True, help="Also keep 要配慮 items (ECG, clinical records), as the resident "
                                                     "can choose on the upload page.")
def import_command(path: Path, email: str, keep_sensitive: bool) -> None:
    from sqlmodel import select

    from app.accounts.models import Resident, normalise_email
    from app.data_imports import services

    session = _new_session()
    try:
        resident = session.exec(select(Resident).where(Resident.email == normalise_email(email))).first()
        if resident is None:
            raise click.ClickException(f"no resident with the email {email}")
        data_import = services.new_local_import(session, resident, path, keep_sensitive=keep_sensitive)
        session.commit()
        try:
            summary = services.run_import(session, data_import, path, step=lambda _step: session.commit())
        except services.ImportRefused as refused:
            session.commit()  # the FAILED import, so the resident sees it
            raise click.ClickException(f"{path.name}: refused ({refused.code}): {refused}") from None
        session.commit()
        result: dict[str, Any] = {"format": data_import.format, "import_id": str(data_import.id),
                                  **summary.as_dict(), "stored": data_import.summary.get("stored", {}),
                                  "duplicates": data_import.summary.get("duplicates", 0)}
    finally:
        session.close()
    click.echo(json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True))


def _new_session() -> Session:
    """A session on the app's database: the app of the context or of the test runner, else (`flask exports …` from
    a shell) the database `create_app()` would open, without building the web app."""
    from app.config import Settings
    from app.db import Database, get_database

    if has_app_context():
        return get_database().new_session()
    info = click.get_current_context().find_object(ScriptInfo)
    if info is not None and info.create_app is not None:
        return get_database(info.load_app()).new_session()
    return Database(Settings().database_url).new_session()

