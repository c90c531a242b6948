"""Pairwise subject identifiers: what a recipient knows the resident by."""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.accounts.models import Resident
from app.oauth.models import PairwiseSubject


def pairwise_subject(session: Session, recipient_key: str, resident: Resident) -> str:
    """The resident's identifier for this recipient, made on first use (random, so it reveals nothing)."""
    row = session.exec(select(PairwiseSubject).where(PairwiseSubject.recipient_key == recipient_key,
                                                     PairwiseSubject.resident_id == resident.id)).first()
    if row is not None:
        return row.subject
    try:
        with session.begin_nested():
            row = PairwiseSubject(subject=secrets.token_urlsafe(24), recipient_key=recipient_key,
                                  resident_id=resident.id)
            session.add(row)
    except IntegrityError:  # made at the same moment by another request
        row = session.exec(select(PairwiseSubject).where(PairwiseSubject.recipient_key == recipient_key,
                                                         PairwiseSubject.resident_id == resident.id)).one()
    return row.subject
