from __future__ import annotations

import smtplib

from sqlmodel import select

from app.jobs.models import Job, JobStatus
from app.jobs.registry import registry_for
from app.jobs.runner import run_next
from app.mail.models import MailMessage
from app.mail.services import DELIVER_KIND, queue_mail


def test_mail_is_rendered_in_the_recipient_language_and_delivered_by_a_job(app, db):
    with app.test_request_context():
        ja = queue_mail(db, to="a@example.jp", template="mail/password_changed.txt", locale="ja")
        en = queue_mail(db, to="b@example.jp", template="mail/password_changed.txt", locale="en")
    db.commit()
    assert "パスワード" in ja.subject and "password" in en.subject.lower()
    jobs = db.exec(select(Job).where(Job.kind == DELIVER_KIND)).all()
    assert len(jobs) == 2
    while run_next(app, registry_for(app), worker_id="test"):
        pass
    db.expire_all()
    assert all(m.sent_at is not None for m in db.exec(select(MailMessage)).all())
    assert all(j.status == JobStatus.DONE.value for j in db.exec(select(Job).where(Job.kind == DELIVER_KIND)))


def test_an_unreachable_smtp_server_is_retried_not_lost(app, db, monkeypatch):
    settings = app.config["AZUKARI"]
    monkeypatch.setattr(settings, "mail_backend", "smtp")

    def refuse(*_args, **_kwargs):
        raise ConnectionRefusedError("no smtp here")

    monkeypatch.setattr(smtplib, "SMTP", refuse)
    with app.test_request_context():
        message = queue_mail(db, to="c@example.jp", template="mail/password_changed.txt", locale="ja")
    db.commit()
    assert run_next(app, registry_for(app), worker_id="test")
    db.expire_all()
    job = db.exec(select(Job).where(Job.kind == DELIVER_KIND)).one()
    assert job.status == JobStatus.QUEUED.value and "SMTP unavailable" in job.last_error
    assert db.get(MailMessage, message.id).sent_at is None
