"""A withdrawn consent to give survey answers to the pilot analysts takes the answers out of everything the
analysts see, inside the withdrawal's transaction."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.consent.events import ConsentWithdrawn, consent_withdrawn
from app.principals import parse_principal
from app.surveys.answers import ITEM_KEY
from app.surveys.services import PURPOSE, RECIPIENT, forget_after_withdrawn_consent


def _on_withdrawal(_sender: Any, *, session: Session, change: ConsentWithdrawn, **_: Any) -> None:
    parsed = parse_principal(change.subject)
    if (change.recipient, change.purpose) == (RECIPIENT, PURPOSE) and ITEM_KEY in change.items \
            and parsed is not None and parsed[0] == "resident":
        forget_after_withdrawn_consent(session, parsed[1])


def init_app() -> None:
    consent_withdrawn.connect(_on_withdrawal)
