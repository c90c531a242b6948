"""Services' budgets as 柏市 staff enter them, and the cost per user of a release (docs/ebpm.md, "C").

The cost per user is the fiscal year's budget ÷ the consenting households that used the service in the fiscal year
so far (a release's `fy_users` table): shown only when that count is shown and at least 10 (rule 5). Households that
did not consent are not counted, so it is an upper bound of the cost per household served, and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from app import audit
from app.audit import EventTag
from app.catalog.models import CatalogService
from app.db import utcnow
from app.disclosure import control
from app.ebpm import uptake
from app.ebpm.models import EbpmRelease, EbpmServiceBudget
from app.errors import DomainError

MAX_YEN = 1_000_000_000_000  # a trillion yen: more than any city's whole budget


class BudgetRefused(DomainError):
    status = 400
    message = _l("This budget cannot be entered: choose a service of the catalogue, a fiscal year from 2020 to 2100 "
                 "and an amount in yen from 0.")


def enter(session: Session, actor: Any, *, service_id: str, fiscal_year: int, amount_yen: int,
          ip: str | None = None) -> EbpmServiceBudget:
    """Keep the service's budget for the fiscal year (replacing an earlier entry), with an audit event."""
    if (session.get(CatalogService, service_id) is None or not 2020 <= fiscal_year <= 2100
            or not 0 <= amount_yen <= MAX_YEN):
        raise BudgetRefused()
    budget = session.exec(select(EbpmServiceBudget).where(EbpmServiceBudget.service_id == service_id,
                                                          EbpmServiceBudget.fiscal_year == fiscal_year)).first()
    previous = budget.amount_yen if budget else None
    if budget is None:
        budget = EbpmServiceBudget(service_id=service_id, fiscal_year=fiscal_year, amount_yen=amount_yen,
                                   entered_by=actor)
    budget.amount_yen, budget.entered_by, budget.entered_at = amount_yen, actor, utcnow()
    session.add(budget)
    session.flush()
    audit.record(session, EventTag.EBPM_BUDGET, actor=actor, ip=ip, service=service_id, fiscal_year=fiscal_year,
                 amount_yen=amount_yen, previous_yen=previous)
    return budget


def of_year(session: Session, fiscal_year: int) -> list[EbpmServiceBudget]:
    return list(session.exec(select(EbpmServiceBudget).where(EbpmServiceBudget.fiscal_year == fiscal_year)
                             .order_by(col(EbpmServiceBudget.service_id))))


@dataclass(frozen=True)
class Cost:
    service_id: str
    amount_yen: int
    users: int | None  # consenting households that used it in the fiscal year so far (None: hidden)
    per_user_yen: int | None  # None: hidden (fewer than 10 users, or their number hidden)


def costs(release: EbpmRelease, budgets: list[EbpmServiceBudget]) -> list[Cost]:
    """The cost per user of each budgeted service, from the release's fiscal-year users."""
    users = {cell["key"]: cell["count"] for cell in release.payload.get(uptake.FY_USERS, {}).get("cells", [])}
    found = []
    for budget in budgets:
        count = users.get(budget.service_id, 0)
        per_user = None
        if count is not None and count >= control.THRESHOLD:
            per_user = round(budget.amount_yen / count)
        found.append(Cost(budget.service_id, budget.amount_yen, count, per_user))
    return found
