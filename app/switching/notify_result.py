"""Telling the result of a transfer: a notice in the resident's inbox, and both services (a Security Event Token
each, `app/switching/notify.py`). `announce` runs in the transaction that commits the state (app/switching/saga.py):
the notice is written and the services' job queued with it, so a crash can neither lose nor half-send them.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _

from app.accounts.models import Resident
from app.i18n import DEFAULT_LOCALE
from app.inbox import services as inbox
from app.jobs import services as jobs
from app.jobs.runner import JobContext, PermanentFailure, RetryLater
from app.switching import registry, remote
from app.switching.models import JobState, TransferJob

NOTIFY_KIND = "switching.notify"


def announce(session: Any, resident: Resident, job: TransferJob) -> None:
    _inbox_notice(session, resident, job)
    roles = [("destination", job.destination)]
    if registry.SOURCES[job.source].has_api:
        roles.insert(0, ("source", job.source))
    for role, service in roles:
        # One job per service and state: a retry of one service's notice never repeats the other's.
        jobs.enqueue(session, NOTIFY_KIND, {"transfer_id": str(job.id), "service": service, "role": role,
                                            "state": job.state},
                     started_by=resident.principal, max_attempts=6,
                     unique_key=f"transfer-notify:{job.id}:{job.state}:{service}")


def _inbox_notice(session: Any, resident: Resident, job: TransferJob) -> None:
    source, destination = registry.SOURCES[job.source], registry.DESTINATIONS[job.destination]
    with force_locale(resident.locale or DEFAULT_LOCALE):
        ja = (resident.locale or DEFAULT_LOCALE) == "ja"
        old, new = (source.label_ja, destination.label_ja) if ja else (source.label_en, destination.label_en)
        arrived = sum((job.receipt or {}).get("counts", {}).values())
        deletion = job.deletion or {}
        if job.state == JobState.VERIFIED:
            title = _("Your data arrived at %(service)s", service=new)
            body = _("%(n)s items arrived at %(new)s and its signed receipt matched what Azukari sent. Your data at "
                     "%(old)s is untouched: on the transfer's page you can ask for it to be deleted, or keep it.",
                     n=arrived, new=new, old=old)
        elif job.state == JobState.COMPLETE and deletion.get("status") == "done" and deletion.get("by") == "source":
            title = _("%(service)s deleted your data", service=old)
            body = _("%(old)s ended the services that moved and deleted their data. Azukari checked its signed "
                     "deletion certificate (No. %(certificate)s).", old=old,
                     certificate=deletion.get("certificate_id", ""))
        elif job.state == JobState.COMPLETE and deletion.get("status") == "done":
            title = _("Azukari erased its copy")
            body = _("Azukari erased its copy of your export and signed a certificate of it (No. %(certificate)s).",
                     certificate=deletion.get("certificate_id", ""))
        elif job.state == JobState.COMPLETE:
            title = _("Your switch to %(service)s is complete", service=new)
            body = (_("Your data stays at %(old)s, as you chose.", old=old) if source.has_api else
                    _("Azukari keeps its copy of your export, as you chose."))
        elif job.state == JobState.CANCELED:
            title = _("Your transfer to %(service)s was canceled", service=new)
            body = _("You withdrew your consent, so Azukari stopped. Nothing was sent after that and nothing was "
                     "deleted anywhere.")
        else:
            title = _("Your transfer to %(service)s stopped", service=new)
            body = _("Nothing was deleted anywhere. The transfer's page says why and what you can do.")
        inbox.notify_from_bank(session, resident, external_id=f"transfer:{job.id}:{job.state}", title=title,
                               body=body, path=f"/switching/jobs/{job.id}")


def notify_service(ctx: JobContext) -> dict[str, Any]:
    """The worker's job: one service's Security Event Token; a busy or unreachable service is tried again later."""
    from app.switching import notify  # (the event's wire format)

    job = ctx.session.get(TransferJob, uuid.UUID(ctx.payload["transfer_id"]))
    resident = ctx.session.get(Resident, job.resident_id) if job is not None else None
    if job is None or resident is None:
        return {"skipped": True}
    try:
        notify.post_event(ctx.session, ctx.settings, resident, job, service=ctx.payload["service"],
                          role=ctx.payload["role"], state=ctx.payload["state"])
    except remote.ServiceBusy as busy:
        raise RetryLater("rate_limited", retry_after=timedelta(seconds=busy.retry_after)) from None
    except remote.ServiceUnavailable as down:
        raise RetryLater(down.reason) from None
    except (remote.ServiceRefused, remote.NotConnected) as refused:
        raise PermanentFailure(getattr(refused, "error", "refused")) from None
    return {"sent": ctx.payload["service"]}
