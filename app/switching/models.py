"""The tables of one-stop switching: the bank's connections to the services, the transfer jobs and their items.

A job's staged items are the converted data on its way to the destination; only the consent door
(`app/consent/transfers.py`) reads their bodies.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from app.db import BigIntPK, UTCDateTime, new_id, utcnow


class ServiceConnection(SQLModel, table=True):
    """The bank's tokens at a switching service (the service is the authorization server: patterns 2, 3, 4).

    Sealed like a linked account's (app.crypto); one per resident and service, replaced by a new connection."""

    __tablename__ = "switching_connection"
    __table_args__ = (sa.UniqueConstraint("resident_id", "service"),)

    id: int | None = Field(default=None, primary_key=True)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", index=True)
    service: str = Field(max_length=32)
    scope: str = Field(default="", max_length=255)
    access_token_sealed: str = Field(sa_type=sa.Text)
    refresh_token_sealed: str | None = Field(default=None, sa_type=sa.Text)
    access_token_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    connected_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class JobState:
    """The transfer saga (docs/switching.md "The saga"): each state is committed before the side effect it names,
    so a worker killed anywhere resumes from the last one (`app/switching/saga.py` moves between them)."""

    NEW = "new"  # created; an upload waits for the resident's consent to convert it
    AWAITING_SOURCE = "awaiting_source"  # patterns 1 and 4: the source exports by pushing to the intake API
    EXPORTING = "exporting"  # patterns 2 and 3: the worker reads the source's API
    CONVERTING = "converting"  # what arrived is converted and staged with the manifest
    COLLECTED = "collected"  # the pre-transfer report is ready: the resident agrees, accepts the terms, sends
    DELIVERING = "delivering"  # the resident said send: the worker pushes, one acknowledged batch at a time
    PAUSED = "paused"  # the destination is full: the resident makes room there, then says continue
    READY = "ready"  # patterns 1 and 3: waiting for the destination to pull
    VERIFYING = "verifying"  # everything is at the destination; its signed receipt is being compared
    VERIFIED = "verified"  # the receipt matched the manifest: the old service's data is the resident's choice
    SOURCE_CONTRACT_ENDED = "source_contract_ended"  # the source ended the moved services (deletion asked for)
    SOURCE_DELETION_REQUESTED = "source_deletion_requested"  # the deletion call is made; its certificate awaited
    COMPLETE = "complete"  # the switch is over: deleted (or purged) with a certificate, or kept by choice
    FAILED = "failed"
    CANCELED = "canceled"

    OPEN = (NEW, AWAITING_SOURCE, EXPORTING, CONVERTING, COLLECTED, DELIVERING, PAUSED, READY, VERIFYING)
    # The transfer is done and checked (the completion page): everything after is about the old service.
    DONE = (VERIFIED, SOURCE_CONTRACT_ENDED, SOURCE_DELETION_REQUESTED, COMPLETE)


class TransferJob(SQLModel, table=True):
    __tablename__ = "transfer_job"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    resident_id: uuid.UUID = Field(foreign_key="resident.id", ondelete="CASCADE", index=True)
    source: str = Field(max_length=32)  # a service key (`google`) or an upload (`apple_health`, `takeout`)
    destination: str = Field(max_length=32)
    pattern: int  # 1–4 (docs/switching.md); an upload source has no source leg but the destination's leg counts
    kinds: list[str] = Field(default_factory=list, sa_type=JSON)  # the interchange kinds chosen to move
    import_id: uuid.UUID | None = Field(default=None, foreign_key="data_import.id", ondelete="SET NULL")
    format: str = Field(max_length=32)  # the destination's format and version, e.g. `blog-a/1`
    state: str = Field(default=JobState.NEW, max_length=32, index=True)
    # What came from the source, per interchange kind, and what of it the format takes; sizes in canonical bytes.
    collected: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    intake_counts: dict[str, int] = Field(default_factory=dict, sa_type=JSON)  # per source `kind` (push)
    skipped: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    # What was staged when collected ({"taken", "lost", "bytes"} per kind): the report outlives the staged items,
    # which are erased once the destination's receipt matched (pass-through).
    staged_counts: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    manifest: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    remote_id: str | None = Field(default=None, max_length=128)  # the destination's import id (push)
    # The staging position the destination acknowledged: a retried push resumes after it.
    delivered_through: int = Field(default=0, sa_type=sa.BigInteger)
    receipt: dict[str, Any] | None = Field(default=None, sa_type=JSON)  # the verified receipt's payload
    deletion: dict[str, Any] | None = Field(default=None, sa_type=JSON)  # what was asked and certified (deletion.py)
    contracts: dict[str, Any] | None = Field(default=None, sa_type=JSON)  # terms accepted (contracts.py)
    error: str | None = Field(default=None, max_length=60)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TransferItem(SQLModel, table=True):
    """One item of a job as received: if the destination's format takes it (`taken`), its digest and canonical JSON
    (RFC 8785) as it will be delivered; if not, only its id and kind (counted as lost in the report)."""

    __tablename__ = "transfer_item"
    __table_args__ = (sa.UniqueConstraint("job_id", "item_id"),)

    id: int | None = Field(default=None, sa_type=BigIntPK, primary_key=True)
    job_id: uuid.UUID = Field(foreign_key="transfer_job.id", ondelete="CASCADE")  # (the unique pair indexes it)
    item_id: str = Field(max_length=300)  # `<interchange kind>:<source id>`
    kind: str = Field(max_length=30)
    taken: bool = True
    released: bool = False  # it passed the consent door to the destination: its receipt must list it
    sha256: str = Field(default="", max_length=64)
    body: str = Field(default="", sa_type=sa.Text)  # the canonical JSON text
    size: int = 0
