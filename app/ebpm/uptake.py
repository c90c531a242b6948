"""The uptake indicator (docs/ebpm.md, "U" and "S"): of the consenting households eligible for a service at the end
of a month, how many used it in that month, by 町丁目 group, by 年齢クラス and by whether the feed showed it to them
that month; and how many used each service in the fiscal year so far (the denominator of the cost per user).

Only households that consented to both `eligible_services` and `services_used` are in it. Per service, two tables
per breakdown are released: the eligible households and, of them, those that used it. The eligible table by group is
exclusive (complementary suppression over its total); the users are hidden wherever the eligible figure is hidden,
and wherever the eligible households that did not use it would be 1–9 (subtracting the two figures would give them);
the users' table then gets its own complementary suppression over its total. Tables by 年齢クラス overlap (a
household counts in the class of each child that makes it eligible): rules 1 and 2 only, and the same two rules
for the users.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from app import months
from app.disclosure import control
from app.household import ages

UNKNOWN = "unknown"
ITEMS = ("eligible_services", "services_used")
AREA, CLASS, SHOWN = "area", "class", "shown"
EXCLUSIVE_BREAKDOWNS = (AREA, SHOWN)
WAS_SHOWN, NOT_SHOWN = "shown", "not_shown"  # the rows of SHOWN (and UNKNOWN: the item not consented to)
ELIGIBLE, USED = "eligible", "used"
# The services whose uptake a month can measure: used on a day (a check-up, a day of 一時預かり, a visit). Allowances,
# subsidies, fee waivers and nursery admission are received, not used in a month: an uptake of them would mislead.
MEASURED_CATEGORIES = ("childcare_temporary", "childcare_sick", "parenting_support_space", "health_checkup",
                       "vaccination", "home_visit", "afterschool", "consultation", "maternal_care")
FY_USERS = "fy_users"  # one table: households that used each service in the fiscal year so far (overlapping)
POPULATION = "uptake_households"  # one cell: the households the indicator is about

Cells = dict[str, dict[str, set[str]]]


def table_name(service_id: str, breakdown: str, measure: str) -> str:
    return f"uptake:{breakdown}:{measure}:{service_id}"


def fiscal_year(month: str) -> int:
    """The Japanese fiscal year (April to March) a month is in."""
    return ages.fiscal_year(months.first_day(month))


def fiscal_months(month: str) -> list[str]:
    """The months of the fiscal year up to and including `month`."""
    return months.months_between(f"{fiscal_year(month):04d}-04", month)


def cells_of(values: Mapping[Any, Mapping[str, Any]], month: str, measured: Collection[str]) -> Cells:
    """{table: {cell: households}} of the indicator from each household's consented items, for the `measured`
    services. A row of a users' table exists (maybe empty) for every row of its eligible table."""
    cells: Cells = defaultdict(dict)

    def count(table: str, key: str, member: str | None) -> None:
        found = cells[table].setdefault(key, set())
        if member is not None:
            found.add(member)

    fy = set(fiscal_months(month))
    population: set[str] = set()
    for resident_id, items in values.items():
        if not all(item in items for item in ITEMS):
            continue
        key = str(resident_id)
        population.add(key)
        group = items.get("town_group") or UNKNOWN
        used = items["services_used"] or {}
        shown = items.get("services_shown")
        for service_id, months_used in used.items():
            if fy.intersection(months_used):
                count(FY_USERS, service_id, key)
        for service_id, classes in (items["eligible_services"] or {}).items():
            if service_id not in measured:
                continue
            user = key if month in used.get(service_id, ()) else None
            count(table_name(service_id, AREA, ELIGIBLE), group, key)
            count(table_name(service_id, AREA, USED), group, user)
            # Shown in the month or not; a household that did not consent to `services_shown` is a row of its own,
            # so that this table counts the same households as the others (no difference between their totals).
            seen = UNKNOWN if shown is None else WAS_SHOWN if month in shown.get(service_id, ()) else NOT_SHOWN
            count(table_name(service_id, SHOWN, ELIGIBLE), seen, key)
            count(table_name(service_id, SHOWN, USED), seen, user)
            for label in classes or (UNKNOWN,):
                count(table_name(service_id, CLASS, ELIGIBLE), label, key)
                count(table_name(service_id, CLASS, USED), label, user)
    cells[POPULATION][POPULATION] = population
    return dict(cells)


