"""Staff accounts: created by the operator, invited by mail, password plus TOTP at every login."""

from __future__ import annotations

import hmac
import time
import uuid
from datetime import timedelta

import pyotp
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from app import audit, throttle, tokens
from app.accounts.passwords import check_new_password, hash_password, verify_password
from app.accounts.services import InvalidCredentials, normalise_email
from app.audit import EventTag
from app.config import Settings
from app.crypto import seal, unseal
from app.errors import DomainError, NotFound
from app.mail.services import queue_mail
from app.partners.models import Partner
from app.principals import parse_principal
from app.sessions import end_sessions_of
from app.staff.models import StaffMember, StaffRole

INVITE_TTL = timedelta(days=3)
TOTP_LABEL = "staff-totp"
TOTP_ISSUER = "Azukari"
TOTP_FAILURES_PER_LOGIN = 5


class InvalidCode(DomainError):
    status = 422
    message = _l("The code is not correct. Enter the 6-digit code your authenticator app shows now.")


class StaffEmailTaken(DomainError):
    status = 422
    message = _l("A staff account with this email address already exists.")


class PartnerRequired(DomainError):
    status = 422
    message = _l("Partner staff must belong to a partner.")


def get_member(session: Session, member_id: uuid.UUID) -> StaffMember:
    member = session.get(StaffMember, member_id)
    if member is None:
        raise NotFound()
    return member


def list_members(session: Session) -> list[StaffMember]:
    return list(session.exec(select(StaffMember).order_by(col(StaffMember.role), col(StaffMember.email))))


def list_partners(session: Session) -> list[Partner]:
    return list(session.exec(select(Partner).order_by(col(Partner.name_ja))))


def create_member(
    session: Session,
    settings: Settings,
    *,
    actor: StaffMember,
    email: str,
    display_name: str,
    role: StaffRole,
    partner_id: uuid.UUID | None,
    locale: str | None,
) -> StaffMember:
    """Create a staff account and mail its holder an invitation to set a password and a TOTP app."""
    email = normalise_email(email)
    if session.exec(select(StaffMember).where(StaffMember.email == email)).first() is not None:
        raise StaffEmailTaken()
    if role is StaffRole.PARTNER:
        if partner_id is None or session.get(Partner, partner_id) is None:
            raise PartnerRequired()
    else:
        partner_id = None
    member = StaffMember(email=email, display_name=display_name.strip(), role=role.value, partner_id=partner_id,
                         locale=locale, created_by=actor.principal)
    session.add(member)
    session.flush()
    send_invitation(session, settings, member=member)
    audit.record(session, EventTag.STAFF_CREATE, actor=actor.principal, subject=member.principal, role=role.value)
    return member


def send_invitation(session: Session, settings: Settings, *, member: StaffMember) -> None:
    raw = tokens.issue(session, purpose=tokens.TokenPurpose.STAFF_INVITE, principal=member.principal, ttl=INVITE_TTL)
    queue_mail(session, to=member.email, template="mail/staff_invitation.txt", locale=member.locale,
               name=member.display_name, role=member.role,
               invite_url=settings.absolute_url(f"/staff/invite/{raw}"), days=INVITE_TTL.days)


def member_for_invitation(session: Session, *, token: str) -> StaffMember:
    principal = tokens.peek(session, token, purpose=tokens.TokenPurpose.STAFF_INVITE)
    return _member_of(session, principal)


def accept_invitation(session: Session, *, token: str, password: str, ip: str | None) -> StaffMember:
    """Set the first password; TOTP enrollment follows before the member can use a console."""
    member = member_for_invitation(session, token=token)
    check_new_password(password, email=member.email)
    tokens.consume(session, token, purpose=tokens.TokenPurpose.STAFF_INVITE)
    member.password_hash = hash_password(password)
    member.totp_secret = None
    member.totp_last_counter = None
    session.add(member)
    audit.record(session, EventTag.STAFF_INVITE_ACCEPT, actor=member.principal, ip=ip)
    return member


def _member_of(session: Session, principal: str) -> StaffMember:
    parsed = parse_principal(principal)
    member = session.get(StaffMember, parsed[1]) if parsed and parsed[0] == "staff" else None
    if member is None or not member.active:
        raise tokens.InvalidToken()
    return member


def check_password(session: Session, settings: Settings, *, email: str, password: str, ip: str | None) -> StaffMember:
    """First factor. Unknown, disabled, not-yet-invited accounts and wrong passwords fail alike."""
    buckets = throttle.LoginBuckets.of("staff-login", normalise_email(email), ip)
    buckets.check(session, settings)
    member = session.exec(select(StaffMember).where(StaffMember.email == normalise_email(email))).first()
    password_ok = verify_password(member.password_hash if member else None, password)
    if member is None or not member.active or not password_ok:
        buckets.fail(session)
        audit.record(session, EventTag.STAFF_LOGIN_FAILED, subject=member.principal if member else None, ip=ip,
                     factor="password")
        raise InvalidCredentials()
    buckets.succeed(session)
    return member


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, issuer=TOTP_ISSUER)


