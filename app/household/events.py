"""Changes to what the resident entrusted that other features subscribe to (the recommendation feed forgets what it
kept): the household, and the participation history (app.participation sends it too). Sent inside the change's
transaction; keywords `session` and `resident_id`."""

from __future__ import annotations

from typing import Any

from blinker import Namespace
from flask import current_app
from sqlmodel import Session

_signals = Namespace()
household_changed = _signals.signal("household-changed")


def announce_change(session: Session, resident_id: Any) -> None:
    household_changed.send(current_app._get_current_object(), session=session,  # type: ignore[attr-defined]
                           resident_id=resident_id)
