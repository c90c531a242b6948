"""`flask demo pilot`: a synthetic pilot population, so that the EBPM dashboard has figures above the disclosure
threshold (docs/ebpm.md, "Demo pilot").

Households are spread over real towns of 柏市 and 流山市 (most in and around the pilot area), with one to three
children of believable ages (more young ones), and about 85 % of them consent to the EBPM offer through the real
path (`decisions.grant`: a receipt and a ledger record each). They have no password and cannot log in. Drawn with a
fixed seed, so two runs make the same pilot; a household already there is left as it is.

Each household also gets a year of 柏市 service use, kept as a disclosure of 柏市's records would keep it
(`app.city_records.usage.store`; the mandate exchange with 柏市 itself is skipped), drawn month by month for the
children of the right age with effects built in: 一時預かり and the support centres are used more in the pilot area
(close to the facilities, where the bank announced them) and less in the rest of 柏市; vaccinations almost everywhere.
Eligibility is not planted: the release works it out from the children and the address, as for anyone.

What the feed showed them, the events they joined and their survey answers come from app/demo/pilot_activity.py.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date

from sqlmodel import Session, select

from app.accounts.models import Resident
from app.catalog.models import CatalogService
from app.city_records import usage as city_usage
from app.config import Settings
from app.consent import catalogue, decisions
from app.demo import pilot_activity as activity
from app.household.address import AddressError, locate_home, town_group, towns
from app.household.models import Child, HomeAddress

EMAIL = "pilot-{:05d}@pilot.example.jp"
RECIPIENT, PURPOSE = "kashiwa_ebpm", "ebpm_statistics"
# Where the pilot's households live (the pilot area first: it is where the bank was offered).
GROUP_WEIGHTS = {"kashiwanoha_pilot": 45, "kashiwanoha_ring": 20, "nagareyama_ring": 15, "kashiwa_other": 12,
                 "nagareyama_other": 8}
CONSENTING = 0.85
# service → (youngest age in months, oldest age in months, monthly chance of a use by area group). Effects: the pilot
# area uses 一時預かり and the centres most; the rest of 柏市 least; 流山市's households use 柏市's services rarely
# (they are not eligible for most: the release leaves them out of the rates).
KASHIWA = ("kashiwanoha_pilot", "kashiwanoha_ring", "kashiwa_other")


def _everywhere(chance: float) -> dict[str, float]:
    """The same chance in every 柏市 group (流山市's households do not use 柏市's services)."""
    return {group: chance if group in KASHIWA else 0.0 for group in GROUP_WEIGHTS}


# service → (youngest age in months, oldest age in months, monthly chance of a use by area group). Effects: the pilot
# area uses 一時預かり and the centres most (close to the facilities, where the bank announced them), the rest of 柏市
# least; check-ups, visits and vaccinations about the same everywhere.
USE = {
    "svc_ichiji_azukari_hoikuen": (6, 71, {"kashiwanoha_pilot": 0.16, "kashiwanoha_ring": 0.09, "kashiwa_other": 0.04,
                                           "nagareyama_ring": 0.01, "nagareyama_other": 0.0}),
    "svc_haguhagu_pocket": (3, 71, {"kashiwanoha_pilot": 0.10, "kashiwanoha_ring": 0.05, "kashiwa_other": 0.01,
                                    "nagareyama_ring": 0.01, "nagareyama_other": 0.0}),
    "svc_shien_center_kashiwanoha": (0, 71, {"kashiwanoha_pilot": 0.22, "kashiwanoha_ring": 0.14,
                                             "kashiwa_other": 0.05, "nagareyama_ring": 0.02, "nagareyama_other": 0.0}),
    "svc_haguhagu_hiroba": (0, 71, {"kashiwanoha_pilot": 0.12, "kashiwanoha_ring": 0.08, "kashiwa_other": 0.03,
                                    "nagareyama_ring": 0.0, "nagareyama_other": 0.0}),
    "svc_daretsu": (6, 35, {"kashiwanoha_pilot": 0.06, "kashiwanoha_ring": 0.04, "kashiwa_other": 0.02,
                            "nagareyama_ring": 0.0, "nagareyama_other": 0.0}),
    "svc_famisapo": (3, 143, _everywhere(0.03)),
    "svc_byoji_hoiku": (6, 143, _everywhere(0.025)),
    "svc_teiki_yobosesshu": (2, 143, _everywhere(0.28)),
    "svc_akachan_homon": (0, 4, _everywhere(0.55)),
    "svc_nyuji_kenshin": (3, 11, _everywhere(0.25)),
    "svc_kenshin_1y6m": (18, 23, _everywhere(0.3)),
    "svc_kenshin_3y": (36, 47, _everywhere(0.2)),
    "svc_kodomoroom": (72, 119, {"kashiwanoha_pilot": 0.30, "kashiwanoha_ring": 0.36, "kashiwa_other": 0.40,
                                 "nagareyama_ring": 0.0, "nagareyama_other": 0.0}),
    "svc_soudan": (0, 71, _everywhere(0.02)),
    "svc_afterschool": (72, 119, {"kashiwanoha_pilot": 0.14, "kashiwanoha_ring": 0.06, "kashiwa_other": 0.03,
                                  "nagareyama_ring": 0.0, "nagareyama_other": 0.0}),
    "svc_hahatoko_tsudoi": (0, 11, _everywhere(0.06)),
    "svc_sango_care": (0, 5, _everywhere(0.04)),
}
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


def _months_before(today: date, count: int = 12) -> list[date]:
    """The first days of the `count` months before today's month, oldest first."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count, index)]


