"""Every table, imported in one place so Alembic and SQLAlchemy see the whole schema."""

from app.accounts.models import Resident, TermsAcceptance
from app.audit import AuditEvent
from app.jobs.models import Job
from app.mail.models import MailMessage
from app.partners.models import Partner
from app.sessions import BrowserSession
from app.staff.models import StaffMember
from app.throttle import ThrottleHit
from app.tokens import ActionToken

__all__ = [
    "ActionToken",
    "AuditEvent",
    "BrowserSession",
    "Job",
    "MailMessage",
    "Partner",
    "Resident",
    "StaffMember",
    "TermsAcceptance",
    "ThrottleHit",
]
