"""Consent events other features subscribe to (e.g. the authorization server revokes a recipient's tokens when
the resident withdraws). Sent after the change is in the session, inside the same request."""

from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace

_signals = Namespace()
# sender: the app; keywords `session` (the withdrawal's transaction) and `change` (a ConsentWithdrawn)
consent_withdrawn = _signals.signal("consent-withdrawn")


@dataclass(frozen=True)
class ConsentWithdrawn:
    subject: str  # the resident's principal
    recipient: str
    purpose: str
    items: tuple[str, ...]
