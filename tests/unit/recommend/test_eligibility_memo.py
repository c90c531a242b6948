"""The batch's memo changes nothing: a household evaluated with a memo shared by other households (of other
days too) gets exactly the answer it gets alone."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.household.ages import BirthDate
from app.recommend.eligibility import evaluate
from app.recommend.household import ChildInput, HouseholdInput
from tests.unit.recommend.conftest import catalogue_services

SERVICES = catalogue_services()
SHARED_MEMO: dict = {}

births = st.builds(lambda day, known: BirthDate(day.year, day.month, day.day if known else None),
                   st.dates(date(2004, 1, 1), date(2027, 6, 30)), st.booleans())
households = st.builds(
    HouseholdInput,
    children=st.lists(st.builds(ChildInput, births, st.booleans()), min_size=0, max_size=3).map(tuple),
    city=st.sampled_from(["kashiwa", "nagareyama", None]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(households, st.dates(date(2026, 3, 25), date(2026, 4, 5)))
def test_a_shared_memo_gives_each_household_its_own_answer(household, on) -> None:  # type: ignore[no-untyped-def]
    assert evaluate(SERVICES, household, on, memo=SHARED_MEMO) == evaluate(SERVICES, household, on)
