from __future__ import annotations

import smtplib

from app.jobs.registry import JobHandler
from app.jobs.runner import JobContext, PermanentFailure, RetryLater
from app.mail.models import MailMessage
from app.mail.services import DELIVER_KIND, deliver


def deliver_mail(ctx: JobContext) -> dict[str, int]:
    message = ctx.session.get(MailMessage, ctx.payload["message_id"])
    if message is None:
        raise PermanentFailure("the message no longer exists")
    # End the read transaction before talking to the SMTP server: on SQLite it would hold the write lock
    # through the network wait, and on PostgreSQL a connection idle in transaction.
    ctx.session.commit()
    try:
        deliver(ctx.session, ctx.settings, message)
    except smtplib.SMTPRecipientsRefused as error:
        raise PermanentFailure("recipient refused") from error
    except (smtplib.SMTPException, OSError) as error:
        raise RetryLater(f"SMTP unavailable: {type(error).__name__}") from error
    return {"message_id": message.id or 0}


JOB_HANDLERS = [JobHandler(DELIVER_KIND, deliver_mail)]
