"""柏市's side of delegated disclosure: its residents' records (the demo households), finding a person by 氏名・
生年月日・住所 (never by a 個人番号), and what it keeps of each request it received.

Matching normalises what people type differently: NFKC (full-width letters and digits), no spaces, 〒 and postal
code and the prefecture dropped, kanji numerals before 丁目 read as digits, and 丁目/番地/番/号 read as hyphens — so
「柏市柏の葉二丁目3番地1」 and 「千葉県柏市柏の葉2-3-1」 are the same address.
"""

from __future__ import annotations

import re
import time
import tomllib
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

HOUSEHOLDS_FILE = Path(__file__).with_name("households.toml")
JST = timezone(timedelta(hours=9))
DEADLINE_DAYS = 30
NO_RECORD = "該当する記録がありません"
ADDRESS_MISMATCH = "届け出の住所と一致しないため、本人であることを確認できませんでした"
IDENTITY_NOT_CONFIRMED = "本人であることを確認できませんでした"
_KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def now() -> int:
    return int(time.time())


class DisclosureBase(DeclarativeBase):
    pass


class ReceivedRequest(DisclosureBase):
    """A disclosure request as 柏市 received it (keyed by the mandate's id, so a resent mandate is the same request)."""

    __tablename__ = "disclosure_request"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    mandate: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    birth_date: Mapped[str] = mapped_column(String(10))
    address: Mapped[str] = mapped_column(Text)
    period_from: Mapped[str] = mapped_column(String(10))
    period_to: Mapped[str] = mapped_column(String(10))
    received_at: Mapped[int] = mapped_column(Integer)
    # How the test controls stood when it arrived (docs/peers.md): later changes do not touch it.
    mode: Mapped[str] = mapped_column(String(16), default="auto")
    decide_at: Mapped[int] = mapped_column(Integer)
    disclose_delay: Mapped[int] = mapped_column(Integer, default=0)
    forced_reason: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[int | None] = mapped_column(Integer)
    records_json: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[int | None] = mapped_column(Integer)

    def receipt_number(self) -> str:
        received = datetime.fromtimestamp(self.received_at, JST)
        fiscal = received.year if received.month >= 4 else received.year - 1
        return f"柏個開第{fiscal}-{self.number:05d}号"

    def deadline(self) -> date:
        return datetime.fromtimestamp(self.received_at, JST).date() + timedelta(days=DEADLINE_DAYS)


class UsedAssertion(DisclosureBase):
    """A client assertion's jti, kept until it expires: each is accepted once."""

    __tablename__ = "disclosure_used_assertion"

    jti: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[int] = mapped_column(Integer)


# --- the residents' records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Household:
    name: str
    birth_date: str
    address: str
    records: tuple[dict[str, Any], ...]


def load_households(path: Path = HOUSEHOLDS_FILE) -> list[Household]:
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Household(h["name"], h["birth_date"], h["address"], tuple(h.get("records", ())))
            for h in document["households"]]


def normal_name(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


def _kanji_number(match: re.Match[str]) -> str:
    text, value = match.group(1), 0
    if "十" in text:
        tens, _, ones = text.partition("十")
        value = (_KANJI_DIGITS.get(tens, 1) * 10) + _KANJI_DIGITS.get(ones, 0)
    else:
        value = _KANJI_DIGITS.get(text, 0)
    return f"{value}丁目"


def normal_address(text: str) -> str:
    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    value = re.sub(r"^〒?\d{3}-?\d{4}", "", value)
    value = value.removeprefix("千葉県")
    value = re.sub(r"([一二三四五六七八九十]+)丁目", _kanji_number, value)
    value = re.sub(r"(\d+)(丁目|番地|番|号|の)", r"\1-", value)
    value = re.sub(r"(?<=\d)[‐ー−](?=\d)", "-", value)
    return value.rstrip("-")


def decide(households: list[Household], *, name: str, birth_date: str, address: str, period: tuple[str, str],
           ) -> tuple[str, str | None, list[dict[str, Any]]]:
    """(decision, reason, records): the person is found by name and birth date, confirmed by the address, and their
    records of the period are disclosed; nothing in the period is 不開示 (記録の不存在)."""
    people = [h for h in households if normal_name(h.name) == normal_name(name) and h.birth_date == birth_date]
    if not people:
        return "not_disclose", NO_RECORD, []
    person = next((h for h in people if normal_address(h.address) == normal_address(address)), None)
    if person is None:
        return "not_disclose", ADDRESS_MISMATCH, []
    records = [_record(r) for r in person.records if period[0] <= str(r["used_from"]) <= period[1]]
    if not records:
        return "not_disclose", NO_RECORD, []
    return "disclose", None, sorted(records, key=lambda r: (r["used_from"], r["service_id"]))


def _record(raw: dict[str, Any]) -> dict[str, Any]:
    return {"service_id": raw["service_id"], "used_from": str(raw["used_from"]),
            "used_to": str(raw["used_to"]) if raw.get("used_to") else None,
            "child_birth_date": str(raw["child_birth_date"]) if raw.get("child_birth_date") else None,
            "note": raw.get("note", "")}
