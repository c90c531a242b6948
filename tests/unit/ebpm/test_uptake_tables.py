"""The uptake tables' disclosure rules, on households written by hand: users hidden next to a hidden eligible figure
(unless none used it), and wherever the eligible who did not use it would be 1–9; services not measured left out;
the fiscal year's users."""

from __future__ import annotations

from typing import Any

from app.disclosure import audit
from app.ebpm import uptake

SERVICE = "svc_ichiji_azukari_hoikuen"
OCTOBER = "2026-10"


def households(group: str, eligible: int, used: int, *, start: int = 0, months: tuple[str, ...] = (OCTOBER,)
               ) -> dict[str, dict[str, Any]]:
    return {f"{group}-{start + i}": {"town_group": group, "eligible_services": {SERVICE: ["1歳児クラス"]},
                                     "services_used": {SERVICE: list(months)} if i < used else {}}
            for i in range(eligible)}


def tables(values: dict[str, dict[str, Any]]):  # type: ignore[no-untyped-def]
    cells = uptake.cells_of(values, OCTOBER, {SERVICE})
    return uptake.tables_of(cells)


def counts(table) -> dict[str, int | None]:  # type: ignore[no-untyped-def]
    return {cell.key: cell.count for cell in table.cells}


def test_users_next_to_a_hidden_eligible_figure_are_hidden_unless_none_used_it() -> None:
    values = households("a", 40, 15) | households("b", 30, 12) | households("c", 5, 0)
    shown, exclusive = tables(values)
    eligible = shown[uptake.table_name(SERVICE, uptake.AREA, uptake.ELIGIBLE)]
    used = shown[uptake.table_name(SERVICE, uptake.AREA, uptake.USED)]
    assert counts(eligible) == {"a": 40, "b": None, "c": None} and eligible.total == 75
    assert counts(used) == {"a": None, "b": None, "c": 0} and used.total == 27  # b alone would give itself away
    for name, true in exclusive.items():
        assert audit.protected(audit.feasible_ranges(true, shown[name])), name


def test_users_are_hidden_where_the_eligible_that_did_not_use_it_are_fewer_than_10() -> None:
    values = households("a", 40, 35) | households("b", 60, 20)
    shown, _exclusive = tables(values)
    used = shown[uptake.table_name(SERVICE, uptake.AREA, uptake.USED)]
    assert counts(used) == {"a": None, "b": None}  # 40 − 35 = 5; b hidden with it (a lone hidden cell)
    by_class = shown[uptake.table_name(SERVICE, uptake.CLASS, uptake.USED)]
    assert counts(by_class) == {"1歳児クラス": 55}  # 100 − 55 = 45: shown
    assert uptake.rate(100, 55) == 55.0


def test_when_almost_all_used_it_no_user_figure_is_shown() -> None:
    values = households("a", 40, 38) | households("b", 30, 27)
    shown, _exclusive = tables(values)
    used = shown[uptake.table_name(SERVICE, uptake.AREA, uptake.USED)]
    assert used.suppressed and used.total is None  # 70 − 65 = 5 did not use it


def test_services_not_measured_and_households_without_both_items_are_left_out() -> None:
    values = households("a", 12, 3) | {"x": {"town_group": "a", "eligible_services": {SERVICE: []}}}
    cells = uptake.cells_of(values, OCTOBER, {"svc_other"})
    assert uptake.services_in(cells) == [] and len(cells[uptake.POPULATION][uptake.POPULATION]) == 12


def test_the_fiscal_year_starts_in_april() -> None:
    assert uptake.fiscal_year("2026-03") == 2025 and uptake.fiscal_year("2026-04") == 2026
    assert uptake.fiscal_months("2026-06") == ["2026-04", "2026-05", "2026-06"]
    values = households("a", 12, 12, months=("2026-03",)) | households("b", 10, 10, months=("2026-04",), start=50)
    cells = uptake.cells_of(values, "2026-06", {SERVICE})
    assert len(cells[uptake.FY_USERS][SERVICE]) == 10  # March was the fiscal year before
