"""EBPM monthly releases: only consenting households, read through the door as of the month's end (a provision
record on each counted household's ledger), small figures hidden, kept once made, and no recomputation that would
difference an earlier release."""

from __future__ import annotations

from datetime import datetime

import pytest
from freezegun import freeze_time
from sqlmodel import select

from app.consent import decisions
from app.ebpm import jobs, services
from app.ebpm.models import EbpmRelease, EbpmReleaseCell
from app.household import services as household
from app.household.ages import BirthDate, japan_today
from app.household.models import HomeAddress
from app.jobs.registry import registry_for
from app.ledger.models import RecordKind
from app.ledger.services import history
from tests.factories.accounts import ResidentFactory
from tests.functional.consent.conftest import loaded_catalogue, offers  # noqa: F401  (fixtures)

OCTOBER = "2026-10"
TWO_YEARS_OLD = BirthDate(2024, 6, 10)


@pytest.fixture
def ebpm_view(offers):  # type: ignore[no-untyped-def]  # noqa: F811
    return offers[(services.RECIPIENT, services.PURPOSE)]


@pytest.fixture
def family(app, db, settings, ebpm_view):  # type: ignore[no-untyped-def]
    """A household in 若柴 with one child born `birth`, consenting to EBPM or not."""
    def _family(*, birth: BirthDate = TWO_YEARS_OLD, consented: bool = True):  # type: ignore[no-untyped-def]
        resident = ResidentFactory()
        with app.test_request_context():
            household.add_child(db, resident, nickname=None, birth=birth, counted=False)
            db.add(HomeAddress(resident_id=resident.id, postal_code="277-0871", region="千葉県", locality="柏市",
                               town="若柴", block="178-4", source="smart-life-pass"))
            db.flush()
            if consented:
                decisions.grant(db, settings, resident=resident, view=ebpm_view, items=ebpm_view.offer.items)
                db.flush()
        return resident

    return _family


def ebpm_records(db, resident) -> list:  # type: ignore[no-untyped-def]
    return [entry for entry in history(db, resident.principal, kinds=[RecordKind.PROVISION])
            if (entry.payload or {}).get("recipient") == services.RECIPIENT]


def cell(release: EbpmRelease, table: str, key: str) -> int | None:
    return next(c["count"] for c in release.payload[table]["cells"] if c["key"] == key)


def test_a_release_counts_consenting_households_only_and_each_has_its_record(db, family) -> None:  # type: ignore[no-untyped-def]
    counted = [family() for _ in range(12)]
    toddlers = [family(birth=BirthDate(2025, 9, 1)) for _ in range(3)]  # a class of 3: hidden
    outsiders = [family(consented=False) for _ in range(4)]
    made = services.release(db, OCTOBER)
    assert made.households == 15 and made.version == 1
    assert cell(made, services.ALL, services.ALL) == 15
    assert cell(made, "children_count", "1") == 15
    classes = {c["key"]: c["count"] for c in made.payload["age_classes"]["cells"]}
    assert len(classes) == 2 and sorted(classes.values(), key=lambda v: v or 0) == [None, 12]  # 3 → 「10未満」
    for resident in counted + toddlers:
        (record,) = ebpm_records(db, resident)
        assert record.payload["via"] == {"release": "EBPM monthly release", "indicator": "monthly",
                                         "month": OCTOBER, "version": "1"}
        assert set(record.payload["items"]) == set(services.ITEMS)
    for resident in outsiders:
        assert ebpm_records(db, resident) == []
    members = db.exec(select(EbpmReleaseCell).where(EbpmReleaseCell.release_id == made.id,
                                                   EbpmReleaseCell.table_key == services.ALL)).one().members
    assert sorted(members) == sorted(str(r.id) for r in counted + toddlers)
    assert not any(str(r.id) in str(made.payload) for r in counted)  # what may be shown holds no identifier


