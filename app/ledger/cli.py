"""`flask ledger verify [--resident EMAIL]`, `flask ledger anchor` and `flask ledger breach` (registered in
app/cli.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup
from sqlmodel import Session

from app.db import get_database

ledger = AppGroup("ledger", help="The residents' hash-chained ledger.")


def _subject_of(session: Session, resident: str) -> str:
    """An email of a current account, or a principal ("resident:<uuid>", also for a deleted account)."""
    from app.accounts.services import find_by_email

    if resident.startswith("resident:"):
        return resident
    account = find_by_email(session, resident)
    if account is None:
        raise click.ClickException(f"no resident with the email {resident} (give resident:<uuid> for a deleted one)")
    return account.principal


@ledger.command("verify", help="Recompute the chains and name the first broken record; exit status 1 if any is broken.")
@click.option("--resident", "resident", default=None, help="Only this resident (email, or resident:<uuid>).")
def verify_command(resident: str | None) -> None:
    from app.ledger.services import verify_all, verify_chain

    session = get_database().new_session()
    try:
        results = [verify_chain(session, _subject_of(session, resident))] if resident else verify_all(session)
    finally:
        session.close()
    for result in results:
        chain = result.chain_id or "-"
        if result.ok:
            click.echo(f"ok      chain {chain} {result.subject}: {result.records} record(s), {result.erased} erased")
        else:
            click.echo(f"BROKEN  chain {chain} {result.subject}: {result.records} record(s); first broken record "
                       f"seq {result.first_broken_seq}: {result.description}")
    broken = sum(1 for result in results if not result.ok)
    click.echo(f"{len(results)} chain(s) checked, {broken} broken")
    if broken:
        raise SystemExit(1)


@ledger.command("anchor", help="Sign the heads of every chain now (the daily job does this too).")
def anchor_command() -> None:
    from app.ledger.services import make_anchor

    session = get_database().new_session()
    try:
        anchor = make_anchor(session)
        session.commit()
    finally:
        session.close()
    click.echo(f"anchor {anchor.id} at {anchor.at.isoformat()}: {len(anchor.heads)} chain(s), digest {anchor.digest}")


@ledger.command("breach", help="List the residents and items a component used or received in a time window, as JSON "
                               "(for a breach report).")
@click.option("--component", required=True, help="An OAuth client id, a recipient key, a method or a release name.")
@click.option("--since", required=True, type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
              help="From (UTC), e.g. 2026-11-20 or 2026-11-20T09:00.")
@click.option("--until", required=True, type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"]),
              help="Until (UTC, not included).")
@click.option("--discovered", type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M"]), default=None,
              help="When the breach was discovered (UTC; default now): the reporting deadlines count from it.")
@click.option("--unlawful", is_flag=True, help="An attack or an insider's theft (規則7条3号: 確報 within 60 days).")
@click.option("--property-damage", is_flag=True, help="Misuse could cause property damage (規則7条2号).")
def breach_command(component: str, since: datetime, until: datetime, discovered: datetime | None, unlawful: bool,
                   property_damage: bool) -> None:
    import json

    from app.db import utcnow
    from app.ledger.breach import affected, report
    from app.ledger.breach_report import assess

    since, until = since.replace(tzinfo=UTC), until.replace(tzinfo=UTC)
    if until <= since:
        raise click.BadParameter("--until must be after --since")
    session = get_database().new_session()
    try:
        entries = affected(session, component, since, until)
        assessment = assess(session, entries, discovered_at=discovered.replace(tzinfo=UTC) if discovered else utcnow(),
                            unlawful=unlawful, property_damage=property_damage)
    finally:
        session.close()
    click.echo(json.dumps({**report(component, since, until, entries), "assessment": assessment.as_json()},
                          ensure_ascii=False, indent=1))
