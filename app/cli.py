"""Command-line tools: `flask --app app demo seed`, `demo totp`, `jobs run-once`, `audit verify`, `audit anchor`,
`catalog load`, `recommend preview`, `surveys load`, `exports inspect`."""

from __future__ import annotations

import click
import pyotp
from flask import Flask, current_app
from flask.cli import AppGroup

from app.config import current_settings
from app.db import get_database
from app.ebpm.cli import ebpm
from app.imports.cli import exports
from app.ledger.cli import ledger
from app.recommend.cli import recommend
from app.switching.cli import switching


def init_app(app: Flask) -> None:
    app.cli.add_command(demo)
    app.cli.add_command(jobs)
    app.cli.add_command(consent)
    app.cli.add_command(catalog)
    app.cli.add_command(ledger)
    app.cli.add_command(oauth)
    app.cli.add_command(recommend)
    app.cli.add_command(surveys)
    app.cli.add_command(exports)
    app.cli.add_command(ebpm)
    app.cli.add_command(switching)
    app.cli.add_command(audit)


audit = AppGroup("audit", help="The security log (audit events) and its signed anchors.")


@audit.command("verify", help="Recompute every signed anchor from the audit events and name the first broken one; "
                              "exit status 1 if any is broken.")
def audit_verify() -> None:
    from app.audit_anchor import verify_audit_log

    session = get_database().new_session()
    try:
        result = verify_audit_log(session)
    finally:
        session.close()
    if not result.ok:
        click.echo(f"BROKEN  {result.description}")
        click.echo(f"{result.anchors} anchor(s) checked, the last one broken")
        raise SystemExit(1)
    click.echo(f"OK      {result.anchors} anchor(s), {result.events} event(s) verified; "
               f"{result.unanchored} newer event(s) not anchored yet")


@audit.command("anchor", help="Anchor the settled audit events now (the hourly job does this too).")
def audit_anchor_command() -> None:
    from app.audit_anchor import make_anchor

    session = get_database().new_session()
    try:
        anchor = make_anchor(session)
        session.commit()
    finally:
        session.close()
    if anchor is None:
        click.echo("no new settled events: no anchor made")
    else:
        click.echo(f"anchor {anchor.id} at {anchor.at.isoformat()}: through event {anchor.through_id}, "
                   f"digest {anchor.digest}")


consent = AppGroup("consent", help="The consent catalogue.")


@consent.command("load-catalogue", help="Add what is missing from app/consent/data/catalogue.toml (idempotent).")
def consent_load_catalogue() -> None:
    from app.consent.catalogue import load_catalogue
    from app.consent.special_care import UnlistedSpecialCareItem

    session = get_database().new_session()
    try:
        counts = load_catalogue(session)
        session.commit()
    except UnlistedSpecialCareItem as refused:  # a 要配慮 item outside the 指針 Ver3.0 list (B5): nothing added
        raise click.ClickException(str(refused)) from None
    finally:
        session.close()
    click.echo("catalogue: " + ", ".join(f"{count} {what}" for what, count in counts.items()) + " added")


catalog = AppGroup("catalog", help="The catalogue of services, venues, events and coupons.")


@catalog.command("load", help="Bring app/catalog/data/catalog.json into the database, keeping its ids (idempotent; "
                              "rows edited by staff are kept).")
def catalog_load() -> None:
    from app.catalog.services import load_catalog

    session = get_database().new_session()
    try:
        counts = load_catalog(session)
        session.commit()
    finally:
        session.close()
    added = ", ".join(f"{counts[what]} {what}" for what in ("venues", "services", "events", "coupons"))
    click.echo(f"catalog: {added} added; {counts['updated']} updated; {counts['kept as edited']} kept as edited")


surveys = AppGroup("surveys", help="The pilot's surveys.")


@surveys.command("load", help="A survey (a draft, until the operator opens it) for every questionnaire in "
                              "app/surveys/data/ without one (idempotent).")
def surveys_load() -> None:
    from app.surveys.services import load_surveys

    session = get_database().new_session()
    try:
        added = load_surveys(session)
        session.commit()
    finally:
        session.close()
    click.echo(f"surveys: {added} added")


demo = AppGroup("demo", help="Demo data for development.")


