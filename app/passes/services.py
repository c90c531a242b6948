"""The resident's pass (its codes) and a partner's scan of it: a check-in at an event or a coupon's redemption.

A scan the bank accepts becomes the resident's data — a participation whose source is the partner — with the APPI
法30条 record of the receipt on the resident's ledger and the code spent, all in the request's transaction. The
partner learns only that the pass was accepted (never a name, an age or an account id). A refused scan changes
nothing but the audit log and the clerk's throttle; `scan` returns its reason instead of raising, so the caller
commits those two.

Every function takes the session and the acting party explicitly; nothing here commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app import audit, throttle
from app.accounts.models import Resident
from app.accounts.providers import DataSource
from app.audit import EventTag
from app.catalog.models import CatalogCoupon, CatalogEvent, ListingStatus
from app.db import insert_ignoring_conflicts, new_id, utcnow
from app.household.ages import japan_today
from app.ledger.services import record_receipt
from app.participation import services as participation
from app.participation.models import ParticipationKind, ParticipationSource
from app.partners.listings import belongs_to
from app.partners.models import Partner
from app.passes import codes
from app.passes.models import CouponRedemption, PassScan, ResidentPass, ScanAction

SCANS_PER_MINUTE = 60  # per clerk: one a second at a busy festival gate, not a script trying codes
JAPAN_OFFSET = timedelta(hours=9)
RECEIPT_BASIS = "本人が協力店で Azukari のパス（QRコード）を提示し、読み取りを求めた操作"
HOW_OBTAINED = "店頭・会場で本人が提示したパスを協力店のスタッフが読み取り、その場の参加・利用を記録したもの"


# --- the resident's pass ----------------------------------------------------------------------------------------


def pass_of(session: Session, resident: Resident) -> ResidentPass:
    """The resident's pass, made on first use (two first uses at once make one)."""
    session.execute(insert_ignoring_conflicts(session, ResidentPass, "resident_id")
                    .values(resident_id=resident.id, pass_id=codes.new_pass_id(), created_at=utcnow()))
    held = session.get(ResidentPass, resident.id, populate_existing=True)
    assert held is not None
    return held


def renew(session: Session, resident: Resident) -> ResidentPass:
    """A new pass id (a lost or replaced phone): every code issued before, offline ones included, stops working."""
    held = pass_of(session, resident)
    held.pass_id = codes.new_pass_id()
    held.created_at = utcnow()
    session.add(held)
    session.flush()
    return held


@dataclass(frozen=True)
class PassCodes:
    current: str  # the rotating code now
    refresh_at: datetime  # when it is replaced
    offline: list[str]  # a fresh batch for the phone to keep


def codes_for(session: Session, resident: Resident, key: bytes, now: datetime, *, offline: bool = False) -> PassCodes:
    held = pass_of(session, resident)
    batch = codes.offline_batch(key, held.pass_id, now) if offline else []
    return PassCodes(codes.rotating_code(key, held.pass_id, now), codes.next_rotation(now), batch)


def last_scans(session: Session, resident: Resident, limit: int = 3) -> list[PassScan]:
    """The resident's latest accepted scans (their pass page shows them)."""
    return list(session.exec(select(PassScan).where(PassScan.resident_id == resident.id)
                             .order_by(col(PassScan.scanned_at).desc()).limit(limit)))


# --- what a partner may scan for ---------------------------------------------------------------------------------


def scannable_events(session: Session, partner: Partner, today: date) -> list[CatalogEvent]:
    """The partner's published events a check-in can be for today (recurring ones, and those running today)."""
    rows = session.exec(select(CatalogEvent).where(CatalogEvent.status == ListingStatus.PUBLISHED)
                        .order_by(col(CatalogEvent.starts_at), col(CatalogEvent.id))).all()
    return [row for row in rows if belongs_to(partner, row) and event_runs_on(row, today)]


def scannable_coupons(session: Session, partner: Partner, today: date) -> list[CatalogCoupon]:
    rows = session.exec(select(CatalogCoupon).where(CatalogCoupon.status == ListingStatus.PUBLISHED)
                        .order_by(col(CatalogCoupon.id))).all()
    return [row for row in rows if belongs_to(partner, row) and _coupon_valid_on(row, today)]


def _japan_day(at: datetime) -> date:
    return (at + JAPAN_OFFSET).date() if at.tzinfo is not None else at.date()


