"""Residents' account operations. Each takes the database session and the acting resident explicitly."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from app import audit, throttle, tokens
from app.accounts.models import Resident, TermsAcceptance, normalise_email
from app.accounts.passwords import check_new_password, hash_password, needs_rehash, verify_password
from app.accounts.terms import current_terms
from app.audit import EventTag
from app.city_records import services as city_records
from app.config import Settings
from app.db import utcnow
from app.errors import DomainError, RateLimited
from app.ledger import retention
from app.ledger import services as ledger
from app.ledger.models import RecordKind
from app.mail.models import MailMessage
from app.mail.services import queue_mail
from app.principals import parse_principal
from app.sessions import end_sessions_of

RESET_TOKEN_TTL = timedelta(hours=1)
RESET_LINK_MINUTES = int(RESET_TOKEN_TTL.total_seconds() // 60)  # said in the mail and on the page


class InvalidCredentials(DomainError):
    status = 422
    message = _l("The email address or password is not correct.")


class EmailTaken(DomainError):
    status = 422
    message = _l("This email address is already registered. Please log in, or reset your password.")


def find_by_email(session: Session, email: str) -> Resident | None:
    return session.exec(select(Resident).where(Resident.email == normalise_email(email))).first()


def sign_up(session: Session, *, email: str, password: str, locale: str | None, ip: str | None) -> Resident:
    email = normalise_email(email)
    if find_by_email(session, email) is not None:
        raise EmailTaken()
    check_new_password(password, email=email)
    resident = Resident(email=email, password_hash=hash_password(password), locale=locale)
    session.add(resident)
    session.flush()
    audit.record(session, EventTag.RESIDENT_SIGNUP, actor=resident.principal, ip=ip)
    return resident


def authenticate(session: Session, settings: Settings, *, email: str, password: str, ip: str | None) -> Resident:
    """The resident with these credentials; an unknown email and a wrong password fail alike.

    Raises RateLimited before checking anything once too many attempts failed, so a guesser learns
    nothing more. Failures are recorded: the caller must let the transaction commit.
    """
    buckets = throttle.LoginBuckets.of("login", normalise_email(email), ip)
    try:
        buckets.check(session, settings)
    except RateLimited:
        audit.record(session, EventTag.RESIDENT_LOGIN_THROTTLED, ip=ip)
        raise
    resident = find_by_email(session, email)
    # Verify even for an unknown email (against a dummy hash) so both answers take the same time.
    password_ok = verify_password(resident.password_hash if resident else None, password)
    if resident is None or not password_ok:
        buckets.fail(session)
        audit.record(session, EventTag.RESIDENT_LOGIN_FAILED, subject=resident.principal if resident else None,
                     ip=ip)
        raise InvalidCredentials()
    if needs_rehash(resident.password_hash):
        resident.password_hash = hash_password(password)
    buckets.succeed(session)
    audit.record(session, EventTag.RESIDENT_LOGIN, actor=resident.principal, ip=ip)
    return resident


def verify_current_password(
    session: Session, settings: Settings, *, resident: Resident, password: str, ip: str | None
) -> None:
    """Re-authentication: the resident proves it is still them before a sensitive change.

    Counted with the login failures, so a stolen session cannot guess the password without limit.
    """
    buckets = throttle.LoginBuckets.of("login", resident.email, ip)
    buckets.check(session, settings)
    if not verify_password(resident.password_hash, password):
        buckets.fail(session)
        audit.record(session, EventTag.RESIDENT_LOGIN_FAILED, subject=resident.principal, ip=ip, step="reauth")
        raise InvalidCredentials(str(_l("The password is not correct.")))
    buckets.succeed(session)
    audit.record(session, EventTag.RESIDENT_REAUTH, actor=resident.principal, ip=ip)


def has_accepted_current_terms(session: Session, resident: Resident) -> bool:
    version = current_terms().version
    return session.exec(
        select(TermsAcceptance.id).where(
            TermsAcceptance.resident_id == resident.id, TermsAcceptance.terms_version == version
        )
    ).first() is not None


def accepted_terms(session: Session, resident: Resident) -> list[TermsAcceptance]:
    return list(
        session.exec(
            select(TermsAcceptance)
            .where(TermsAcceptance.resident_id == resident.id)
            .order_by(TermsAcceptance.accepted_at.desc())  # type: ignore[attr-defined]
        )
    )


def accept_terms(session: Session, *, resident: Resident, version: str, ip: str | None) -> TermsAcceptance:
    if version != current_terms().version:
        raise DomainError(str(_l("These terms have been updated. Please read the current version.")))
    existing = session.exec(
        select(TermsAcceptance).where(
            TermsAcceptance.resident_id == resident.id, TermsAcceptance.terms_version == version
        )
    ).first()
    if existing is not None:
        return existing
    acceptance = TermsAcceptance(resident_id=resident.id, terms_version=version)
    session.add(acceptance)
    audit.record(session, EventTag.TERMS_ACCEPT, actor=resident.principal, ip=ip, version=version)
    return acceptance


def change_password(
    session: Session, *, resident: Resident, new_password: str, keep_token_hash: str | None, ip: str | None
) -> None:
    """Set a new password and end every other session of the resident (ASVS 7.4.3)."""
    check_new_password(new_password, email=resident.email)
    resident.password_hash = hash_password(new_password)
    resident.password_changed_at = utcnow()
    session.add(resident)
    end_sessions_of(session, resident.principal, keep_token_hash=keep_token_hash)
    audit.record(session, EventTag.RESIDENT_PASSWORD_CHANGE, actor=resident.principal, ip=ip)
    queue_mail(session, to=resident.email, template="mail/password_changed.txt", locale=resident.locale)


def change_email(session: Session, *, resident: Resident, new_email: str, ip: str | None) -> None:
    new_email = normalise_email(new_email)
    if new_email == resident.email:
        return
    if find_by_email(session, new_email) is not None:
        raise EmailTaken()
    old_email = resident.email
    resident.email = new_email
    session.add(resident)
    audit.record(session, EventTag.RESIDENT_EMAIL_CHANGE, actor=resident.principal, ip=ip)
    # The old address hears of the change, so a hijacked session cannot quietly take the account.
    queue_mail(session, to=old_email, template="mail/email_changed.txt", locale=resident.locale,
               new_email=new_email)


def set_locale(session: Session, *, resident: Resident, locale: str) -> None:
    resident.locale = locale
    session.add(resident)
    audit.record(session, EventTag.RESIDENT_LOCALE_CHANGE, actor=resident.principal, locale=locale)


def delete_account(session: Session, *, resident: Resident, ip: str | None) -> None:
    """Close the account: the resident's rows go (cascade), every session ends, a goodbye mail is sent.

    The ledger chain stays, without its payloads but those of provision and receipt records, which the law keeps
    three years (app/ledger/retention.py erases them then): the erasure and the deletion are its last records
    (nothing in them identifies the person beyond the chain's principal).
    """
    principal, email, locale = resident.principal, resident.email, resident.locale
    end_sessions_of(session, principal)
    ledger.lock_chain(session, principal)  # nothing is appended to the chain between the erasure and the deletion
    city_records.withdraw_all(session, resident)  # 柏市 is told that mandates still open are withdrawn
    erased, kept = retention.erase_on_closing(session, principal)
    ledger.append(session, subject=principal, kind=RecordKind.DELETION,
                  payload={"action": "account.deleted", "description": "account deleted", "erased_payloads": erased,
                           "kept_payloads": kept, "kept_for": "3 years from each record (APPI 規則21条・24条)"})
    session.delete(resident)
    # Mails already sent to the address (reset links, notices) and the account's one-time links go too; mails still
    # waiting are delivered, then purged with the goodbye mail 30 days after sending (app/jobs/maintenance.py).
    session.execute(sa.delete(MailMessage).where(col(MailMessage.to) == email, col(MailMessage.sent_at).is_not(None)))
    session.execute(sa.delete(tokens.ActionToken).where(col(tokens.ActionToken.principal) == principal))
    audit.record(session, EventTag.RESIDENT_DELETE, actor=principal, ip=ip)
    queue_mail(session, to=email, template="mail/account_deleted.txt", locale=locale)


def request_password_reset(session: Session, settings: Settings, *, email: str, ip: str | None) -> None:
    """Mail a reset link if the account exists; the caller shows the same message either way."""
    throttle.check(session, throttle.bucket("reset:ip", ip or "unknown"), limit=20, window=timedelta(hours=1))
    throttle.hit(session, throttle.bucket("reset:ip", ip or "unknown"))
    resident = find_by_email(session, email)
    if resident is None:
        return
    raw = tokens.issue(session, purpose=tokens.TokenPurpose.PASSWORD_RESET, principal=resident.principal,
                       ttl=RESET_TOKEN_TTL)
    audit.record(session, EventTag.RESIDENT_PASSWORD_RESET_REQUEST, subject=resident.principal, ip=ip)
    queue_mail(session, to=resident.email, template="mail/password_reset.txt", locale=resident.locale,
               reset_url=settings.absolute_url(f"/password/reset/{raw}"),
               minutes=RESET_LINK_MINUTES)


def resident_for_reset_token(session: Session, *, token: str) -> Resident:
    principal = tokens.peek(session, token, purpose=tokens.TokenPurpose.PASSWORD_RESET)
    return _resident_of(session, principal)


def reset_password(session: Session, *, token: str, new_password: str, ip: str | None) -> Resident:
    resident = resident_for_reset_token(session, token=token)
    check_new_password(new_password, email=resident.email)  # before using the token up
    principal = tokens.consume(session, token, purpose=tokens.TokenPurpose.PASSWORD_RESET)
    if principal != resident.principal:  # pragma: no cover - the same token row
        raise tokens.InvalidToken()
    resident.password_hash = hash_password(new_password)
    resident.password_changed_at = utcnow()
    session.add(resident)
    end_sessions_of(session, principal)
    audit.record(session, EventTag.RESIDENT_PASSWORD_RESET, actor=principal, ip=ip)
    queue_mail(session, to=resident.email, template="mail/password_changed.txt", locale=resident.locale)
    return resident


def _resident_of(session: Session, principal: str) -> Resident:
    parsed = parse_principal(principal)
    resident = session.get(Resident, parsed[1]) if parsed and parsed[0] == "resident" else None
    if resident is None:
        raise tokens.InvalidToken()
    return resident
