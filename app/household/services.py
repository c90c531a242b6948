"""The resident's children, held under the guardian's account. Every function takes the acting guardian, and a
child of another guardian is "not found" (object-level authorization)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, delete, select

from app.accounts.models import Resident
from app.db import utcnow
from app.errors import DomainError, NotFound
from app.household.ages import (
    MAX_CHILDREN,
    BirthDate,
    BirthDateProblem,
    ChildFacts,
    InvalidBirthDate,
    describe_child,
    japan_today,
    validate_birth,
)
from app.household.events import announce_change
from app.household.models import Child, ChildSource, HealthScore, HomeAddress
from app.ledger.models import RecordKind
from app.ledger.services import append

BIRTH_PROBLEMS = {
    BirthDateProblem.BAD_MONTH: _l("Choose a month from 1 to 12."),
    BirthDateProblem.BAD_DAY: _l("This day does not exist in that month."),
    BirthDateProblem.FUTURE: _l("The birth date is in the future."),
    BirthDateProblem.TOO_OLD: _l("Children and siblings can be recorded up to the age of 22."),
}
NEEDS_COUNTED = _l("From 18 on, a sibling is recorded only to be counted for the child allowance (児童手当). "
                   "Tick the box if you support them, or leave them out.")
NEEDS_DAY = _l("Please enter the day of birth too: it decides whether this is a child or an older sibling.")


class InvalidChild(DomainError):
    status = 422


class TooManyChildren(DomainError):
    status = 422
    message = _l("Up to %(n)d children can be recorded.", n=MAX_CHILDREN)


def today() -> date:
    """The date in Japan, where ages and school years are counted."""
    return japan_today()


@dataclass(frozen=True)
class ChildView:
    child: Child
    facts: ChildFacts

    @property
    def birth(self) -> BirthDate:
        return birth_of(self.child)

    @property
    def day_needed(self) -> bool:
        """Whether the unknown day decides something shown or used: the age, the class/school year or the band;
        the age in months only for the under-threes (whose services count in months)."""
        facts = self.facts
        young = facts.legal_age is None or facts.legal_age < 3
        return any(fact != "age_months" or young for fact in facts.day_needed_for)


def birth_of(child: Child) -> BirthDate:
    return BirthDate(child.birth_year, child.birth_month, child.birth_day)


def born_by(child: Child, on: date) -> bool:
    """Whether the child may have been born by `on` (a statistic as of a past day leaves out later births)."""
    return (child.birth_year, child.birth_month, child.birth_day or 1) <= (on.year, on.month, on.day)


def children_of(session: Session, guardian: Resident) -> list[Child]:
    statement = (
        select(Child)
        .where(Child.guardian_id == guardian.id)
        .order_by(col(Child.birth_year), col(Child.birth_month), col(Child.birth_day), col(Child.id))
    )
    return list(session.exec(statement))


def views_of(session: Session, guardian: Resident, on: date | None = None) -> list[ChildView]:
    on = on or today()
    return [ChildView(child, describe_child(birth_of(child), on)) for child in children_of(session, guardian)]


def child_of(session: Session, guardian: Resident, child_id: int) -> Child:
    child = session.get(Child, child_id)
    if child is None or child.guardian_id != guardian.id:
        raise NotFound()
    return child


def check_birth(birth: BirthDate, *, counted: bool, on: date | None = None) -> bool:
    """Raise InvalidChild for a birth date the household cannot hold; returns the `counted` flag to store."""
    on = on or today()
    try:
        validate_birth(birth, on)
        facts = describe_child(birth, on)
    except InvalidBirthDate as error:
        raise InvalidChild(str(BIRTH_PROBLEMS[error.code])) from error
    if facts.is_child is None:  # 17 or 18 depending on the day: the day decides what may be recorded
        raise InvalidChild(str(NEEDS_DAY))
    if facts.is_child:
        return False  # a child is always counted; the flag is only for older siblings
    if not counted:
        raise InvalidChild(str(NEEDS_COUNTED))
    return True


def add_child(session: Session, guardian: Resident, *, nickname: str | None, birth: BirthDate, counted: bool,
              source: str = ChildSource.MANUAL) -> Child:
    if len(children_of(session, guardian)) >= MAX_CHILDREN:
        raise TooManyChildren()
    child = Child(guardian_id=guardian.id, nickname=(nickname or "").strip() or None, birth_year=birth.year,
                  birth_month=birth.month, birth_day=birth.day,
                  counted_for_allowance=check_birth(birth, counted=counted), source=source)
    session.add(child)
    session.flush()
    announce_change(session, guardian.id)
    return child


def update_child(session: Session, guardian: Resident, child: Child, *, nickname: str | None, birth: BirthDate,
                 counted: bool) -> Child:
    assert child.guardian_id == guardian.id
    flag = check_birth(birth, counted=counted)
    if (child.birth_year, child.birth_month, child.birth_day) != (birth.year, birth.month, birth.day):
        child.source = ChildSource.MANUAL  # the resident's own value now, whatever it was pre-filled from
    child.nickname = (nickname or "").strip() or None
    child.birth_year, child.birth_month, child.birth_day = birth.year, birth.month, birth.day
    child.counted_for_allowance = flag
    child.updated_at = utcnow()
    session.add(child)
    announce_change(session, guardian.id)
    return child


def delete_child(session: Session, guardian: Resident, child: Child) -> None:
    assert child.guardian_id == guardian.id
    session.delete(child)
    append(session, subject=guardian.principal, kind=RecordKind.DELETION,
           payload={"item": "child", "by": "resident", "source": child.source})
    announce_change(session, guardian.id)


def delete_held_item(session: Session, resident: Resident, what: str) -> None:
    """The resident deletes what the bank holds of one kind: the address or the health scores."""
    model = {"address": HomeAddress, "health": HealthScore}[what]
    deleted = session.execute(delete(model).where(col(model.resident_id) == resident.id)).rowcount  # type: ignore[attr-defined]
    if deleted:
        append(session, subject=resident.principal, kind=RecordKind.DELETION,
               payload={"item": "home_address" if what == "address" else "health_score", "by": "resident",
                        "rows": deleted})
        announce_change(session, resident.id)


def address_line(session: Session, resident: Resident) -> str | None:
    """The home address the bank holds, as one line for the resident's own form (the disclosure mandate they are about
    to give, app/city_records/views.py, pre-fills it for them to check); None without one. Not for any other use."""
    address = session.get(HomeAddress, resident.id)
    if address is None:
        return None
    return f"{address.region}{address.locality}{address.town}{address.block}"