def test_ages_are_as_of_the_months_end(db, family) -> None:  # type: ignore[no-untyped-def]
    for _ in range(10):
        family(birth=BirthDate(2025, 10, 15))  # born mid-October: 0歳児クラス at the end of October
    with freeze_time("2027-05-02"):  # computed much later: still the October figure
        made = services.release(db, OCTOBER)
    assert {c["key"] for c in made.payload["age_classes"]["cells"]} == {"0歳児クラス"}


def test_a_release_is_kept_and_not_read_again(db, family) -> None:  # type: ignore[no-untyped-def]
    resident = family()
    first = services.release(db, OCTOBER)
    again = services.release(db, OCTOBER)
    assert again.id == first.id and len(ebpm_records(db, resident)) == 1


def test_a_household_that_withdrew_is_absent_from_the_next_release(app, db, settings, family, ebpm_view) -> None:  # type: ignore[no-untyped-def]
    households = [family() for _ in range(12)]
    services.release(db, OCTOBER)
    with app.test_request_context():
        decisions.withdraw(db, settings, resident=households[0], view=ebpm_view)
    november = services.release(db, "2026-11")
    assert november.households == 11
    assert [r.payload["via"]["month"] for r in ebpm_records(db, households[0])] == [OCTOBER]
    assert [r.payload["via"]["month"] for r in ebpm_records(db, households[1])] == ["2026-11", OCTOBER]


def test_a_recomputation_that_would_reveal_households_by_difference_is_refused(app, db, settings, family, ebpm_view) -> None:  # type: ignore[no-untyped-def]
    households = [family() for _ in range(14)]
    first = services.release(db, OCTOBER)
    unchanged = services.release(db, OCTOBER, recompute=True)  # the same people: nothing to subtract
    assert unchanged.version == 2
    with app.test_request_context():
        decisions.withdraw(db, settings, resident=households[0], view=ebpm_view)
    records_before = len(ebpm_records(db, households[1]))
    with pytest.raises(services.ReleaseRefused):
        services.release(db, OCTOBER, recompute=True)  # 14 then 13: the difference would be the one who left
    assert services.kept(db, OCTOBER).version == 2
    assert len(ebpm_records(db, households[1])) == records_before  # the refused reads left no record
    assert first.households == unchanged.households == 14


def test_the_daily_job_releases_last_month_once(app, db, family) -> None:  # type: ignore[no-untyped-def]
    registry = registry_for(app)
    assert registry.handlers[jobs.RELEASE_KIND].run is jobs.release_last_month
    assert any(task.kind == jobs.RELEASE_KIND for task in registry.periodic)
    for _ in range(10):
        family()
    with freeze_time(datetime(2026, 11, 3, 1)):
        result = jobs.release_last_month(_Context(db))
        again = jobs.release_last_month(_Context(db))
    assert result == {"month": OCTOBER, "version": 1, "households": 10} and again == result


class _Context:
    """What the handler uses of a JobContext."""

    def __init__(self, session) -> None:  # type: ignore[no-untyped-def]
        self.session = session

    def save(self, **_kwargs) -> None:  # type: ignore[no-untyped-def]
        pass


def test_the_command_makes_a_release_and_says_a_refusal(app, db, settings, family, ebpm_view) -> None:  # type: ignore[no-untyped-def]
    households = [family() for _ in range(12)]
    db.commit()  # the command opens its own session
    runner = app.test_cli_runner()
    made = runner.invoke(args=["ebpm", "release", "--month", OCTOBER])
    assert made.exit_code == 0 and made.output.strip() == f"{OCTOBER} version 1: 12 households"
    with app.test_request_context():
        decisions.withdraw(db, settings, resident=households[0], view=ebpm_view)
    db.commit()
    refused = runner.invoke(args=["ebpm", "release", "--month", OCTOBER, "--recompute"])
    assert refused.exit_code == 1 and "10世帯未満" in refused.output
    assert runner.invoke(args=["ebpm", "release", "--month", "2026-13"]).exit_code == 2