def _matching_counter(secret: str, code: str, last_counter: int | None) -> int | None:
    """The time step the code belongs to (now ±1 step for clock drift), if not used before."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = _totp(secret)
    now_counter = int(time.time()) // totp.interval
    for counter in (now_counter - 1, now_counter, now_counter + 1):
        if last_counter is not None and counter <= last_counter:
            continue
        if hmac.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


def _use_counter(session: Session, member: StaffMember, counter: int) -> bool:
    """Record the time step as used, atomically: of two requests with the same code, only one wins."""
    result = session.exec(
        sa.update(StaffMember)
        .where(col(StaffMember.id) == member.id,
               sa.or_(col(StaffMember.totp_last_counter).is_(None), col(StaffMember.totp_last_counter) < counter))
        .values(totp_last_counter=counter)
    )
    session.refresh(member)
    return result.rowcount == 1


def check_code(session: Session, settings: Settings, *, member: StaffMember, code: str, ip: str | None) -> None:
    """Second factor at login: a fresh TOTP code, at most a few wrong ones per pending login."""
    bucket = throttle.bucket("staff-totp", member.principal)
    throttle.check(session, bucket, limit=TOTP_FAILURES_PER_LOGIN, window=timedelta(minutes=15))
    if member.totp_secret is None:  # re-invited meanwhile: the old authenticator no longer counts
        raise InvalidCode()
    secret = unseal(member.totp_secret, secret_key=settings.resolved_secret_key(), label=TOTP_LABEL)
    counter = _matching_counter(secret, code, member.totp_last_counter)
    if counter is None or not _use_counter(session, member, counter):
        throttle.hit(session, bucket)
        audit.record(session, EventTag.STAFF_LOGIN_FAILED, subject=member.principal, ip=ip, factor="totp")
        raise InvalidCode()
    throttle.clear(session, bucket)
    audit.record(session, EventTag.STAFF_LOGIN, actor=member.principal, ip=ip)


def begin_enrollment(session: Session, settings: Settings, *, member: StaffMember) -> str:
    """A new TOTP seed, kept sealed until its first code confirms it; returns the seed to show."""
    secret = pyotp.random_base32()
    member.totp_pending = seal(secret, secret_key=settings.resolved_secret_key(), label=TOTP_LABEL)
    session.add(member)
    return secret


def pending_secret(settings: Settings, *, member: StaffMember) -> str | None:
    if member.totp_pending is None:
        return None
    return unseal(member.totp_pending, secret_key=settings.resolved_secret_key(), label=TOTP_LABEL)


def provisioning_uri(settings: Settings, *, member: StaffMember, secret: str) -> str:
    return _totp(secret).provisioning_uri(name=member.email, issuer_name=TOTP_ISSUER)


def confirm_enrollment(session: Session, settings: Settings, *, member: StaffMember, code: str, ip: str | None) -> None:
    secret = pending_secret(settings, member=member)
    if secret is None:
        raise InvalidCode()
    bucket = throttle.bucket("staff-totp", member.principal)
    throttle.check(session, bucket, limit=TOTP_FAILURES_PER_LOGIN, window=timedelta(minutes=15))
    counter = _matching_counter(secret, code, None)
    if counter is None:
        throttle.hit(session, bucket)
        raise InvalidCode()
    member.totp_secret = member.totp_pending
    member.totp_pending = None
    member.totp_last_counter = counter
    session.add(member)
    audit.record(session, EventTag.STAFF_TOTP_ENROLL, actor=member.principal, ip=ip)
    audit.record(session, EventTag.STAFF_LOGIN, actor=member.principal, ip=ip)


def reinvite(session: Session, settings: Settings, *, actor: StaffMember, member: StaffMember) -> None:
    """A member who lost the password or the authenticator starts again from a new invitation mail:
    the old password and TOTP seed stop working and every session of the member ends."""
    member.password_hash = None
    member.totp_secret = None
    member.totp_pending = None
    member.totp_last_counter = None
    session.add(member)
    end_sessions_of(session, member.principal)
    send_invitation(session, settings, member=member)
    audit.record(session, EventTag.STAFF_REINVITE, actor=actor.principal, subject=member.principal)


def set_active(session: Session, *, actor: StaffMember, member: StaffMember, active: bool) -> None:
    """Disable or re-enable an account; disabling ends its sessions at once (ASVS 7.4.2)."""
    if member.id == actor.id and not active:
        raise DomainError(str(_l("You cannot disable your own account.")))
    member.active = active
    session.add(member)
    if not active:
        end_sessions_of(session, member.principal)
    audit.record(session, EventTag.STAFF_ENABLE if active else EventTag.STAFF_DISABLE, actor=actor.principal,
                 subject=member.principal)

