"""MyNa Portal's residents: a login per household, and every member of it as 住民基本台帳 records them.

All members are stored, adults and 個人番号 included, so a test can prove the API filters them out: the
children endpoint releases the name, reading and birth date of members whose 続柄 is 子, and nothing else.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

CHILD = "子"


class Base(DeclarativeBase):
    pass


class Household(Base):
    __tablename__ = "myna_household"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sub: Mapped[str] = mapped_column(String(64), unique=True)  # opaque, the token's subject
    login_id: Mapped[str] = mapped_column(String(254), unique=True)
    pin_hash: Mapped[str] = mapped_column(Text)
    members: Mapped[list[Member]] = relationship(back_populates="household", order_by="Member.birth_date")

    def children(self) -> list[Member]:
        return [member for member in self.members if member.relationship_to_head == CHILD]


class Member(Base):
    __tablename__ = "myna_member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("myna_household.id"))
    household: Mapped[Household] = relationship(back_populates="members")
    name: Mapped[str] = mapped_column(Text)
    name_kana: Mapped[str] = mapped_column(Text)
    birth_date: Mapped[str] = mapped_column(String(10))  # ISO 8601 date
    relationship_to_head: Mapped[str] = mapped_column(Text)  # 続柄: 世帯主, 妻, 夫, 子, 母 ...
    # The member's 個人番号 (made up, valid check digit). Stored because the real register has it; never released.
    individual_number: Mapped[str] = mapped_column(String(12))


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    name_kana: str
    birth_date: str
    relationship: str = CHILD


@dataclass(frozen=True, slots=True)
class NewHousehold:
    login_id: str
    pin: str
    members: tuple[Person, ...]


# Login ids and PINs are demo values, published in docs/peers.md.
DEMO_HOUSEHOLDS: tuple[NewHousehold, ...] = (
    NewHousehold("hanako@example.jp", "1234", (
        Person("柏の葉 花子", "カシワノハ ハナコ", "1989-07-14", "世帯主"),
        Person("柏の葉 健一", "カシワノハ ケンイチ", "1987-02-03", "夫"),
        Person("柏の葉 和子", "カシワノハ カズコ", "1960-09-21", "夫の母"),
        Person("柏の葉 ゆい", "カシワノハ ユイ", "2019-11-03"),
        Person("柏の葉 さくら", "カシワノハ サクラ", "2021-05-12"),
        Person("柏の葉 はると", "カシワノハ ハルト", "2024-04-01"),
    )),
    NewHousehold("taro@example.jp", "2345", (
        Person("若柴 太郎", "ワカシバ タロウ", "1991-04-25", "世帯主"),
        Person("若柴 美咲", "ワカシバ ミサキ", "1992-12-08", "妻"),
        Person("若柴 かえで", "ワカシバ カエデ", "2023-08-20"),
    )),
    NewHousehold("emily@example.jp", "3456", (
        Person("Emily Clark", "クラーク エミリー", "1988-03-30", "世帯主"),
        Person("Daniel Clark", "クラーク ダニエル", "1986-10-11", "夫"),
        Person("Sophie Clark", "クラーク ソフィー", "2020-04-02"),
        Person("Noah Clark", "クラーク ノア", "2025-01-15"),
    )),
    NewHousehold("sora@example.jp", "5678", (
        Person("若葉 そら", "ワカバ ソラ", "1992-08-08", "世帯主"),
        Person("若葉 海斗", "ワカバ カイト", "1991-05-27", "夫"),
        Person("若葉 ひなた", "ワカバ ヒナタ", "2021-05-12"),
        Person("若葉 あおい", "ワカバ アオイ", "2024-04-01"),
    )),
    NewHousehold("nagareyama@example.jp", "4567", (
        Person("駒木 陽子", "コマギ ヨウコ", "1990-06-05", "世帯主"),
        Person("駒木 翔", "コマギ ショウ", "1989-01-19", "夫"),
        Person("駒木 りん", "コマギ リン", "2022-06-30"),
    )),
)

_DUMMY_PIN_HASH = generate_password_hash("0000")


def individual_number(seed: str) -> str:
    """A made-up 12-digit 個人番号 with a valid check digit (総務省令 第五条), the same for the same seed."""
    body = str(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big"))[-11:].rjust(11, "0")
    # Weights run over the digits from the right: 2..7 for the first six, 2..6 for the next five.
    total = sum(int(digit) * (n + 1 if n <= 6 else n - 5) for n, digit in enumerate(reversed(body), start=1))
    remainder = total % 11
    return body + str(0 if remainder <= 1 else 11 - remainder)


def create_household(session: Session, new: NewHousehold) -> Household:
    household = Household(sub=str(uuid.uuid4()), login_id=new.login_id, pin_hash=generate_password_hash(new.pin))
    household.members = [
        Member(
            name=person.name,
            name_kana=person.name_kana,
            birth_date=person.birth_date,
            relationship_to_head=person.relationship,
            individual_number=individual_number(f"{new.login_id}|{person.name}|{person.birth_date}"),
        )
        for person in new.members
    ]
    session.add(household)
    session.flush()
    return household


def seed_demo_households(session: Session) -> None:
    existing = set(session.scalars(select(Household.login_id)))
    for demo in DEMO_HOUSEHOLDS:
        if demo.login_id not in existing:
            create_household(session, demo)


def household_by_sub(session: Session, sub: str) -> Household | None:
    return session.scalar(select(Household).where(Household.sub == sub))


def login_id_taken(session: Session, login_id: str) -> bool:
    return session.scalar(select(Household.id).where(Household.login_id == login_id)) is not None


def authenticate(session: Session, login_id: str, pin: str) -> Household | None:
    household = session.scalar(select(Household).where(Household.login_id == login_id.strip()))
    if household is None:
        check_password_hash(_DUMMY_PIN_HASH, pin)
        return None
    return household if check_password_hash(household.pin_hash, pin) else None


def children_payload(children: Sequence[Member]) -> list[dict[str, str]]:
    """What the API may say about each child: nothing but name, reading, birth date and 続柄."""
    return [
        {"name": child.name, "name_kana": child.name_kana, "birth_date": child.birth_date, "relationship": CHILD}
        for child in children
    ]


def valid_pin(pin: str) -> bool:
    return len(pin) == 4 and pin.isascii() and pin.isdigit()