def test_a_child_born_after_the_month_is_not_in_it(db, family) -> None:  # type: ignore[no-untyped-def]
    later = [family(birth=BirthDate(2026, 11, 20)) for _ in range(10)]  # born in November
    with freeze_time("2026-12-02"):
        made = services.release(db, OCTOBER)
    assert made.households == len(later)
    assert made.payload["age_classes"]["cells"] == [] and cell(made, "children_count", "0") == 10


def test_cells_hidden_in_a_release_are_not_compared(db, family) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        family()
    first = services.release(db, OCTOBER)  # 3 households: everything hidden
    assert first.payload[services.ALL]["cells"][0]["count"] is None
    for _ in range(20):
        family()
    again = services.release(db, OCTOBER, recompute=True)  # 23: shown; nothing known before to subtract from
    assert again.version == 2 and again.households == 23


def test_the_demo_pilot_makes_consenting_households_and_a_release_once(app, db, offers) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "pilot", "--households", "40"])
    assert first.exit_code == 0, first.output
    made = services.kept(db, services.previous_month(japan_today()))
    assert made is not None and 25 <= made.households <= 40 and made.version == 1
    assert "40 households" in first.output and f"version 1: {made.households} households" in first.output
    again = runner.invoke(args=["demo", "pilot", "--households", "40"])
    assert again.exit_code == 0 and "0 households" in again.output
    assert services.kept(db, made.month).version == 1  # nothing added: the release stands


def test_the_resident_sees_which_release_counted_them(app, db, family) -> None:  # type: ignore[no-untyped-def]
    from app.ledger.presentation import describe

    households = [family() for _ in range(10)]
    services.release(db, OCTOBER)
    (entry,) = ebpm_records(db, households[0])
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        row = describe(entry)
    assert row.who == "柏市 EBPM 統計作成（子育て施策）" and "2026-10" in (row.what or "")


def test_a_release_whose_hidden_figure_could_be_worked_out_is_not_made(app, db, family, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.disclosure import control

    for _ in range(12):
        family()  # one child each
    for resident in [family() for _ in range(3)]:  # two children each: a cell of 3, hidden
        with app.test_request_context():
            household.add_child(db, resident, nickname=None, birth=BirthDate(2021, 5, 5), counted=False)
    real = control.exclusive_table

    def without_complementary(counts, group_of=None, **kwargs):  # type: ignore[no-untyped-def]
        """The same table with the complementary cell shown again (12 next to a shown total of 15 gives the 3)."""
        table = real(counts, group_of, **kwargs)
        true = dict(counts)
        cells = tuple(control.Cell(c.key, true[c.key], None, None) if c.suppressed == control.Suppressed.COMPLEMENTARY
                      else c for c in table.cells)
        return control.Table(cells, table.total, table.exclusive, table.suppressed)

    monkeypatch.setattr(control, "exclusive_table", without_complementary)
    with pytest.raises(services.ReleaseUnsafe):
        services.release(db, OCTOBER)
    assert services.kept(db, OCTOBER) is None
    monkeypatch.setattr(control, "exclusive_table", real)
    made = services.release(db, OCTOBER)  # the real rules hide the 12 too: the 3 is safe
    assert cell(made, "children_count", "2") is None and cell(made, "children_count", "1") is None


def test_no_release_applies_eligibility_rules_the_board_has_not_approved(db, family) -> None:  # type: ignore[no-untyped-def]
    """G6: `eligible_services` applies the eligibility rules, a profiling rule approved per version; without the
    approval of the current version nothing is read (no ledger record) and no release is made."""
    from app.consent.models import EthicsApproval
    from app.recommend import rules

    resident = family()
    eligibility = next(rule for rule in rules.current_rules() if rule.key == rules.ELIGIBILITY)
    approval = db.exec(select(EthicsApproval).where(EthicsApproval.subject_kind == rules.KIND,
                                                    EthicsApproval.subject_key == eligibility.subject)).one()
    db.delete(approval)  # (the board approved an older version only: the current one waits)
    db.flush()
    with pytest.raises(services.RulesNotApproved):
        services.release(db, OCTOBER)
    assert ebpm_records(db, resident) == [] and services.kept(db, OCTOBER) is None
