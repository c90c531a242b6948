"""Jobs of the accounts domain: revoking a token at a provider that could not be reached at unlink time."""

from __future__ import annotations

from app.accounts import oauth_client
from app.accounts.linking import REVOKE_KIND, TOKEN_SEAL_LABEL
from app.accounts.provider_http import Deadline
from app.accounts.providers import configured_providers
from app.crypto import SealBroken, unseal
from app.errors import DomainError
from app.jobs.registry import JobHandler
from app.jobs.runner import JobContext, PermanentFailure, RetryLater


def revoke_token(ctx: JobContext) -> dict[str, str]:
    payload = ctx.payload
    provider = configured_providers(ctx.settings).get(payload["provider"])
    if provider is None:
        raise PermanentFailure("the provider is no longer configured")
    try:
        token = unseal(payload["token"], secret_key=ctx.settings.resolved_secret_key(), label=TOKEN_SEAL_LABEL)
    except SealBroken as error:
        raise PermanentFailure("the sealed token cannot be opened") from error
    ctx.session.commit()  # no transaction held open across the network call
    try:
        oauth_client.revoke(provider, token, hint=payload["hint"], deadline=Deadline(10.0))
    except DomainError as error:
        raise RetryLater(f"revocation at {provider.key} failed: {type(error).__name__}") from error
    return {"provider": provider.key, "hint": payload["hint"]}


JOB_HANDLERS = [JobHandler(REVOKE_KIND, revoke_token)]
