"""An event's poster QR code, and the resident's own check-in by scanning it.

The poster carries a URL of the bank (`/checkin/<token>`), so a phone's ordinary camera opens it in the app. The
token is signed (itsdangerous, under SECRET_KEY with its own salt) and names the event and its partner: a token
for another event, a forged one, or one for an event that is not running today checks nobody in. Checking in twice
on a day is one participation (its unique constraint), as at the till.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session, select

from app import audit
from app.accounts.models import Resident
from app.audit import EventTag
from app.catalog.models import CatalogEvent, ListingStatus
from app.db import insert_ignoring_conflicts, new_id, utcnow
from app.household.ages import japan_today
from app.ledger.services import record_receipt
from app.participation import services as participation
from app.participation.models import Participation, ParticipationKind, ParticipationSource
from app.partners.listings import belongs_to
from app.partners.models import Partner
from app.passes.models import PassScan, ScanAction
from app.passes.services import Refusal, event_runs_on, partner_source

SALT = "azukari:event-poster:v1"
RECEIPT_BASIS = "本人が会場に掲示された QR コードを読み取り、チェックインを求めた操作"


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=SALT)


def poster_code_id(event_id: str, day: date) -> str:
    """What a poster check-in spends in `pass_scan`: the event and the day (a poster has no code of the resident's)."""
    return f"poster:{hashlib.sha256(event_id.encode()).hexdigest()[:16]}:{day.isoformat()}"


def poster_token(secret_key: str, partner: Partner, event: CatalogEvent) -> str:
    return _serializer(secret_key).dumps({"e": event.id, "p": partner.key})


@dataclass(frozen=True)
class PosterCheckIn:
    event: CatalogEvent | None
    partner: Partner | None
    refusal: Refusal | None = None
    participation: Participation | None = None
    already: bool = False  # checked in to it earlier today

    @property
    def accepted(self) -> bool:
        return self.refusal is None


def read_poster(session: Session, secret_key: str, token: str, today: date | None = None) -> PosterCheckIn:
    """What the poster is for, or why it cannot check anyone in now."""
    today = today or japan_today()
    try:
        claims = _serializer(secret_key).loads(token)
    except BadSignature:
        return PosterCheckIn(None, None, Refusal.NOT_A_PASS)
    if not isinstance(claims, dict):
        return PosterCheckIn(None, None, Refusal.NOT_A_PASS)
    event = session.get(CatalogEvent, str(claims.get("e", "")))
    partner = session.exec(select(Partner).where(Partner.key == str(claims.get("p", "")))).first()
    if event is None or partner is None or event.status != ListingStatus.PUBLISHED:
        return PosterCheckIn(event, partner, Refusal.UNKNOWN_ITEM)
    if not belongs_to(partner, event):
        return PosterCheckIn(event, partner, Refusal.WRONG_VENUE)
    if not event_runs_on(event, today):
        return PosterCheckIn(event, partner, Refusal.NOT_TODAY)
    return PosterCheckIn(event, partner)


def check_in(session: Session, resident: Resident, secret_key: str, token: str, *, ip: str | None = None) -> PosterCheckIn:
    today = japan_today()
    found = read_poster(session, secret_key, token, today)
    if not found.accepted or found.event is None or found.partner is None:
        audit.record(session, EventTag.POSTER_CHECK_IN_REFUSED, actor=resident.principal, ip=ip,
                     reason=found.refusal.value if found.refusal else "")
        return found
    source = ParticipationSource.PARTNER_PREFIX + found.partner.key
    before = participation.recorded_on(session, resident, ParticipationKind.EVENT, found.event.id, today)
    record = participation.record(session, resident, ParticipationKind.EVENT, found.event.id, today, source=source, ip=ip)
    # The partner's record of the check-in, as for a scan at the till (its weekly report counts these): one per
    # resident, event and day, whatever the number of taps.
    session.execute(insert_ignoring_conflicts(session, PassScan, "resident_id", "code_id").values(
        id=new_id(), resident_id=resident.id, code_id=poster_code_id(found.event.id, today), partner_id=found.partner.id,
        staff_id=None, action=ScanAction.CHECK_IN, item_id=found.event.id, venue_id=found.event.venue_id,
        scanned_at=utcnow()))
    if before is None:
        record_receipt(session, principal=resident.principal, source_key=source, source=partner_source(found.partner),
                       items=[participation.ITEM_KEY], kept=True, basis=RECEIPT_BASIS, kind="event",
                       on=today.isoformat(), by="poster")
        audit.record(session, EventTag.POSTER_CHECK_IN, actor=resident.principal, ip=ip, partner=found.partner.key)
    return PosterCheckIn(found.event, found.partner, participation=record, already=before is not None)