@demo.command("seed", help="Create the demo residents, partner and staff (idempotent).")
def demo_seed() -> None:
    from app.demo.seed import seed

    settings = current_settings()
    if settings.is_production:
        raise click.ClickException("demo accounts are for development only")
    session = get_database().new_session()
    try:
        created = seed(session, settings)
        from app.demo.consents import seed_consents

        created.update(seed_consents(session, settings))
        from app.demo.clients import seed_clients

        created.update(seed_clients(session, settings))
        from app.catalog.services import load_catalog

        loaded = load_catalog(session)
        created.update({what: loaded[what] for what in ("venues", "services", "events", "coupons")})
        from app.demo.participation import seed_participation

        created.update(seed_participation(session))
        from app.demo.surveys import seed_surveys

        created.update(seed_surveys(session, settings))
        session.commit()
    finally:
        session.close()
    click.echo("demo seed: " + ", ".join(f"{count} {what}" for what, count in created.items()) + " created")


@demo.command("pilot", help="Create a synthetic pilot of households over 柏市 and 流山市, most consenting to EBPM "
                             "statistics, and release the last months' EBPM figures (idempotent; after `demo seed`).")
@click.option("--households", default=5000, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--months", default=3, show_default=True, type=click.IntRange(1, 12),
              help="How many months before this one to release (the dashboard's month-by-month table).")
def demo_pilot(households: int, months: int) -> None:
    from app.demo.pilot import seed_pilot
    from app.ebpm import services as ebpm
    from app.household.ages import japan_today
    from app.months import months_back

    settings = current_settings()
    if settings.is_production:
        raise click.ClickException("demo accounts are for development only")
    session = get_database().new_session()
    released = []
    try:
        created = seed_pilot(session, settings, households=households, today=japan_today())
        session.commit()
        for month in months_back(japan_today(), months + 1)[:-1]:  # the months before this one, oldest first
            # The worker may have released the month before these households existed: a new version counts them
            # (unless that would difference the earlier one, which is then said). A run that added nobody changes
            # nothing.
            released.append(ebpm.release(session, month,
                                          recompute=created["households"] > 0 and ebpm.kept(session, month) is not None))
            session.commit()
    except (ebpm.ReleaseRefused, ebpm.RulesNotApproved) as refused:
        raise click.ClickException(str(refused)) from None
    finally:
        session.close()
    click.echo("demo pilot: " + ", ".join(f"{count} {what}" for what, count in created.items()) + " created; EBPM "
               + "; ".join(f"{r.month} version {r.version}: {r.households} households" for r in released))


@demo.command("totp", help="Print the current TOTP code of a demo staff account.")
@click.argument("email")
def demo_totp(email: str) -> None:
    from app.demo.seed import DEMO_STAFF

    if current_settings().is_production:
        raise click.ClickException("demo accounts are for development only")
    for member in DEMO_STAFF:
        if member.email == email:
            click.echo(pyotp.TOTP(member.totp_secret).now())
            return
    raise click.ClickException(f"{email} is not a demo staff account")


jobs = AppGroup("jobs", help="The job queue.")


@jobs.command("run-once", help="Run due jobs until none is left, then exit.")
def jobs_run_once() -> None:
    from app.jobs.registry import registry_for
    from app.jobs.worker import Worker

    worker = Worker(current_app._get_current_object(), registry_for(current_app))  # type: ignore[attr-defined]
    count = 0
    while worker.tick():
        count += 1
    click.echo(f"{count} job(s) run")


oauth = AppGroup("oauth", help="The bank's OAuth clients (recipients' systems).")


@oauth.command("add-client", help="Register a recipient's system for one active offer (private_key_jwt).")
@click.option("--client-id", required=True)
@click.option("--name", required=True, help="The system's name as residents see it.")
@click.option("--recipient", required=True)
@click.option("--purpose", required=True)
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True)
@click.option("--scope", "scopes", multiple=True, required=True, help="An item of the offer, or notices.")
@click.option("--jwks-uri", default="")
@click.option("--jwks-file", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--replace", is_flag=True, help="Update a registered client.")
def oauth_add_client(client_id: str, name: str, recipient: str, purpose: str, redirect_uris: tuple[str, ...],
                     scopes: tuple[str, ...], jwks_uri: str, jwks_file: str | None, replace: bool) -> None:
    from pathlib import Path

    from app.errors import DomainError
    from app.oauth import clients

    session = get_database().new_session()
    try:
        registration = clients.ClientRegistration(
            client_id=client_id, name=name, recipient_key=recipient, purpose_key=purpose,
            redirect_uris=list(redirect_uris), scopes=[s for scope in scopes for s in scope.split()],
            jwks=clients.parse_jwks(Path(jwks_file).read_text(encoding="utf-8")) if jwks_file else None,
            jwks_uri=jwks_uri)
        clients.register(session, registration, actor="cli", replace=replace)
        session.commit()
    except DomainError as error:
        raise click.ClickException(error.message) from None
    finally:
        session.close()
    click.echo(f"client {client_id} registered")
