"""WebAuthn ceremonies (the `webauthn` package): options for the browser, then the verification of its answer.

The relying party is the bank's public origin (`settings.public_url`): its host is the RP ID, the origin is checked
on every answer. A challenge is single-use: the view keeps it in the server-side session and takes it out before
verifying, so a replayed answer finds none. User verification (the phone's lock) is required: a passkey is a whole
login, not a second factor. A counter that goes backwards means a cloned authenticator: refused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from app import audit, throttle
from app.accounts.models import Resident
from app.audit import EventTag
from app.config import Settings
from app.db import utcnow
from app.errors import DomainError, NotFound
from app.passkeys.models import Passkey

RP_NAME = "Azukari"
MAX_PASSKEYS = 10


class PasskeyRefused(DomainError):
    status = 400
    message = _l("The passkey could not be used. Please try again, or log in with your password.")


class TooManyPasskeys(DomainError):
    status = 409
    message = _l("You have 10 passkeys already. Remove one you no longer use first.")


@dataclass(frozen=True)
class RelyingParty:
    id: str
    origin: str

    @classmethod
    def of(cls, settings: Settings) -> RelyingParty:
        parts = urlsplit(settings.public_url)
        return cls(parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}")


def passkeys_of(session: Session, resident: Resident) -> list[Passkey]:
    return list(session.exec(select(Passkey).where(Passkey.resident_id == resident.id)
                             .order_by(col(Passkey.created_at))))


def _descriptors(passkeys: list[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=passkey.credential_id) for passkey in passkeys]


def registration_options(session: Session, resident: Resident, settings: Settings) -> tuple[str, bytes]:
    """(the options as JSON for navigator.credentials.create, the challenge to keep)."""
    existing = passkeys_of(session, resident)
    if len(existing) >= MAX_PASSKEYS:
        raise TooManyPasskeys()
    options = generate_registration_options(
        rp_id=RelyingParty.of(settings).id, rp_name=RP_NAME, user_id=resident.id.bytes, user_name=resident.email,
        user_display_name=resident.email, exclude_credentials=_descriptors(existing),
        authenticator_selection=AuthenticatorSelectionCriteria(resident_key=ResidentKeyRequirement.REQUIRED,
                                                               user_verification=UserVerificationRequirement.REQUIRED))
    return options_to_json(options), options.challenge


def register(session: Session, resident: Resident, settings: Settings, *, credential: dict[str, Any],
             challenge: bytes | None, name: str, ip: str | None = None) -> Passkey:
    """Keep the new passkey, or PasskeyRefused (no challenge, a wrong origin or RP, no user verification …)."""
    if challenge is None:
        raise PasskeyRefused()
    if len(passkeys_of(session, resident)) >= MAX_PASSKEYS:
        raise TooManyPasskeys()
    party = RelyingParty.of(settings)
    try:
        verified = verify_registration_response(credential=credential, expected_challenge=challenge,
                                                expected_rp_id=party.id, expected_origin=party.origin,
                                                require_user_verification=True)
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError):
        raise PasskeyRefused() from None
    if session.exec(select(Passkey.id).where(Passkey.credential_id == verified.credential_id)).first() is not None:
        raise PasskeyRefused()
    transports = [str(t) for t in (credential.get("response") or {}).get("transports") or [] if isinstance(t, str)]
    passkey = Passkey(resident_id=resident.id, credential_id=verified.credential_id,
                      public_key=verified.credential_public_key, sign_count=verified.sign_count,
                      transports=transports[:8], name=name.strip()[:60] or "passkey")
    session.add(passkey)
    session.flush()
    audit.record(session, EventTag.PASSKEY_ADDED, actor=resident.principal, ip=ip, passkey=str(passkey.id))
    return passkey


def authentication_options(settings: Settings, allowed: list[Passkey] | None = None) -> tuple[str, bytes]:
    """Options for navigator.credentials.get: any of the site's passkeys (a login: the authenticator offers the
    accounts it holds), or only `allowed` (a re-authentication)."""
    options = generate_authentication_options(rp_id=RelyingParty.of(settings).id,
                                              allow_credentials=_descriptors(allowed or []),
                                              user_verification=UserVerificationRequirement.REQUIRED)
    return options_to_json(options), options.challenge


def _ip_bucket(ip: str | None) -> str:
    return throttle.bucket("passkey:ip", ip or "unknown")


def authenticate(session: Session, settings: Settings, *, credential: dict[str, Any], challenge: bytes | None,
                 resident: Resident | None = None, ip: str | None = None) -> Resident:
    """The resident whose passkey answered, or PasskeyRefused; `resident`: it must be theirs (a re-authentication).
    Failures count against the address like failed password logins (RateLimited past the limit)."""
    window = timedelta(minutes=settings.login_window_minutes)
    throttle.check(session, _ip_bucket(ip), limit=settings.login_failures_per_ip, window=window)
    try:
        passkey = _verified(session, settings, credential, challenge, resident)
    except PasskeyRefused:
        throttle.hit(session, _ip_bucket(ip))
        audit.record(session, EventTag.PASSKEY_FAILED, subject=resident.principal if resident else None, ip=ip)
        raise
    owner = session.get(Resident, passkey.resident_id)
    if owner is None:
        raise PasskeyRefused()
    audit.record(session, EventTag.RESIDENT_REAUTH if resident else EventTag.RESIDENT_LOGIN, actor=owner.principal,
                 ip=ip, method="passkey", passkey=str(passkey.id))
    return owner


def _verified(session: Session, settings: Settings, credential: dict[str, Any], challenge: bytes | None,
              resident: Resident | None) -> Passkey:
    if challenge is None:
        raise PasskeyRefused()
    try:
        credential_id = base64url_to_bytes(str(credential.get("rawId") or credential.get("id") or ""))
    except (ValueError, TypeError):
        raise PasskeyRefused() from None
    passkey = session.exec(select(Passkey).where(Passkey.credential_id == credential_id)).first()
    if passkey is None or (resident is not None and passkey.resident_id != resident.id):
        raise PasskeyRefused()
    party = RelyingParty.of(settings)
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=party.id,
            expected_origin=party.origin, credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count, require_user_verification=True)
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError):
        raise PasskeyRefused() from None
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = utcnow()
    session.add(passkey)
    return passkey


def remove(session: Session, resident: Resident, passkey_id: Any, ip: str | None = None) -> None:
    """Forget one of the resident's passkeys (another's is not found)."""
    passkey = session.get(Passkey, passkey_id)
    if passkey is None or passkey.resident_id != resident.id:
        raise NotFound()
    session.delete(passkey)
    audit.record(session, EventTag.PASSKEY_REMOVED, actor=resident.principal, ip=ip, passkey=str(passkey_id))


def parse_body(raw: bytes) -> dict[str, Any]:
    """The browser's JSON answer, or PasskeyRefused for anything else."""
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise PasskeyRefused() from None
    if not isinstance(body, dict) or not isinstance(body.get("credential"), dict):
        raise PasskeyRefused()
    return body
