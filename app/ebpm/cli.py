"""`flask ebpm release [--month YYYY-MM] [--recompute]`: make a month's EBPM release now (the daily job makes last
month's on its own); a recomputation is refused when it would difference an earlier release."""

from __future__ import annotations

import re

import click
from flask.cli import AppGroup

from app.db import get_database
from app.ebpm import services
from app.household.ages import japan_today

ebpm = AppGroup("ebpm", help="EBPM releases for 柏市 (aggregates only).")


@ebpm.command("release", help="Make (or show) a month's EBPM release (every indicator of the month).")
@click.option("--month", help="YYYY-MM (default: last month).")
@click.option("--recompute", is_flag=True, help="Make a new version even if the month has one (refused when it "
                                                 "would differ from an earlier one by 1-9 households in a figure).")
def release_command(month: str | None, recompute: bool) -> None:
    month = month or services.previous_month(japan_today())
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise click.BadParameter("use YYYY-MM", param_hint="--month")
    session = get_database().new_session()
    try:
        made = services.release(session, month, recompute=recompute)
        session.commit()
    except (services.ReleaseRefused, services.RulesNotApproved) as refused:
        session.rollback()
        raise click.ClickException(str(refused)) from None
    finally:
        session.close()
    click.echo(f"{made.month} version {made.version}: {made.households} households")
