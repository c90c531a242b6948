"""`flask demo pilot`: a synthetic pilot population, so that the EBPM dashboard has figures above the disclosure
threshold (docs/ebpm.md, "Demo pilot").

Households are spread over real towns of 柏市 and 流山市 (most in and around the pilot area), with one to three
children of believable ages (more young ones), and about 85 % of them consent to the EBPM offer through the real
path (`decisions.grant`: a receipt and a ledger record each). They have no password and cannot log in. Drawn with a
fixed seed, so two runs make the same pilot; a household already there is left as it is.

What is not generated yet (the indicators that need them are not built): a year of disclosed service use, what
each household was shown, participation and survey answers.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date

from sqlmodel import Session, select

from app.accounts.models import Resident
from app.config import Settings
from app.consent import catalogue, decisions
from app.household.address import AddressError, locate_home, town_group, towns
from app.household.models import Child, HomeAddress

EMAIL = "pilot-{:05d}@pilot.example.jp"
RECIPIENT, PURPOSE = "kashiwa_ebpm", "ebpm_statistics"
# Where the pilot's households live (the pilot area first: it is where the bank was offered).
GROUP_WEIGHTS = {"kashiwanoha_pilot": 45, "kashiwanoha_ring": 20, "nagareyama_ring": 15, "kashiwa_other": 12,
                 "nagareyama_other": 8}
CONSENTING = 0.85
POSTAL_CODES = {"柏市": "277-0871", "流山市": "270-0128"}  # (not checked against the town: the list has none)


def _towns_by_group() -> dict[str, list[tuple[str, str]]]:
    """{group: [(city, town)]} of every town (小字 rows left out) of the two cities."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for town in towns():
        if town.koaza:
            continue
        try:
            area = locate_home(None, "千葉県", town.city, town.town)
        except AddressError:
            continue
        found[town_group(area)].append((town.city, town.town))
    return found


def _birth(draw: random.Random, today: date) -> date:
    years = draw.choices(range(0, 13), weights=[9, 9, 8, 8, 7, 7, 6, 5, 4, 4, 3, 3, 3])[0]
    born = date(today.year - years, draw.randint(1, 12), draw.randint(1, 28))
    return born if born <= today else born.replace(year=born.year - 1)


def seed_pilot(session: Session, settings: Settings, *, households: int, today: date, seed: int = 20261127) -> dict[str, int]:
    row = catalogue.offer_for(session, RECIPIENT, PURPOSE)
    offer = catalogue.offer_view(session, row.id) if row is not None and row.active and row.id is not None else None
    if offer is None:
        raise RuntimeError("the EBPM offer is not active (run `flask demo seed` first)")
    draw = random.Random(seed)
    by_group = _towns_by_group()
    groups = [group for group in GROUP_WEIGHTS if by_group.get(group)]
    created = {"households": 0, "children": 0, "consenting": 0}
    for number in range(1, households + 1):
        # Every draw is made whether or not the household exists, so that the pilot is the same however it grew.
        group = draw.choices(groups, weights=[GROUP_WEIGHTS[g] for g in groups])[0]
        city, town = draw.choice(by_group[group])
        births = sorted((_birth(draw, today) for _ in range(draw.choices((1, 2, 3), weights=(5, 4, 1))[0])),
                        reverse=True)
        consents = draw.random() < CONSENTING
        email = EMAIL.format(number)
        if session.exec(select(Resident.id).where(Resident.email == email)).first() is not None:
            continue
        resident = Resident(email=email, password_hash=None, locale="ja")
        session.add(resident)
        session.flush()
        session.add(HomeAddress(resident_id=resident.id, postal_code=POSTAL_CODES[city], region="千葉県",
                                locality=city, town=town, block="1-1", source="manual"))
        for birth in births:
            session.add(Child(guardian_id=resident.id, birth_year=birth.year, birth_month=birth.month,
                              birth_day=birth.day))
        session.flush()
        if consents:
            decisions.grant(session, settings, resident=resident, view=offer, items=offer.offer.items)
            created["consenting"] += 1
        created["households"] += 1
        created["children"] += len(births)
        if number % 500 == 0:
            session.commit()
    return created