def services_in(cells: Mapping[str, Any]) -> list[str]:
    """The services with an uptake table (some household eligible), in id order."""
    prefix = f"uptake:{AREA}:{ELIGIBLE}:"
    return sorted(name[len(prefix):] for name in cells if name.startswith(prefix))


def _counts(found: Mapping[str, set[str]], order: Iterable[str]) -> list[tuple[str, int]]:
    return [(key, len(found.get(key, ()))) for key in order]


def _hide(table: control.Table, keys: set[str]) -> control.Table:
    """The table with the cells of `keys` hidden as well (an overlapping table: no complement to restore)."""
    cells = tuple(control.Cell(c.key, None, None, control.Suppressed.SMALL) if c.key in keys and c.shown else c
                  for c in table.cells)
    return control.Table(cells, table.total, table.exclusive, table.suppressed)


def _withheld(keys: Iterable[str]) -> control.Table:
    return control.Table(tuple(control.Cell(key, None, None, control.Suppressed.TABLE) for key in keys), None, True, True)


def _hidden_users(eligible: control.Table, eligible_counts: Mapping[str, int], used_counts: Mapping[str, int]) -> set[str]:
    """The rows whose users must be hidden: some used it and the eligible figure is hidden (the two would bound
    it), or the eligible figure is shown and those who did not use it are 1–9. A zero next to a hidden figure is
    shown: it gives no count away."""
    return {key for key in eligible_counts
            if (used_counts[key] and not eligible.cell(key).shown)
            or (eligible.cell(key).shown and control.is_small(eligible_counts[key] - used_counts[key]))}


def tables_of(cells: Mapping[str, Mapping[str, set[str]]]) -> tuple[dict[str, control.Table], dict[str, list]]:
    """(the tables as they may be shown, {exclusive table: its true counts} for the audit)."""
    tables: dict[str, control.Table] = {}
    exclusive: dict[str, list] = {}
    population = len(cells[POPULATION][POPULATION])
    tables[POPULATION] = control.exclusive_table([(POPULATION, population)])
    exclusive[POPULATION] = [(POPULATION, population)]
    for service_id in services_in(cells):
        # By group, and by whether the feed showed it: every eligible household in exactly one row.
        for breakdown in EXCLUSIVE_BREAKDOWNS:
            name_e, name_u = table_name(service_id, breakdown, ELIGIBLE), table_name(service_id, breakdown, USED)
            order = sorted(cells[name_e])
            eligible_pairs, used_pairs = _counts(cells[name_e], order), _counts(cells[name_u], order)
            eligible = control.exclusive_table(eligible_pairs)
            hide = _hidden_users(eligible, dict(eligible_pairs), dict(used_pairs))
            if control.is_small(sum(n for _k, n in eligible_pairs) - sum(n for _k, n in used_pairs)) or eligible.suppressed:
                used = _withheld(order)  # the eligible who did not use it, in all, are 1–9: no user figure at all
            else:
                used = control.exclusive_table(used_pairs, hide=hide)
            tables[name_e], tables[name_u] = eligible, used
            exclusive[name_e], exclusive[name_u] = eligible_pairs, used_pairs
        # By 年齢クラス: overlapping, over the service's eligible (and using) households.
        name_e, name_u = table_name(service_id, CLASS, ELIGIBLE), table_name(service_id, CLASS, USED)
        order = sorted(cells[name_e])
        eligible_pairs, used_pairs = _counts(cells[name_e], order), _counts(cells[name_u], order)
        everyone = set().union(*cells[name_e].values())
        users = set().union(*cells[name_u].values()) if cells[name_u] else set()
        eligible = control.overlapping_table(eligible_pairs, len(everyone))
        used = control.overlapping_table(used_pairs, len(users), base_shown=False)
        tables[name_e] = eligible
        tables[name_u] = _hide(used, _hidden_users(eligible, dict(eligible_pairs), dict(used_pairs)))
    fy = sorted(cells.get(FY_USERS, {}).items())
    tables[FY_USERS] = control.overlapping_table([(key, len(members)) for key, members in fy], population)
    return tables, exclusive


def rate(eligible: int | None, used: int | None) -> float | None:
    """The uptake as a percentage, only over a shown eligible figure of at least 10 (rules 4 and 5)."""
    if eligible is None or used is None or eligible < control.THRESHOLD:
        return None
    return control.percent(used, eligible)
