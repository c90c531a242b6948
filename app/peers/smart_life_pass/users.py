"""Smart Life Pass's accounts: the demo residents and the claims it releases about them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "slp_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The OIDC `sub`: opaque, generated once, never the email (an email can change or be shared).
    sub: Mapped[str] = mapped_column(String(64), unique=True)
    # What the person types to sign in; usually the email, but kept apart so two accounts may share an email.
    login_id: Mapped[str] = mapped_column(String(254), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    family_name: Mapped[str] = mapped_column(Text)
    given_name: Mapped[str] = mapped_column(Text)
    postal_code: Mapped[str] = mapped_column(String(8))
    region: Mapped[str] = mapped_column(Text)  # 都道府県
    locality: Mapped[str] = mapped_column(Text)  # 市区町村
    town: Mapped[str] = mapped_column(Text)  # 町名・丁目
    block: Mapped[str] = mapped_column(Text)  # 番地・号

    def address(self) -> dict[str, str]:
        """The OIDC `address` claim (§5.1.1) plus `town` and `block`, so a client need not parse Japanese addresses."""
        street_address = f"{self.town}{self.block}"
        return {
            "postal_code": self.postal_code,
            "region": self.region,
            "locality": self.locality,
            "town": self.town,
            "block": self.block,
            "street_address": street_address,
            "country": "JP",
            "formatted": f"〒{self.postal_code} {self.region}{self.locality}{street_address}",
        }


@dataclass(frozen=True, slots=True)
class NewUser:
    email: str
    password: str
    family_name: str
    given_name: str
    name: str
    address: Mapping[str, str]
    login_id: str | None = None


ADDRESS_FIELDS = ("postal_code", "region", "locality", "town", "block")

# Passwords are demo values, published in docs/peers.md. Postal codes are the real ones for each town.
DEMO_USERS: tuple[NewUser, ...] = (
    NewUser("hanako@example.jp", "slp-hanako-2026", "柏の葉", "花子", "柏の葉 花子",
            {"postal_code": "277-0882", "region": "千葉県", "locality": "柏市", "town": "柏の葉二丁目", "block": "3番地1"}),
    NewUser("taro@example.jp", "slp-taro-2026", "若柴", "太郎", "若柴 太郎",
            {"postal_code": "277-0871", "region": "千葉県", "locality": "柏市", "town": "若柴", "block": "178番地4"}),
    NewUser("emily@example.jp", "slp-emily-2026", "Clark", "Emily", "Emily Clark",
            {"postal_code": "277-0882", "region": "千葉県", "locality": "柏市", "town": "柏の葉六丁目", "block": "1番地"}),
    NewUser("nagareyama@example.jp", "slp-nagareyama-2026", "駒木", "陽子", "駒木 陽子",
            {"postal_code": "270-0113", "region": "千葉県", "locality": "流山市", "town": "駒木台", "block": "100番地"}),
    # Has no Azukari account yet: the demo of "Smart Life Pass でログイン" creating one.
    NewUser("sora@example.jp", "slp-sora-2026", "若葉", "そら", "若葉 そら",
            {"postal_code": "277-0871", "region": "千葉県", "locality": "柏市", "town": "若柴", "block": "227番地1"}),
    NewUser("tokyo@example.jp", "slp-tokyo-2026", "千代田", "一郎", "千代田 一郎",
            {"postal_code": "100-0001", "region": "東京都", "locality": "千代田区", "town": "千代田", "block": "1番1号"}),
)

# Checked when the login id is unknown, so a wrong id takes as long as a wrong password.
_DUMMY_PASSWORD_HASH = generate_password_hash("not-a-password")


def create_user(session: Session, new: NewUser) -> User:
    user = User(
        sub=str(uuid.uuid4()),
        login_id=new.login_id or new.email,
        email=new.email,
        password_hash=generate_password_hash(new.password),
        name=new.name,
        family_name=new.family_name,
        given_name=new.given_name,
        **{field: new.address[field] for field in ADDRESS_FIELDS},
    )
    session.add(user)
    session.flush()
    return user


def seed_demo_users(session: Session) -> None:
    """Create the demo accounts that do not exist yet (their `sub` then stays the same across restarts)."""
    existing = set(session.scalars(select(User.login_id)))
    for demo in DEMO_USERS:
        if demo.email not in existing:
            create_user(session, demo)


def user_by_sub(session: Session, sub: str) -> User | None:
    return session.scalar(select(User).where(User.sub == sub))


def login_id_taken(session: Session, login_id: str) -> bool:
    return session.scalar(select(User.id).where(User.login_id == login_id)) is not None


def authenticate(session: Session, login_id: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.login_id == login_id.strip()))
    if user is None:
        check_password_hash(_DUMMY_PASSWORD_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def id_token_claims(user: User | None, scopes: Sequence[str]) -> dict[str, Any]:
    """What the ID token says beyond the protocol claims: `email` and `name`, each only if its scope was granted."""
    if user is None:
        return {}
    claims: dict[str, Any] = {}
    if "email" in scopes:
        claims["email"] = user.email
    if "profile" in scopes:
        claims["name"] = user.name
    return claims


def userinfo_claims(user: User, scopes: Sequence[str]) -> dict[str, Any]:
    claims: dict[str, Any] = {"sub": user.sub}
    if "profile" in scopes:
        claims.update(name=user.name, family_name=user.family_name, given_name=user.given_name)
    if "email" in scopes:
        # Demo accounts are created with a confirmed address; a real provider would track the confirmation.
        claims.update(email=user.email, email_verified=True)
    if "address" in scopes:
        claims["address"] = user.address()
    return claims
