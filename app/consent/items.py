"""How each catalogue item is read from what the resident entrusted. Only the enforcement point calls these."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.accounts.models import Resident
from app.household import services as household
from app.household.address import AddressError, HomeArea, locate_home
from app.household.models import HealthScore, HomeAddress

Resolver = Callable[[Session, Resident, date], Any]


def _children(session: Session, resident: Resident, on: date) -> list[household.ChildView]:
    return [view for view in household.views_of(session, resident, on) if not view.child.counted_for_allowance]


def children_count(session: Session, resident: Resident, on: date) -> int:
    return len(_children(session, resident, on))


def age_bands(session: Session, resident: Resident, on: date) -> list[str]:
    return sorted(str(view.facts.band) if view.facts.band else "unknown" for view in _children(session, resident, on))


def age_classes(session: Session, resident: Resident, on: date) -> list[str]:
    return [view.facts.class_label_ja or "不明" for view in _children(session, resident, on)]


def _home_area(session: Session, resident: Resident) -> HomeArea | None:
    """Where the held address lies in the town list; None without an address or for one outside it."""
    address = session.get(HomeAddress, resident.id)
    if address is None:
        return None
    try:
        return locate_home(address.postal_code, address.region, address.locality, address.town)
    except AddressError:
        return None


def town_group(session: Session, resident: Resident, on: date) -> str | None:
    """A coarse area: the pilot area, the events ring around it, the rest of 柏市, or 流山市."""
    area = _home_area(session, resident)
    if area is None:
        return None
    if area.in_pilot_area:
        return "kashiwanoha_pilot"
    if area.in_events_ring:
        return "kashiwanoha_ring" if area.is_kashiwa_resident else "nagareyama_ring"
    return "kashiwa_other" if area.is_kashiwa_resident else "nagareyama_other"


def home_town(session: Session, resident: Resident, on: date) -> dict[str, str] | None:
    """The city and 町丁目 (no block number), as the town list names them."""
    area = _home_area(session, resident)
    if area is None:
        return None
    return {"city": "kashiwa" if area.is_kashiwa_resident else "nagareyama", "town": area.town}


def birth_dates(session: Session, resident: Resident, on: date) -> list[str]:
    return [f"{c.birth_year:04d}-{c.birth_month:02d}" + (f"-{c.birth_day:02d}" if c.birth_day else "")
            for c in household.children_of(session, resident)]


def home_address(session: Session, resident: Resident, on: date) -> str | None:
    address = session.get(HomeAddress, resident.id)
    if address is None:
        return None
    return f"〒{address.postal_code} {address.region}{address.locality}{address.town}{address.block}"


def health_score(session: Session, resident: Resident, on: date) -> int | None:
    latest = session.exec(select(HealthScore).where(HealthScore.resident_id == resident.id)
                          .order_by(col(HealthScore.day).desc())).first()
    return latest.score if latest else None


def ecg(session: Session, resident: Resident, on: date) -> None:
    return None  # no ECG is held yet (Apple Health import brings them)


RESOLVERS: dict[str, Resolver] = {
    "children_count": children_count,
    "age_bands": age_bands,
    "age_classes": age_classes,
    "town_group": town_group,
    "home_town": home_town,
    "birth_dates": birth_dates,
    "home_address": home_address,
    "health_score": health_score,
    "ecg": ecg,
}
