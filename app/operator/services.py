"""Figures for the operator's dashboard: counts only, never a resident's data."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from app.accounts.models import Resident
from app.staff.models import StaffMember


def dashboard_counts(session: Session) -> dict[str, int]:
    return {
        "residents": session.exec(select(sa.func.count()).select_from(Resident)).one(),
        "staff": session.exec(select(sa.func.count()).select_from(StaffMember)).one(),
    }
