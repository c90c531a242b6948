"""Consent events other features subscribe to (e.g. the authorization server revokes a recipient's tokens when
the resident withdraws; the feed kept for the day is computed again when the bank's own consent changes). Sent
after the change is in the session, inside the same request."""

from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace

_signals = Namespace()
# sender: the app; keywords `session` (the withdrawal's transaction) and `change` (a ConsentWithdrawn)
consent_withdrawn = _signals.signal("consent-withdrawn")
# sender: the app; keywords `session` (the grant's transaction) and `change` (a ConsentGiven)
consent_given = _signals.signal("consent-given")
# sender: the app; keywords `session` (the approval's transaction), `kind` and `key` (what the board approved)
ethics_approval_recorded = _signals.signal("ethics-approval-recorded")


@dataclass(frozen=True)
class ConsentWithdrawn:
    subject: str  # the resident's principal
    recipient: str
    purpose: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class ConsentGiven:
    subject: str  # the resident's principal
    recipient: str
    purpose: str
    items: tuple[str, ...]
