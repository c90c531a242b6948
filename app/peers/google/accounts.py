"""Google's accounts and what happened to their services: the demo residents, terminations and deletions.

Demo content itself is not stored (it is derived from the login id, see `content` and `places`); what is stored
is the account (`sub`, generated once), which services were terminated or deleted, and each deletion's signed
certificate, so asking again with the same reference gets the same certificate.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from sqlalchemy import Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

SERVICES = ("blogger", "calendar", "youtube", "maps")


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "google_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sub: Mapped[str] = mapped_column(String(64), unique=True)  # opaque, never the email
    login_id: Mapped[str] = mapped_column(String(254), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(16))


class ServiceState(Base):
    """A service of an account that was terminated and/or deleted (no row: in use, with its data)."""

    __tablename__ = "google_service_state"
    __table_args__ = (UniqueConstraint("sub", "service"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sub: Mapped[str] = mapped_column(String(64), index=True)
    service: Mapped[str] = mapped_column(String(16))
    terminated_at: Mapped[str | None] = mapped_column(String(40))
    deleted_at: Mapped[str | None] = mapped_column(String(40))


class Deletion(Base):
    """One deletion request, by the caller's reference: answered with the same certificate when asked again."""

    __tablename__ = "google_deletion"
    __table_args__ = (UniqueConstraint("sub", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sub: Mapped[str] = mapped_column(String(64), index=True)
    reference: Mapped[str] = mapped_column(String(200))
    services_json: Mapped[str] = mapped_column(Text)
    certificate: Mapped[str] = mapped_column(Text)

    @property
    def services(self) -> list[str]:
        return list(json.loads(self.services_json))


@dataclass(frozen=True, slots=True)
class DemoAccount:
    login_id: str
    password: str
    name: str
    locale: str


# Published in docs/peers.md: `google-<first name>-2026`, as docs/switching.md fixes for every new peer.
DEMO_ACCOUNTS = (
    DemoAccount("hanako@example.jp", "google-hanako-2026", "柏の葉 花子", "ja"),
    DemoAccount("taro@example.jp", "google-taro-2026", "若柴 太郎", "ja"),
    DemoAccount("emily@example.jp", "google-emily-2026", "Emily Clark", "en"),
)
_DUMMY_PASSWORD_HASH = generate_password_hash("not-a-password")


def seed_demo_accounts(session: Session) -> None:
    existing = set(session.scalars(select(Account.login_id)))
    for demo in DEMO_ACCOUNTS:
        if demo.login_id not in existing:
            session.add(Account(sub=str(uuid.uuid4()), login_id=demo.login_id, email=demo.login_id,
                                password_hash=generate_password_hash(demo.password), name=demo.name, locale=demo.locale))


def by_sub(session: Session, sub: str) -> Account | None:
    return session.scalar(select(Account).where(Account.sub == sub))


def by_login_id(session: Session, login_id: str) -> Account | None:
    return session.scalar(select(Account).where(Account.login_id == login_id.strip()))


def authenticate(session: Session, login_id: str, password: str) -> Account | None:
    account = by_login_id(session, login_id)
    if account is None:
        check_password_hash(_DUMMY_PASSWORD_HASH, password)  # a wrong id takes as long as a wrong password
        return None
    return account if check_password_hash(account.password_hash, password) else None


def service_states(session: Session, sub: str) -> dict[str, ServiceState]:
    return {row.service: row for row in session.scalars(select(ServiceState).where(ServiceState.sub == sub))}


def deleted_services(session: Session, sub: str) -> set[str]:
    return {service for service, row in service_states(session, sub).items() if row.deleted_at}


def state_row(session: Session, sub: str, service: str) -> ServiceState:
    row = session.scalar(select(ServiceState).where(ServiceState.sub == sub, ServiceState.service == service))
    if row is None:
        row = ServiceState(sub=sub, service=service)
        session.add(row)
    return row


def deletion(session: Session, sub: str, reference: str) -> Deletion | None:
    return session.scalar(select(Deletion).where(Deletion.sub == sub, Deletion.reference == reference))