def _age_months(born: date, on: date) -> int:
    return (on.year - born.year) * 12 + on.month - born.month - (1 if on.day < born.day else 0)


def _fitting(births: list[date], months: list[date]) -> dict[date, list[str]]:
    """{first day of a month: the services of USE one of the children is of the age for, mid-month}."""
    return {first: [service_id for service_id, (youngest, oldest, _chances) in USE.items()
                    if any(youngest <= _age_months(born, first.replace(day=15)) <= oldest for born in births)]
            for first in months}


def _uses(draw: random.Random, group: str, births: list[date], months: list[date],
          shown: dict[tuple[str, date], date]) -> list[dict[str, object]]:
    """A year of use records, drawn month by month for each child of the right age (more likely in a month the feed
    showed the service)."""
    records = []
    for first in months:
        mid = first.replace(day=15)
        for service_id, (youngest, oldest, chances) in USE.items():
            for born in births:
                chance = chances[group] * (activity.SHOWN_EFFECT if (service_id, first) in shown else 1)
                if youngest <= _age_months(born, mid) <= oldest and draw.random() < chance:
                    day = first.replace(day=draw.randint(1, 28))
                    records.append({"service_id": service_id, "used_from": day.isoformat(), "used_to": None,
                                    "child_birth_date": born.isoformat(), "note": ""})
                    break  # one use a month per household and service is what the indicator counts
    return records


def seed_pilot(session: Session, settings: Settings, *, households: int, today: date, seed: int = 20261127) -> dict[str, int]:
    row = catalogue.offer_for(session, RECIPIENT, PURPOSE)
    offer = catalogue.offer_view(session, row.id) if row is not None and row.active and row.id is not None else None
    if offer is None:
        raise RuntimeError("the EBPM offer is not active (run `flask demo seed` first)")
    draw = random.Random(seed)
    by_group = _towns_by_group()
    groups = [group for group in GROUP_WEIGHTS if by_group.get(group)]
    created = {"households": 0, "children": 0, "consenting": 0, "uses": 0}
    months = _months_before(today)
    pool = activity.EventPool.read(session)
    categories = dict(session.execute(select(CatalogService.id, CatalogService.category)).all())
    surveys_open = activity.surveys_exist(session)
    for number in range(1, households + 1):
        # Every draw is made whether or not the household exists, so that the pilot is the same however it grew.
        group = draw.choices(groups, weights=[GROUP_WEIGHTS[g] for g in groups])[0]
        city, town = draw.choice(by_group[group])
        births = sorted((_birth(draw, today) for _ in range(draw.choices((1, 2, 3), weights=(5, 4, 1))[0])),
                        reverse=True)
        consents = draw.random() < CONSENTING
        shown = activity.shown_days(draw, group, _fitting(births, months))
        uses = _uses(draw, group, births, months, shown)
        done = activity.draw_activity(draw, group, pool, today, consents)
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
        created["uses"] += city_usage.store(session, resident.id, None, uses)
        activity.store(session, resident.id, done, shown, categories, surveys_open)
        if consents:
            decisions.grant(session, settings, resident=resident, view=offer, items=offer.offer.items)
            created["consenting"] += 1
        created["households"] += 1
        created["children"] += len(births)
        if number % 500 == 0:
            session.commit()
    return created
