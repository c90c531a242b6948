"""Linked accounts: logging in with an OpenID Connect provider, linking one to an account, unlinking.

A link is keyed on (issuer, subject). An email address is never a reason to link or to log in: if a password
account with the provider's email exists, the resident is told to log in to it and link from the settings.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from app import audit
from app.accounts import oauth_client
from app.accounts.models import LinkedAccount, Resident
from app.accounts.oauth_client import AuthorizationResult, RefreshRefused, TokenSet
from app.accounts.provider_http import Deadline, request_deadline
from app.accounts.providers import OAuthProvider
from app.accounts.services import find_by_email, normalise_email
from app.audit import EventTag
from app.config import Settings
from app.crypto import SealBroken, seal, unseal
from app.db import utcnow
from app.errors import DomainError
from app.jobs import services as jobs
from app.ledger.services import record_receipt

log = logging.getLogger(__name__)

TOKEN_SEAL_LABEL = "linked-account-token"
REVOKE_KIND = "accounts.revoke_token"
# Refresh a little before the provider's expiry, so a token never dies between our check and its use.
REFRESH_MARGIN = timedelta(seconds=30)


class EmailBelongsToAnotherAccount(DomainError):
    status = 409
    message = _l("An Azukari account with this email address already exists. Log in to it with your email and "
                 "password, then connect Smart Life Pass under Settings → Connected services. We never join "
                 "accounts on our own.")


class SubjectLinkedElsewhere(DomainError):
    status = 409
    message = _l("This account at the other service is already connected to a different Azukari account.")


class AlreadyLinked(DomainError):
    status = 409
    message = _l("Your Azukari account is already connected to another account there. Disconnect it first.")


class ReauthMismatch(DomainError):
    status = 403
    message = _l("You confirmed with a different account from the one connected. Nothing was changed.")


class NoUsableEmail(DomainError):
    status = 422
    message = _l("The other service did not share a verified email address, so we cannot create an account.")


def link_of(session: Session, resident: Resident, provider_key: str) -> LinkedAccount | None:
    return session.exec(
        select(LinkedAccount).where(LinkedAccount.resident_id == resident.id, LinkedAccount.provider == provider_key)
    ).first()


def links_of(session: Session, resident: Resident) -> dict[str, LinkedAccount]:
    rows = session.exec(select(LinkedAccount).where(LinkedAccount.resident_id == resident.id))
    return {row.provider: row for row in rows}


def _find(session: Session, issuer: str, subject: str) -> LinkedAccount | None:
    return session.exec(
        select(LinkedAccount).where(LinkedAccount.issuer == issuer, LinkedAccount.subject == subject)
    ).first()


def replace_tokens(session: Session, settings: Settings, link: LinkedAccount, tokens: TokenSet) -> None:
    """Store a new grant's tokens; the grant they replace (an earlier login or link) is revoked at the provider,
    so no token of ours stays alive there unseen. (A refresh is different: the provider rotates those itself.)"""
    old_refresh = _open(link.refresh_token_sealed, settings)
    old_access = _open(link.access_token_sealed, settings)
    store_tokens(link, tokens, settings)
    for token, hint in ((old_refresh, "refresh_token"), (old_access, "access_token")):
        if token and token not in (tokens.refresh_token, tokens.access_token):
            queue_revocation(session, settings, link.provider, token, hint, started_by=f"resident:{link.resident_id}")


def queue_revocation(session: Session, settings: Settings, provider_key: str, token: str, hint: str, *,
                     started_by: str) -> None:
    """Revoke `token` at the provider from the worker (retried with backoff while the provider is down)."""
    sealed = seal(token, secret_key=settings.resolved_secret_key(), label=TOKEN_SEAL_LABEL)
    jobs.enqueue(session, REVOKE_KIND, {"provider": provider_key, "token": sealed, "hint": hint},
                 started_by=started_by, max_attempts=12)


def store_tokens(link: LinkedAccount, tokens: TokenSet, settings: Settings) -> None:
    key = settings.resolved_secret_key()
    link.access_token_sealed = seal(tokens.access_token, secret_key=key, label=TOKEN_SEAL_LABEL)
    link.refresh_token_sealed = (
        seal(tokens.refresh_token, secret_key=key, label=TOKEN_SEAL_LABEL) if tokens.refresh_token else None
    )
    link.access_token_expires_at = tokens.expires_at
    link.scope = tokens.scope
    link.needs_relink = False


def _open(sealed: str | None, settings: Settings) -> str | None:
    if not sealed:
        return None
    try:
        return unseal(sealed, secret_key=settings.resolved_secret_key(), label=TOKEN_SEAL_LABEL)
    except SealBroken:  # SECRET_KEY changed: the token is unusable, the resident connects again
        log.warning("a linked account's token cannot be opened (secret key changed?)")
        return None


def log_in_with(
    session: Session, settings: Settings, result: AuthorizationResult, *, locale: str | None, ip: str | None
) -> tuple[Resident, bool]:
    """The resident this provider account is linked to, or a new account; (resident, created)."""
    provider = result.provider
    link = _find(session, provider.issuer, result.subject)
    if link is not None:
        resident = session.get(Resident, link.resident_id)
        assert resident is not None  # the foreign key cascades
        replace_tokens(session, settings, link, result.tokens)
        audit.record(session, EventTag.RESIDENT_LOGIN, actor=resident.principal, ip=ip, method=provider.key)
        return resident, False
    email = result.claims.get("email")
    # Only an address the provider verified: otherwise anyone could pre-create an account under someone's email.
    if not isinstance(email, str) or not email or result.claims.get("email_verified") is not True:
        raise NoUsableEmail()
    if find_by_email(session, email) is not None:
        audit.record(session, EventTag.LINK_REFUSED, ip=ip, provider=provider.key, reason="email_exists")
        raise EmailBelongsToAnotherAccount()
    resident = Resident(email=normalise_email(email), password_hash=None, locale=locale)
    session.add(resident)
    session.flush()
    _create_link(session, settings, resident, result)
    record_receipt(session, principal=resident.principal, source_key=provider.key, source=provider.source, items=["email"],
                   kept=True)
    audit.record(session, EventTag.RESIDENT_SIGNUP, actor=resident.principal, ip=ip, method=provider.key)
    audit.record(session, EventTag.ACCOUNT_LINK, actor=resident.principal, ip=ip, provider=provider.key)
    return resident, True


def link_to(session: Session, settings: Settings, result: AuthorizationResult, *, resident: Resident,
            ip: str | None) -> LinkedAccount:
    """Link the provider account in `result` to the logged-in `resident` (who re-authenticated first)."""
    provider = result.provider
    existing = _find(session, provider.issuer, result.subject)
    if existing is not None and existing.resident_id != resident.id:
        audit.record(session, EventTag.LINK_REFUSED, actor=resident.principal, ip=ip, provider=provider.key,
                     reason="subject_linked_elsewhere")
        raise SubjectLinkedElsewhere()
    current = link_of(session, resident, provider.key)
    if current is not None and current.subject != result.subject:
        raise AlreadyLinked()
    if current is not None:  # linking the same account again renews the tokens
        replace_tokens(session, settings, current, result.tokens)
        return current
    link = _create_link(session, settings, resident, result)
    audit.record(session, EventTag.ACCOUNT_LINK, actor=resident.principal, ip=ip, provider=provider.key)
    return link


def confirm_reauth(session: Session, settings: Settings, result: AuthorizationResult, *, resident: Resident,
                   ip: str | None) -> None:
    """Step-up through the provider: the very account linked to this resident, signed in just now."""
    # The step-up needed no tokens: the ones it brought are revoked, whatever the outcome.
    for token, hint in ((result.tokens.refresh_token, "refresh_token"), (result.tokens.access_token, "access_token")):
        if token:
            queue_revocation(session, settings, result.provider.key, token, hint, started_by=resident.principal)
    link = link_of(session, resident, result.provider.key)
    if link is None or link.subject != result.subject or link.issuer != result.provider.issuer:
        raise ReauthMismatch()
    # `prompt=login`/`max_age=0` asked for a fresh sign-in; a provider that ignored them is not taken at its word.
    auth_time = result.claims.get("auth_time")
    started = result.started_at.timestamp() if result.started_at else None
    if not isinstance(auth_time, int | float) or started is None or auth_time < started - oauth_client.CLOCK_LEEWAY_SECONDS:
        raise ReauthMismatch()
    audit.record(session, EventTag.RESIDENT_REAUTH, actor=resident.principal, ip=ip, method=result.provider.key)


def _create_link(session: Session, settings: Settings, resident: Resident, result: AuthorizationResult) -> LinkedAccount:
    link = LinkedAccount(
        resident_id=resident.id, provider=result.provider.key, issuer=result.provider.issuer, subject=result.subject
    )
    store_tokens(link, result.tokens, settings)
    session.add(link)
    session.flush()
    return link


def access_token_for(session: Session, settings: Settings, link: LinkedAccount, provider: OAuthProvider,
                     deadline: Deadline, *, rejected: str | None = None) -> str:
    """A live access token for `link`, refreshed (and the rotated refresh token stored) when it is due, or when
    the provider just rejected the token `rejected`."""
    if link.needs_relink:
        raise RefreshRefused()
    # Refreshes of one link are serialised (a row lock on PostgreSQL; SQLite writers are serial anyway): the
    # provider rotates refresh tokens and treats a reused one as stolen, revoking the whole grant.
    session.flush()  # pending changes to the link first: the refresh below reloads it
    session.refresh(link, with_for_update=True)
    access = _open(link.access_token_sealed, settings)
    due = link.access_token_expires_at is not None and link.access_token_expires_at - REFRESH_MARGIN <= utcnow()
    if access and not due and access != rejected:
        return access
    refresh_token = _open(link.refresh_token_sealed, settings)
    if not refresh_token:
        link.needs_relink = True
        raise RefreshRefused()
    try:
        tokens = oauth_client.refresh(provider, refresh_token, deadline)
    except RefreshRefused:
        link.needs_relink = True  # kept: the caller lets this commit so the page can say "connect again"
        raise
    store_tokens(link, tokens, settings)
    return tokens.access_token


def unlink(session: Session, settings: Settings, *, resident: Resident, provider: OAuthProvider,
           ip: str | None) -> bool:
    """Remove the link and revoke its tokens at the provider; True when the provider confirmed the revocation.

    When the provider cannot be reached, the link is removed anyway (the resident asked to stop) and a job keeps
    trying to revoke, so a token never stays alive at the provider because it was down for a moment.
    """
    link = link_of(session, resident, provider.key)
    if link is None:
        return True
    sealed = [(link.refresh_token_sealed, "refresh_token"), (link.access_token_sealed, "access_token")]
    tokens = [(_open(s, settings), hint) for s, hint in sealed if s]
    # A token that cannot be opened (SECRET_KEY changed) cannot be revoked: say so rather than claim it was.
    revoked = all(token for token, _ in tokens)
    deadline = request_deadline()
    for token, hint in tokens:
        if not token:
            continue
        try:
            oauth_client.revoke(provider, token, hint=hint, deadline=deadline)
        except DomainError:
            revoked = False
            queue_revocation(session, settings, provider.key, token, hint, started_by=resident.principal)
    session.delete(link)
    audit.record(session, EventTag.ACCOUNT_UNLINK, actor=resident.principal, ip=ip, provider=provider.key,
                 revoked=revoked)
    return revoked


def unlink_all(session: Session, settings: Settings, *, resident: Resident, providers: dict[str, OAuthProvider],
               ip: str | None) -> None:
    """Used when the account is deleted: every token is revoked (or queued for revocation)."""
    for key in list(links_of(session, resident)):
        provider = providers.get(key)
        if provider is not None:
            unlink(session, settings, resident=resident, provider=provider, ip=ip)
        else:
            for link in session.exec(select(LinkedAccount).where(col(LinkedAccount.provider) == key,
                                                                 LinkedAccount.resident_id == resident.id)):
                session.delete(link)
