"""A destination's own tables: its accounts, the import jobs the bank opened and the items it stored.

Items are kept as the canonical bytes the digest was checked over (never re-serialised), so a receipt is
computed from exactly what the destination holds: an item it dropped is missing, and nothing is recomputed from
what the bank sent. Jobs are per account; one bank job id opens one job per account.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from app.peers.destination.profile import DestinationProfile

JOB_OPEN = "open"
JOB_COMPLETED = "completed"
# Where a job came from: the bank pushed it (patterns 2 and 4) or this peer pulled it (patterns 1 and 3).
VIA_PUSH = "push"
VIA_PULL = "pull"


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "destination_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The OAuth subject the bank sees: opaque and generated once, never the login id.
    sub: Mapped[str] = mapped_column(String(64), unique=True)
    login_id: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str] = mapped_column(Text)


class ImportJob(Base):
    __tablename__ = "destination_job"
    __table_args__ = (UniqueConstraint("account_id", "bank_job"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # this destination's id for the job
    account_id: Mapped[int] = mapped_column(ForeignKey("destination_account.id"), index=True)
    bank_job: Mapped[str] = mapped_column(String(200))  # the bank's job (or transfer) id
    format: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(8), default=VIA_PUSH)
    expected_items: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=JOB_OPEN)
    created_at: Mapped[int] = mapped_column(Integer)
    last_stored_at: Mapped[int | None] = mapped_column(Integer)
    # When the receipt's `received_at` was fixed: the first completion, or a later one after more items came.
    completed_at: Mapped[int | None] = mapped_column(Integer)


class StoredItem(Base):
    __tablename__ = "destination_item"
    __table_args__ = (UniqueConstraint("job_id", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("destination_job.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("destination_account.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(512))
    type: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    canonical: Mapped[bytes] = mapped_column(LargeBinary)
    stored_at: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True, slots=True)
class DemoAccount:
    login_id: str
    first_name: str  # the password's middle part
    display_name: str


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("hanako@example.jp", "hanako", "柏の葉 花子"),
    DemoAccount("taro@example.jp", "taro", "若柴 太郎"),
    DemoAccount("emily@example.jp", "emily", "Emily Clark"),
)

# Checked when the login id is unknown, so a wrong id takes as long as a wrong password.
_DUMMY_PASSWORD_HASH = generate_password_hash("not-a-password")


def seed_demo_accounts(session: Session, profile: DestinationProfile) -> None:
    """Create the demo accounts that do not exist yet, empty (their `sub` then stays across restarts)."""
    existing = set(session.scalars(select(Account.login_id)))
    for demo in DEMO_ACCOUNTS:
        if demo.login_id not in existing:
            session.add(Account(sub=str(uuid.uuid4()), login_id=demo.login_id, display_name=demo.display_name,
                                password_hash=generate_password_hash(profile.demo_password(demo.first_name))))


def authenticate(session: Session, login_id: str, password: str) -> Account | None:
    account = session.scalar(select(Account).where(Account.login_id == login_id.strip()))
    if account is None:
        check_password_hash(_DUMMY_PASSWORD_HASH, password)
        return None
    return account if check_password_hash(account.password_hash, password) else None


def account_by_sub(session: Session, sub: str) -> Account | None:
    return session.scalar(select(Account).where(Account.sub == sub))


def account_by_login(session: Session, login_id: str) -> Account | None:
    return session.scalar(select(Account).where(Account.login_id == login_id))


def job_for(session: Session, account: Account, job_id: str) -> ImportJob | None:
    """The job `job_id` if it is this account's (another account's job is as good as absent)."""
    job = session.get(ImportJob, job_id)
    return job if job is not None and job.account_id == account.id else None


def job_by_bank_id(session: Session, account: Account, bank_job: str) -> ImportJob | None:
    return session.scalar(select(ImportJob).where(ImportJob.account_id == account.id, ImportJob.bank_job == bank_job))


def new_job(session: Session, account: Account, *, bank_job: str, format_name: str, via: str,
            expected_items: int | None, now: int) -> ImportJob:
    job = ImportJob(id=uuid.uuid4().hex, account_id=account.id, bank_job=bank_job, format=format_name, via=via,
                    expected_items=expected_items, status=JOB_OPEN, created_at=now)
    session.add(job)
    session.flush()
    return job


def stored_digests(session: Session, job: ImportJob, item_ids: list[str]) -> dict[str, str]:
    """id -> digest of the items of `job` among `item_ids` that are already stored."""
    if not item_ids:
        return {}
    rows = session.execute(select(StoredItem.item_id, StoredItem.sha256)
                           .where(StoredItem.job_id == job.id, StoredItem.item_id.in_(item_ids)))
    return {item_id: digest for item_id, digest in rows}


def items_held(session: Session, account: Account) -> int:
    return session.scalar(select(func.count(StoredItem.id)).where(StoredItem.account_id == account.id)) or 0


def job_item_count(session: Session, job: ImportJob) -> int:
    return session.scalar(select(func.count(StoredItem.id)).where(StoredItem.job_id == job.id)) or 0


def job_manifest(session: Session, job: ImportJob) -> list[tuple[str, str]]:
    """(id, digest) of everything stored for `job`, sorted by id: what its receipt lists."""
    rows = session.execute(select(StoredItem.item_id, StoredItem.sha256).where(StoredItem.job_id == job.id))
    return sorted((item_id, digest) for item_id, digest in rows)


def jobs_of(session: Session, account: Account) -> list[ImportJob]:
    return list(session.scalars(select(ImportJob).where(ImportJob.account_id == account.id)
                                .order_by(ImportJob.created_at.desc(), ImportJob.id)))


def counts_by_type(session: Session, account: Account) -> dict[str, int]:
    rows = session.execute(select(StoredItem.type, func.count(StoredItem.id))
                           .where(StoredItem.account_id == account.id).group_by(StoredItem.type))
    return {item_type: count for item_type, count in rows}


def newest_items(session: Session, account: Account, limit: int) -> list[StoredItem]:
    return list(session.scalars(select(StoredItem).where(StoredItem.account_id == account.id)
                                .order_by(StoredItem.stored_at.desc(), StoredItem.id.desc()).limit(limit)))


def job_items(session: Session, job: ImportJob) -> list[StoredItem]:
    return list(session.scalars(select(StoredItem).where(StoredItem.job_id == job.id).order_by(StoredItem.item_id)))
