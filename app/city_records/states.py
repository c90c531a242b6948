"""The states of a delegated disclosure request and the only moves between them.

    REQUESTED ──受付──▶ ACCEPTED ──開示決定──▶ DECIDED_DISCLOSE ──開示──▶ DELIVERED ──取込──▶ IMPORTED
        │                 │      └──不開示──▶ DECIDED_NOT_DISCLOSE           └──辞退──▶ DISCARDED
        └──────┬──────────┴────────────────────────┘
               ▼ (the resident withdraws the mandate before delivery)
           CANCELED

A request 柏市's system never acknowledged can still be answered by 柏市's staff from the console, so REQUESTED may
also go straight to a decision (受付 and 決定 at once). DELIVERED comes only after a decision to disclose. The last
four states (and DECIDED_NOT_DISCLOSE) are final.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from app.errors import Conflict


class RequestState(StrEnum):
    REQUESTED = "requested"  # 依頼: mandated and signed; being sent to 柏市
    ACCEPTED = "accepted"  # 受付: 柏市 acknowledged it (receipt number, date)
    DECIDED_DISCLOSE = "decided_disclose"  # 開示決定
    DECIDED_NOT_DISCLOSE = "decided_not_disclose"  # 不開示決定 (with the reason)
    DELIVERED = "delivered"  # 開示: the records reached the bank, waiting for the resident's review
    IMPORTED = "imported"  # 取込: the resident kept them
    DISCARDED = "discarded"  # the resident declined them; the delivered copy is deleted
    CANCELED = "canceled"  # the resident withdrew the mandate before delivery; 柏市 is told


S = RequestState
TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    S.REQUESTED: frozenset({S.ACCEPTED, S.DECIDED_DISCLOSE, S.DECIDED_NOT_DISCLOSE, S.CANCELED}),
    S.ACCEPTED: frozenset({S.DECIDED_DISCLOSE, S.DECIDED_NOT_DISCLOSE, S.CANCELED}),
    S.DECIDED_DISCLOSE: frozenset({S.DELIVERED, S.CANCELED}),
    S.DECIDED_NOT_DISCLOSE: frozenset(),
    S.DELIVERED: frozenset({S.IMPORTED, S.DISCARDED}),
    S.IMPORTED: frozenset(),
    S.DISCARDED: frozenset(),
    S.CANCELED: frozenset(),
}
FINAL = frozenset(state for state, moves in TRANSITIONS.items() if not moves)
# Waiting for 柏市: the worker sends or polls these; the resident may still cancel them.
WAITING_FOR_CITY = frozenset({S.REQUESTED, S.ACCEPTED, S.DECIDED_DISCLOSE})
CANCELABLE = frozenset(state for state, moves in TRANSITIONS.items() if S.CANCELED in moves)
# Still going: a resident has at most one such request at a time.
OPEN = WAITING_FOR_CITY | {S.DELIVERED}
# What 柏市's staff may answer from the console (a decision is made once).
ANSWERABLE = frozenset({S.REQUESTED, S.ACCEPTED})

LABELS = {
    S.REQUESTED: _l("Requested"),
    S.ACCEPTED: _l("Accepted by Kashiwa City"),
    S.DECIDED_DISCLOSE: _l("Decided: to be disclosed"),
    S.DECIDED_NOT_DISCLOSE: _l("Decided: not disclosed"),
    S.DELIVERED: _l("Records arrived"),
    S.IMPORTED: _l("Kept in your data"),
    S.DISCARDED: _l("Declined"),
    S.CANCELED: _l("Canceled"),
}


class InvalidTransition(Conflict):
    message = _l("This request has moved on in the meantime. Please reload the page.")


def can_move(current: str, target: str) -> bool:
    try:
        return RequestState(target) in TRANSITIONS[RequestState(current)]
    except ValueError:
        return False


def check_move(current: str, target: str) -> RequestState:
    """The target state if the move is allowed; InvalidTransition otherwise."""
    if not can_move(current, target):
        raise InvalidTransition()
    return RequestState(target)