def event_runs_on(event: CatalogEvent, day: date) -> bool:
    if event.starts_at is None:  # a recurring activity without dates
        return True
    last = event.ends_at or event.starts_at
    return _japan_day(event.starts_at) <= day <= _japan_day(last)


def _coupon_valid_on(coupon: CatalogCoupon, day: date) -> bool:
    return (coupon.valid_from is None or coupon.valid_from <= day) and (coupon.valid_to is None or day <= coupon.valid_to)


# --- a scan -----------------------------------------------------------------------------------------------------


class Refusal(StrEnum):
    """Why a scan was refused; each has the clerk's message (app/passes/messages.py)."""

    NOT_A_PASS = "not_a_pass"  # forged, damaged or not one of ours
    EXPIRED = "expired"
    USED = "used"  # this very code was accepted before (a replay, a screenshot)
    VOIDED = "voided"  # the resident renewed the pass since
    WRONG_VENUE = "wrong_venue"  # not this partner's event or coupon
    NOT_TODAY = "not_today"  # the event is not running today
    COUPON_NOT_VALID = "coupon_not_valid"  # outside the coupon's dates
    COUPON_USED = "coupon_used"  # this resident has used this coupon already
    UNKNOWN_ITEM = "unknown_item"


@dataclass(frozen=True)
class ScanResult:
    action: str
    item: CatalogEvent | CatalogCoupon | None
    refusal: Refusal | None = None
    scan: PassScan | None = None
    already_checked_in: bool = False  # the resident was checked in to this event today with another code
    repeated: bool = False  # the same code for the same item again (a double tap): the first scan stands
    used_on: date | None = None  # for COUPON_USED: when

    @property
    def accepted(self) -> bool:
        return self.refusal is None


class _Repeated(Exception):
    def __init__(self, earlier: PassScan) -> None:
        super().__init__("repeated")
        self.earlier = earlier


class _Refused(Exception):
    def __init__(self, refusal: Refusal, **details: Any) -> None:
        super().__init__(refusal.value)
        self.refusal, self.details = refusal, details


def _item(session: Session, partner: Partner, action: str, item_id: str, today: date) -> CatalogEvent | CatalogCoupon:
    model = CatalogEvent if action == ScanAction.CHECK_IN else CatalogCoupon
    row = session.get(model, item_id) if item_id else None
    if row is None or row.status != ListingStatus.PUBLISHED:
        raise _Refused(Refusal.UNKNOWN_ITEM)
    if not belongs_to(partner, row):
        raise _Refused(Refusal.WRONG_VENUE)
    if isinstance(row, CatalogEvent) and not event_runs_on(row, today):
        raise _Refused(Refusal.NOT_TODAY)
    if isinstance(row, CatalogCoupon) and not _coupon_valid_on(row, today):
        raise _Refused(Refusal.COUPON_NOT_VALID)
    return row


def _holder(session: Session, key: bytes, text: str, now: datetime) -> tuple[Resident, codes.ReadCode]:
    try:
        read = codes.read(key, text, now)
    except codes.CodeExpired:
        raise _Refused(Refusal.EXPIRED) from None
    except codes.CodeInvalid:
        raise _Refused(Refusal.NOT_A_PASS) from None
    held = session.exec(select(ResidentPass).where(ResidentPass.pass_id == read.pass_id)).first()
    resident = session.get(Resident, held.resident_id) if held is not None else None
    if resident is None:  # a signed code of a pass renewed since (or of a deleted account)
        raise _Refused(Refusal.VOIDED)
    return resident, read


def _scanned_today(session: Session, partner: Partner, resident: Resident, action: str, item_id: str,
                   today: date) -> bool:
    """Whether this partner scanned the resident for this item earlier today (with another code): the partner's
    own knowledge, not the resident's history."""
    start = datetime.combine(today, datetime.min.time(), tzinfo=UTC) - JAPAN_OFFSET
    return session.exec(select(PassScan.id).where(
        PassScan.partner_id == partner.id, PassScan.resident_id == resident.id, PassScan.action == action,
        PassScan.item_id == item_id, col(PassScan.scanned_at) >= start)).first() is not None


def _redeemed(session: Session, coupon_id: str, resident_id: uuid.UUID) -> CouponRedemption | None:
    return session.exec(select(CouponRedemption).where(CouponRedemption.coupon_id == coupon_id,
                                                       CouponRedemption.resident_id == resident_id)).first()


