"""Synthetic households for the feed benchmark: a home in the pilot area or the events ring, 0–3 children and
(for about half) a usual カロママプラス health score. Pure: no database, deterministic for a given seed.

The shape is an assumption, not census data: the feed is the bank's child-raising service, so most accounts are
parents, and the young new town around 柏の葉キャンパス駅 has more small children than older ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from app.household.address import PREFECTURE, locate_home, station_distance_km, towns
from app.household.ages import BirthDate, InvalidBirthDate, class_index, describe_child, is_child_index, validate_birth

# Children per account: 0 (an account without children yet, or grown up) … 3.
CHILDREN_WEIGHTS = {0: 20, 1: 35, 2: 33, 3: 12}
# The youngest child's age in years: many babies and toddlers, fewer teenagers.
YOUNGEST_AGE_WEIGHTS = [10, 10, 9, 8, 8, 7, 6, 6, 5, 5, 4, 4, 4, 3, 3, 3, 3, 3]
# Years between siblings.
SIBLING_GAP_WEIGHTS = {1: 15, 2: 35, 3: 30, 4: 12, 5: 5, 6: 3}
YEAR_MONTH_ONLY_SHARE = 0.15  # typed as 年月 only; the household accepts that unless the day decides child/sibling
MYNAPORTAL_SHARE = 0.3  # imported from MyNa Portal: always with the day
NICKNAMES = ("上の子", "下の子", "さくら", "ゆい", "はると", "そうた", "めい", "りく", "ひなた", "こはる")
HEALTH_SHARE = 0.5
SLP_SOURCE = "smart-life-pass"  # the provider key the Smart Life Pass import stores as the source
RING_SHARE = 0.25  # homes between 2 and 3 km from the station (柏市 and 流山市); the rest in the pilot area
# The new-town 町丁目 around the station, where most young families live.
BUSY_TOWN_PREFIXES = ("柏の葉", "若柴")
BUSY_WEIGHT = 3
# Postal codes for the towns the project's fixtures name; elsewhere a code in the city's range. locate_home checks the
# format only (the town list has no postal codes), so the code does not change what the feed sees.
POSTAL_CODES = {"柏の葉": "277-0882", "若柴": "277-0871", "駒木台": "270-0113"}
CITY_POSTAL_FALLBACK = {"柏市": "277-0800", "流山市": "270-0100"}


@dataclass(frozen=True)
class Home:
    postal_code: str
    locality: str
    town: str
    weight: float


@dataclass(frozen=True)
class ChildRow:
    birth: BirthDate
    counted_for_allowance: bool
    nickname: str | None
    source: str


@dataclass(frozen=True)
class Household:
    home: Home
    block: str
    children: tuple[ChildRow, ...]
    # The person's usual health score, or None without one; the days around it are made in the database (750,000
    # rows at 50,000 residents: too many to send one by one).
    health_level: int | None


def _postal_code(city: str, town: str) -> str:
    for prefix, code in POSTAL_CODES.items():
        if town.startswith(prefix):
            return code
    return CITY_POSTAL_FALLBACK[city]


def area_homes() -> list[Home]:
    """Every 町丁目 (not 小字 rows) within 3 km of the station, each checked through the app's own `locate_home`."""
    homes = []
    for town in towns():
        if town.koaza:
            continue
        km = station_distance_km(town.lat, town.lng)
        if km > 3.0:
            continue
        home = Home(_postal_code(town.city, town.town), town.city, town.town, 0.0)
        area = locate_home(home.postal_code, PREFECTURE, home.locality, home.town)
        if area.town != town.town or not area.in_events_ring:
            raise AssertionError(f"{town.city}{town.town} does not resolve to itself in the events ring")
        homes.append((home, area.in_pilot_area))
    pilot = [home for home, in_pilot in homes if in_pilot]
    ring = [home for home, in_pilot in homes if not in_pilot]

    def weighted(group: list[Home], share: float) -> list[Home]:
        raw = [BUSY_WEIGHT if h.town.startswith(BUSY_TOWN_PREFIXES) else 1 for h in group]
        return [Home(h.postal_code, h.locality, h.town, share * w / sum(raw)) for h, w in zip(group, raw, strict=True)]

    return weighted(pilot, 1 - RING_SHARE) + weighted(ring, RING_SHARE)


def _block(rng: random.Random, town: str) -> str:
    if town.endswith("丁目"):
        return f"{rng.randint(1, 40)}-{rng.randint(1, 30)}"
    return f"{rng.randint(1, 999)}番地{rng.randint(1, 20)}"


def _birth(rng: random.Random, age_years: int, today: date) -> date:
    earliest = today - timedelta(days=int((age_years + 1) * 365.25) - 1)
    latest = today - timedelta(days=int(age_years * 365.25))
    return min(earliest + timedelta(days=rng.randint(0, (latest - earliest).days)), today - timedelta(days=1))


def _child(rng: random.Random, born: date, today: date) -> ChildRow | None:
    """A child the household form would accept (validate_birth), or None past the 22-year limit."""
    full = BirthDate(born.year, born.month, born.day)
    try:
        validate_birth(full, today)
    except InvalidBirthDate:
        return None
    from_mynaportal = rng.random() < MYNAPORTAL_SHARE
    birth, is_child = full, is_child_index(class_index(born, today))
    if not from_mynaportal and rng.random() < YEAR_MONTH_ONLY_SHARE:
        month_only = BirthDate(born.year, born.month, None)
        # Without the day a 17/18-year-old may be neither child nor sibling: the form asks for the day then. (The
        # full check tries every day of the month, so only the ages where it can matter pay for it.)
        if born.year >= today.year - 16:
            birth = month_only
        elif (month_only_is_child := describe_child(month_only, today).is_child) is not None:
            birth, is_child = month_only, month_only_is_child
    nickname = rng.choice(NICKNAMES) if rng.random() < 0.3 else None
    # From 18 on, a sibling is kept only to be counted for 児童手当 (the form's tick box).
    return ChildRow(birth, counted_for_allowance=not is_child, nickname=nickname,
                    source="mynaportal" if from_mynaportal else "manual")


def _children(rng: random.Random, today: date) -> tuple[ChildRow, ...]:
    count = rng.choices(list(CHILDREN_WEIGHTS), weights=list(CHILDREN_WEIGHTS.values()))[0]
    if count == 0:
        return ()
    age = rng.choices(range(len(YOUNGEST_AGE_WEIGHTS)), weights=YOUNGEST_AGE_WEIGHTS)[0]
    rows = []
    for _ in range(count):
        child = _child(rng, _birth(rng, age, today), today)
        if child is not None:
            rows.append(child)
        age += rng.choices(list(SIBLING_GAP_WEIGHTS), weights=list(SIBLING_GAP_WEIGHTS.values()))[0]
    return tuple(rows)


def _health_level(rng: random.Random) -> int | None:
    return round(min(95.0, max(20.0, rng.gauss(62, 12)))) if rng.random() < HEALTH_SHARE else None


def households(count: int, today: date, seed: int = 2026) -> list[Household]:
    rng = random.Random(seed)
    homes = area_homes()
    chosen = rng.choices(homes, weights=[home.weight for home in homes], k=count)
    return [Household(home, _block(rng, home.town), _children(rng, today), _health_level(rng)) for home in chosen]
