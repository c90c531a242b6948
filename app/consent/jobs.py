"""Daily: remind residents a month before a consent ends (one tap on the consent screen renews it)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlmodel import select

from app.accounts.models import Resident
from app.consent.decisions import due_for_reminder
from app.consent.models import Offer, Purpose, Recipient
from app.db import utcnow
from app.jobs.registry import JobHandler, PeriodicTask
from app.jobs.runner import JobContext
from app.mail.services import queue_mail

KIND = "consent.remind"


def remind(ctx: JobContext) -> dict[str, Any]:
    db, now = ctx.session, utcnow()
    reminded: dict[tuple[uuid.UUID, str, str], list[str]] = {}
    grants = due_for_reminder(db, now)
    active = {(o.recipient_key, o.purpose_key) for o in db.exec(select(Offer).where(Offer.active == True))}  # noqa: E712
    for grant in grants:
        if (grant.recipient_key, grant.purpose_key) not in active:
            continue  # a stopped offer cannot be renewed: no mail asking for it (the consent just ends)
        reminded.setdefault((grant.resident_id, grant.recipient_key, grant.purpose_key), []).append(grant.item_key)
        grant.reminded_at = now
        db.add(grant)
    for (resident_id, recipient_key, purpose_key), _items in reminded.items():
        resident = db.get(Resident, resident_id)
        recipient, purpose = db.get(Recipient, recipient_key), db.get(Purpose, purpose_key)
        if resident is None or recipient is None or purpose is None:
            continue
        queue_mail(db, to=resident.email, template="mail/consent_expiring.txt", locale=resident.locale,
                   recipient=recipient.legal_name, purpose=purpose.name_ja if resident.locale != "en" else purpose.name_en,
                   url=ctx.settings.absolute_url("/consents"))
    ctx.save(progress=100, stage="reminded")
    return {"grants": sum(len(items) for items in reminded.values()), "mails": len(reminded)}


JOB_HANDLERS = [JobHandler(KIND, remind)]
PERIODIC_TASKS = [PeriodicTask(KIND, every=timedelta(days=1), offset=timedelta(hours=0))]