def _spend(session: Session, *, resident: Resident, read: codes.ReadCode, partner: Partner, staff_id: uuid.UUID | None,
           row: CatalogEvent | CatalogCoupon, action: str, today: date) -> PassScan:
    """Spend the code (and, for a coupon, the resident's one use of it) — or raise _Refused if another request
    got there first: the unique constraints decide, not a read before the write."""
    scan = PassScan(id=new_id(), resident_id=resident.id, code_id=read.code_id, partner_id=partner.id,
                    staff_id=staff_id, action=action, item_id=row.id, venue_id=row.venue_id)
    try:
        with session.begin_nested():
            session.add(scan)
            session.flush()  # before the redemption that refers to it (no ORM relationship orders the two)
            if action == ScanAction.REDEEM:
                session.add(CouponRedemption(coupon_id=row.id, resident_id=resident.id, partner_id=partner.id,
                                             scan_id=scan.id, redeemed_on=today))
            session.flush()
    except IntegrityError:  # both rows are gone with the savepoint: which constraint was it?
        spent = session.exec(select(PassScan).where(PassScan.resident_id == resident.id,
                                                    PassScan.code_id == read.code_id)).first()
        if spent is not None and (spent.partner_id, spent.action, spent.item_id) == (partner.id, action, row.id):
            raise _Repeated(spent) from None  # a double tap, or two requests racing: it counts once
        if spent is not None or action != ScanAction.REDEEM:
            raise _Refused(Refusal.USED) from None
        earlier = _redeemed(session, row.id, resident.id)
        raise _Refused(Refusal.COUPON_USED, used_on=earlier.redeemed_on if earlier else None) from None
    return scan


def partner_source(partner: Partner) -> DataSource:
    return DataSource(legal_name=partner.name_ja, address=partner.address, representative=partner.representative,
                      how_obtained=HOW_OBTAINED)


def scan(session: Session, *, partner: Partner, staff_principal: str, staff_id: uuid.UUID | None, key: bytes,
         code_text: str, action: str, item_id: str, now: datetime | None = None, ip: str | None = None) -> ScanResult:
    """Check a code and, if it is good, record the check-in or redemption. Raises RateLimited past the clerk's
    limit; otherwise returns the result, accepted or with its refusal."""
    now = now or utcnow()
    bucket = f"pass-scan:{staff_principal}"
    throttle.check(session, bucket, limit=SCANS_PER_MINUTE, window=timedelta(minutes=1))
    throttle.hit(session, bucket)
    if action not in ScanAction.ALL:
        raise ValueError(f"unknown action {action!r}")
    today = japan_today()
    row: CatalogEvent | CatalogCoupon | None = None
    try:
        row = _item(session, partner, action, item_id, today)
        resident, read = _holder(session, key, code_text, now)
        kind = ParticipationKind.EVENT if action == ScanAction.CHECK_IN else ParticipationKind.COUPON
        before = _scanned_today(session, partner, resident, action, row.id, today)
        scan_row = _spend(session, resident=resident, read=read, partner=partner, staff_id=staff_id, row=row,
                          action=action, today=today)
    except _Refused as refused:
        audit.record(session, EventTag.PASS_SCAN_REFUSED, actor=staff_principal, ip=ip, partner=partner.key,
                     action=action, reason=refused.refusal.value)
        return ScanResult(action, row, refused.refusal, used_on=refused.details.get("used_on"))
    except _Repeated as repeated:
        return ScanResult(action, row, scan=repeated.earlier, repeated=True)
    participation.record(session, resident, kind, row.id, today,
                         source=ParticipationSource.PARTNER_PREFIX + partner.key, ip=None)
    record_receipt(session, principal=resident.principal, source_key=ParticipationSource.PARTNER_PREFIX + partner.key,
                   source=partner_source(partner), items=[participation.ITEM_KEY], kept=True, basis=RECEIPT_BASIS,
                   kind=kind, on=today.isoformat())
    audit.record(session, EventTag.PASS_SCAN, actor=staff_principal, ip=ip, partner=partner.key, action=action,
                 scan=str(scan_row.id), offline=read.offline)
    return ScanResult(action, row, scan=scan_row, already_checked_in=before)
