"""What the clerk reads after a scan, in the clerk's language: what happened and what to do next."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.passes.services import Refusal

REFUSALS = {
    Refusal.NOT_A_PASS: _l("This is not an Azukari pass, or the code is damaged. Ask the customer to open their pass "
                           "in the Azukari app and scan again."),
    Refusal.EXPIRED: _l("This code has expired. Ask the customer to show the pass again: it shows a new code every "
                        "minute (offline codes last 24 hours)."),
    Refusal.USED: _l("This code has already been used. Ask the customer for the code shown now (offline: the next "
                     "offline code)."),
    Refusal.VOIDED: _l("This pass has been renewed by its owner, so this code no longer works. Ask for the code in "
                       "their app now."),
    Refusal.WRONG_VENUE: _l("This event or coupon is not one of yours. Choose one of your events or coupons."),
    Refusal.NOT_TODAY: _l("This event is not held today, so no check-in can be recorded for it."),
    Refusal.COUPON_NOT_VALID: _l("This coupon cannot be used today (outside its dates)."),
    Refusal.COUPON_USED: _l("This customer has already used this coupon. It can be used once."),
    Refusal.UNKNOWN_ITEM: _l("Choose an event or coupon first."),
}

# What a resident reads when a poster cannot check them in.
POSTER_REFUSALS = {
    Refusal.NOT_A_PASS: _l("This QR code is not a check-in code of Azukari, or it is damaged. Ask the staff at the "
                           "venue."),
    Refusal.UNKNOWN_ITEM: _l("This event is no longer listed, so no check-in is possible."),
    Refusal.WRONG_VENUE: _l("This poster does not belong to the event's organiser. Ask the staff at the venue."),
    Refusal.NOT_TODAY: _l("This event is not held today. You can check in on the day of the event."),
}
