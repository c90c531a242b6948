"""The wizard's pieces that are not routes (app/switching/views.py has the routes): which data a destination can
take and what to tick first, which connections a pattern needs, the wizard's URLs, which of the eight steps a
transfer's page is at, and the safe "back to this step" after a service's sign-in."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import url_for
from sqlmodel import Session, col, select

from app import auth
from app.accounts.models import Resident
from app.config import Settings
from app.consent import transfers as door
from app.consent.catalogue import items_by_key
from app.consent.models import Purpose
from app.data_imports.models import DataImport, ImportStatus
from app.switching import deletion, registry, remote, report, transfers
from app.switching.converters import converter_for
from app.switching.models import JobState, TransferJob

DEFAULT_PATTERN = 2  # both services authorize Azukari: the resident connects both, nothing else to do at either
MAX_RETURN_PATH = 1000

# The wizard's step of a job page, by the job's state (the report's steps before it, the progress after sending).
PREPARING = (JobState.NEW, JobState.AWAITING_SOURCE, JobState.EXPORTING, JobState.CONVERTING)
MOVING = (JobState.DELIVERING, JobState.PAUSED, JobState.READY, JobState.VERIFYING)
STEP_REPORT, STEP_TERMS, STEP_PROGRESS, STEP_DONE = 4, 5, 7, 8
# While another party is at work the page checks again every few seconds.
POLLING = (*PREPARING, *MOVING, JobState.SOURCE_CONTRACT_ENDED, JobState.SOURCE_DELETION_REQUESTED)
CONTRACT_ENDED = (JobState.SOURCE_CONTRACT_ENDED, JobState.SOURCE_DELETION_REQUESTED, JobState.COMPLETE)


def return_path(target: str | None) -> str | None:
    """A path on this site under /switching (the wizard's pages), or None: never another site, nor another page."""
    if not target or len(target) > MAX_RETURN_PATH or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    path = auth.safe_next(target, "")
    if not path:
        return None
    where = urlsplit(path).path
    return path if where == "/switching" or where.startswith("/switching/") else None


def takeable(source: registry.Source, destination: registry.Destination) -> list[str]:
    """The source's kinds the destination's format takes (in the source's order)."""
    converter = converter_for(destination.format)
    return [kind for kind in source.kinds if converter.takes(kind)]


def preselected(source: registry.Source, destination: registry.Destination) -> list[str]:
    """What to tick at first: the seed's case for this pair (what the new service can take of it), else everything
    it takes."""
    can = takeable(source, destination)
    case = next((c for c in registry.CASES.values()
                 if c.source == source.key and c.destination == destination.key), None)
    chosen = [kind for kind in can if case is not None and kind in case.kinds]
    return chosen or can


def needs(source: registry.Source, pattern: int) -> dict[str, bool]:
    """Which connections a pattern needs: the bank reads the source (2, 3) and pushes to the destination (2, 4)."""
    return {"source": source.has_api and pattern not in registry.SOURCE_PUSHES,
            "destination": pattern not in registry.DESTINATION_PULLS}


def reading_import(session, resident) -> DataImport | None:  # type: ignore[no-untyped-def]
    return session.exec(select(DataImport).where(
        DataImport.resident_id == resident.id, col(DataImport.status).in_(ImportStatus.OPEN))
        .order_by(col(DataImport.created_at).desc())).first()


def wizard_url(source: str | None = None, destination: str | None = None, kinds: list[str] | None = None) -> str:
    args: dict[str, Any] = {}
    if source:
        args["source"] = source
    if destination:
        args["destination"] = destination
    if kinds:
        args["kinds"] = kinds
    return url_for("switching.new", **args)


def step_of(state: str, *, terms: bool) -> int | None:
    if state in PREPARING:
        return STEP_REPORT
    if state == JobState.COLLECTED:
        return STEP_TERMS if terms else STEP_REPORT
    if state in MOVING:
        return STEP_PROGRESS
    if state in JobState.DONE:
        return STEP_DONE
    return None  # stopped: the page says why and how to start again


def when(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def job_page(session: Session, resident: Resident, found: TransferJob, settings: Settings, *,
             terms_asked: bool) -> dict[str, Any]:
    """What a transfer's page shows: its step, the report (once there is one), the consent still to give, the terms
    step, whether it checks again by itself, the receipt, the contract changes and the old service's data."""
    stopped = found.state in (JobState.FAILED, JobState.CANCELED)
    summary = (None if found.state in PREPARING or (stopped and not found.manifest)
               else report.for_job(session, resident, found))
    to_agree = (transfers.consent_needed(session, resident, found)
                if found.state in (JobState.NEW, JobState.COLLECTED) else [])
    terms = terms_asked and found.state == JobState.COLLECTED and not to_agree
    removal = found.deletion or {}
    deleting_failed = found.state in CONTRACT_ENDED and removal.get("status") == "failed"  # (asked again by her)
    polling = (found.state in POLLING and not to_agree and not deleting_failed) or (
        removal.get("status") == deletion.REQUESTED)
    source, destination = registry.SOURCES[found.source], registry.DESTINATIONS[found.destination]
    accepted = (found.contracts or {}).get("destination_terms") or {}
    return dict(job=found, report=summary, to_agree=to_agree, item_keys=door.items_of_kinds(to_agree),
                items=items_by_key(session), purpose=session.get(Purpose, destination.purpose),
                step=step_of(found.state, terms=terms), terms_step=terms, polling=polling,
                received_at=when((found.receipt or {}).get("received_at")), accepted=accepted,
                accepted_at=when(accepted.get("accepted_at")), removal=removal,
                removed_at=when(removal.get("deleted_at")),
                contract_ended=found.state in CONTRACT_ENDED and removal.get("by") == "source",
                ended_services=[deletion.SERVICE_NAMES.get(s, s) for s in removal.get("services") or []],
                deletable=[deletion.SERVICE_NAMES[s] for s in deletion.services_of(found)],
                source_connected=source.has_api and remote.connection(session, resident, found.source) is not None,
                source=source, destination=destination, source_url=registry.issuer(settings, found.source),
                destination_url=registry.issuer(settings, found.destination),
                again=wizard_url(found.source, found.destination,
                                 [k for k in found.kinds if k in takeable(source, destination)]),
                total_items=len((found.manifest or {}).get("items", [])))
