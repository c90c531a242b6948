"""`flask switching …`: transfers from the command line (docs/switching.md).

- `start --resident EMAIL --case i|ii|iii|iv --pattern 1-4`: a new job (prints its id and state);
- `collect JOB`, `deliver JOB`: one step now, in this process (what the worker does);
- `report JOB`: the pre-transfer report as JSON; `suggest --resident EMAIL`: where the resident's data could go;
- `run --resident EMAIL --case … --pattern …`: start, collect, report and deliver in one go (patterns 2 and 4
  need the resident's connections, made at /switching; a pushing source or a pulling destination is waited for);
- `demo --case … --pattern …`: play a demo resident over HTTP against the running bank and peers, through every
  page a person would use (app/demo/switching_driver.py).

Every command exits 1 with a one-line reason for anything refused.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from typing import Any

import click
from flask.cli import with_appcontext
from sqlmodel import select

from app.accounts.models import Resident
from app.config import current_settings
from app.db import get_session
from app.errors import DomainError
from app.switching import registry, report, transfers
from app.switching.models import JobState, TransferJob

switching = click.Group("switching", help="One-stop switching: transfers between services (docs/switching.md).")


def _resident(email: str) -> Resident:
    resident = get_session().exec(select(Resident).where(Resident.email == email.strip().lower())).first()
    if resident is None:
        raise click.ClickException(f"no resident {email}")
    return resident


def _job(job_id: str) -> tuple[TransferJob, Resident]:
    session = get_session()
    try:
        job = session.get(TransferJob, uuid.UUID(job_id))
    except ValueError:
        job = None
    resident = session.get(Resident, job.resident_id) if job else None
    if job is None or resident is None:
        raise click.ClickException(f"no transfer {job_id}")
    return job, resident


def _echo(document: Any) -> None:
    click.echo(json.dumps(document, ensure_ascii=False, indent=2, default=str))


def _refused(error: DomainError) -> click.ClickException:
    return click.ClickException(f"{type(error).__name__}: {error.message}")


def _report(job: TransferJob, resident: Resident) -> dict[str, Any]:
    found = report.for_job(get_session(), resident, job)
    return {**dataclasses.asdict(found), "total_items": found.total_items, "total_bytes": found.total_bytes}


@switching.command("start")
@click.option("--resident", "email", required=True)
@click.option("--case", "case_key", type=click.Choice(sorted(registry.CASES)), required=True)
@click.option("--pattern", type=click.IntRange(1, 4), required=True)
@with_appcontext
def start_command(email: str, case_key: str, pattern: int) -> None:
    session, case = get_session(), registry.CASES[case_key]
    try:
        job = transfers.start(session, _resident(email), source=case.source, destination=case.destination,
                              pattern=pattern, kinds=case.kinds)
    except DomainError as error:
        raise _refused(error) from error
    session.commit()
    _echo({"job": str(job.id), "state": job.state})


@switching.command("collect")
@click.argument("job_id")
@with_appcontext
def collect_command(job_id: str) -> None:
    job, resident = _job(job_id)
    try:
        transfers.collect(get_session(), current_settings(), resident, job)
    except DomainError as error:
        raise _refused(error) from error
    get_session().commit()
    _echo({"job": str(job.id), "state": job.state, "collected": job.collected})


@switching.command("report")
@click.argument("job_id")
@with_appcontext
def report_command(job_id: str) -> None:
    job, resident = _job(job_id)
    _echo(_report(job, resident))


@switching.command("deliver")
@click.argument("job_id")
@with_appcontext
def deliver_command(job_id: str) -> None:
    job, resident = _job(job_id)
    try:
        if job.state in (JobState.COLLECTED, JobState.PAUSED):
            transfers.send(get_session(), resident, job)
        transfers.deliver(get_session(), current_settings(), resident, job)
    except DomainError as error:
        get_session().commit()
        raise _refused(error) from error
    get_session().commit()
    _echo({"job": str(job.id), "state": job.state, "receipt_items": len((job.receipt or {}).get("items", []))})


@switching.command("suggest")
@click.option("--resident", "email", required=True)
@with_appcontext
def suggest_command(email: str) -> None:
    found = report.suggestions(get_session(), _resident(email))
    _echo([{"destination": s.destination.key, "carried": s.carried, "not_carried": sorted(set(s.not_carried)),
            "sources": s.sources} for s in found])


@switching.command("run")
@click.option("--resident", "email", required=True)
@click.option("--case", "case_key", type=click.Choice(sorted(registry.CASES)), required=True)
@click.option("--pattern", type=click.IntRange(1, 4), required=True)
@click.option("--wait", default=300, show_default=True, help="Seconds to wait for a pushing source or pulling destination.")
@with_appcontext
def run_command(email: str, case_key: str, pattern: int, wait: int) -> None:
    session, settings, case = get_session(), current_settings(), registry.CASES[case_key]
    resident = _resident(email)
    try:
        job = transfers.start(session, resident, source=case.source, destination=case.destination,
                              pattern=pattern, kinds=case.kinds)
        session.commit()
        if job.state == JobState.AWAITING_SOURCE:
            click.echo(f"waiting: open {_issuer(case.source)}/azukari/start and send to Azukari (job {job.id})", err=True)
            job = _wait(job, JobState.COLLECTED, wait)
        else:
            transfers.collect(session, settings, resident, job)
            session.commit()
        _echo({"report": _report(job, resident)})
        if job.state in (JobState.COLLECTED, JobState.PAUSED):
            transfers.send(session, resident, job)
        transfers.deliver(session, settings, resident, job)
        session.commit()
        if job.state == JobState.READY:
            click.echo(f"waiting: open {_issuer(case.destination)}/azukari/start and receive (job {job.id})", err=True)
            job = _wait(job, JobState.VERIFIED, wait)
    except DomainError as error:
        session.commit()
        raise _refused(error) from error
    _echo({"job": str(job.id), "state": job.state, "receipt_items": len((job.receipt or {}).get("items", []))})


def _issuer(service: str) -> str:
    return registry.issuer(current_settings(), service)


def _wait(job: TransferJob, state: str, seconds: int) -> TransferJob:
    session, ends = get_session(), time.monotonic() + seconds
    while time.monotonic() < ends:
        session.commit()
        session.refresh(job)
        if job.state == state:
            return job
        if job.state in (JobState.FAILED, JobState.CANCELED):
            break
        time.sleep(1)
    raise click.ClickException(f"the transfer is {job.state} (waited for {state})")


@switching.command("demo")
@click.option("--bank", "bank_url", default=None, help="The bank's URL (default PUBLIC_URL).")
@click.option("--resident", "email", default="hanako@example.jp", show_default=True)
@click.option("--password", default=None, help="The resident's password at the bank (default: the demo seed's).")
@click.option("--case", "case_key", type=click.Choice(sorted(registry.CASES)), required=True)
@click.option("--pattern", type=click.IntRange(1, 4), required=True)
@with_appcontext
def demo_command(bank_url: str | None, email: str, password: str | None, case_key: str, pattern: int) -> None:
    from app.demo.switching_driver import DemoResident, DriverError

    settings = current_settings()
    if settings.is_production:
        raise click.ClickException("the demo resident plays stand-in services; not in production")
    agent = DemoResident.for_demo(bank_url or settings.public_url, email, password, settings)
    try:
        _echo(agent.switch(case_key, pattern))
    except DriverError as error:
        raise click.ClickException(str(error)) from error
