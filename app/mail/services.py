from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

from flask_babel import force_locale
from jinja2_fragments.flask import render_block
from sqlmodel import Session, col, select

from app.config import Settings
from app.db import utcnow
from app.i18n import DEFAULT_LOCALE
from app.jobs.services import enqueue
from app.mail.models import MailMessage

DELIVER_KIND = "mail.deliver"
# An SMTP server may be away for a while: eight tries, each after a longer wait, before giving up.
DELIVERY_ATTEMPTS = 8


def queue_mail(session: Session, *, to: str, template: str, locale: str | None, **context: Any) -> MailMessage:
    """Render a mail in the recipient's language and queue its delivery in the caller's transaction.

    The template has a `subject` block and a `body` block.
    """
    with force_locale(locale or DEFAULT_LOCALE):
        subject = render_block(template, "subject", **context).strip()
        body = render_block(template, "body", **context).strip() + "\n"
    message = MailMessage(to=to, subject=subject, body=body)
    session.add(message)
    session.flush()
    enqueue(session, DELIVER_KIND, {"message_id": message.id}, max_attempts=DELIVERY_ATTEMPTS)
    return message


def deliver(session: Session, settings: Settings, message: MailMessage) -> None:
    """Send one message with the configured backend; the outbox backend only marks it delivered."""
    if message.sent_at is not None:
        return  # a retry after a crash between sending and marking: do not send twice if we know
    if settings.mail_backend == "smtp":
        email = EmailMessage()
        email["From"] = settings.mail_from
        email["To"] = message.to
        email["Subject"] = message.subject
        email.set_content(message.body)
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(email)
    message.sent_at = utcnow()
    session.add(message)


def outbox(session: Session, *, limit: int = 50) -> list[MailMessage]:
    return list(session.exec(select(MailMessage).order_by(col(MailMessage.id).desc()).limit(limit)))
