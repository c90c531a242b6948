"""Receiving the address and the カロママプラス health score from Smart Life Pass (userinfo and Dot to Dot).

Another OpenID Connect provider a resident links gives the address the same way (the standard `address` claim);
the health score comes only with the Dot to Dot scope. What is stored carries its source, so unlinking one
provider deletes only what came from it.

Each receipt is recorded (APPI 法30条) in the same transaction as the data it brings. With "保存しない" the data
is used for the page that asked and not kept: the record says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, delete, select

from app.accounts import linking
from app.accounts.models import LinkedAccount, Resident
from app.accounts.provider_http import Deadline, ProviderUnavailable, TokenRejected, get_resource, metadata, request_deadline
from app.accounts.providers import HEALTH_SCORE_SCOPE, OAuthProvider
from app.config import Settings
from app.db import utcnow
from app.household.address import AddressError, AddressOutsideArea, HomeArea, locate_home, split_street
from app.household.events import announce_change
from app.household.models import HealthScore, HomeAddress
from app.ledger.services import record_receipt

log = logging.getLogger(__name__)

# Dot to Dot is Smart Life Pass's data API; its path is fixed by the service, under the issuer.
DOT2DOT_HEALTH_SCORES = "/dot2dot/v1/health-scores"
HEALTH_DAYS = 30
ADDRESS_FIELDS = ("postal_code", "region", "locality", "town", "block")


@dataclass(frozen=True)
class ReceivedAddress:
    postal_code: str
    region: str
    locality: str
    town: str
    block: str

    @property
    def formatted(self) -> str:
        postal = f"〒{self.postal_code} " if self.postal_code else ""
        return f"{postal}{self.region}{self.locality}{self.town}{self.block}"


@dataclass(frozen=True)
class ScoreDay:
    day: date
    score: int
    meal: int
    exercise: int


@dataclass
class SmartLifePassData:
    address: ReceivedAddress | None = None
    area: HomeArea | None = None
    address_problem: str | None = None  # why the address cannot be used (outside 柏市/流山市, unknown town)
    scores: list[ScoreDay] = field(default_factory=list)


ADDRESS_OUTSIDE = _l("The address registered at Smart Life Pass is outside Kashiwa City and Nagareyama City, so "
                     "Azukari did not take it. Its recommendations are for residents of those two cities.")
ADDRESS_UNKNOWN = _l("We could not find the town (町丁目) of the address registered at Smart Life Pass in the town "
                     "list, so Azukari did not take it. Please check the address at Smart Life Pass.")


def _text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise ProviderUnavailable()
    return value.strip()


def parse_address(raw: Any) -> ReceivedAddress | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ProviderUnavailable()
    town = _text(raw.get("town"), 64)
    block = _text(raw.get("block"), 64)
    if not town:  # a provider without the extension members: the town is the start of the street address
        street = _text(raw.get("street_address"), 128)
        town, block = street, ""
    return ReceivedAddress(
        postal_code=_text(raw.get("postal_code"), 10),
        region=_text(raw.get("region"), 16),
        locality=_text(raw.get("locality"), 32),
        town=town,
        block=block,
    )


def parse_scores(raw: Any) -> list[ScoreDay]:
    if not isinstance(raw, dict) or not isinstance(raw.get("scores"), list):
        raise ProviderUnavailable()
    days: list[ScoreDay] = []
    for entry in raw["scores"][:366]:
        try:
            values = [entry[k] for k in ("score", "meal", "exercise")]
            if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 100 for v in values):
                raise ValueError("score out of range")
            days.append(ScoreDay(date.fromisoformat(entry["date"]), *values))
        except (KeyError, TypeError, ValueError) as error:
            raise ProviderUnavailable() from error
    return sorted(days, key=lambda d: d.day, reverse=True)


def assess(address: ReceivedAddress | None) -> tuple[HomeArea | None, str | None]:
    """The town, distances and area flags of an address, or the reason it cannot be used."""
    if address is None:
        return None, None
    try:
        return locate_home(address.postal_code, address.region, address.locality, address.town), None
    except AddressOutsideArea:
        return None, str(ADDRESS_OUTSIDE)
    except AddressError:  # an unknown town or a malformed postal code
        return None, str(ADDRESS_UNKNOWN)


def with_canonical_town(address: ReceivedAddress, area: HomeArea) -> ReceivedAddress:
    """The town as the town list spells it; the rest of a street address given in one piece becomes the block."""
    if address.town == area.town:
        return address
    block = address.block or split_street(address.town)[1]
    return ReceivedAddress(address.postal_code, address.region, address.locality, area.town, block)


def fetch(session: Session, settings: Settings, *, resident: Resident, link: LinkedAccount,
          provider: OAuthProvider, deadline: Deadline | None = None) -> SmartLifePassData:
    """Ask the provider for the address (and the health score, with Dot to Dot) now, and record the receipt."""
    deadline = deadline or request_deadline()
    token = linking.access_token_for(session, settings, link, provider, deadline)
    try:
        info, raw_scores = _read(provider, link, token, deadline)
    except TokenRejected:  # revoked or expired early at the provider: refresh once and try again
        token = linking.access_token_for(session, settings, link, provider, deadline, rejected=token)
        try:
            info, raw_scores = _read(provider, link, token, deadline)
        except TokenRejected:
            link.needs_relink = True
            session.add(link)
            raise
    data = SmartLifePassData(address=parse_address(info.get("address")))
    data.area, data.address_problem = assess(data.address)
    if data.address is not None and data.area is not None:
        data.address = with_canonical_town(data.address, data.area)
    data.scores = parse_scores(raw_scores) if raw_scores is not None else []
    # An address that was not taken is not a receipt of one.
    items = (["address"] if data.area is not None else []) + (["health_score"] if raw_scores is not None else [])
    record_receipt(session, principal=resident.principal, source_key=provider.key, source=provider.source, items=items,
                   kept=link.keep_copy, health_days=len(data.scores), address_refused=data.address_problem is not None)
    link.last_received_at = utcnow()
    session.add(link)
    return data


def _read(provider: OAuthProvider, link: LinkedAccount, token: str, deadline: Deadline) -> tuple[dict[str, Any], Any]:
    document = metadata(provider, deadline)
    userinfo_url = document.get("userinfo_endpoint")
    if not isinstance(userinfo_url, str):
        raise ProviderUnavailable()
    info = get_resource(userinfo_url, token, deadline)
    # OIDC Core 5.3.2: the userinfo `sub` must be the linked subject, or the answer is not about this resident.
    if not isinstance(info, dict) or info.get("sub") != link.subject:
        raise ProviderUnavailable()
    raw_scores = None
    if HEALTH_SCORE_SCOPE in link.scope.split():
        raw_scores = get_resource(f"{provider.issuer}{DOT2DOT_HEALTH_SCORES}", token, deadline,
                                               days=HEALTH_DAYS)
    return info, raw_scores


def store(session: Session, *, resident: Resident, data: SmartLifePassData, source: str) -> None:
    """Keep what was received; an address that cannot be used leaves the stored one as it was."""
    if data.address is not None and data.area is not None:
        row = session.get(HomeAddress, resident.id) or HomeAddress(resident_id=resident.id, region="", locality="",
                                                                    town="", source=source)
        for name in ADDRESS_FIELDS:
            setattr(row, name, getattr(data.address, name))
        row.source, row.received_at = source, utcnow()
        session.add(row)
    if data.scores:
        days = [score.day for score in data.scores]
        session.execute(delete(HealthScore).where(col(HealthScore.resident_id) == resident.id,
                                                  col(HealthScore.day).in_(days)))
        session.add_all(HealthScore(resident_id=resident.id, day=s.day, score=s.score, meal=s.meal,
                                    exercise=s.exercise, source=source) for s in data.scores)
    announce_change(session, resident.id)


def forget(session: Session, *, resident: Resident, source: str) -> None:
    """Delete what the bank kept from `source` (unlink, or the switch to 保存しない)."""
    session.execute(delete(HomeAddress).where(col(HomeAddress.resident_id) == resident.id,
                                              col(HomeAddress.source) == source))
    session.execute(delete(HealthScore).where(col(HealthScore.resident_id) == resident.id,
                                              col(HealthScore.source) == source))
    announce_change(session, resident.id)


def stored(session: Session, *, resident: Resident) -> SmartLifePassData:
    row = session.get(HomeAddress, resident.id)
    data = SmartLifePassData()
    if row is not None:
        data.address = ReceivedAddress(*(getattr(row, name) for name in ADDRESS_FIELDS))
        data.area, data.address_problem = assess(data.address)
    rows = session.exec(select(HealthScore).where(HealthScore.resident_id == resident.id)
                        .order_by(col(HealthScore.day).desc()).limit(HEALTH_DAYS))
    data.scores = [ScoreDay(r.day, r.score, r.meal, r.exercise) for r in rows]
    return data


def receive(session: Session, settings: Settings, *, resident: Resident, provider: OAuthProvider) -> SmartLifePassData | None:
    """Fetch now and, when the resident lets the bank keep a copy, store it. None when not linked."""
    link = linking.link_of(session, resident, provider.key)
    if link is None:
        return None
    data = fetch(session, settings, resident=resident, link=link, provider=provider)
    if link.keep_copy:
        store(session, resident=resident, data=data, source=provider.key)
    return data


def set_keep_copy(session: Session, settings: Settings, *, resident: Resident, provider: OAuthProvider,
                  keep: bool) -> LinkedAccount | None:
    link = linking.link_of(session, resident, provider.key)
    if link is None or link.keep_copy == keep:
        return link
    link.keep_copy = keep
    session.add(link)
    if not keep:
        forget(session, resident=resident, source=provider.key)
    return link
