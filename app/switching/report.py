"""The pre-transfer report and destination suggestions (移転先のレコメンド), computed without sending anything.

The report is of a collected job: what moves (per interchange kind, with sizes), what is lost (kinds the format
cannot take, fields it drops, kinds the resident's consent leaves out), from the staged items' counts and the
converter's declarations. Suggestions are from what the resident holds: for each destination, what of it the
destination's format would carry over.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from app.accounts.models import Resident
from app.consent import transfers as door
from app.data_imports.models import DataImport, ImportStatus
from app.switching import registry, remote, staging
from app.switching.converters import converter_for
from app.switching.models import TransferJob


@dataclass(frozen=True)
class TransferReport:
    job_id: str
    source: str
    destination: str
    format: str
    moves: dict[str, int]  # per interchange kind, the items that will be delivered (once consented)
    lost_kinds: dict[str, int]  # per kind, items the format cannot take
    withheld_kinds: list[str]  # of those, kinds the resident's consent does not cover yet (they are asked first)
    lost_fields: dict[str, list[str]]  # per moving kind, the interchange fields the format drops
    sizes: dict[str, int]  # canonical bytes per moving kind

    @property
    def total_items(self) -> int:
        return sum(self.moves.values())

    @property
    def total_bytes(self) -> int:
        return sum(self.sizes.values())


def for_job(session: Session, resident: Resident, job: TransferJob) -> TransferReport:
    dst = registry.destination(job.destination)
    converter = converter_for(job.format)
    staged = job.staged_counts or staging.counts(session, job)
    withheld = door.withheld_kinds(session, resident=resident, recipient=dst.recipient, purpose=dst.purpose,
                                   kinds=sorted(staged["taken"]))
    moves = dict(sorted(staged["taken"].items()))
    return TransferReport(
        job_id=str(job.id), source=job.source, destination=job.destination, format=job.format, moves=moves,
        lost_kinds=dict(sorted(staged["lost"].items())), withheld_kinds=withheld,
        lost_fields={kind: list(converter.lost_fields(kind)) for kind in moves if converter.lost_fields(kind)},
        sizes={kind: staged["bytes"].get(kind, 0) for kind in moves})


@dataclass
class Suggestion:
    destination: registry.Destination
    carried: dict[str, int | None] = field(default_factory=dict)  # kind → items held (None: not counted until collected)
    not_carried: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    @property
    def useful(self) -> bool:
        return bool(self.carried)


def held_kinds(session: Session, resident: Resident) -> dict[str, dict[str, int | None]]:
    """What the resident could move, per source: the stored exports' counts, and a connected source's kinds
    (None: counted once collected). Only counts are read, never the data."""
    held: dict[str, dict[str, int | None]] = {}
    uploads = session.exec(select(DataImport).where(DataImport.resident_id == resident.id,
                                                    DataImport.status == ImportStatus.DONE)
                           .order_by(col(DataImport.finished_at).desc())).all()
    for key, spec in registry.SOURCES.items():
        if spec.upload_format is not None:
            latest = next((u for u in uploads if u.format == spec.upload_format), None)
            stored = (latest.summary or {}).get("stored", {}) if latest else {}
            counts: dict[str, int | None] = {kind: int(stored[kind]) for kind in spec.kinds if stored.get(kind)}
            if counts:
                held[key] = counts
        elif remote.connection(session, resident, key) is not None:
            held[key] = dict.fromkeys(spec.kinds, None)
    return held


def suggestions(session: Session, resident: Resident) -> list[Suggestion]:
    """Destinations that can take some of what the resident holds, the most carried first."""
    held = held_kinds(session, resident)
    found = []
    for dst in registry.DESTINATIONS.values():
        converter = converter_for(dst.format)
        suggestion = Suggestion(dst)
        for source, kinds in held.items():
            taken = {kind: n for kind, n in kinds.items() if converter.takes(kind)}
            if taken:
                suggestion.sources.append(source)
                suggestion.carried.update(taken)
            suggestion.not_carried.extend(kind for kind in kinds if not converter.takes(kind))
        if suggestion.useful:
            found.append(suggestion)
    return sorted(found, key=lambda s: (-len(s.carried), s.destination.key))
